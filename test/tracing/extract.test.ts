// Tracing of GLiNER2 extraction (POST /api/v1/extract and a WebSocket message with a schema): the
// real server on the micro GLiNER2 model exports to the test OTLP receiver, the caller's trace is
// continued and returned, and the extract engine reports admission, the queue, the rows' batch and
// a long text's plan and merge as the NER engine does; no text or schema name is exported.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SPAN } from '../../src/tracing/names.js';
import { post } from '../support/http.js';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../support/otlp-receiver.js';
import { ROOT, startServer, type RunningServer } from '../support/server.js';
import { connect } from '../support/ws.js';

const MICRO = path.join(ROOT, 'test/fixtures/gliner2-micro');
const SCHEMA = { entities: ['zanzibarite'], classifications: [{ task: 'mood', labels: ['quixotic', 'placid'] }] };
const TEXT = 'Ottilie Quenneville flew to Zanzibar on Tuesday.';
// More than EXTRACT_CHUNK_WORDS (384) words and INLINE_PLAN_CHARS: planned by a worker job, merged by another.
const LONG = Array.from({ length: 60 }, (_, i) => `In ${1900 + i} Marguerite Oyelaran of Tiraspol wrote a letter.`).join(' ');
const caller = (n: number): string => `00-${String(n).repeat(2)}a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5-b7ad6b7169203331-01`;
const traceOf = (traceparent: string): string => traceparent.slice(3, 35);

describe('tracing GLiNER2 extraction', () => {
  let receiver: OtlpReceiver;
  let server: RunningServer | undefined;
  let spans: ReceivedSpan[];
  const out: Record<string, unknown> = {};

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    server = await startServer({ env: { MODEL: MICRO, WORKERS: '1', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.tracesUrl.replace(/\/v1\/traces$/, '') } });
    const rest = await post(`${server.url}/api/v1/extract`, { text: TEXT, schema: SCHEMA }, { traceparent: caller(1) });
    expect(rest.status, JSON.stringify(rest.body)).toBe(200);
    out.rest = rest.headers.get('traceparent');
    const long = await post(`${server.url}/api/v1/extract`, { text: LONG, schema: SCHEMA }, { traceparent: caller(2) });
    expect(long.status, JSON.stringify(long.body)).toBe(200);
    const ws = await connect(`${server.url}/api/v1/stream`);
    ws.send({ id: 'x1', text: TEXT, schema: SCHEMA, traceparent: caller(3) });
    const [answer] = await ws.waitFor((messages) => messages.some((m) => m.done === true));
    expect(answer).toHaveProperty('result');
    out.ws = answer?.traceparent;
    ws.close();
    await ws.closed;
    await server.stop(); // drains, then flushes the spans
    server = undefined;
    spans = await receiver.waitFor((s) => s.some((x) => x.traceId === traceOf(caller(2)) && x.kind === 2), 5_000);
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
    await receiver?.close();
  });

  it('continues the caller\'s trace and returns it, over REST and the WebSocket', () => {
    expect(String(out.rest)).toContain(traceOf(caller(1)));
    expect(String(out.ws)).toContain(traceOf(caller(3)));
  });

  it('records admission, queue and rows for a short text, and plan and merge for a long one', () => {
    const names = (n: number): string[] => spans.filter((s) => s.traceId === traceOf(caller(n))).map((s) => s.name);
    for (const name of [SPAN.admission, SPAN.queue, SPAN.rows]) expect(names(1)).toContain(name);
    for (const name of [SPAN.admission, SPAN.plan, SPAN.queue, SPAN.rows, SPAN.merge]) expect(names(2)).toContain(name);
  });

  it('exports neither the text nor the schema\'s names', () => {
    const exported = JSON.stringify(spans, (_, value: unknown) => (typeof value === 'bigint' ? value.toString() : value));
    for (const secret of ['Quenneville', 'zanzibarite', 'quixotic', 'Oyelaran']) expect(exported).not.toContain(secret);
  });
});
