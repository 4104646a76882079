// The tracing facade against a real OTLP/HTTP receiver: spans are created through src/tracing as the
// request path calls it, exported by the real OpenTelemetry exporters (protobuf and JSON), decoded
// by test/support/otlp-receiver.ts, and the tree, the links across a shared batch, the propagated
// ids and the absence of any text, label or key are asserted on what arrived.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tracingSettings } from '../../src/config/otel.js';
import { createTracing, NOOP_BATCH, NOOP_REQUEST, TRACING_OFF, type Tracing } from '../../src/tracing/index.js';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../support/otlp-receiver.js';
import { renderWaterfall } from './waterfall.js';

const CALLER_TRACE = '0af7651916cd43dd8448eb211c80319c';
const CALLER_SPAN = 'b7ad6b7169203331';
const CALLER = `00-${CALLER_TRACE}-${CALLER_SPAN}-01`;
// What must never reach a span: the texts, the labels and the key.
const TEXT_A = 'Ottilie Quenneville flew to Zanzibar';
const TEXT_B = 'Bartholomew Ngata met Quintessa Corp';
const LONG = `${'Marguerite Oyelaran wrote about Tiraspol. '.repeat(400)}`;
const LABELS = ['vexillologist', 'hydrofoil maker'];
const KEY = 'sk-live-7f3a9c2e5b1d4f60';

const outcome = (workerId: number, tokens: number[], startedAtMs?: number) => ({
  workerId, paddedTokens: Math.max(...tokens) * tokens.length, rows: tokens.map((t) => ({ tokens: t })),
  timings: { preprocessSeconds: 0.002, inferenceSeconds: 0.010, postprocessSeconds: 0.001, startedAtMs },
});

async function tracingTo(receiver: OtlpReceiver, env: Record<string, string> = {}): Promise<Tracing> {
  return createTracing(tracingSettings({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: receiver.tracesUrl, ...env }), '9.9.9');
}

const named = (spans: readonly ReceivedSpan[], name: string): ReceivedSpan[] => spans.filter((s) => s.name === name);
const only = (spans: readonly ReceivedSpan[], name: string): ReceivedSpan => {
  const found = named(spans, name);
  expect(found.map((s) => s.name), `exactly one ${name}`).toEqual([name]);
  return found[0]!;
};
const within = (inner: ReceivedSpan, outer: ReceivedSpan): void => {
  expect(inner.startNs >= outer.startNs && inner.endNs <= outer.endNs, `${inner.name} inside ${outer.name}`).toBe(true);
};

