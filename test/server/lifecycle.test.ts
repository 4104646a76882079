// Load, overload, shutdown and failure behaviour of the real server over real sockets.
import { describe, expect, it } from 'vitest';
import { startServer } from '../support/server.js';
import { errorCode, eventually, get, metricValue, post, SEED } from '../support/http.js';
import { TEST_MODEL } from '../support/model.js';
import { serveInProcess } from '../support/in-process.js';

const KEY = 'lifecycle-key';
const auth = { 'x-api-key': KEY };
const words = (n: number): string => Array.from({ length: n }, (_, i) => ['Ada', 'visited', 'the', 'old', 'mill', 'in', 'Leeds', 'with', 'Bob', 'today'][i % 10]).join(' ');

describe('graceful shutdown', () => {
  it('SIGTERM with 200 requests in flight: every one gets its full answer, then exit 0', async () => {
    // One 1-thread session, so that the 200 requests are still in flight when SIGTERM comes.
    const srv = await startServer({ env: { MODEL: TEST_MODEL, API_KEYS: KEY, RATE_LIMIT_PER_SECOND: '0', MAX_BATCH_ROWS: '8', WORKERS: '1', INTRA_OP_THREADS: '1', SOLO_SESSION: 'off', SHUTDOWN_GRACE_MS: '90000' } });
    const text = `${words(30)} I work at Microsoft based in Seattle, Washington.`;
    const requests = Array.from({ length: 200 }, (_, i) => post(`${srv.url}/api/v1/predict`, { text: `${i} ${text}`, labels: ['organization', 'location', 'person'] }, auth));
    await eventually(async () => metricValue((await get(`${srv.adminUrl}/metrics`)).text, 'gliner_http_requests_in_flight') >= 200, 20_000);
    srv.child.kill('SIGTERM');
    const answers = await Promise.all(requests);
    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((s) => s !== 200), JSON.stringify(answers.find((a) => a.status !== 200)?.body)).toEqual([]);
    expect(statuses).toHaveLength(200);
    for (const answer of answers) expect(Array.isArray(answer.body.entities)).toBe(true);
    expect(await srv.exited).toBe(0);
    expect(srv.logs.some((l) => l.msg === 'draining')).toBe(true);
    expect(srv.logs.find((l) => l.msg === 'stopped')).toEqual(expect.objectContaining({ outcome: 'drained' }));
  }, 120_000);
});

