// Adapts the transport-independent security gate (src/security) to the front end's AccessControl.
import { GlinerError } from '../errors.js';
import type { SecurityGate } from '../security/gate.js';
import type { TokenBuckets } from '../security/token-bucket.js';
import { rateLimitHeaders } from '../security/token-bucket.js';
import { clientAddressKey } from '../security/auth-failures.js';
import type { Metrics } from '../metrics/registry.js';
import type { AccessControl, Admission } from './router.js';

export function gateAccess(gate: SecurityGate, buckets: TokenBuckets, metrics: Pick<Metrics, 'rateLimited'>, trustProxyHops: number): AccessControl {
  return {
    admit(headers, ip): Admission {
      const outcome = gate.check(clientAddressKey(ip, headers.get('x-forwarded-for'), trustProxyHops), headers);
      if (!outcome.ok) {
        throw new GlinerError(outcome.error.code, outcome.error.message, { ...outcome.error.extra, headers: outcome.headers, reason: outcome.reason, ...(outcome.keyName === undefined ? {} : { keyName: outcome.keyName }) });
      }
      const key = outcome.key;
      return {
        keyName: key.name,
        headers: outcome.headers,
        charge() {
          const limit = buckets.take(key.name, key.ratePerSecond, key.burst);
          if (!limit.allowed) {
            metrics.rateLimited.inc({ key: key.name });
            const seconds = limit.retryAfterSeconds ?? 1;
            throw new GlinerError('RATE_LIMITED', `Rate limit of key "${key.name}" exceeded; retry after ${seconds} s.`, { retryAfterSeconds: seconds, headers: rateLimitHeaders(limit), reason: 'rate-limited', keyName: key.name });
          }
        },
      };
    },
  };
}