describe.each(['http/protobuf', 'http/json'] as const)('tracing facade exported as %s', (protocol) => {
  let receiver: OtlpReceiver;
  let spans: ReceivedSpan[];
  const ids: Record<string, string | undefined> = {};

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    const tracing = await tracingTo(receiver, { OTEL_EXPORTER_OTLP_PROTOCOL: protocol });
    expect(tracing.enabled).toBe(true);
    const model = 'native-models/gliner-tiny';

    // A: REST, continues the caller's trace. B: one WebSocket message. C: a long document.
    const a = tracing.startRequest('POST /api/v1/predict', 'rest', CALLER, 'vendor=abc');
    a.describe(model, 'uni-span', 1, TEXT_A.length, LABELS.length);
    a.admitting();
    a.admitted(1);
    a.planned(1, 1);
    a.cached('miss', 1);
    a.enqueued(1);
    const b = tracing.startRequest('WS /api/v1/stream', 'websocket', undefined, undefined);
    b.describe(model, 'uni-span', 1, TEXT_B.length, LABELS.length);
    b.admitted(1);
    b.enqueued(1);
    const c = tracing.startRequest('POST /api/v1/predict', 'rest', undefined, undefined);
    c.describe(model, 'uni-span', 1, LONG.length, LABELS.length);
    c.admitted(3);
    c.job('plan', 0.001, true);
    c.planned(3, 3);
    c.enqueued(3);

    // Batch 1 runs A, B and C's first window; batch 2 C's other two windows.
    const batch1 = tracing.startBatch(1, 3, [a, b, c], [1, 1, 1], false);
    expect(batch1.recording).toBe(true);
    batch1.done(outcome(0, [12, 11, 390], performance.timeOrigin + performance.now()));
    const batch2 = tracing.startBatch(2, 2, [c], [2], false);
    batch2.done(outcome(1, [390, 200]));
    c.job('merge', 0.001, true);

    a.end(200, undefined);
    b.end(undefined, undefined);
    c.end(200, undefined);
    // D: refused at admission.
    const d = tracing.startRequest('POST /api/v1/predict', 'rest', undefined, undefined);
    d.admitting();
    d.refused('overload');
    d.end(503, 'OVERLOADED');

    ids.a = a.traceparent();
    ids.b = b.traceparent();
    ids.batch1 = batch1.traceparent();
    ids.aLog = JSON.stringify(a.logFields());
    ids.aExemplar = a.exemplar()?.trace_id;
    await tracing.shutdown();
    spans = await receiver.waitFor((s) => s.length >= 18);
  });

  afterAll(async () => {
    await receiver.close();
  });

  it('arrive through the real exporter in the configured protocol, with the service resource', () => {
    expect(receiver.rejected).toEqual([]);
    expect(receiver.exports.length).toBeGreaterThan(0);
    expect(new Set(receiver.exports.map((e) => e.protocol))).toEqual(new Set([protocol]));
    expect(spans[0]?.resource).toMatchObject({ 'service.name': 'gliner-serve', 'service.version': '9.9.9' });
    expect(spans[0]?.scope.name).toBe('gliner-serve');
  });

  it('continue the caller\'s traceparent and tracestate, and hand back the request span\'s own', () => {
    const a = named(spans, 'POST /api/v1/predict').find((s) => s.traceId === CALLER_TRACE)!;
    expect(a).toBeDefined();
    expect(a.parentSpanId).toBe(CALLER_SPAN);
    expect(a.traceState).toBe('vendor=abc');
    expect(a.kind).toBe(2); // SERVER
    expect(ids.a).toBe(`00-${CALLER_TRACE}-${a.spanId}-01`);
    expect(JSON.parse(ids.aLog!)).toEqual({ trace_id: CALLER_TRACE, span_id: a.spanId });
    expect(ids.aExemplar).toBe(CALLER_TRACE);
    expect(a.attributes).toMatchObject({ 'gliner.transport': 'rest', 'gliner.model': 'native-models/gliner-tiny', 'gliner.model.kind': 'uni-span', 'gliner.texts': 1, 'gliner.text.chars': TEXT_A.length, 'gliner.labels': 2, 'gliner.windows': 1, 'gliner.rows': 1, 'gliner.cache.misses': 1, 'http.response.status_code': 200 });
    expect(a.status.code).toBe(0);
  });

  it('give a request its admission, queue wait and rows-in-batch spans as children', () => {
    const a = named(spans, 'POST /api/v1/predict').find((s) => s.traceId === CALLER_TRACE)!;
    const children = receiver.children(a);
    expect(children.map((s) => s.name).sort()).toEqual(['gliner.admission', 'gliner.queue', 'gliner.rows']);
    for (const child of children) within(child, a);
    expect(only(children, 'gliner.queue').attributes).toMatchObject({ 'gliner.rows': 1 });
    const rows = only(children, 'gliner.rows');
    const batch1 = named(spans, 'gliner.batch').find((s) => s.attributes['gliner.batch.id'] === 1)!;
    expect(rows.links.map((l) => [l.traceId, l.spanId])).toEqual([[batch1.traceId, batch1.spanId]]);
    expect(rows.startNs).toBe(batch1.startNs);
    // The queue wait ends when the row leaves in its batch.
    expect(only(children, 'gliner.queue').endNs).toBe(batch1.startNs);
  });

  it('make each batch its own trace, linked to every request whose rows it ran', () => {
    const batches = named(spans, 'gliner.batch');
    expect(batches.map((s) => s.attributes['gliner.batch.id']).sort()).toEqual([1, 2]);
    const requests = named(spans, 'POST /api/v1/predict').concat(named(spans, 'WS /api/v1/stream'));
    const [b1, b2] = [1, 2].map((id) => batches.find((s) => s.attributes['gliner.batch.id'] === id)!);
    for (const batch of [b1!, b2!]) {
      expect(batch.parentSpanId).toBeUndefined();
      expect(requests.map((r) => r.traceId)).not.toContain(batch.traceId);
    }
    const linked = (batch: ReceivedSpan): [string, unknown][] => batch.links.map((l) => [requests.find((r) => r.spanId === l.spanId && r.traceId === l.traceId)?.attributes['gliner.text.chars'] as string, l.attributes['gliner.rows']]);
    expect(linked(b1!).sort()).toEqual([[TEXT_A.length, 1], [TEXT_B.length, 1], [LONG.length, 1]].sort());
    expect(linked(b2!)).toEqual([[LONG.length, 2]]);
    expect(b1!.attributes).toMatchObject({ 'gliner.rows': 3, 'gliner.batch.requests': 3, 'gliner.batch.tokens': 413, 'gliner.batch.padded_tokens': 1170, 'gliner.worker.id': 0, 'gliner.batch.solo': false });
    expect(b1!.attributes['gliner.batch.padding']).toBeCloseTo(1 - 413 / 1170, 6);
    expect(ids.batch1).toBe(`00-${b1!.traceId}-${b1!.spanId}-01`);
  });

  it('show the worker\'s phases inside each batch, back to back', () => {
    for (const batch of named(spans, 'gliner.batch')) {
      const children = receiver.children(batch);
      expect(children.map((p) => p.name).sort()).toEqual(['gliner.inference', 'gliner.postprocess', 'gliner.preprocess']);
      const [pre, inference, post] = ['gliner.preprocess', 'gliner.inference', 'gliner.postprocess'].map((name) => only(children, name));
      for (const phase of [pre!, inference!, post!]) within(phase, batch);
      expect(inference!.startNs).toBe(pre!.endNs);
      expect(post!.startNs).toBe(inference!.endNs);
    }
  });

  it('show a long document\'s plan, windows and merge in its own trace', () => {
    const c = named(spans, 'POST /api/v1/predict').find((s) => s.attributes['gliner.text.chars'] === LONG.length)!;
    expect(c.attributes).toMatchObject({ 'gliner.windows': 3, 'gliner.rows': 3 });
    const children = receiver.children(c);
    expect(children.map((s) => s.name).sort()).toEqual(['gliner.admission', 'gliner.merge', 'gliner.plan', 'gliner.queue', 'gliner.rows', 'gliner.rows']);
    expect(named(children, 'gliner.rows').map((s) => s.attributes['gliner.rows']).sort()).toEqual([1, 2]);
    // The queue wait lasts until the last window left, in batch 2.
    const b2 = named(spans, 'gliner.batch').find((s) => s.attributes['gliner.batch.id'] === 2)!;
    expect(only(children, 'gliner.queue').endNs).toBe(b2.startNs);
  });

  it('record a refusal at admission with its reason, and a 5xx as an error', () => {
    const d = named(spans, 'POST /api/v1/predict').find((s) => s.attributes['error.type'] === 'OVERLOADED')!;
    expect(d.status).toEqual({ code: 2, message: 'OVERLOADED' });
    expect(d.attributes).toMatchObject({ 'gliner.refusal.reason': 'overload', 'http.response.status_code': 503 });
    const admission = only(receiver.children(d), 'gliner.admission');
    expect(admission.status).toEqual({ code: 2, message: 'overload' });
  });

  it('mark the WebSocket message\'s span with its transport and no HTTP status', () => {
    const b = only(spans, 'WS /api/v1/stream');
    expect(b.attributes['gliner.transport']).toBe('websocket');
    expect(b.attributes['http.response.status_code']).toBeUndefined();
    expect(b.parentSpanId).toBeUndefined();
    expect(ids.b).toBe(`00-${b.traceId}-${b.spanId}-01`);
  });

  it('draw as a waterfall: every span, the batches\' links both ways', () => {
    const html = renderWaterfall(spans, 'facade');
    for (const name of new Set(spans.map((s) => s.name))) expect(html).toContain(`>${name}<`);
    expect(html).toContain('→ batch 1');
    expect(html).toContain('→ batch 2');
    expect(html).toContain('← 3 requests');
    expect(html.match(/<section>/g)?.length).toBe(new Set(spans.map((s) => s.traceId)).size);
  });

  it('carry no text, label or key anywhere', () => {
    const strings = receiver.strings();
    expect(strings.length).toBeGreaterThan(50);
    for (const secret of [TEXT_A, TEXT_B, 'Zanzibar', 'Quintessa', 'Marguerite', ...LABELS, KEY]) {
      expect(strings.filter((s) => s.includes(secret)), secret).toEqual([]);
    }
  });
});

