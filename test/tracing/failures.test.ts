// A batch that fails in the worker, traced: the server in process (the fault is injected through the
// workers' settings, a seam a child process does not have) exporting to the test OTLP receiver.
// The batch span ends with status ERROR and the error code, and so do the request's rows span and
// the request itself (500); the response still carries the request's traceparent.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tracingSettings } from '../../src/config/otel.js';
import { errorCode, post } from '../support/http.js';
import { serveInProcess, type InProcessServer } from '../support/in-process.js';
import { TEST_MODEL } from '../support/model.js';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../support/otlp-receiver.js';

const KEY = 'sk-fault-51c9e2';
const AUTH = { 'x-api-key': KEY };

describe('tracing a failed batch', () => {
  let receiver: OtlpReceiver;
  let server: InProcessServer;
  let traceparent: string | null = null;
  let spans: ReceivedSpan[];

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    server = await serveInProcess(
      { MODEL: TEST_MODEL, API_KEYS: KEY, RATE_LIMIT_PER_SECOND: '0', WORKERS: '1' },
      { workerFaults: { failWord: 'failtoken' }, tracing: tracingSettings({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: receiver.tracesUrl }) },
    );
    const failed = await post(`${server.url}/api/v1/predict`, { text: 'please failtoken now', labels: ['person'] }, AUTH);
    expect([failed.status, errorCode(failed)]).toEqual([500, 'INTERNAL']);
    traceparent = failed.headers.get('traceparent');
    await server.stop();
    spans = await receiver.waitFor((s) => s.some((x) => x.name === 'gliner.batch'));
  }, 120_000);

  afterAll(async () => {
    await receiver?.close();
  });

  it('ends the batch, the request\'s rows and the request with status ERROR and the code', () => {
    expect(traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    const request = spans.find((s) => s.traceId === traceparent?.slice(3, 35) && s.spanId === traceparent.slice(36, 52));
    expect(request?.status).toEqual({ code: 2, message: 'INTERNAL' });
    expect(request?.attributes).toMatchObject({ 'http.response.status_code': 500, 'error.type': 'INTERNAL' });
    const rows = receiver.children(request!).find((s) => s.name === 'gliner.rows');
    expect(rows?.status.code).toBe(2);
    const batch = spans.find((s) => s.name === 'gliner.batch' && s.spanId === rows?.links[0]?.spanId);
    expect(batch?.status).toEqual({ code: 2, message: 'INTERNAL' });
    expect(batch?.attributes['error.type']).toBe('INTERNAL');
  });
});
