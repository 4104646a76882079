// The admission check every API request (and WebSocket upgrade) goes through, in order:
//   1. per-address failed-authentication limit (429 before the key is even looked at),
//   2. key authentication (401; a wrong key counts as a failure for step 1),
//   3. the key's token bucket (429 with Retry-After).
// Synchronous and transport-independent: the HTTP layer passes the peer address and a header
// reader, then writes `headers` and, on refusal, `error` (a GlinerError) as its usual error body.
import { GlinerError } from '../errors.js';
import type { Config } from '../config/schema.js';
import type { Metrics } from '../metrics/registry.js';
import { AuthFailureLimiter } from './auth-failures.js';
import { readCredentials, type HeaderReader } from './credentials.js';
import type { ApiKeyInfo, KeyStore } from './keys.js';
import { TokenBuckets, rateLimitHeaders, type Clock } from './token-bucket.js';

export type GateRefusal =
  /** Too many failed authentications from this client address (429). */
  | 'address-blocked'
  /** No key presented (401; not counted as a failed attempt). */
  | 'missing'
  /** A key that matches no stored key (401). */
  | 'invalid'
  /** X-API-Key and Bearer both present and different (401). */
  | 'conflict'
  /** An empty or unparsable Bearer authorization (401). */
  | 'malformed'
  /** The key's token bucket is empty (429). */
  | 'rate-limited';

export type GateOutcome =
  | { readonly ok: true; readonly key: ApiKeyInfo; readonly headers: Array<[string, string]> }
  | {
    readonly ok: false;
    readonly reason: GateRefusal;
    readonly error: GlinerError;
    readonly headers: Array<[string, string]>;
    /** The key's name when it authenticated but was rate limited (safe to log). */
    readonly keyName?: string;
  };

export interface SecurityGateOptions {
  readonly store: Pick<KeyStore, 'mode' | 'authenticate' | 'anonymousKey'>;
  readonly buckets: TokenBuckets;
  readonly failures: AuthFailureLimiter;
  /** Counts refusals in gliner_auth_failures_total and gliner_rate_limited_total{key}. */
  readonly metrics?: Pick<Metrics, 'authFailures' | 'rateLimited'>;
}

const UNAUTHORIZED_MESSAGE = 'Missing or invalid API key.';
const WWW_AUTHENTICATE: [string, string] = ['WWW-Authenticate', 'Bearer realm="gliner"'];

export class SecurityGate {
  constructor(private readonly options: SecurityGateOptions) {}

  static fromConfig(
    config: Pick<Config, 'authFailuresPerMinute'>,
    store: SecurityGateOptions['store'],
    extra: { metrics?: SecurityGateOptions['metrics']; clock?: Clock } = {},
  ): SecurityGate {
    const clock = extra.clock === undefined ? {} : { clock: extra.clock };
    return new SecurityGate({
      store,
      buckets: new TokenBuckets(clock),
      failures: new AuthFailureLimiter({ maxFailures: config.authFailuresPerMinute, ...clock }),
      metrics: extra.metrics,
    });
  }

  /**
   * Admit or refuse one request. `clientAddress` should come from `clientAddressKey` (IPv6 by /64).
   * Never throws; never reads the body or the query string.
   */
  check(clientAddress: string, headers: HeaderReader): GateOutcome {
    const { store, failures, metrics } = this.options;
    let key: ApiKeyInfo;
    if (store.mode === 'open') {
      key = store.anonymousKey;
    } else {
      const blocked = failures.check(clientAddress);
      if (!blocked.allowed) {
        metrics?.rateLimited.inc({ key: 'anonymous-ip' });
        const seconds = blocked.retryAfterSeconds;
        return {
          ok: false,
          reason: 'address-blocked',
          error: new GlinerError('RATE_LIMITED', `Too many failed authentications from this address; retry after ${seconds} s.`, { retryAfterSeconds: seconds }),
          headers: [['Retry-After', String(seconds)]],
        };
      }
      const credentials = readCredentials(headers);
      const result = store.authenticate(credentials.key);
      if (!result.ok) {
        const reason: GateRefusal = credentials.problem ?? 'invalid';
        // A client that sends no key is misconfigured, not guessing: only presented keys count.
        if (reason !== 'missing') failures.recordFailure(clientAddress);
        metrics?.authFailures.inc();
        return { ok: false, reason, error: new GlinerError('UNAUTHORIZED', UNAUTHORIZED_MESSAGE), headers: [WWW_AUTHENTICATE] };
      }
      key = result.key;
    }
    return this.charge(key);
  }

  /**
   * Take one unit from an authenticated key's token bucket: the last step of `check`, and on its own
   * for each further unit of work of an admitted client (a WebSocket message).
   */
  charge(key: ApiKeyInfo): GateOutcome {
    const { buckets, metrics } = this.options;
    const limit = buckets.take(key.name, key.ratePerSecond, key.burst);
    const limitHeaders = rateLimitHeaders(limit);
    if (!limit.allowed) {
      metrics?.rateLimited.inc({ key: key.name });
      const seconds = limit.retryAfterSeconds ?? 1;
      return {
        ok: false,
        reason: 'rate-limited',
        keyName: key.name,
        error: new GlinerError('RATE_LIMITED', `Rate limit of key "${key.name}" exceeded; retry after ${seconds} s.`, { retryAfterSeconds: seconds }),
        headers: limitHeaders,
      };
    }
    return { ok: true, key, headers: limitHeaders };
  }
}
