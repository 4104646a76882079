// Grafana: provisioning files point at the dashboards and the Prometheus data source, every
// dashboard JSON parses, and every panel has a data source and at least one PromQL target.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { OBS, allPanels, dashboardFiles, loadDashboard, readYaml } from './helpers.js';

const files = dashboardFiles();

describe('grafana provisioning', () => {
  it('provisions the Prometheus data source with the uid the dashboards default to', () => {
    const doc = readYaml(path.join(OBS, 'grafana/provisioning/datasources/prometheus.yml')) as {
      apiVersion: number; datasources: { uid: string; type: string; url: string }[];
    };
    expect(doc.apiVersion).toBe(1);
    expect(doc.datasources).toEqual([expect.objectContaining({ uid: 'gliner-prometheus', type: 'prometheus', url: 'http://prometheus:9090' })]);
    for (const file of files) {
      const ds = loadDashboard(file).templating?.list.find((v) => v.name === 'datasource') as { current?: { value?: string } } | undefined;
      expect(ds?.current?.value, path.basename(file)).toBe('gliner-prometheus');
    }
  });

  it('provisions Jaeger, and sends the Prometheus data source\'s exemplars to it', () => {
    const jaeger = readYaml(path.join(OBS, 'grafana/provisioning/datasources/jaeger.yml')) as {
      datasources: { uid: string; type: string; url: string; jsonData: { tracesToMetrics: { datasourceUid: string; queries: { query: string }[] } } }[];
    };
    expect(jaeger.datasources).toEqual([expect.objectContaining({ uid: 'gliner-jaeger', type: 'jaeger', url: 'http://jaeger:16686' })]);
    expect(jaeger.datasources[0]?.jsonData.tracesToMetrics.datasourceUid).toBe('gliner-prometheus');
    const prom = readYaml(path.join(OBS, 'grafana/provisioning/datasources/prometheus.yml')) as {
      datasources: { jsonData: { exemplarTraceIdDestinations: { name: string; datasourceUid: string }[] } }[];
    };
    expect(prom.datasources[0]?.jsonData.exemplarTraceIdDestinations).toEqual([{ name: 'trace_id', datasourceUid: 'gliner-jaeger' }]);
  });

  it('shows exemplars on the p99 of every histogram that carries them', () => {
    const withExemplars = ['gliner_http_request_duration_seconds_bucket', 'gliner_queue_wait_seconds_bucket', 'gliner_inference_seconds_bucket'];
    const seen = new Set<string>();
    for (const file of files) {
      for (const panel of allPanels(loadDashboard(file))) {
        for (const target of (panel.targets ?? []) as { expr?: string; exemplar?: boolean }[]) {
          const metric = withExemplars.find((m) => target.expr?.includes(m));
          if (metric === undefined || !target.expr!.startsWith('histogram_quantile(0.99')) continue;
          expect(target.exemplar, `${panel.title}: ${target.expr}`).toBe(true);
          seen.add(metric);
        }
      }
    }
    expect([...seen].sort()).toEqual([...withExemplars].sort());
  });

  it('provisions the dashboards directory that docker-compose.yml mounts', () => {
    const doc = readYaml(path.join(OBS, 'grafana/provisioning/dashboards/provider.yml')) as {
      providers: { type: string; options: { path: string } }[];
    };
    expect(doc.providers[0]?.type).toBe('file');
    const compose = readFileSync(path.join(OBS, '..', 'docker-compose.yml'), 'utf8');
    expect(compose).toContain(`./observability/grafana/dashboards:${doc.providers[0]?.options.path}:ro`);
  });
});

describe('grafana dashboards', () => {
  it('has the overview, batching/model and resources dashboards with unique uids', () => {
    const uids = files.map((f) => loadDashboard(f).uid);
    expect(uids.sort()).toEqual(['gliner-batching-model', 'gliner-overview', 'gliner-resources']);
  });

  it.each(files.map((f) => [path.basename(f), f] as const))('%s: parses; every panel has a data source and a PromQL target', (_name, file) => {
    const d = JSON.parse(readFileSync(file, 'utf8')) as ReturnType<typeof loadDashboard>;
    expect(d.title).toMatch(/^GLiNER/);
    const panels = allPanels(d);
    expect(panels.length).toBeGreaterThan(3);
    const ids = new Set<number>();
    for (const p of panels) {
      expect(p.datasource?.type, p.title).toBe('prometheus');
      expect(p.datasource?.uid, p.title).toBeTruthy();
      expect(p.targets?.length ?? 0, p.title).toBeGreaterThan(0);
      for (const t of p.targets ?? []) expect(typeof t.expr === 'string' && t.expr.trim() !== '', `${p.title} ${t.refId}`).toBe(true);
      expect(ids.has(p.id ?? -1), `duplicate panel id ${p.id}`).toBe(false);
      ids.add(p.id ?? -1);
    }
  });

  it('covers RED, saturation, SLO budget, batching, model info and resources', () => {
    const text = files.map((f) => readFileSync(f, 'utf8')).join('\n');
    for (const needle of [
      'gliner_http_requests_total', 'gliner_http_request_duration_seconds_bucket', 'gliner_queue_depth_rows', 'Error budget remaining',
      'gliner_batch_rows', 'gliner_queue_wait_seconds_bucket', 'gliner_inference_seconds_bucket', 'gliner_tokens_processed_total', 'gliner_model_info',
      'process_cpu_seconds_total', 'process_resident_memory_bytes', 'nodejs_eventloop_lag_p99_seconds', 'nodejs_heap_size_used_bytes',
    ]) expect(text, needle).toContain(needle);
  });
});
