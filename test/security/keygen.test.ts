import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { keyDigest } from '../../src/security/key-file.js';
import { KeyStore } from '../../src/security/keys.js';
import { addKeyToFile, createKey } from '../../src/security/keygen.js';
import { tempDir } from './helpers.js';

describe('createKey', () => {
  it('makes a high-entropy key whose file entry authenticates through the store', () => {
    const { dir, cleanup } = tempDir();
    try {
      const created = createKey('team-a', { ratePerSecond: 20, burst: 40, now: new Date('2025-01-02T03:04:05Z') });
      expect(created.key).toMatch(/^gls_[A-Za-z0-9_-]{43}$/);
      expect(created.sha256).toBe(keyDigest(created.key));
      expect(JSON.parse(created.line)).toEqual({ name: 'team-a', sha256: created.sha256, rate_per_second: 20, burst: 40, created: '2025-01-02T03:04:05.000Z' });
      expect(created.line).not.toContain(created.key);

      const file = join(dir, 'keys.json');
      writeFileSync(file, `{"keys":[${created.line}]}`);
      const store = new KeyStore({ file, defaultRatePerSecond: 1, defaultBurst: 1, watch: false, pollIntervalMs: 0 });
      expect(store.authenticate(created.key)).toEqual({ ok: true, key: { name: 'team-a', ratePerSecond: 20, burst: 40 } });
      store.close();
    } finally {
      cleanup();
    }
  });

  it('never repeats a key', () => {
    const keys = new Set(Array.from({ length: 1000 }, () => createKey('x').key));
    expect(keys.size).toBe(1000);
  });

  it('rejects bad names and limits', () => {
    for (const name of ['', '-x', 'has space', 'a'.repeat(65), 'gls_/x']) {
      expect(() => createKey(name)).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
    }
    expect(() => createKey('a', { ratePerSecond: -1 })).toThrow();
    expect(() => createKey('a', { burst: 0 })).toThrow();
  });
});

describe('addKeyToFile', () => {
  it('creates and extends the file atomically with mode 0600, refusing duplicate names', () => {
    const { dir, cleanup } = tempDir();
    try {
      const file = join(dir, 'keys.json');
      const first = createKey('a');
      const second = createKey('b', { ratePerSecond: 0 });
      addKeyToFile(file, first.entry);
      addKeyToFile(file, second.entry);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      const text = readFileSync(file, 'utf8');
      expect(text).not.toContain(first.key);
      const store = new KeyStore({ file, defaultRatePerSecond: 5, defaultBurst: 5, watch: false, pollIntervalMs: 0 });
      expect(store.authenticate(first.key)).toMatchObject({ ok: true, key: { name: 'a' } });
      expect(store.authenticate(second.key)).toMatchObject({ ok: true, key: { name: 'b', ratePerSecond: 0 } });
      store.close();
      expect(() => addKeyToFile(file, createKey('a').entry)).toThrow(/already exists/);
    } finally {
      cleanup();
    }
  });
});
