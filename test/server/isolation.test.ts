// Isolation and fairness of the real server over real sockets: the HTTP thread stays free during the
// largest legal request, short requests are not queued behind long ones, one key cannot fill the
// queue, and overload is shed at admission by expected wait.
import { describe, expect, it } from 'vitest';
import { startServer } from '../support/server.js';
import { errorCode, get, metricValue, post } from '../support/http.js';
import { TEST_MODEL } from '../support/model.js';

const words = (n: number): string => Array.from({ length: n }, (_, i) => ['Ada', 'visited', 'the', 'old', 'mill', 'in', 'Leeds', 'with', 'Bob', 'today'][i % 10]).join(' ');
const SHORT = { text: 'Ada Lovelace lives in London.', labels: ['person', 'location'] };

/** Time GET /health/live and /metrics every 50 ms until `until` settles. */
async function probeWhile(until: Promise<unknown>, urls: string[]): Promise<number[]> {
  let done = false;
  void until.finally(() => { done = true; });
  const times: number[] = [];
  while (!done) {
    for (const url of urls) {
      const started = performance.now();
      const response = await fetch(url);
      await response.text();
      expect(response.status).toBe(200);
      times.push(performance.now() - started);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return times.sort((a, b) => a - b);
}

describe('isolation: the largest legal request', () => {
  it('MAX_TEXT_CHARS text, MAX_LABELS labels, threshold 0, nested and multi-label: health and metrics keep answering, and it ends within its deadline', async () => {
    const timeoutMs = 15_000;
    const srv = await startServer({ env: { MODEL: TEST_MODEL, RATE_LIMIT_PER_SECOND: '0', REQUEST_TIMEOUT_MS: String(timeoutMs) } });
    try {
      const text = words(20_000).slice(0, 100_000);
      const labels = Array.from({ length: 100 }, (_, i) => (i < 3 ? ['person', 'location', 'organization'][i] ?? '' : `label ${i}`));
      const started = performance.now();
      const maximal = post(`${srv.url}/api/v1/predict`, { text, labels, threshold: 0, flat_ner: false, multi_label: true });
      const probes = await probeWhile(maximal, [`${srv.url}/health/live`, `${srv.adminUrl}/metrics`]);
      const answer = await maximal;
      const seconds = (performance.now() - started) / 1000;
      // It ends by its deadline: either the capped answer or 504 at the deadline itself.
      expect([200, 504]).toContain(answer.status);
      expect(seconds).toBeLessThan(timeoutMs / 1000 + 3);
      if (answer.status === 200) {
        expect(answer.body.truncated).toBe(true);
        expect((answer.body.entities as unknown[]).length).toBe(5000);
      } else expect(errorCode(answer)).toBe('DEADLINE_EXCEEDED');
      // Health never waits: a generous bound for a shared CI box (measured figures in bench/RESULTS.md).
      expect(probes.length).toBeGreaterThan(10);
      expect(probes.at(-1)).toBeLessThan(1000);
      // The server is fine afterwards.
      expect((await post(`${srv.url}/api/v1/predict`, SHORT)).status).toBe(200);
    } finally {
      await srv.stop();
    }
  }, 120_000);
});

describe('fairness', () => {
  it('a short request sent after a long document is answered long before the document', async () => {
    const srv = await startServer({ env: { MODEL: TEST_MODEL, RATE_LIMIT_PER_SECOND: '0', WORKERS: '1' } });
    try {
      const long = post(`${srv.url}/api/v1/predict`, { text: words(12_000), labels: ['person', 'location'] });
      let longDone = 0;
      void long.then(() => { longDone = performance.now(); });
      await new Promise((resolve) => setTimeout(resolve, 300));
      const short = await post(`${srv.url}/api/v1/predict`, SHORT);
      const shortDone = performance.now();
      expect(short.status).toBe(200);
      expect(longDone).toBe(0);
      expect((await long).status).toBe(200);
      expect(longDone - shortDone).toBeGreaterThan(0);
    } finally {
      await srv.stop();
    }
  }, 120_000);

  it('one key cannot fill the queue: past MAX_QUEUE_ROWS_PER_KEY it gets 429 with Retry-After, another key is served', async () => {
    // The second identical document would join the first with the result cache on: off here.
    const srv = await startServer({ env: { MODEL: TEST_MODEL, RATE_LIMIT_PER_SECOND: '0', API_KEYS: 'key-one,key-two', MAX_QUEUE_ROWS_PER_KEY: '40', WORKERS: '1', CACHE_MAX_BYTES: '0' } });
    try {
      // 12,000 words: 36 windows of 384 words, about 28 by admission's estimate — within the quota of 40.
      const bulk = post(`${srv.url}/api/v1/predict`, { text: words(12_000), labels: ['person'] }, { 'x-api-key': 'key-one' });
      await new Promise((resolve) => setTimeout(resolve, 300));
      const more = await post(`${srv.url}/api/v1/predict`, { text: words(12_000), labels: ['person'] }, { 'x-api-key': 'key-one' });
      const metrics = (await get(`${srv.adminUrl}/metrics`)).text;
      expect([more.status, errorCode(more)]).toEqual([429, 'QUEUE_QUOTA_EXCEEDED']);
      expect(Number(more.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(metricValue(metrics, 'gliner_requests_dropped_total', { reason: 'key_quota' })).toBe(1);
      expect(metricValue(metrics, 'gliner_queue_rows_by_key', { key: 'env-1' })).toBeGreaterThan(0);
      expect((await post(`${srv.url}/api/v1/predict`, SHORT, { 'x-api-key': 'key-two' })).status).toBe(200);
      expect((await bulk).status).toBe(200);
    } finally {
      await srv.stop();
    }
  }, 120_000);
});

describe('admission by expected wait', () => {
  it('sheds a flood at admission with 503 + Retry-After; everything accepted is answered', async () => {
    const srv = await startServer({ env: { MODEL: TEST_MODEL, RATE_LIMIT_PER_SECOND: '0', MAX_QUEUE_WAIT_MS: '300', WORKERS: '1' } });
    try {
      // Measure first, so the server knows its speed.
      for (let i = 0; i < 5; i++) await post(`${srv.url}/api/v1/predict`, { text: words(200), labels: ['person'] });
      const flood = await Promise.all(Array.from({ length: 150 }, (_, i) => post(`${srv.url}/api/v1/predict`, { text: `${i} ${words(200)}`, labels: ['person'] })));
      const statuses = flood.map((a) => a.status);
      expect(statuses.every((s) => s === 200 || s === 503)).toBe(true);
      const shed = flood.filter((a) => a.status === 503);
      expect(shed.length).toBeGreaterThan(0);
      expect(statuses.filter((s) => s === 200).length).toBeGreaterThan(0);
      for (const a of shed) {
        expect(errorCode(a)).toBe('OVERLOADED');
        expect(Number(a.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      }
      const metrics = (await get(`${srv.adminUrl}/metrics`)).text;
      expect(metricValue(metrics, 'gliner_requests_dropped_total', { reason: 'queue_wait' })).toBe(shed.length);
      expect(metricValue(metrics, 'gliner_row_cost_seconds')).toBeGreaterThan(0);
    } finally {
      await srv.stop();
    }
  }, 120_000);
});
