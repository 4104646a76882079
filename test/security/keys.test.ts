import { mkdirSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GlinerError } from '../../src/errors.js';
import { keyDigest, parseKeyFile } from '../../src/security/key-file.js';
import { KeyStore, assertStartable, type ReloadTrigger } from '../../src/security/keys.js';
import { EventWaiter, replaceFile, tempDir } from './helpers.js';

const DEFAULTS = { defaultRatePerSecond: 50, defaultBurst: 100 };
const KEY_A = 'gls_alpha-key-0123456789abcdefghijklmnopqrstuv';
const KEY_B = 'gls_bravo-key-0123456789abcdefghijklmnopqrstuv';
const KEY_C = 'gls_charlie-key-0123456789abcdefghijklmnopqrstu';

const fileText = (keys: Array<{ name: string; key: string; rate?: number; burst?: number }>): string =>
  JSON.stringify({
    keys: keys.map(({ name, key, rate, burst }) => ({
      name,
      sha256: keyDigest(key),
      ...(rate === undefined ? {} : { rate_per_second: rate }),
      ...(burst === undefined ? {} : { burst }),
    })),
  });

describe('KeyStore from API_KEYS', () => {
  it('names env keys env-1, env-2 and applies default limits', () => {
    const store = new KeyStore({ envKeys: [KEY_A, KEY_B], ...DEFAULTS });
    expect(store.mode).toBe('keys');
    expect(store.names).toEqual(['env-1', 'env-2']);
    expect(store.authenticate(KEY_B)).toEqual({ ok: true, key: { name: 'env-2', ratePerSecond: 50, burst: 100 } });
  });

  it('fails wrong, empty, oversized and missing keys with one identical result', () => {
    const store = new KeyStore({ envKeys: [KEY_A], ...DEFAULTS });
    const results = [
      store.authenticate('wrong'),
      store.authenticate(''),
      store.authenticate(undefined),
      store.authenticate(KEY_A + 'x'.repeat(600)),
      store.authenticate('x'.repeat(100_000)),
      store.authenticate(KEY_A.slice(0, -1)),
      store.authenticate(` ${KEY_A}`),
    ];
    for (const result of results) expect(result).toStrictEqual({ ok: false });
    expect(new Set(results).size).toBe(1);
  });

  it('rejects a key longer than 512 characters even if configured', () => {
    expect(() => new KeyStore({ envKeys: ['k'.repeat(513)], ...DEFAULTS })).toThrow(GlinerError);
    const store = new KeyStore({ envKeys: ['k'.repeat(512)], ...DEFAULTS });
    expect(store.authenticate('k'.repeat(512)).ok).toBe(true);
  });

  it('refuses duplicate env keys without echoing them', () => {
    try {
      new KeyStore({ envKeys: [KEY_A, KEY_A], ...DEFAULTS });
      expect.unreachable();
    } catch (error) {
      expect((error as GlinerError).code).toBe('CONFIG_INVALID');
      expect(String((error as Error).message)).not.toContain(KEY_A);
    }
  });

  it('is open with no keys; production refuses to start, development warns', () => {
    const store = new KeyStore({ ...DEFAULTS });
    expect(store.mode).toBe('open');
    expect(store.authenticate('anything')).toEqual({ ok: false });
    expect(() => assertStartable(store, true)).toThrow(expect.objectContaining({ code: 'INSECURE_CONFIG' }));
    expect(assertStartable(store, false)).toMatch(/NO API KEYS/);
    expect(assertStartable(new KeyStore({ envKeys: [KEY_A], ...DEFAULTS }), true)).toBeUndefined();
  });
});

