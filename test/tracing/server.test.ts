// The real server (child process, embedded model) tracing to the test OTLP receiver: W3C context in
// and out on REST predict, batch, the Open Inference Protocol and WebSocket messages; the request
// log line's ids; a long document's tree beside short requests that share batches, with the links
// both ways; cache hits; refusals' status; exemplars on /metrics; no text, label or key in anything
// exported. Spans are asserted after the server stopped: its shutdown flushes them (serve.ts).
// With no OTEL_* variable the server returns no traceparent and serves plain Prometheus text.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { get, post } from '../support/http.js';
import { TEST_MODEL } from '../support/model.js';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../support/otlp-receiver.js';
import { ROOT, startServer, type RunningServer } from '../support/server.js';
import { connect } from '../support/ws.js';

const KEY = 'sk-trace-3e9d71c0a5';
const AUTH = { 'x-api-key': KEY };
const LABELS = ['vexillologist', 'ferry operator'];
const SHORT = [
  'Ottilie Quenneville flew to Zanzibar.',
  'Bartholomew Ngata met Quintessa Corp in Oslo.',
  'Ines Marchetti sailed from Tromso to Bergen.',
  'Yusuf Adebayo joined Halvorsen Shipping.',
  'Leocadia Brandt opened a bakery in Graz.',
  'Tobiah Wren rowed across Lake Bled.',
];
const LONG = Array.from({ length: 90 }, (_, i) => `In ${1900 + i} Marguerite Oyelaran of Tiraspol wrote to the Vexillological Society about Quintessa Ferries.`).join(' ');
const CACHED = 'Philippa Okonkwo-Strand lives in Reykjavik.';
const TRACE = (n: number): string => `${String(n).repeat(2)}${'a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5'}`;
const PARENT = 'b7ad6b7169203331';
const caller = (n: number, flags = '01'): string => `00-${TRACE(n)}-${PARENT}-${flags}`;
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-(0[01])$/;
const tensor = (name: string, data: string[]) => ({ name, datatype: 'BYTES', shape: [data.length], data });

type Msg = Record<string, unknown>;

// Every module a server's main thread resolves, logged by a preload (test/support/module-log.mjs).
const LOGS = mkdtempSync(path.join(tmpdir(), 'gliner-modules-'));
const moduleLog = (name: string): { env: Record<string, string>; read: () => string[] } => {
  const file = path.join(LOGS, `${name}.txt`);
  return {
    env: { NODE_OPTIONS: `--import=${path.join(ROOT, 'test/support/module-log.mjs')}`, GLINER_MODULE_LOG: file },
    read: () => readFileSync(file, 'utf8').split('\n').filter((line) => line !== ''),
  };
};
const OTEL_SDK = /@opentelemetry\/(sdk-trace|exporter-trace-otlp|resources|core)\//;
afterAll(() => rmSync(LOGS, { recursive: true, force: true }));

