// Adapts the transport-independent security gate (src/security) to the front end's AccessControl.
import { GlinerError } from '../errors.js';
import { clientAddressKey } from '../security/auth-failures.js';
import type { GateOutcome, SecurityGate } from '../security/gate.js';
import type { AccessControl, Admission } from './router.js';

/** A refusal as the coded error the front end answers with (headers and log fields attached). */
function refusal(outcome: Extract<GateOutcome, { ok: false }>): GlinerError {
  return new GlinerError(outcome.error.code, outcome.error.message, {
    ...outcome.error.extra,
    headers: outcome.headers,
    reason: outcome.reason,
    ...(outcome.keyName === undefined ? {} : { keyName: outcome.keyName }),
  });
}

export function gateAccess(gate: SecurityGate, trustProxyHops: number): AccessControl {
  return {
    admit(headers, ip): Admission {
      const outcome = gate.check(clientAddressKey(ip, headers.get('x-forwarded-for'), trustProxyHops), headers);
      if (!outcome.ok) throw refusal(outcome);
      const key = outcome.key;
      return {
        keyName: key.name,
        headers: outcome.headers,
        charge() {
          const charged = gate.charge(key);
          if (!charged.ok) throw refusal(charged);
        },
      };
    },
  };
}