describe('overload', () => {
  it('answers 503 OVERLOADED with Retry-After at once when the queue is full, and stays healthy', async () => {
    // Identical requests would run once with the result cache on (test/server/cache.test.ts): off here.
    const srv = await startServer({ env: { MODEL: TEST_MODEL, API_KEYS: KEY, RATE_LIMIT_PER_SECOND: '0', MAX_QUEUE_ROWS: '4', MAX_BATCH_ROWS: '1', CACHE_MAX_BYTES: '0' } });
    try {
      const text = words(300);
      const answers = await Promise.all(Array.from({ length: 60 }, () => post(`${srv.url}/api/v1/predict`, { text, labels: ['person'] }, auth)));
      const rejected = answers.filter((a) => a.status === 503);
      expect(rejected.length).toBeGreaterThan(0);
      expect(answers.filter((a) => a.status === 200).length).toBeGreaterThan(0);
      expect(answers.every((a) => a.status === 200 || a.status === 503)).toBe(true);
      for (const a of rejected) {
        expect(errorCode(a)).toBe('OVERLOADED');
        expect(Number(a.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      }
      expect((await get(`${srv.url}/health/ready`)).status).toBe(200);
      expect((await post(`${srv.url}/api/v1/predict`, SEED, auth)).status).toBe(200);
      const metrics = (await get(`${srv.adminUrl}/metrics`)).text;
      expect(metricValue(metrics, 'gliner_requests_dropped_total', { reason: 'overload' })).toBe(rejected.length);
    } finally {
      await srv.stop();
    }
  }, 120_000);
});

describe('disconnected clients', () => {
  it('drops queued work whose client went away: counted, never run', async () => {
    // Identical documents would run once with the result cache on (test/server/cache.test.ts): off here.
    const srv = await startServer({ env: { MODEL: TEST_MODEL, API_KEYS: KEY, RATE_LIMIT_PER_SECOND: '0', MAX_BATCH_ROWS: '1', WORKERS: '1', CACHE_MAX_BYTES: '0' } });
    try {
      const before = (await get(`${srv.adminUrl}/metrics`)).text;
      const rowsBefore = metricValue(before, 'gliner_rows_processed_total');
      // Eleven long documents (9 windows each: 3000 words, 384-word windows overlapping by 32) share
      // the only worker round-robin; ten of them are abandoned at once.
      const blocker = post(`${srv.url}/api/v1/predict`, { text: words(3000), labels: ['person'] }, auth);
      const controllers = Array.from({ length: 10 }, () => new AbortController());
      const gone = controllers.map((c) => fetch(`${srv.url}/api/v1/predict`, { method: 'POST', signal: c.signal, headers: { 'content-type': 'application/json', ...auth }, body: JSON.stringify({ text: words(3000), labels: ['person'] }) }).catch(() => 'aborted'));
      await eventually(async () => metricValue((await get(`${srv.adminUrl}/metrics`)).text, 'gliner_http_requests_in_flight') >= 11);
      for (const c of controllers) c.abort();
      expect(await Promise.all(gone)).toEqual(Array.from({ length: 10 }, () => 'aborted'));
      const blocked = await blocker;
      expect(blocked.status).toBe(200);
      await eventually(async () => metricValue((await get(`${srv.adminUrl}/metrics`)).text, 'gliner_requests_dropped_total', { reason: 'disconnect' }) === 10);
      const after = (await get(`${srv.adminUrl}/metrics`)).text;
      // The blocker's 9 rows ran; of the abandoned documents' 90 rows, at most the few that were
      // already dispatched when their clients left.
      const ran = metricValue(after, 'gliner_rows_processed_total') - rowsBefore;
      expect(ran).toBeGreaterThanOrEqual(9);
      expect(ran).toBeLessThan(9 + 45);
      expect(metricValue(after, 'gliner_rows_dropped_total', { reason: 'disconnect' })).toBeGreaterThan(0);
      expect(metricValue(after, 'gliner_http_requests_total', { status: '499' })).toBe(10);
    } finally {
      await srv.stop();
    }
  }, 120_000);
});

describe('worker crash', () => {
  // In-process: the fault is injected through the workers' settings, a seam a child process does not have.
  it('fails the crashed batch with 500 WORKER_CRASHED (never hangs), replaces the worker, keeps serving', async () => {
    const srv = await serveInProcess({ MODEL: TEST_MODEL, API_KEYS: KEY, RATE_LIMIT_PER_SECOND: '0', WORKERS: '1' }, { workerFaults: { exitWord: 'crashtoken', failWord: 'failtoken' } });
    try {
      const crashed = await post(`${srv.url}/api/v1/predict`, { text: 'please crashtoken now', labels: ['person'] }, auth);
      expect([crashed.status, errorCode(crashed)]).toEqual([500, 'WORKER_CRASHED']);
      // The replacement worker loads the model and serves the next request.
      const after = await post(`${srv.url}/api/v1/predict`, SEED, auth);
      expect(after.status).toBe(200);
      const metrics = (await get(`${srv.adminUrl}/metrics`)).text;
      expect(metricValue(metrics, 'gliner_worker_restarts_total')).toBe(1);
      // The crashed batch's one row is counted as dropped, as docs/metrics.md and the alert say.
      expect(metricValue(metrics, 'gliner_requests_dropped_total', { reason: 'worker_crash' })).toBe(1);
      expect((await get(`${srv.url}/health/ready`)).status).toBe(200);
      // A batch that fails inside a living worker keeps its own code; no worker is replaced.
      const failed = await post(`${srv.url}/api/v1/predict`, { text: 'please failtoken now', labels: ['person'] }, auth);
      expect([failed.status, errorCode(failed)]).toEqual([500, 'INTERNAL']);
      const later = (await get(`${srv.adminUrl}/metrics`)).text;
      expect(metricValue(later, 'gliner_worker_restarts_total')).toBe(1);
      expect(metricValue(later, 'gliner_requests_dropped_total', { reason: 'worker_crash' })).toBe(1);
    } finally {
      await srv.stop();
    }
    expect(srv.logs.find((l) => l.msg === 'stopped')).toEqual(expect.objectContaining({ outcome: 'drained' }));
  }, 120_000);
});

describe('limits over the wire', () => {
  it('429 RATE_LIMITED with RateLimit-* and Retry-After once a key\'s bucket is empty', async () => {
    const srv = await startServer({ env: { MODEL: TEST_MODEL, API_KEYS: KEY, RATE_LIMIT_PER_SECOND: '0.5', RATE_LIMIT_BURST: '2' } });
    try {
      const first = await post(`${srv.url}/api/v1/predict`, SEED, auth);
      expect(first.status).toBe(200);
      expect(first.headers.get('ratelimit-limit')).toBe('2');
      expect(first.headers.get('ratelimit-remaining')).toBe('1');
      expect((await post(`${srv.url}/api/v1/predict`, SEED, auth)).status).toBe(200);
      const limited = await post(`${srv.url}/api/v1/predict`, SEED, auth);
      expect([limited.status, errorCode(limited)]).toEqual([429, 'RATE_LIMITED']);
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(limited.headers.get('ratelimit-remaining')).toBe('0');
      const metrics = (await get(`${srv.adminUrl}/metrics`)).text;
      expect(metricValue(metrics, 'gliner_rate_limited_total', { key: 'env-1' })).toBe(1);
    } finally {
      await srv.stop();
    }
  }, 60_000);

  it('504 DEADLINE_EXCEEDED when a request cannot finish in time', async () => {
    const srv = await startServer({ env: { MODEL: TEST_MODEL, API_KEYS: KEY, RATE_LIMIT_PER_SECOND: '0', REQUEST_TIMEOUT_MS: '30', MAX_BATCH_ROWS: '1', WORKERS: '1' } });
    try {
      const answer = await post(`${srv.url}/api/v1/predict`, { text: words(6000), labels: ['person'] }, auth);
      expect([answer.status, errorCode(answer)]).toEqual([504, 'DEADLINE_EXCEEDED']);
      // Rows still queued after the deadline are dropped, not run.
      await eventually(async () => metricValue((await get(`${srv.adminUrl}/metrics`)).text, 'gliner_requests_dropped_total', { reason: 'deadline' }) >= 1);
      expect((await get(`${srv.url}/health/ready`)).status).toBe(200);
    } finally {
      await srv.stop();
    }
  }, 60_000);
});