describe('tracing on: the real server exports to an OTLP receiver', () => {
  let receiver: OtlpReceiver;
  let server: RunningServer;
  let spans: ReceivedSpan[];
  const out: Record<string, string | null | undefined> = {};
  const requestIds: Record<string, string | null> = {};
  let metricsText = '';
  let metricsType: string | null = null;
  const modules = moduleLog('on');

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    server = await startServer({
      env: {
        ...modules.env,
        MODEL: TEST_MODEL, API_KEYS: KEY, RATE_LIMIT_PER_SECOND: '0', WORKERS: '1', MAX_BATCH_ROWS: '8', CORS_ORIGINS: 'https://app.example',
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.tracesUrl.replace(/\/v1\/traces$/, ''), OTEL_SERVICE_NAME: 'gliner-under-test',
      },
    });
    const traced = async (name: string, url: string, body: unknown, n: number): Promise<void> => {
      const answer = await post(`${server.url}${url}`, body, { ...AUTH, traceparent: caller(n), tracestate: 'vendor=opaque', origin: 'https://app.example' });
      expect(answer.status, JSON.stringify(answer.body)).toBe(200);
      out[name] = answer.headers.get('traceparent');
      out[`${name}Expose`] = answer.headers.get('access-control-expose-headers');
      requestIds[name] = answer.headers.get('x-request-id');
    };
    await traced('rest', '/api/v1/predict', { text: SHORT[0], labels: LABELS }, 1);
    await traced('batch', '/api/v1/predict/batch', { texts: [SHORT[1], SHORT[2]], labels: LABELS }, 2);
    await traced('oip', '/v2/models/gliner/infer', { inputs: [tensor('text', [SHORT[3] ?? '']), tensor('labels', LABELS)] }, 3);
    const ws = await connect(`${server.url}/api/v1/stream`, { headers: AUTH });
    ws.send({ id: 'w1', text: SHORT[4], labels: LABELS, traceparent: caller(4), tracestate: 'vendor=ws' });
    ws.send({ id: 'w2', text: SHORT[5], labels: [' '], traceparent: caller(5) }); // refused by the service's limits
    const messages = await ws.waitFor((m) => m.filter((x: Msg) => x.done === true).length >= 2);
    ws.close();
    out.ws = messages.find((m) => m.id === 'w1' && m.done === true)?.traceparent as string | undefined;
    out.wsError = messages.find((m) => m.id === 'w2')?.traceparent as string | undefined;
    // Sampled out by the caller (flags 00): parent-based sampling follows it; the id still comes back.
    const unsampled = await post(`${server.url}/api/v1/predict`, { text: SHORT[5], labels: LABELS }, { ...AUTH, traceparent: caller(6, '00') });
    out.unsampled = unsampled.headers.get('traceparent');
    // A cache hit: the same text twice.
    await post(`${server.url}/api/v1/predict`, { text: CACHED, labels: LABELS }, AUTH);
    const hit = await post(`${server.url}/api/v1/predict`, { text: CACHED, labels: LABELS }, AUTH);
    expect(hit.headers.get('x-cache')).toBe('hit');
    out.hit = hit.headers.get('traceparent');
    const bypass = await post(`${server.url}/api/v1/predict`, { text: CACHED, labels: LABELS }, { ...AUTH, 'cache-control': 'no-cache' });
    out.bypass = bypass.headers.get('traceparent');
    // A long document beside short requests, all at once on one worker: they share batches.
    const burst = await Promise.all([LONG, ...SHORT.map((text) => `${text} Again.`)].map((text) => post(`${server.url}/api/v1/predict`, { text, labels: LABELS }, AUTH)));
    expect(burst.map((a) => a.status)).toEqual(burst.map(() => 200));
    out.long = burst[0]?.headers.get('traceparent');
    const metrics = await fetch(`${server.adminUrl}/metrics`, { headers: { accept: 'application/openmetrics-text; version=1.0.0' } });
    metricsType = metrics.headers.get('content-type');
    metricsText = await metrics.text();
    await server.stop(); // drains, then flushes the spans
    spans = await receiver.waitFor((s) => s.some((x) => x.traceId === out.long?.slice(3, 35) && x.kind === 2), 5_000);
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    await receiver?.close();
  });

  const requestSpan = (traceparent: string | null | undefined): ReceivedSpan => {
    const [, traceId, spanId] = TRACEPARENT.exec(traceparent ?? '') ?? [];
    const found = spans.find((s) => s.traceId === traceId && s.spanId === spanId);
    if (found === undefined) throw new Error(`no span ${String(traceparent)} among ${spans.length}`);
    return found;
  };

  it.each([
    ['rest', 1, 'POST /api/v1/predict'],
    ['batch', 2, 'POST /api/v1/predict/batch'],
    ['oip', 3, 'POST /v2/models/{name}/infer'],
    ['ws', 4, 'WS /api/v1/stream'],
  ] as const)('%s: continues the caller\'s traceparent and returns the request span\'s own', (transport, n, name) => {
    const [, traceId, spanId, flags] = TRACEPARENT.exec(out[transport] ?? '') ?? [];
    expect(traceId).toBe(TRACE(n));
    expect(spanId).not.toBe(PARENT);
    expect(flags).toBe('01');
    const span = requestSpan(out[transport]);
    expect(span).toMatchObject({ name, kind: 2, parentSpanId: PARENT });
    expect(span.traceState).toBe(transport === 'ws' ? 'vendor=ws' : 'vendor=opaque');
    expect(span.attributes).toMatchObject({ 'gliner.transport': transport === 'ws' ? 'websocket' : transport, 'gliner.labels': 2 });
    expect(span.attributes['gliner.model.kind']).toMatch(/Encoder/);
    if (transport !== 'ws') {
      expect(span.attributes['http.response.status_code']).toBe(200);
      expect(out[`${transport}Expose`]?.split(', ')).toContain('traceparent'); // a browser may read it (CORS)
    }
  });

  it('carries trace_id and span_id in the request log line', () => {
    for (const name of ['rest', 'batch', 'oip'] as const) {
      const line = server.logs.find((l) => l.msg === 'request' && l.reqId === requestIds[name]);
      expect(line, name).toMatchObject({ trace_id: out[name]?.slice(3, 35), span_id: out[name]?.slice(36, 52) });
    }
  });

  it('answers a WebSocket error with the message\'s traceparent, and records the code', () => {
    expect(out.wsError?.slice(3, 35)).toBe(TRACE(5));
    expect(requestSpan(out.wsError).attributes['error.type']).toBe('VALIDATION_FAILED');
  });

  it('follows a caller that sampled the request out: the id comes back, nothing is exported', () => {
    expect(out.unsampled).toMatch(new RegExp(`^00-${TRACE(6)}-[0-9a-f]{16}-00$`));
    expect(spans.some((s) => s.traceId === TRACE(6))).toBe(false);
  });

  it('records a cache hit on the request span, with no batch, and a bypass (Cache-Control: no-cache) that ran', () => {
    const span = requestSpan(out.hit);
    expect(span.attributes['gliner.cache.hits']).toBe(1);
    expect(receiver.children(span).map((s) => s.name)).not.toContain('gliner.rows');
    const bypassed = requestSpan(out.bypass);
    expect(bypassed.attributes).toMatchObject({ 'gliner.cache.bypassed': 1 });
    expect(receiver.children(bypassed).map((s) => s.name)).toContain('gliner.rows');
  });

  it('shows the long document\'s plan, windows, batches and merge in its own trace', () => {
    const span = requestSpan(out.long);
    expect(span.attributes['gliner.windows']).toBeGreaterThan(1);
    const children = receiver.children(span).map((s) => s.name);
    expect(children).toEqual(expect.arrayContaining(['gliner.admission', 'gliner.plan', 'gliner.queue', 'gliner.rows', 'gliner.merge']));
    const rows = receiver.children(span).filter((s) => s.name === 'gliner.rows');
    const windowsRun = rows.reduce((sum, s) => sum + Number(s.attributes['gliner.rows']), 0);
    expect(windowsRun).toBe(span.attributes['gliner.rows']);
  });

  it('links each batch to every request it ran, and each request\'s rows to its batch', () => {
    const batches = spans.filter((s) => s.name === 'gliner.batch');
    expect(batches.length).toBeGreaterThan(0);
    for (const batch of batches) {
      expect(batch.parentSpanId).toBeUndefined();
      for (const key of ['gliner.worker.id', 'gliner.batch.tokens', 'gliner.batch.padded_tokens', 'gliner.batch.padding']) expect(typeof batch.attributes[key], key).toBe('number');
      const linkedRows = batch.links.reduce((sum, l) => sum + Number(l.attributes['gliner.rows']), 0);
      expect(linkedRows).toBe(batch.attributes['gliner.rows']);
      for (const link of batch.links) {
        const rows = spans.find((s) => s.name === 'gliner.rows' && s.traceId === link.traceId && s.attributes['gliner.batch.id'] === batch.attributes['gliner.batch.id']);
        expect(rows?.links.map((l) => l.spanId)).toEqual([batch.spanId]);
      }
      expect(receiver.children(batch).map((s) => s.name)).toEqual(['gliner.preprocess', 'gliner.inference', 'gliner.postprocess']);
    }
    const shared = batches.filter((b) => new Set(b.links.map((l) => l.traceId)).size > 1);
    expect(shared.length, 'a batch shared by several requests').toBeGreaterThan(0);
  });

  it('puts trace ids on the latency histograms as exemplars (OpenMetrics)', () => {
    expect(metricsType).toMatch(/openmetrics/);
    for (const name of ['gliner_http_request_duration_seconds_bucket', 'gliner_queue_wait_seconds_bucket', 'gliner_inference_seconds_bucket']) {
      expect(metricsText, name).toMatch(new RegExp(`^${name}\\{[^\\n]*# \\{trace_id="[0-9a-f]{32}"\\}`, 'm'));
    }
  });

  it('loads the OpenTelemetry SDK (the module log sees it: the off suite\'s check can fail)', () => {
    expect(modules.read().filter((url) => OTEL_SDK.test(url)).length).toBeGreaterThan(0);
  });

  it('exports no text, label or key anywhere', () => {
    expect(receiver.rejected).toEqual([]);
    const strings = receiver.strings().join('\n');
    for (const secret of [KEY, ...LABELS, ...SHORT, CACHED, LONG.slice(0, 40), 'Oyelaran', 'Quenneville']) expect(strings).not.toContain(secret);
    expect(spans[0]?.resource['service.name']).toBe('gliner-under-test');
  });
});

