// Failed-authentication limiting per client address, so that API keys cannot be guessed at speed.
// Each address gets a token bucket of `maxFailures` tokens refilling at `maxFailures` per window
// (one minute by default): a sliding limit of N failures per minute with no window-boundary burst.
// Each failed authentication takes a token; while an address has no token left, every request from
// it is refused with 429 *before* its key is looked at, until a token has refilled. Only failures
// create state, so memory is bounded by the failing addresses, and by the bucket map's cap.
import { isIPv4, isIPv6 } from 'node:net';
import { TokenBuckets, monotonicClock, type Clock } from './token-bucket.js';

export interface AuthFailureLimiterOptions {
  /** Failures allowed per window per address (AUTH_FAILURES_PER_MINUTE). */
  readonly maxFailures: number;
  /** Default 60 000 ms. */
  readonly windowMs?: number;
  readonly clock?: Clock;
  /** Most addresses tracked; least recently failing ones are forgotten beyond it. Default 100 000. */
  readonly maxEntries?: number;
}

export type AuthFailureCheck = { readonly allowed: true } | { readonly allowed: false; readonly retryAfterSeconds: number };

export class AuthFailureLimiter {
  private readonly buckets: TokenBuckets;
  private readonly rate: number;
  private readonly burst: number;

  constructor(options: AuthFailureLimiterOptions) {
    const windowMs = options.windowMs ?? 60_000;
    this.burst = Math.max(1, Math.floor(options.maxFailures));
    this.rate = this.burst / (windowMs / 1000);
    this.buckets = new TokenBuckets({
      clock: options.clock ?? monotonicClock,
      maxEntries: options.maxEntries ?? 100_000,
      // A full bucket is the same as no entry; forget it soon after it refilled.
      idleEvictMs: windowMs,
      sweepIntervalMs: Math.min(10_000, windowMs),
    });
  }

  /** May a request from `address` proceed to key checking? Does not record anything. */
  check(address: string): AuthFailureCheck {
    const state = this.buckets.peek(address, this.rate, this.burst);
    if (state.allowed) return { allowed: true };
    return { allowed: false, retryAfterSeconds: state.retryAfterSeconds ?? 1 };
  }

  /** Record one failed authentication from `address`. Returns the state for its next request. */
  recordFailure(address: string): AuthFailureCheck {
    this.buckets.take(address, this.rate, this.burst);
    return this.check(address);
  }

  /** Addresses currently tracked. */
  get size(): number {
    return this.buckets.size;
  }
}

/**
 * The limiter key for a client address: IPv4 as is (IPv4-mapped IPv6 unwrapped), IPv6 by its /64
 * prefix (one subscriber usually holds a whole /64, so per-address limits would be trivial to dodge).
 *
 * `forwardedFor` (the X-Forwarded-For value) is used only when `trustedProxyHops` > 0: the address
 * that many hops from the right is taken, since only entries appended by our own proxies can be
 * trusted. With 0 (the default) it is ignored: a client could write anything there.
 */
export function clientAddressKey(peer: string, forwardedFor?: string, trustedProxyHops = 0): string {
  let address = peer;
  if (trustedProxyHops > 0 && forwardedFor !== undefined && forwardedFor !== '') {
    const hops = forwardedFor.split(',').map((part) => part.trim()).filter((part) => part.length > 0);
    const chosen = hops[hops.length - trustedProxyHops] ?? hops[0];
    if (chosen !== undefined) address = chosen;
  }
  return normaliseAddress(address);
}

function normaliseAddress(raw: string): string {
  let address = raw.trim();
  if (address.startsWith('[') && address.includes(']')) address = address.slice(1, address.indexOf(']'));
  const zone = address.indexOf('%');
  if (zone >= 0) address = address.slice(0, zone);
  if (isIPv4(address)) return address;
  if (!isIPv6(address)) return address.toLowerCase().slice(0, 64);
  const groups = expandIPv6(address.toLowerCase());
  if (groups === undefined) return address.toLowerCase();
  // ::ffff:a.b.c.d (IPv4-mapped)
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    const hi = groups[6] ?? 0;
    const lo = groups[7] ?? 0;
    return `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;
  }
  return `${groups.slice(0, 4).map((g) => g.toString(16)).join(':')}::/64`;
}

/** Eight 16-bit groups of a valid IPv6 address (embedded IPv4 tail allowed). */
function expandIPv6(address: string): number[] | undefined {
  let text = address;
  const tail: number[] = [];
  const lastColon = text.lastIndexOf(':');
  const last = text.slice(lastColon + 1);
  if (isIPv4(last)) {
    const octets = last.split('.').map(Number);
    tail.push(((octets[0] ?? 0) << 8) | (octets[1] ?? 0), ((octets[2] ?? 0) << 8) | (octets[3] ?? 0));
    text = text.slice(0, lastColon + 1) + '0:0';
  }
  const [head = '', rest] = text.split('::');
  const parse = (part: string): number[] => (part === '' ? [] : part.split(':').map((g) => parseInt(g, 16)));
  const left = parse(head);
  const right = rest === undefined ? [] : parse(rest);
  const missing = 8 - left.length - right.length;
  const groups = rest === undefined ? left : [...left, ...new Array<number>(Math.max(0, missing)).fill(0), ...right];
  if (groups.length !== 8 || groups.some((g) => !Number.isFinite(g))) return undefined;
  if (tail.length === 2) {
    groups[6] = tail[0] ?? 0;
    groups[7] = tail[1] ?? 0;
  }
  return groups;
}
