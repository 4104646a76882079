// The result cache and single-flight over real sockets, with the real embedded model: hits are
// byte-identical to fresh answers, identical texts in flight run once, no-cache opts out, answers
// are not shared across API keys (unless configured), batches and the WebSocket use it too, and
// CACHE_MAX_BYTES=0 turns it off.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../support/server.js';
import { get, metricValue } from '../support/http.js';
import { TEST_MODEL } from '../support/model.js';
import { connect } from '../support/ws.js';

const A = { 'x-api-key': 'key-a' };
const B = { 'x-api-key': 'key-b' };
const env = { MODEL: TEST_MODEL, API_KEYS: 'key-a,key-b', RATE_LIMIT_PER_SECOND: '0', WORKERS: '1' };
let srv: RunningServer;

beforeAll(async () => {
  srv = await startServer({ env });
});
afterAll(async () => {
  expect(await srv.stop()).toBe(0);
});

const words = (n: number, seed: string): string => Array.from({ length: n }, (_, i) => [seed, 'visited', 'the', 'old', 'mill', 'in', 'Leeds', 'with', 'Bob', 'today'][i % 10]).join(' ');

/** POST and keep the raw body: byte-identity is about the bytes. */
async function raw(url: string, body: unknown, headers: Record<string, string>) {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  return { status: response.status, cache: response.headers.get('x-cache'), texts: response.headers.get('x-cache-texts'), text: await response.text() };
}
/** The answer without processing_time, which differs on every call by nature. */
const answerBytes = (text: string): string => text.replace(/,"processing_time":[0-9.e-]+/, '');
const metrics = async (): Promise<string> => (await get(`${srv.adminUrl}/metrics`)).text;

describe('REST', () => {
  it('a hit is byte-identical to a fresh answer', async () => {
    const body = { text: 'Ada Lovelace met Charles Babbage in London in 1833.', labels: ['person', 'location', 'date'], threshold: 0.3 };
    const first = await raw(`${srv.url}/api/v1/predict`, body, A);
    const hit = await raw(`${srv.url}/api/v1/predict`, body, A);
    const fresh = await raw(`${srv.url}/api/v1/predict`, body, { ...A, 'cache-control': 'no-cache' });
    expect([first.cache, hit.cache, fresh.cache]).toEqual(['miss', 'hit', 'miss']);
    expect((JSON.parse(first.text) as { entities: unknown[] }).entities.length).toBeGreaterThan(0);
    expect(answerBytes(hit.text)).toBe(answerBytes(first.text));
    expect(answerBytes(fresh.text)).toBe(answerBytes(hit.text));
  });

  it('identical texts in flight run once: one miss, the others shared, the model ran one request\'s rows', async () => {
    const body = { text: words(1500, 'Carol'), labels: ['person'] };
    const rowsOnce = await (async () => {
      const before = metricValue(await metrics(), 'gliner_rows_processed_total');
      await raw(`${srv.url}/api/v1/predict`, { ...body, labels: ['location'] }, A); // same shape, other labels: not cached
      return metricValue(await metrics(), 'gliner_rows_processed_total') - before;
    })();
    const before = await metrics();
    const answers = await Promise.all(Array.from({ length: 6 }, () => raw(`${srv.url}/api/v1/predict`, body, A)));
    const after = await metrics();
    expect(answers.map((a) => a.status)).toEqual(Array(6).fill(200));
    const statuses = answers.map((a) => a.cache);
    expect(statuses.filter((s) => s === 'miss')).toHaveLength(1);
    expect(statuses.filter((s) => s === 'shared').length).toBeGreaterThan(0);
    expect(new Set(answers.map((a) => answerBytes(a.text))).size).toBe(1);
    expect(metricValue(after, 'gliner_rows_processed_total') - metricValue(before, 'gliner_rows_processed_total')).toBe(rowsOnce);
    expect(metricValue(after, 'gliner_cache_shared_total') - metricValue(before, 'gliner_cache_shared_total')).toBe(statuses.filter((s) => s === 'shared').length);
  }, 60_000);

  it('Cache-Control: no-cache runs the text again (and does not join one in flight)', async () => {
    const body = { text: words(400, 'Dave'), labels: ['person'] };
    await raw(`${srv.url}/api/v1/predict`, body, A);
    const before = await metrics();
    const [leader, bypass] = await Promise.all([
      raw(`${srv.url}/api/v1/predict`, { ...body, threshold: 0.4 }, A),
      raw(`${srv.url}/api/v1/predict`, { ...body, threshold: 0.4 }, { ...A, 'cache-control': 'no-cache' }),
    ]);
    const again = await raw(`${srv.url}/api/v1/predict`, body, { ...A, 'cache-control': 'no-cache' });
    expect([leader.cache, bypass.cache, again.cache]).toEqual(['miss', 'miss', 'miss']);
    expect(metricValue(await metrics(), 'gliner_cache_bypassed_total') - metricValue(before, 'gliner_cache_bypassed_total')).toBe(2);
  });

  it('answers are not shared across API keys', async () => {
    const body = { text: 'Grace Hopper lived in New York.', labels: ['person'] };
    expect((await raw(`${srv.url}/api/v1/predict`, body, A)).cache).toBe('miss');
    expect((await raw(`${srv.url}/api/v1/predict`, body, B)).cache).toBe('miss');
    expect((await raw(`${srv.url}/api/v1/predict`, body, B)).cache).toBe('hit');
  });

  it('a batch says miss when any text ran, and counts each text', async () => {
    const cached = 'Alan Turing was born in Maida Vale.';
    await raw(`${srv.url}/api/v1/predict`, { text: cached, labels: ['person'] }, A);
    const batch = await raw(`${srv.url}/api/v1/predict/batch`, { texts: [cached, 'Emmy Noether taught in Göttingen.', cached], labels: ['person'] }, A);
    expect([batch.cache, batch.texts]).toEqual(['miss', 'hit=2, shared=0, miss=1']);
    const again = await raw(`${srv.url}/api/v1/predict/batch`, { texts: [cached, 'Emmy Noether taught in Göttingen.'], labels: ['person'] }, A);
    expect([again.cache, again.texts]).toEqual(['hit', 'hit=2, shared=0, miss=0']);
  });

  it('is measured: hits, misses, shared, bytes and entries in /metrics', async () => {
    const text = await metrics();
    for (const name of ['gliner_cache_hits_total', 'gliner_cache_misses_total', 'gliner_cache_shared_total', 'gliner_cache_bytes', 'gliner_cache_entries']) {
      expect(metricValue(text, name), name).toBeGreaterThan(0);
    }
    expect(metricValue(text, 'gliner_cache_bytes')).toBeLessThanOrEqual(64 * 1024 * 1024);
  });
});

