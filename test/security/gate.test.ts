import { describe, expect, it } from 'vitest';
import { Metrics } from '../../src/metrics/registry.js';
import { AuthFailureLimiter } from '../../src/security/auth-failures.js';
import { SecurityGate } from '../../src/security/gate.js';
import { KeyStore } from '../../src/security/keys.js';
import { TokenBuckets } from '../../src/security/token-bucket.js';
import type { HeaderReader } from '../../src/security/credentials.js';
import { FakeClock } from './helpers.js';

const KEY = 'gls_gate-test-key-0123456789abcdefghijklmnop';
const headers = (values: Record<string, string>): HeaderReader => ({ get: (name) => values[name] ?? '' });

function setup(envKeys: string[] = [KEY]) {
  const clock = new FakeClock();
  const metrics = new Metrics();
  const store = new KeyStore({ envKeys, defaultRatePerSecond: 1, defaultBurst: 2 });
  const gate = new SecurityGate({
    store,
    buckets: new TokenBuckets({ clock }),
    failures: new AuthFailureLimiter({ maxFailures: 2, clock }),
    metrics,
  });
  return { clock, metrics, gate };
}

describe('SecurityGate', () => {
  it('admits a valid key with rate-limit headers, then rate limits it', () => {
    const { gate, clock } = setup();
    const first = gate.check('192.0.2.1', headers({ 'x-api-key': KEY }));
    expect(first).toMatchObject({ ok: true, key: { name: 'env-1' } });
    expect(first.headers).toEqual([['RateLimit-Limit', '2'], ['RateLimit-Remaining', '1'], ['RateLimit-Reset', '1']]);
    expect(gate.check('192.0.2.1', headers({ authorization: `Bearer ${KEY}` })).ok).toBe(true);
    const limited = gate.check('192.0.2.1', headers({ authorization: `bearer ${KEY}` }));
    expect(limited).toMatchObject({ ok: false, reason: 'rate-limited', keyName: 'env-1' });
    if (limited.ok) return;
    expect(limited.error.code).toBe('RATE_LIMITED');
    expect(limited.error.status).toBe(429);
    expect(limited.error.extra.retryAfterSeconds).toBe(1);
    expect(limited.headers).toContainEqual(['Retry-After', '1']);
    clock.advance(1000);
    expect(gate.check('192.0.2.1', headers({ 'x-api-key': KEY })).ok).toBe(true);
  });

  it('answers every kind of bad credential with the same 401', () => {
    const { gate } = setup();
    const outcomes = [
      gate.check('198.51.100.1', headers({})),
      gate.check('198.51.100.2', headers({ 'x-api-key': 'wrong' })),
      gate.check('198.51.100.3', headers({ 'x-api-key': KEY, authorization: 'Bearer other' })),
      gate.check('198.51.100.4', headers({ authorization: 'Bearer' })),
      gate.check('198.51.100.5', headers({ 'x-api-key': 'x'.repeat(600) })),
    ];
    expect(outcomes.map((o) => (o.ok ? 'ok' : o.reason))).toEqual(['missing', 'invalid', 'conflict', 'malformed', 'invalid']);
    for (const outcome of outcomes) {
      if (outcome.ok) throw new Error('admitted');
      expect(outcome.error.code).toBe('UNAUTHORIZED');
      expect(outcome.error.message).toBe('Missing or invalid API key.');
      expect(outcome.headers).toEqual([['WWW-Authenticate', 'Bearer realm="gliner"']]);
    }
  });

  it('blocks an address after repeated wrong keys, before checking even a valid key', async () => {
    const { gate, clock, metrics } = setup();
    const ip = '203.0.113.5';
    expect(gate.check(ip, headers({ 'x-api-key': 'guess-1' }))).toMatchObject({ ok: false, reason: 'invalid' });
    expect(gate.check(ip, headers({ 'x-api-key': 'guess-2' }))).toMatchObject({ ok: false, reason: 'invalid' });
    const blocked = gate.check(ip, headers({ 'x-api-key': KEY }));
    expect(blocked).toMatchObject({ ok: false, reason: 'address-blocked' });
    if (!blocked.ok) {
      expect(blocked.error.code).toBe('RATE_LIMITED');
      expect(blocked.headers).toEqual([['Retry-After', '30']]);
    }
    // Another address with the valid key is fine.
    expect(gate.check('203.0.113.6', headers({ 'x-api-key': KEY })).ok).toBe(true);
    clock.advance(30_000);
    expect(gate.check(ip, headers({ 'x-api-key': KEY })).ok).toBe(true);
    expect((await metrics.authFailures.get()).values[0]?.value).toBe(2);
    expect((await metrics.rateLimited.get()).values).toContainEqual(expect.objectContaining({ labels: { key: 'anonymous-ip' }, value: 1 }));
  });

  it('does not count a missing key as a guessing attempt', () => {
    const { gate } = setup();
    for (let i = 0; i < 10; i++) expect(gate.check('192.0.2.9', headers({}))).toMatchObject({ reason: 'missing' });
    expect(gate.check('192.0.2.9', headers({ 'x-api-key': KEY })).ok).toBe(true);
  });

  it('in open mode admits everyone as "anonymous", still rate limited', () => {
    const { gate } = setup([]);
    expect(gate.check('192.0.2.1', headers({}))).toMatchObject({ ok: true, key: { name: 'anonymous' } });
    expect(gate.check('192.0.2.2', headers({ 'x-api-key': 'whatever' }))).toMatchObject({ ok: true });
    expect(gate.check('192.0.2.3', headers({}))).toMatchObject({ ok: false, reason: 'rate-limited', keyName: 'anonymous' });
  });

  it('builds from config', () => {
    const store = new KeyStore({ envKeys: [KEY], defaultRatePerSecond: 0, defaultBurst: 1 });
    const gate = SecurityGate.fromConfig({ authFailuresPerMinute: 30 }, store);
    const outcome = gate.check('192.0.2.1', headers({ 'x-api-key': KEY }));
    expect(outcome).toEqual({ ok: true, key: { name: 'env-1', ratePerSecond: 0, burst: 1 }, headers: [] });
  });
});