describe('tracing off (no OTEL_* variable)', () => {
  let server: RunningServer;
  const modules = moduleLog('off');
  beforeAll(async () => {
    server = await startServer({ env: { ...modules.env, MODEL: TEST_MODEL, RATE_LIMIT_PER_SECOND: '0' } });
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
  });

  it('returns no traceparent, logs no trace ids and serves plain Prometheus text', async () => {
    const answer = await post(`${server.url}/api/v1/predict`, { text: SHORT[0], labels: LABELS }, { traceparent: caller(7) });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('traceparent')).toBeNull();
    const ws = await connect(`${server.url}/api/v1/stream`);
    ws.send({ id: 1, text: SHORT[1], labels: LABELS, traceparent: caller(8) });
    const final = (await ws.waitFor((m) => m.some((x: Msg) => x.done === true))).find((x) => x.done === true);
    ws.close();
    expect(final).not.toHaveProperty('traceparent');
    expect(server.logs.find((l) => l.msg === 'request' && l.route === '/api/v1/predict')).not.toHaveProperty('trace_id');
    const metrics = await get(`${server.adminUrl}/metrics`, { accept: 'application/openmetrics-text; version=1.0.0' });
    expect(metrics.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(metrics.text).not.toContain('trace_id');
    expect(server.logs.some((l) => l.msg === 'tracing on')).toBe(false);
  });

  it('never loads the OpenTelemetry SDK or exporters', () => {
    const loaded = modules.read();
    expect(loaded.some((url) => url.includes('/dist/src/serve.js'))).toBe(true);
    expect(loaded.filter((url) => OTEL_SDK.test(url))).toEqual([]);
  });
});
