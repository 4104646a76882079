// docker-compose.yml: the five services, pinned images, the documented ports, mounts of files that
// exist, and the trace path (server → Jaeger, Prometheus keeping exemplars).
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, readYaml } from './helpers.js';

interface Service { image?: string; build?: { context: string; dockerfile: string }; ports?: string[]; volumes?: string[]; command?: string[]; environment?: Record<string, string> }
const compose = readYaml(path.join(ROOT, 'docker-compose.yml')) as { services: Record<string, Service> };

describe('docker-compose.yml', () => {
  it('runs server, prometheus, alertmanager, grafana and jaeger', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['alertmanager', 'grafana', 'jaeger', 'prometheus', 'server']);
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

  it('sends the server\'s traces to a pinned Jaeger over OTLP/HTTP, and keeps exemplars in Prometheus', () => {
    const jaeger = compose.services.jaeger!;
    expect(jaeger.image).toMatch(/^jaegertracing\/jaeger:\d+\.\d+\.\d+$/);
    expect(jaeger.ports?.map((p) => p.split(/\s/)[0])).toEqual(['16686:16686', '4318:4318']);
    expect(compose.services.server?.environment?.OTEL_EXPORTER_OTLP_ENDPOINT).toBe('${OTEL_EXPORTER_OTLP_ENDPOINT:-http://jaeger:4318}');
    expect(compose.services.prometheus?.command).toContain('--enable-feature=exemplar-storage');
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