describe('KeyStore from API_KEYS_FILE', () => {
  let dir: string;
  let cleanup: () => void;
  let stores: KeyStore[];
  beforeEach(() => {
    ({ dir, cleanup } = tempDir());
    stores = [];
  });
  afterEach(() => {
    for (const store of stores) store.close();
    cleanup();
  });
  const open = (options: Partial<ConstructorParameters<typeof KeyStore>[0]> & { file: string }): KeyStore => {
    const store = new KeyStore({ ...DEFAULTS, pollIntervalMs: 0, debounceMs: 20, ...options });
    stores.push(store);
    return store;
  };

  it('loads named digests with per-key limits and defaults', () => {
    const file = join(dir, 'keys.json');
    writeFileSync(file, fileText([{ name: 'team-a', key: KEY_A, rate: 20, burst: 40 }, { name: 'team-b', key: KEY_B }]));
    const store = open({ file, watch: false, envKeys: [KEY_C] });
    expect(store.names).toEqual(['env-1', 'team-a', 'team-b']);
    expect(store.authenticate(KEY_A)).toEqual({ ok: true, key: { name: 'team-a', ratePerSecond: 20, burst: 40 } });
    expect(store.authenticate(KEY_B)).toEqual({ ok: true, key: { name: 'team-b', ratePerSecond: 50, burst: 100 } });
    expect(store.authenticate(KEY_C)).toMatchObject({ ok: true, key: { name: 'env-1' } });
    expect(store.authenticate(keyDigest(KEY_A))).toEqual({ ok: false }); // the digest is not a key
  });

  it('accepts upper-case hex and a BOM', () => {
    const file = join(dir, 'keys.json');
    writeFileSync(file, `\uFEFF${JSON.stringify({ version: 1, keys: [{ name: 'a', sha256: keyDigest(KEY_A).toUpperCase() }] })}`);
    expect(open({ file, watch: false }).authenticate(KEY_A).ok).toBe(true);
  });

  it('fails start-up on a missing or bad file with CONFIG_INVALID', () => {
    expect(() => open({ file: join(dir, 'absent.json') })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
    const file = join(dir, 'keys.json');
    writeFileSync(file, '{"keys": [');
    expect(() => open({ file })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
  });

  it('validates entries and never quotes key material in errors', () => {
    const parse = (doc: unknown): string => {
      const result = parseKeyFile(typeof doc === 'string' ? doc : JSON.stringify(doc), { ratePerSecond: 1, burst: 1 });
      expect(result.ok).toBe(false);
      return result.ok ? '' : result.error;
    };
    const cases: Array<[unknown, RegExp]> = [
      [`{"keys":[{"name":"a","sha256":"${KEY_A}"`, /not valid JSON/],
      [KEY_A, /not valid JSON/],
      [{ keys: [{ name: 'a', sha256: KEY_A }] }, /64 hexadecimal/],
      [{ keys: [{ name: 'a', key: KEY_A }] }, /unknown field/],
      [{ keys: [{ name: KEY_A + ' ', sha256: keyDigest(KEY_A) }] }, /"name" must be/],
      [{ keys: [{ name: 'a', sha256: keyDigest(KEY_A) }, { name: 'a', sha256: keyDigest(KEY_B) }] }, /duplicate name/],
      [{ keys: [{ name: 'a', sha256: keyDigest(KEY_A) }, { name: 'b', sha256: keyDigest(KEY_A) }] }, /same key as "a"/],
      [{ keys: [{ name: 'a', sha256: keyDigest('') }] }, /empty string/],
      [{ keys: [{ name: 'a', sha256: keyDigest(KEY_A), rate_per_second: -1 }] }, /rate_per_second/],
      [{ keys: [{ name: 'a', sha256: keyDigest(KEY_A), burst: 1.5 }] }, /burst/],
      [{ keys: [], [KEY_A]: 1 }, /unknown top-level field/],
      [{ keys: {} }, /must be an array/],
      [[], /JSON object/],
    ];
    for (const [doc, pattern] of cases) {
      const error = parse(doc);
      expect(error).toMatch(pattern);
      expect(error).not.toContain(KEY_A);
      expect(error).not.toContain(KEY_A.slice(0, 12));
    }
  });

  it('reloads on explicit reload()', () => {
    const file = join(dir, 'keys.json');
    writeFileSync(file, fileText([{ name: 'a', key: KEY_A }]));
    const reloads = new EventWaiter<{ keys: number; trigger: ReloadTrigger }>();
    const store = open({ file, watch: false, onReload: reloads.callback });
    expect(store.reload()).toEqual({ ok: true, changed: false, keys: 1 });
    writeFileSync(file, fileText([{ name: 'b', key: KEY_B }, { name: 'c', key: KEY_C }]));
    expect(store.reload()).toEqual({ ok: true, changed: true, keys: 2 });
    expect(reloads.calls).toEqual([{ keys: 2, trigger: 'explicit' }]);
    expect(store.authenticate(KEY_A).ok).toBe(false);
    expect(store.authenticate(KEY_B)).toMatchObject({ ok: true, key: { name: 'b' } });
  });

  it('keeps the old keys when the new file is bad and reports it without key material', () => {
    const file = join(dir, 'keys.json');
    writeFileSync(file, fileText([{ name: 'a', key: KEY_A }]));
    const errors = new EventWaiter<string>();
    const store = open({ file, watch: false, onError: errors.callback });
    for (const bad of [`{"keys":[{"name":"b","sha256":"${KEY_B}"}]}`, `${KEY_B}\n`, JSON.stringify({ keys: [{ name: 'b', sha256: KEY_B }] })]) {
      writeFileSync(file, bad);
      const result = store.reload();
      expect(result.ok).toBe(false);
      expect(store.authenticate(KEY_A)).toMatchObject({ ok: true, key: { name: 'a' } });
      expect(store.authenticate(KEY_B).ok).toBe(false);
    }
    expect(errors.calls).toHaveLength(3);
    for (const message of errors.calls) {
      expect(message).toContain('keeping the previous 1 key(s)');
      expect(message).not.toContain(KEY_B);
      expect(message).not.toContain(KEY_B.slice(0, 10));
    }
  });

  it('refuses a reload that would leave no keys (fail closed)', () => {
    const file = join(dir, 'keys.json');
    writeFileSync(file, fileText([{ name: 'a', key: KEY_A }]));
    const errors = new EventWaiter<string>();
    const store = open({ file, watch: false, onError: errors.callback });
    writeFileSync(file, '{"keys":[]}');
    expect(store.reload().ok).toBe(false);
    expect(store.mode).toBe('keys');
    expect(errors.calls[0]).toMatch(/open mode/);
  });

  it('keeps the old keys when the file disappears', () => {
    const file = join(dir, 'keys.json');
    writeFileSync(file, fileText([{ name: 'a', key: KEY_A }]));
    const store = open({ file, watch: false, onError: () => {} });
    renameSync(file, join(dir, 'elsewhere.json'));
    expect(store.reload()).toMatchObject({ ok: false, error: expect.stringMatching(/ENOENT/) as unknown });
    expect(store.authenticate(KEY_A).ok).toBe(true);
  });

  it('reloads when the file is replaced by rename', async () => {
    const file = join(dir, 'keys.json');
    writeFileSync(file, fileText([{ name: 'a', key: KEY_A }]));
    const reloads = new EventWaiter<{ keys: number; trigger: ReloadTrigger }>();
    const store = open({ file, onReload: reloads.callback });
    const reloaded = reloads.next();
    replaceFile(file, fileText([{ name: 'b', key: KEY_B }]));
    expect(await reloaded).toEqual({ keys: 1, trigger: 'watch' });
    expect(store.authenticate(KEY_B)).toMatchObject({ ok: true, key: { name: 'b' } });
    expect(store.authenticate(KEY_A).ok).toBe(false);
  });

  it('reloads on a Kubernetes-style symlink swap of the Secret volume', async () => {
    // /secret/keys.json -> ..data/keys.json ; ..data -> ..v1 ; an update swaps ..data to ..v2.
    mkdirSync(join(dir, '..v1'));
    writeFileSync(join(dir, '..v1', 'keys.json'), fileText([{ name: 'a', key: KEY_A }]));
    symlinkSync('..v1', join(dir, '..data'));
    symlinkSync(join('..data', 'keys.json'), join(dir, 'keys.json'));
    const reloads = new EventWaiter<{ keys: number; trigger: ReloadTrigger }>();
    const store = open({ file: join(dir, 'keys.json'), onReload: reloads.callback });
    expect(store.names).toEqual(['a']);
    const reloaded = reloads.next();
    mkdirSync(join(dir, '..v2'));
    writeFileSync(join(dir, '..v2', 'keys.json'), fileText([{ name: 'c', key: KEY_C }]));
    symlinkSync('..v2', join(dir, '..data_tmp'));
    renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
    await reloaded;
    expect(store.names).toEqual(['c']);
  });

  it('reports a bad replacement seen by the watcher and recovers on the next good one', async () => {
    const file = join(dir, 'keys.json');
    writeFileSync(file, fileText([{ name: 'a', key: KEY_A }]));
    const errors = new EventWaiter<string>();
    const reloads = new EventWaiter<{ keys: number; trigger: ReloadTrigger }>();
    const store = open({ file, onError: errors.callback, onReload: reloads.callback });
    const failed = errors.next();
    replaceFile(file, `{"keys":[{"name":"b","sha256":"${KEY_B}"}]}`);
    const message = await failed;
    expect(message).not.toContain(KEY_B);
    expect(store.authenticate(KEY_A).ok).toBe(true);
    const reloaded = reloads.next();
    replaceFile(file, fileText([{ name: 'b', key: KEY_B }]));
    await reloaded;
    expect(store.authenticate(KEY_B).ok).toBe(true);
  });

  it('picks changes up by polling when watching is off', async () => {
    const file = join(dir, 'keys.json');
    writeFileSync(file, fileText([{ name: 'a', key: KEY_A }]));
    const reloads = new EventWaiter<{ keys: number; trigger: ReloadTrigger }>();
    const store = open({ file, watch: false, pollIntervalMs: 25, onReload: reloads.callback });
    const reloaded = reloads.next();
    writeFileSync(file, fileText([{ name: 'b', key: KEY_B }]));
    expect(await reloaded).toEqual({ keys: 1, trigger: 'poll' });
    expect(store.names).toEqual(['b']);
  });

  it('stops watching after close()', async () => {
    const file = join(dir, 'keys.json');
    writeFileSync(file, fileText([{ name: 'a', key: KEY_A }]));
    const reloads = new EventWaiter<{ keys: number; trigger: ReloadTrigger }>();
    const store = open({ file, pollIntervalMs: 10, onReload: reloads.callback });
    store.close();
    replaceFile(file, fileText([{ name: 'b', key: KEY_B }]));
    // A second store on the same file proves the change was observable.
    const witness = new EventWaiter<{ keys: number; trigger: ReloadTrigger }>();
    writeFileSync(join(dir, 'other.json'), fileText([{ name: 'x', key: KEY_C }]));
    const other = open({ file: join(dir, 'other.json'), onReload: witness.callback });
    const seen = witness.next();
    replaceFile(join(dir, 'other.json'), fileText([{ name: 'y', key: KEY_C }]));
    await seen;
    expect(other.names).toEqual(['y']);
    expect(reloads.calls).toEqual([]);
    expect(store.names).toEqual(['a']);
  });
});
