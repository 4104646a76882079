// The result cache without sockets: the byte and TTL bounds of the answer store, the key, and the
// single-flight layer over a fake engine whose submissions the test settles by hand.
import { describe, expect, it } from 'vitest';
import { AnswerStore, answerBytes, keyer, type EvictionReason } from '../../src/engine/cache.js';
import { CachedEngine, requestCacheStatus, type CacheStatus, type CachedContext, type Predictor } from '../../src/engine/cached-engine.js';
import type { PredictRequest, PredictResult } from '../../src/engine/engine.js';
import { GlinerError } from '../../src/errors.js';
import type { TextAnswer } from '../../src/worker/messages.js';

const answer = (json: string): TextAnswer => ({ json, count: 1, truncated: false });
const options = { threshold: 0.5, flatNer: true, multiLabel: false };

function recorder() {
  const evicted: Record<EvictionReason, number> = { size: 0, ttl: 0 };
  const lookups: Record<CacheStatus | 'bypass', number> = { hit: 0, miss: 0, shared: 0, bypass: 0 };
  let bytes = 0;
  return {
    evicted, lookups, bytes: () => bytes,
    onEvict: (reason: EvictionReason, count: number) => { evicted[reason] += count; },
    onSize: (b: number) => { bytes = b; },
    onLookup: (status: CacheStatus | 'bypass', count: number) => { lookups[status] += count; },
  };
}

describe('AnswerStore', () => {
  it('stays within its byte bound, evicting the least recently used first', () => {
    const events = recorder();
    const one = answerBytes(answer('[1]'));
    const store = new AnswerStore(one * 2, 60_000, events);
    store.set('a', answer('[1]'));
    store.set('b', answer('[2]'));
    expect(store.get('a')?.json).toBe('[1]'); // a is now more recent than b
    store.set('c', answer('[3]'));
    expect(store.get('b')).toBeUndefined();
    expect(store.get('a')?.json).toBe('[1]');
    expect(store.get('c')?.json).toBe('[3]');
    expect(store.bytes).toBeLessThanOrEqual(one * 2);
    expect(events.evicted.size).toBe(1);
    expect(events.bytes()).toBe(store.bytes);
  });

  it('never stores an answer larger than the whole cache', () => {
    const store = new AnswerStore(100, 60_000, recorder());
    store.set('big', answer('x'.repeat(200)));
    expect(store.get('big')).toBeUndefined();
    expect(store.bytes).toBe(0);
  });

  it('forgets answers older than the TTL', () => {
    let now = 0;
    const events = recorder();
    const store = new AnswerStore(1 << 20, 1000, events, () => now);
    store.set('a', answer('[1]'));
    now = 999;
    expect(store.get('a')).toBeDefined();
    now = 1000;
    expect(store.get('a')).toBeUndefined();
    expect(events.evicted.ttl).toBe(1);
    expect(store.bytes).toBe(0);
  });
});

describe('keyer', () => {
  const base = { model: 'm@local/fp32', scope: 'key:a', labels: ['person', 'place'], options, maxEntities: 5000 };
  it('changes with every part of the key', () => {
    const key = keyer(base)('text');
    expect(keyer(base)('text')).toBe(key);
    expect(keyer(base)('text ')).not.toBe(key);
    for (const change of [{ model: 'm@other/fp32' }, { scope: 'key:b' }, { labels: ['place', 'person'] }, { options: { ...options, threshold: 0.4 } }, { options: { ...options, flatNer: false } }, { options: { ...options, multiLabel: true } }, { maxEntities: 10 }]) {
      expect(keyer({ ...base, ...change })('text'), JSON.stringify(change)).not.toBe(key);
    }
  });
});

/** A fake engine: every submission waits until the test settles it. */
function fakeEngine() {
  const runs: { texts: readonly string[]; settle: (json?: string) => void; fail: (error: Error) => void; cancelled: boolean }[] = [];
  const engine: Predictor = {
    submit(request: PredictRequest) {
      let resolve!: (value: PredictResult) => void;
      let reject!: (error: Error) => void;
      const result = new Promise<PredictResult>((res, rej) => { resolve = res; reject = rej; });
      const run = {
        texts: request.texts,
        cancelled: false,
        settle: (json?: string) => resolve({ texts: request.texts.map((t) => answer(json ?? JSON.stringify([t]))), timings: { queueSeconds: 0.001, inferenceSeconds: 0.002, totalSeconds: 0.003 }, batchIds: [runs.length] }),
        fail: (error: Error) => reject(error),
      };
      runs.push(run);
      return { result, cancel: () => { run.cancelled = true; } };
    },
    drain: () => Promise.resolve(),
  };
  return { engine, runs };
}

function cached(shared = false) {
  const fake = fakeEngine();
  const events = recorder();
  const cache = new CachedEngine(fake.engine, { maxBytes: 1 << 20, ttlSeconds: 60, sharedAcrossKeys: shared, maxEntities: 5000 }, () => 'model', events);
  return { ...fake, events, cache };
}

const request = (...texts: string[]): PredictRequest => ({ texts, labels: ['person'], options });
const ctx = (extra: Partial<CachedContext> = {}): CachedContext => ({ timeoutMs: 10_000, tenant: 'a', ...extra });

