import { describe, expect, it } from 'vitest';
import { AuthFailureLimiter, clientAddressKey } from '../../src/security/auth-failures.js';
import { FakeClock } from './helpers.js';

describe('AuthFailureLimiter', () => {
  it('blocks an address after N failures per minute and lets it back as the window slides', () => {
    const clock = new FakeClock();
    const limiter = new AuthFailureLimiter({ maxFailures: 3, clock });
    expect(limiter.check('10.0.0.1')).toEqual({ allowed: true });
    expect(limiter.recordFailure('10.0.0.1')).toEqual({ allowed: true });
    expect(limiter.recordFailure('10.0.0.1')).toEqual({ allowed: true });
    expect(limiter.recordFailure('10.0.0.1')).toEqual({ allowed: false, retryAfterSeconds: 20 });
    expect(limiter.check('10.0.0.1')).toEqual({ allowed: false, retryAfterSeconds: 20 });
    // Other addresses are unaffected.
    expect(limiter.check('10.0.0.2')).toEqual({ allowed: true });
    clock.advance(19_000);
    expect(limiter.check('10.0.0.1')).toEqual({ allowed: false, retryAfterSeconds: 1 });
    clock.advance(1_000);
    expect(limiter.check('10.0.0.1')).toEqual({ allowed: true });
    // One attempt has refilled; the next failure blocks again.
    expect(limiter.recordFailure('10.0.0.1').allowed).toBe(false);
    clock.advance(60_000);
    expect(limiter.check('10.0.0.1')).toEqual({ allowed: true });
  });

  it('allows at most N failures in any minute under a steady attack', () => {
    const clock = new FakeClock();
    const limiter = new AuthFailureLimiter({ maxFailures: 30, clock });
    let admitted = 0;
    for (let t = 0; t < 10 * 60_000; t += 100) {
      if (limiter.check('203.0.113.9').allowed) {
        admitted++;
        limiter.recordFailure('203.0.113.9');
      }
      clock.advance(100);
    }
    // Burst of 30, then 30 per minute for the remaining ~9.5 minutes.
    expect(admitted).toBeLessThanOrEqual(30 + 30 * 10);
    expect(admitted).toBeGreaterThanOrEqual(30 * 10);
  });

  it('check() creates no state and memory stays bounded', () => {
    const clock = new FakeClock();
    const limiter = new AuthFailureLimiter({ maxFailures: 5, clock, maxEntries: 1_000 });
    for (let i = 0; i < 10_000; i++) limiter.check(`10.1.${i >> 8}.${i & 255}`);
    expect(limiter.size).toBe(0);
    for (let i = 0; i < 100_000; i++) limiter.recordFailure(`ip-${i}`);
    expect(limiter.size).toBe(1_000);
  });
});

describe('clientAddressKey', () => {
  it('normalises IPv4, IPv4-mapped IPv6 and IPv6 /64 prefixes', () => {
    expect(clientAddressKey('192.0.2.7')).toBe('192.0.2.7');
    expect(clientAddressKey('::ffff:192.0.2.7')).toBe('192.0.2.7');
    expect(clientAddressKey('0000:0000:0000:0000:0000:ffff:c000:0207')).toBe('192.0.2.7');
    expect(clientAddressKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(clientAddressKey('2001:DB8:1:2:bbbb:cccc:dddd:eeee')).toBe('2001:db8:1:2::/64');
    expect(clientAddressKey('[2001:db8::1]')).toBe('2001:db8:0:0::/64');
    expect(clientAddressKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(clientAddressKey('::1')).toBe('0:0:0:0::/64');
  });

  it('trusts X-Forwarded-For only as far as configured', () => {
    expect(clientAddressKey('10.0.0.1', '198.51.100.1')).toBe('10.0.0.1');
    expect(clientAddressKey('10.0.0.1', '1.1.1.1, 198.51.100.1', 1)).toBe('198.51.100.1');
    expect(clientAddressKey('10.0.0.1', '1.1.1.1, 198.51.100.1, 10.0.0.9', 2)).toBe('198.51.100.1');
    expect(clientAddressKey('10.0.0.1', '198.51.100.1', 3)).toBe('198.51.100.1');
    expect(clientAddressKey('10.0.0.1', '', 1)).toBe('10.0.0.1');
  });
});