describe('WebSocket', () => {
  it('a cached long text is answered with its final message only, the same entities', async () => {
    const client = await connect(`${srv.url}/api/v1/stream`, { headers: A });
    try {
      const text = `${words(900, 'Erin')} I work at Microsoft in Seattle.`;
      client.send({ id: 'first', text, labels: ['location'] });
      client.send({ id: 'second', text: 'warm-up', labels: ['location'] });
      const firstRun = (await client.waitFor((m) => m.some((x) => x.id === 'first' && x.done === true), 60_000)).filter((m) => m.id === 'first');
      client.send({ id: 'again', text, labels: ['location'] });
      const again = (await client.waitFor((m) => m.some((x) => x.id === 'again' && x.done === true), 60_000)).filter((m) => m.id === 'again');
      expect(firstRun.filter((m) => m.done === false).length).toBeGreaterThan(1);
      expect(again).toHaveLength(1);
      expect(again[0]?.entities).toEqual(firstRun.find((m) => m.done === true)?.entities);
    } finally {
      client.close();
    }
  }, 60_000);

  it('Cache-Control: no-cache at the upgrade: the connection\'s texts run again, window by window', async () => {
    const text = `${words(900, 'Frank')} I work at Microsoft in Seattle.`;
    const warm = await connect(`${srv.url}/api/v1/stream`, { headers: A });
    const bypass = await connect(`${srv.url}/api/v1/stream`, { headers: { ...A, 'cache-control': 'no-cache' } });
    try {
      warm.send({ id: 'warm', text, labels: ['location'] });
      await warm.waitFor((m) => m.some((x) => x.id === 'warm' && x.done === true), 60_000);
      bypass.send({ id: 'fresh', text, labels: ['location'] });
      const fresh = (await bypass.waitFor((m) => m.some((x) => x.id === 'fresh' && x.done === true), 60_000)).filter((m) => m.id === 'fresh');
      expect(fresh.filter((m) => m.done === false).length).toBeGreaterThan(1);
    } finally {
      warm.close();
      bypass.close();
    }
  }, 60_000);
});

describe('configuration', () => {
  it('CACHE_SHARED_ACROSS_KEYS=true lets one key\'s answers serve another; CACHE_MAX_BYTES=0 turns the cache off', async () => {
    const body = { text: 'Marie Curie worked in Paris.', labels: ['person'] };
    const shared = await startServer({ env: { ...env, CACHE_SHARED_ACROSS_KEYS: 'true' } });
    try {
      expect((await raw(`${shared.url}/api/v1/predict`, body, A)).cache).toBe('miss');
      expect((await raw(`${shared.url}/api/v1/predict`, body, B)).cache).toBe('hit');
    } finally {
      await shared.stop();
    }
    const off = await startServer({ env: { ...env, CACHE_MAX_BYTES: '0' } });
    try {
      const answers = [await raw(`${off.url}/api/v1/predict`, body, A), await raw(`${off.url}/api/v1/predict`, body, A)];
      expect(answers.map((a) => [a.status, a.cache])).toEqual([[200, null], [200, null]]);
      expect(metricValue((await get(`${off.adminUrl}/metrics`)).text, 'gliner_cache_misses_total')).toBe(0);
    } finally {
      await off.stop();
    }
  }, 60_000);
});