describe('tracing facade: sampling', () => {
  let receiver: OtlpReceiver;
  beforeAll(async () => {
    receiver = await startOtlpReceiver();
  });
  afterAll(async () => {
    await receiver.close();
  });

  it('keeps the context of a sampled-out request, records a batch only for its sampled requests', async () => {
    const tracing = await tracingTo(receiver, { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0' });
    const out = tracing.startRequest('POST /api/v1/predict', 'rest', undefined, undefined);
    expect(out.recording).toBe(false);
    expect(out.traceparent()).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
    expect(out.logFields()?.trace_id).toBe(out.traceparent()?.slice(3, 35));
    expect(out.exemplar()).toBeUndefined();
    const caller = tracing.startRequest('POST /api/v1/predict', 'rest', CALLER, undefined); // the caller sampled it: parent-based keeps it
    expect(caller.recording).toBe(true);
    out.enqueued(1);
    caller.enqueued(1);

    const alone = tracing.startBatch(1, 1, [out], [1], true);
    expect(alone).toBe(NOOP_BATCH);
    alone.done(outcome(0, [10]));
    const shared = tracing.startBatch(2, 2, [out, caller], [1, 1], false);
    expect(shared.recording).toBe(true);
    shared.done(outcome(1, [10, 12]));
    out.end(200, undefined);
    caller.end(200, undefined);
    await tracing.shutdown();

    const spans = await receiver.waitFor((s) => s.some((x) => x.name === 'POST /api/v1/predict'));
    expect(spans.map((s) => s.name).sort()).toEqual(['POST /api/v1/predict', 'gliner.batch', 'gliner.inference', 'gliner.postprocess', 'gliner.preprocess', 'gliner.queue', 'gliner.rows'].sort());
    const batch = only(spans, 'gliner.batch');
    expect(batch.attributes).toMatchObject({ 'gliner.batch.id': 2, 'gliner.rows': 2, 'gliner.batch.requests': 2 });
    expect(batch.links.map((l) => l.traceId)).toEqual([CALLER_TRACE]);
  });

  it('starts a new trace when the caller\'s traceparent is not valid', async () => {
    const tracing = await tracingTo(receiver);
    const request = tracing.startRequest('POST /api/v1/predict', 'rest', '00-not-a-trace-01', 'x=1');
    request.end(400, 'VALIDATION_FAILED');
    await tracing.shutdown();
    const spans = await receiver.waitFor((s) => s.some((x) => x.attributes['error.type'] === 'VALIDATION_FAILED'));
    const span = spans.find((x) => x.attributes['error.type'] === 'VALIDATION_FAILED')!;
    expect(span.parentSpanId).toBeUndefined();
    expect(span.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(span.status.code).toBe(0); // a 4xx is the caller's error, not the server's
  });

  it('closes the queue wait of a request that ended with rows still queued, counting them', async () => {
    const tracing = await tracingTo(receiver);
    const request = tracing.startRequest('POST /api/v1/predict', 'rest', undefined, undefined);
    request.enqueued(3);
    tracing.startBatch(7, 1, [request], [1], false).done(outcome(0, [20]));
    request.end(504, 'DEADLINE_EXCEEDED');
    await tracing.shutdown();
    const spans = await receiver.waitFor((s) => s.some((x) => x.attributes['gliner.queue.rows_dropped'] !== undefined));
    const queue = spans.find((x) => x.attributes['gliner.queue.rows_dropped'] !== undefined)!;
    expect(queue.attributes).toMatchObject({ 'gliner.rows': 3, 'gliner.queue.rows_dropped': 2 });
    expect(spans.find((x) => x.spanId === queue.parentSpanId)?.status).toEqual({ code: 2, message: 'DEADLINE_EXCEEDED' });
  });
});

describe('tracing facade: off', () => {
  it('is one shared no-op object per role: nothing allocated per request', async () => {
    const tracing = await createTracing(tracingSettings({}), '9.9.9');
    expect(tracing).toBe(TRACING_OFF);
    expect(tracing.enabled).toBe(false);
    const first = tracing.startRequest('POST /api/v1/predict', 'rest', CALLER, undefined);
    expect(first).toBe(NOOP_REQUEST);
    expect(tracing.startRequest('WS /api/v1/stream', 'websocket', undefined, undefined)).toBe(first);
    expect([first.traceparent(), first.logFields(), first.exemplar()]).toEqual([undefined, undefined, undefined]);
    expect(tracing.startBatch(1, 1, [first], [1], false)).toBe(NOOP_BATCH);
  });
});
