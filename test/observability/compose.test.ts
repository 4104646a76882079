// docker-compose.yml: the four services, pinned images, the documented ports, and mounts of files
// that exist.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, readYaml } from './helpers.js';

interface Service { image?: string; build?: { context: string; dockerfile: string }; ports?: string[]; volumes?: string[]; command?: string[] }
const compose = readYaml(path.join(ROOT, 'docker-compose.yml')) as { services: Record<string, Service> };

describe('docker-compose.yml', () => {
  it('runs server, prometheus, alertmanager and grafana', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['alertmanager', 'grafana', 'prometheus', 'server']);
  });

  it('builds the server from Dockerfile.cpu and publishes 8000 and 9464', () => {
    const server = compose.services.server!;
    expect(server.build).toEqual({ context: '.', dockerfile: 'Dockerfile.cpu' });
    expect(server.ports).toEqual(['8000:8000', '9464:9464']);
  });

  it('publishes Prometheus 9090, Alertmanager 9093 and Grafana 3000 from pinned images', () => {
    const expected: Record<string, [RegExp, string]> = {
      prometheus: [/^prom\/prometheus:v\d+\.\d+\.\d+$/, '9090:9090'],
      alertmanager: [/^prom\/alertmanager:v\d+\.\d+\.\d+$/, '9093:9093'],
      grafana: [/^grafana\/grafana:\d+\.\d+\.\d+$/, '3000:3000'],
    };
    for (const [name, [image, port]] of Object.entries(expected)) {
      expect(compose.services[name]?.image, name).toMatch(image);
      expect(compose.services[name]?.ports, name).toEqual([port]);
    }
  });

  it('mounts only paths that exist in the repository', () => {
    for (const [name, s] of Object.entries(compose.services)) {
      for (const v of s.volumes ?? []) {
        const source = v.split(':')[0]!;
        if (source.startsWith('.')) expect(existsSync(path.join(ROOT, source)), `${name}: ${source}`).toBe(true);
      }
    }
  });

  it('scrapes the server admin port from the mounted prometheus.yml', () => {
    const prom = readYaml(path.join(ROOT, 'observability/prometheus/prometheus.yml')) as {
      scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
      alerting: { alertmanagers: { static_configs: { targets: string[] }[] }[] };
    };
    const gliner = prom.scrape_configs.find((s) => s.job_name === 'gliner');
    expect(gliner?.static_configs[0]?.targets).toEqual(['server:9464']);
    expect(prom.alerting.alertmanagers[0]?.static_configs[0]?.targets).toEqual(['alertmanager:9093']);
    expect(compose.services.prometheus?.volumes).toContain('./observability/prometheus:/etc/prometheus:ro');
  });
});