describe('CachedEngine', () => {
  it('runs identical texts in flight once (shared), then answers them from memory (hit), identical objects', async () => {
    const { cache, runs, events } = cached();
    const first = cache.submit(request('x'), ctx());
    const second = cache.submit(request('x'), ctx());
    expect(runs).toHaveLength(1);
    runs[0]?.settle();
    const [a, b] = await Promise.all([first.result, second.result]);
    expect([a.cache, b.cache]).toEqual([['miss'], ['shared']]);
    const third = await cache.submit(request('x'), ctx()).result;
    expect(third.cache).toEqual(['hit']);
    expect(third.texts[0]).toBe(a.texts[0]);
    expect(b.texts[0]).toBe(a.texts[0]);
    expect(runs).toHaveLength(1);
    expect(events.lookups).toEqual({ hit: 1, miss: 1, shared: 1, bypass: 0 });
  });

  it('runs only a batch\'s new texts, a repeated text once, and puts the answers back in order', async () => {
    const { cache, runs } = cached();
    const warm = cache.submit(request('b'), ctx());
    runs[0]?.settle();
    await warm.result;
    const batch = cache.submit(request('a', 'b', 'c', 'a'), ctx());
    expect(runs[1]?.texts).toEqual(['a', 'c']);
    runs[1]?.settle();
    const result = await batch.result;
    expect(result.cache).toEqual(['miss', 'hit', 'miss', 'shared']);
    expect(requestCacheStatus(result.cache ?? [])).toBe('miss');
    expect(result.texts.map((t) => t.json)).toEqual(['["a"]', '["b"]', '["c"]', '["a"]']);
  });

  it('does not share answers across API keys unless configured', async () => {
    for (const shared of [false, true]) {
      const { cache, runs } = cached(shared);
      const first = cache.submit(request('x'), ctx({ tenant: 'a' }));
      runs[0]?.settle();
      await first.result;
      const other = cache.submit(request('x'), ctx({ tenant: 'b' }));
      runs[1]?.settle();
      expect((await other.result).cache).toEqual([shared ? 'hit' : 'miss']);
    }
  });

  it('no-cache neither reads nor joins, but stores its fresh answer', async () => {
    const { cache, runs, events } = cached();
    const warm = cache.submit(request('x'), ctx());
    const bypass = cache.submit(request('x'), ctx({ noCache: true }));
    expect(runs).toHaveLength(2);
    runs[0]?.settle('[0]');
    runs[1]?.settle('[1]');
    expect((await bypass.result).cache).toEqual(['miss']);
    await warm.result;
    const again = cache.submit(request('x'), ctx({ noCache: true })); // 'x' is cached: it runs all the same
    expect(runs).toHaveLength(3);
    runs[2]?.settle('[2]');
    await again.result;
    const hit = await cache.submit(request('x'), ctx()).result;
    expect(hit.texts[0]?.json).toBe('[2]');
    expect(events.lookups.bypass).toBe(2);
  });

  it('never caches a failure: the next request runs again', async () => {
    const { cache, runs } = cached();
    const first = cache.submit(request('x'), ctx());
    const joined = cache.submit(request('x'), ctx());
    runs[0]?.fail(new GlinerError('WORKER_CRASHED', 'boom'));
    await expect(first.result).rejects.toThrow('boom');
    await expect(joined.result).rejects.toThrow('boom');
    const again = cache.submit(request('x'), ctx());
    expect(runs).toHaveLength(2);
    runs[1]?.settle();
    expect((await again.result).cache).toEqual(['miss']);
  });

  it('cancels a run only when everyone waiting for it has gone, and nobody joins it after that', async () => {
    const { cache, runs } = cached();
    const leader = cache.submit(request('x'), ctx());
    const follower = cache.submit(request('x'), ctx());
    leader.cancel();
    expect(runs[0]?.cancelled).toBe(false);
    follower.cancel();
    expect(runs[0]?.cancelled).toBe(true);
    const late = cache.submit(request('x'), ctx());
    expect(runs).toHaveLength(2);
    runs[1]?.settle();
    expect((await late.result).cache).toEqual(['miss']);
  });

  it('a request that only joined others still answers 504 at its own deadline', async () => {
    const { cache } = cached();
    cache.submit(request('x'), ctx());
    const joined = cache.submit(request('x'), ctx({ timeoutMs: 20 }));
    await expect(joined.result).rejects.toMatchObject({ code: 'DEADLINE_EXCEEDED' });
  });

  it('passes admission errors through synchronously and registers nothing', () => {
    const { cache } = cached();
    const refusing = new CachedEngine({ submit: () => { throw new GlinerError('OVERLOADED', 'full'); }, drain: () => Promise.resolve() }, { maxBytes: 1 << 20, ttlSeconds: 60, sharedAcrossKeys: false, maxEntities: 10 }, () => 'm', recorder());
    expect(() => refusing.submit(request('x'), ctx())).toThrow('full');
    expect(refusing.inFlight).toBe(0);
    expect(cache.inFlight).toBe(0);
  });
});
