// Exemplars: with tracing on, the latency histograms keep the trace id of a sampled request per
// bucket and /metrics speaks OpenMetrics (the only format that carries them). The series' names and
// labels stay those of the Prometheus text format; a real Prometheus with exemplar storage scrapes
// the OpenMetrics text and returns the trace id from its exemplar API.
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Metrics } from '../../src/metrics/registry.js';
import { skipNote, skipWithout, type ToolNeed } from '../support/tools.js';
import { APT_HINT, waitFor } from './helpers.js';
import { prometheusBinary, startPrometheus, type RunningPrometheus } from './prometheus-harness.js';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const BATCH_TRACE = '00f067aa0ba902b700f067aa0ba902b7';
const LABELS = { route: '/api/v1/predict', method: 'POST', status: '200' };

function observeAll(metrics: Metrics): void {
  metrics.httpRequests.inc(LABELS);
  metrics.observeRequest(LABELS, 0.0123, { trace_id: TRACE });
  metrics.observeRequest(LABELS, 0.5); // a sampled-out request: counted, no exemplar
  metrics.observeQueueWait(0.003, { trace_id: TRACE });
  metrics.observeInference(0.009, { trace_id: BATCH_TRACE });
}

/** `name{labels}` of every sample line, comments and values dropped. */
const series = (text: string): string[] => text.split('\n').filter((l) => l !== '' && !l.startsWith('#')).map((l) => l.replace(/ .*$/, '')).sort();

describe('metrics exemplars', () => {
  it('are off by default: Prometheus text format, and the observe methods count as before', async () => {
    const metrics = new Metrics();
    observeAll(metrics);
    const text = await metrics.render();
    expect(metrics.contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(text).not.toContain(TRACE);
    expect(text).toContain('gliner_http_request_duration_seconds_count{route="/api/v1/predict",method="POST",status="200"} 2');
    expect(text).toContain('gliner_queue_wait_seconds_count 1');
    expect(text).toContain('gliner_inference_seconds_count 1');
  });

  it('on, put the trace id on the bucket of the observed value, in OpenMetrics', async () => {
    const metrics = new Metrics({ exemplars: true });
    observeAll(metrics);
    const text = await metrics.render();
    expect(metrics.contentType).toBe('application/openmetrics-text; version=1.0.0; charset=utf-8');
    expect(text.endsWith('# EOF\n')).toBe(true);
    const exemplar = (metric: string, le: string, trace: string, value: number): RegExp =>
      new RegExp(`^${metric}_bucket\\{le="${le}"[^}]*\\} \\d+ # \\{trace_id="${trace}"\\} ${value} \\d+(\\.\\d+)?$`, 'm');
    expect(text).toMatch(exemplar('gliner_http_request_duration_seconds', '0.016', TRACE, 0.0123));
    expect(text).toMatch(exemplar('gliner_queue_wait_seconds', '0.004', TRACE, 0.003));
    expect(text).toMatch(exemplar('gliner_inference_seconds', '0.016', BATCH_TRACE, 0.009));
    expect(text.match(/# \{trace_id=/g)?.length).toBe(3); // the 0.5 s request left none
    expect(text).toContain('gliner_http_request_duration_seconds_count{route="/api/v1/predict",method="POST",status="200"} 2');
  });

  it('on, expose the same series (names and labels) as the Prometheus text format', async () => {
    const plain = new Metrics();
    const open = new Metrics({ exemplars: true });
    observeAll(plain);
    observeAll(open);
    // Default process metrics differ between two renders (values, not names): compare the series.
    const drop = (list: string[]): string[] => list.filter((s) => !s.startsWith('nodejs_') && !s.startsWith('process_'));
    expect(drop(series(await open.render()))).toEqual(drop(series(await plain.render())));
    expect(series(await open.render())).toContain('gliner_http_requests_total{route="/api/v1/predict",method="POST",status="200"}');
  });
});

const NEEDS: ToolNeed[] = [{ tool: 'prometheus', present: prometheusBinary() !== undefined, install: APT_HINT }];

describe.skipIf(skipWithout('exemplars in Prometheus', NEEDS))(`live: Prometheus stores the exemplars it scrapes${skipNote(NEEDS)}`, () => {
  let server: Server | undefined;
  let prom: RunningPrometheus | undefined;
  const metrics = new Metrics({ exemplars: true });

  beforeAll(async () => {
    observeAll(metrics);
    server = createServer((_req, res) => {
      void metrics.render().then((body) => res.writeHead(200, { 'content-type': metrics.contentType }).end(body));
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    prom = await startPrometheus({ targets: [`127.0.0.1:${(server.address() as AddressInfo).port}`], ruleFiles: [], features: ['exemplar-storage'] });
  }, 60_000);

  afterAll(async () => {
    await prom?.stop();
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server === undefined ? resolve() : server.close(() => resolve())));
  });

  it('returns the trace ids from its exemplar API, and the counters under their usual names', async () => {
    const p = prom!;
    const found = await waitFor('exemplars scraped', async () => {
      const end = Date.now() / 1000;
      const response = await fetch(`${p.url}/api/v1/query_exemplars?query=${encodeURIComponent('{__name__=~"gliner_.*_bucket"}')}&start=${end - 600}&end=${end + 60}`);
      const body = (await response.json()) as { status: string; data?: { seriesLabels: Record<string, string>; exemplars: { labels: Record<string, string>; value: string }[] }[] };
      const all = (body.data ?? []).flatMap((s) => s.exemplars.map((e) => [s.seriesLabels.__name__, e.labels.trace_id, Number(e.value)] as const));
      return all.length >= 3 ? all : undefined;
    }, 30_000);
    expect([...found].sort()).toEqual([
      ['gliner_http_request_duration_seconds_bucket', TRACE, 0.0123],
      ['gliner_inference_seconds_bucket', BATCH_TRACE, 0.009],
      ['gliner_queue_wait_seconds_bucket', TRACE, 0.003],
    ]);
    expect((await p.samples('gliner_http_requests_total{route="/api/v1/predict"} == 1')).length).toBe(1);
    expect((await p.samples('gliner_http_request_duration_seconds_count{route="/api/v1/predict"} == 2')).length).toBe(1);
  }, 40_000);
});
