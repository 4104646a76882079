// Per-key token buckets: continuous refill (tokens += elapsed × rate, capped at burst), an
// injectable monotonic clock, and bounded memory (idle full buckets are swept lazily; a hard cap
// evicts the least recently used bucket). Transport-independent: the HTTP layer turns a result
// into headers with `rateLimitHeaders`.

/** Milliseconds from an arbitrary origin; must not go backwards (performance.now() by default). */
export interface Clock {
  now(): number;
}

export const monotonicClock: Clock = { now: () => performance.now() };

export interface RateLimitResult {
  /** Whether the request may proceed (a token was taken). */
  readonly allowed: boolean;
  /** True when the rate is 0 (no limit): nothing is tracked and no headers are sent. */
  readonly unlimited: boolean;
  /** Bucket size (burst). */
  readonly limit: number;
  /** Whole tokens left after this request. */
  readonly remaining: number;
  /** Whole seconds (rounded up) until the bucket is full again; 0 when it is full. */
  readonly resetSeconds: number;
  /** Only when refused: whole seconds (rounded up, at least 1) until one token is available. */
  readonly retryAfterSeconds?: number;
}

export interface TokenBucketOptions {
  readonly clock?: Clock;
  /** Hard cap on tracked buckets; beyond it the least recently used one is dropped. Default 100 000. */
  readonly maxEntries?: number;
  /** A bucket that has been full for longer than this is dropped (it would be recreated full). Default 60 s. */
  readonly idleEvictMs?: number;
  /** How often (at most) a `take` sweeps for idle buckets. Default 10 s. */
  readonly sweepIntervalMs?: number;
}

interface Bucket {
  tokens: number;
  /** Clock time `tokens` was computed at (the last take or peek that refilled it). */
  updatedAt: number;
  rate: number;
  burst: number;
}

// Refill arithmetic is in floating point; this tolerance keeps e.g. 3 × (1000/3 ms) at rate 1/s
// from landing on 0.9999999 tokens and refusing a request that is due.
const EPSILON = 1e-9;

const UNLIMITED: RateLimitResult = Object.freeze({ allowed: true, unlimited: true, limit: 0, remaining: 0, resetSeconds: 0 });

export class TokenBuckets {
  private readonly clock: Clock;
  private readonly maxEntries: number;
  private readonly idleEvictMs: number;
  private readonly sweepIntervalMs: number;
  /** Insertion order is recency order: every take moves its bucket to the end. */
  private readonly buckets = new Map<string, Bucket>();
  private lastSweep: number;

  constructor(options: TokenBucketOptions = {}) {
    this.clock = options.clock ?? monotonicClock;
    this.maxEntries = Math.max(1, Math.floor(options.maxEntries ?? 100_000));
    this.idleEvictMs = Math.max(0, options.idleEvictMs ?? 60_000);
    this.sweepIntervalMs = Math.max(0, options.sweepIntervalMs ?? 10_000);
    this.lastSweep = this.clock.now();
  }

  /** Number of buckets currently tracked. */
  get size(): number {
    return this.buckets.size;
  }

  /**
   * Take one token from `key`'s bucket. `rate` is tokens per second (0 = unlimited), `burst` the
   * bucket size (at least 1). A bucket seen for the first time starts full. If the key's rate or
   * burst changed (key file reloaded), the bucket adopts the new values, its tokens capped at the
   * new burst.
   */
  take(key: string, rate: number, burst: number): RateLimitResult {
    if (!(rate > 0)) return UNLIMITED;
    const size = normaliseBurst(burst);
    const now = this.clock.now();
    this.maybeSweep(now);
    let bucket = this.buckets.get(key);
    if (bucket === undefined) {
      bucket = { tokens: size, updatedAt: now, rate, burst: size };
    } else {
      this.buckets.delete(key); // re-inserted below: moves it to the most-recent end
      refill(bucket, now, rate, size);
    }
    this.buckets.set(key, bucket);
    if (this.buckets.size > this.maxEntries) this.evictOldest(this.buckets.size - this.maxEntries);

    if (bucket.tokens + EPSILON >= 1) {
      bucket.tokens = Math.max(0, bucket.tokens - 1);
      return result(true, bucket);
    }
    return result(false, bucket);
  }

