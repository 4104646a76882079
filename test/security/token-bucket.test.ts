import { describe, expect, it } from 'vitest';
import { TokenBuckets, rateLimitHeaders } from '../../src/security/token-bucket.js';
import { FakeClock } from './helpers.js';

describe('TokenBuckets', () => {
  it('allows the burst, refuses the next, and refills continuously', () => {
    const clock = new FakeClock();
    const buckets = new TokenBuckets({ clock });
    for (let i = 0; i < 5; i++) {
      const r = buckets.take('a', 2, 5);
      expect(r.allowed).toBe(true);
      expect(r.limit).toBe(5);
      expect(r.remaining).toBe(4 - i);
      expect(r.retryAfterSeconds).toBeUndefined();
    }
    // After 5 takes: 0 tokens; full again in 5 / 2 = 2.5 s -> 3.
    const refused = buckets.take('a', 2, 5);
    expect(refused).toEqual({ allowed: false, unlimited: false, limit: 5, remaining: 0, resetSeconds: 3, retryAfterSeconds: 1 });

    clock.advance(500); // exactly one token at 2/s
    const again = buckets.take('a', 2, 5);
    expect(again).toEqual({ allowed: true, unlimited: false, limit: 5, remaining: 0, resetSeconds: 3 });
    expect(buckets.take('a', 2, 5).allowed).toBe(false);

    clock.advance(250); // half a token
    const half = buckets.take('a', 2, 5);
    expect(half.allowed).toBe(false);
    expect(half.retryAfterSeconds).toBe(1);
    expect(half.resetSeconds).toBe(3); // 4.5 tokens missing / 2 per s = 2.25 s

    clock.advance(10_000);
    const full = buckets.peek('a', 2, 5);
    expect(full).toMatchObject({ allowed: true, remaining: 5, resetSeconds: 0 });
  });

  it('rounds retry-after up to whole seconds for slow rates', () => {
    const clock = new FakeClock();
    const buckets = new TokenBuckets({ clock });
    expect(buckets.take('slow', 0.1, 1).allowed).toBe(true);
    const refused = buckets.take('slow', 0.1, 1);
    expect(refused.retryAfterSeconds).toBe(10);
    clock.advance(9_500);
    expect(buckets.take('slow', 0.1, 1).retryAfterSeconds).toBe(1);
    clock.advance(500);
    expect(buckets.take('slow', 0.1, 1).allowed).toBe(true);
  });

  it('does not lose a due token to floating-point error', () => {
    const clock = new FakeClock();
    const buckets = new TokenBuckets({ clock });
    expect(buckets.take('k', 3, 1).allowed).toBe(true);
    for (let i = 0; i < 300; i++) {
      clock.advance(1000 / 3);
      expect(buckets.take('k', 3, 1).allowed).toBe(true);
    }
  });

  it('treats rate 0 as unlimited and sends no headers', () => {
    const buckets = new TokenBuckets({ clock: new FakeClock() });
    for (let i = 0; i < 1000; i++) expect(buckets.take('free', 0, 1).allowed).toBe(true);
    expect(buckets.size).toBe(0);
    expect(rateLimitHeaders(buckets.take('free', 0, 1))).toEqual([]);
  });

  it('adopts changed limits, capping tokens at the new burst', () => {
    const clock = new FakeClock();
    const buckets = new TokenBuckets({ clock });
    buckets.take('k', 1, 100);
    const r = buckets.take('k', 1, 3);
    expect(r).toMatchObject({ allowed: true, limit: 3, remaining: 2 });
  });

  it('formats the IETF headers, with Retry-After only on refusal', () => {
    const buckets = new TokenBuckets({ clock: new FakeClock() });
    expect(rateLimitHeaders(buckets.take('h', 1, 1))).toEqual([
      ['RateLimit-Limit', '1'],
      ['RateLimit-Remaining', '0'],
      ['RateLimit-Reset', '1'],
    ]);
    expect(rateLimitHeaders(buckets.take('h', 1, 1))).toEqual([
      ['RateLimit-Limit', '1'],
      ['RateLimit-Remaining', '0'],
      ['RateLimit-Reset', '1'],
      ['Retry-After', '1'],
    ]);
  });

  it('stays bounded with 100k keys (LRU cap)', () => {
    const clock = new FakeClock();
    const buckets = new TokenBuckets({ clock, maxEntries: 10_000 });
    for (let i = 0; i < 100_000; i++) buckets.take(`key-${i}`, 10, 10);
    expect(buckets.size).toBe(10_000);
    // The most recent survive: key-99999's bucket remembers its take.
    expect(buckets.peek('key-99999', 10, 10).remaining).toBe(9);
    // A recently used key moved to the young end survives further churn.
    buckets.take('key-90000', 10, 10);
    for (let i = 0; i < 9_999; i++) buckets.take(`more-${i}`, 10, 10);
    expect(buckets.peek('key-90000', 10, 10).remaining).toBe(8);
  });

  it('sweeps buckets that have been full for a while', () => {
    const clock = new FakeClock();
    const buckets = new TokenBuckets({ clock, maxEntries: 200_000, idleEvictMs: 60_000, sweepIntervalMs: 1_000 });
    for (let i = 0; i < 100_000; i++) buckets.take(`key-${i}`, 1, 5);
    expect(buckets.size).toBe(100_000);
    clock.advance(30_000);
    buckets.take('fresh', 1, 5);
    expect(buckets.size).toBe(100_001); // full for 26 s only: kept
    clock.advance(40_000);
    buckets.take('fresh', 1, 5);
    expect(buckets.size).toBe(1); // full for 66 s: dropped; 'fresh' was just used
  });

  it('keeps an idle bucket that is still refilling', () => {
    const clock = new FakeClock();
    const buckets = new TokenBuckets({ clock, idleEvictMs: 1_000, sweepIntervalMs: 0 });
    for (let i = 0; i < 10; i++) buckets.take('slow', 0.01, 10); // needs 1000 s to refill
    clock.advance(100_000);
    buckets.take('other', 1, 1);
    expect(buckets.peek('slow', 0.01, 10).remaining).toBe(1);
    expect(buckets.size).toBe(2);
  });
});