  /**
   * What a `take` would answer, without taking a token, creating a bucket or changing recency.
   * An unknown key reports a full bucket.
   */
  peek(key: string, rate: number, burst: number): RateLimitResult {
    if (!(rate > 0)) return UNLIMITED;
    const size = normaliseBurst(burst);
    const existing = this.buckets.get(key);
    if (existing === undefined) return result(true, { tokens: size, updatedAt: 0, rate, burst: size });
    const copy = { ...existing };
    refill(copy, this.clock.now(), rate, size);
    return result(copy.tokens + EPSILON >= 1, copy);
  }

  /** Forget one key's bucket (e.g. after the key was revoked). */
  delete(key: string): void {
    this.buckets.delete(key);
  }

  clear(): void {
    this.buckets.clear();
  }

  private maybeSweep(now: number): void {
    if (now - this.lastSweep < this.sweepIntervalMs) return;
    this.lastSweep = now;
    this.sweep(now);
  }

  /** Drop every bucket that has been full for longer than idleEvictMs. */
  sweep(now: number = this.clock.now()): void {
    for (const [key, bucket] of this.buckets) {
      // Recency order: once a bucket was used within idleEvictMs, so were all that follow, and
      // none of them can have been full for that long.
      if (now - bucket.updatedAt <= this.idleEvictMs) break;
      const fullAt = bucket.updatedAt + ((bucket.burst - bucket.tokens) / bucket.rate) * 1000;
      if (now - fullAt > this.idleEvictMs) this.buckets.delete(key);
    }
  }

  private evictOldest(count: number): void {
    for (const key of this.buckets.keys()) {
      if (count-- <= 0) break;
      this.buckets.delete(key);
    }
  }
}

function normaliseBurst(burst: number): number {
  return Number.isFinite(burst) && burst >= 1 ? Math.floor(burst) : 1;
}

function refill(bucket: Bucket, now: number, rate: number, burst: number): void {
  const elapsed = Math.max(0, now - bucket.updatedAt);
  bucket.tokens = Math.min(burst, bucket.tokens + (elapsed / 1000) * bucket.rate);
  bucket.updatedAt = now;
  bucket.rate = rate;
  bucket.burst = burst;
}

/** Round a positive duration in seconds up to whole seconds, forgiving float noise just above an integer. */
function ceilSeconds(seconds: number): number {
  return Math.max(0, Math.ceil(seconds - EPSILON));
}

function result(allowed: boolean, bucket: Bucket): RateLimitResult {
  const tokens = Math.min(bucket.burst, bucket.tokens);
  const remaining = Math.max(0, Math.floor(tokens + EPSILON));
  const resetSeconds = ceilSeconds((bucket.burst - tokens) / bucket.rate);
  if (allowed) return { allowed, unlimited: false, limit: bucket.burst, remaining, resetSeconds };
  const retryAfterSeconds = Math.max(1, ceilSeconds((1 - tokens) / bucket.rate));
  return { allowed, unlimited: false, limit: bucket.burst, remaining, resetSeconds, retryAfterSeconds };
}

/**
 * Response headers for a rate-limit decision (IETF draft-ietf-httpapi-ratelimit-headers, the
 * separate-field form): RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset (seconds), plus
 * Retry-After when refused. Nothing for an unlimited key.
 */
export function rateLimitHeaders(result: RateLimitResult): Array<[string, string]> {
  if (result.unlimited) return [];
  const headers: Array<[string, string]> = [
    ['RateLimit-Limit', String(result.limit)],
    ['RateLimit-Remaining', String(result.remaining)],
    ['RateLimit-Reset', String(result.resetSeconds)],
  ];
  if (!result.allowed && result.retryAfterSeconds !== undefined) headers.push(['Retry-After', String(result.retryAfterSeconds)]);
  return headers;
}
