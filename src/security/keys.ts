// The API key store. Keys come from API_KEYS (plain keys, for development; named env-1, env-2, …)
// and from API_KEYS_FILE (production: named SHA-256 digests with optional per-key limits, see
// key-file.ts). Only digests are kept in memory. `authenticate` hashes the presented key and
// compares it with every stored digest in constant time, with no early exit.
//
// The file is re-read by `reload()` (wired to SIGHUP) and whenever key-watcher.ts says it may have
// changed. A bad file keeps the previous keys and is reported through `onError`, whose messages
// never contain key material or file contents.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Config } from '../config/schema.js';
import { GlinerError } from '../errors.js';
import { parseKeyFile, readKeyFile, type ApiKeyInfo, type StoredKey } from './key-file.js';
import { KeyFileWatcher, label, type ReloadTrigger, type WatchSettings } from './key-watcher.js';

export type { ApiKeyInfo } from './key-file.js';
export type { ReloadTrigger } from './key-watcher.js';

/** Longest key `authenticate` will consider; longer ones fail like any wrong key. */
export const MAX_KEY_CHARS = 512;

export type AuthResult = { readonly ok: true; readonly key: ApiKeyInfo } | { readonly ok: false };

export type ReloadResult =
  | { readonly ok: true; readonly changed: boolean; readonly keys: number }
  | { readonly ok: false; readonly error: string };

export interface KeyStoreOptions extends WatchSettings {
  /** Plain keys (API_KEYS). */
  readonly envKeys?: readonly string[];
  /** Path of the key file (API_KEYS_FILE). */
  readonly file?: string | undefined;
  /** Limits for keys that do not set their own (RATE_LIMIT_PER_SECOND, RATE_LIMIT_BURST). */
  readonly defaultRatePerSecond: number;
  readonly defaultBurst: number;
  /** A reload failed (the previous keys stay). The message names the file and the problem only. */
  readonly onError?: (message: string) => void;
  /** A reload replaced the keys (called only when the file's contents changed). */
  readonly onReload?: (event: { readonly keys: number; readonly trigger: ReloadTrigger }) => void;
}

const FAILED: AuthResult = Object.freeze({ ok: false });

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

export class KeyStore {
  private readonly envEntries: StoredKey[];
  private all: StoredKey[] = [];
  private readonly file: string | undefined;
  private readonly defaults: { ratePerSecond: number; burst: number };
  private readonly onError: (message: string) => void;
  private readonly onReload: (event: { readonly keys: number; readonly trigger: ReloadTrigger }) => void;
  /** Digest of the file contents last read (or of the read error), to ignore repeated events. */
  private lastSeenDigest: string | undefined;
  /** Digest of the file contents whose keys are in force. */
  private appliedDigest: string | undefined;
  private readonly watcher: KeyFileWatcher | undefined;

  /**
   * Loads the keys synchronously. Throws CONFIG_INVALID when API_KEYS or the key file is unusable
   * at start-up (there are no previous keys to fall back on).
   */
  constructor(options: KeyStoreOptions) {
    this.file = options.file === undefined || options.file === '' ? undefined : options.file;
    this.defaults = { ratePerSecond: options.defaultRatePerSecond, burst: options.defaultBurst };
    this.onError = options.onError ?? (() => {});
    this.onReload = options.onReload ?? (() => {});
    this.envEntries = this.envKeysToEntries(options.envKeys ?? []);
    if (this.file === undefined) {
      this.all = this.envEntries;
      return;
    }
    const read = readKeyFile(this.file, label(this.file));
    if (!read.ok) throw new GlinerError('CONFIG_INVALID', read.error);
    const parsed = parseKeyFile(read.text, this.defaults, label(this.file));
    if (!parsed.ok) throw new GlinerError('CONFIG_INVALID', parsed.error);
    const merged = this.merge(parsed.keys);
    if (typeof merged === 'string') throw new GlinerError('CONFIG_INVALID', merged);
    this.all = merged;
    this.lastSeenDigest = read.digest;
    this.appliedDigest = read.digest;
    this.watcher = new KeyFileWatcher(this.file, options, (trigger) => this.reloadIfChanged(trigger), this.onError);
  }

  /** The store the configuration describes (API_KEYS, API_KEYS_FILE and the default limits). */
  static fromConfig(
    config: Pick<Config, 'apiKeys' | 'apiKeysFile' | 'rateLimitPerSecond' | 'rateLimitBurst'>,
    hooks: Pick<KeyStoreOptions, 'onError' | 'onReload' | 'watch' | 'debounceMs' | 'pollIntervalMs'> = {},
  ): KeyStore {
    return new KeyStore({
      envKeys: config.apiKeys,
      file: config.apiKeysFile,
      defaultRatePerSecond: config.rateLimitPerSecond,
      defaultBurst: config.rateLimitBurst,
      ...hooks,
    });
  }

  /** `open` when no key is configured at all: see assertStartable. */
  get mode(): 'open' | 'keys' {
    return this.all.length === 0 ? 'open' : 'keys';
  }

  /** Number of keys in force. */
  get size(): number {
    return this.all.length;
  }

  /** Names of the keys in force (safe to log). */
  get names(): string[] {
    return this.all.map((entry) => entry.info.name);
  }

  /** The identity used for rate limiting when the store is open (no keys configured). */
  get anonymousKey(): ApiKeyInfo {
    return { name: 'anonymous', ratePerSecond: this.defaults.ratePerSecond, burst: this.defaults.burst };
  }

  /**
   * Check a presented key. Missing, empty, oversized and wrong keys all give the same `{ ok: false }`
   * after the same work: one SHA-256 and a constant-time comparison against every stored digest.
   */
  authenticate(presented: string | undefined): AuthResult {
    const usable = typeof presented === 'string' && presented.length > 0 && presented.length <= MAX_KEY_CHARS;
    const digest = sha256(usable ? presented : '');
    let found: StoredKey | undefined;
    for (const entry of this.all) {
      const equal = timingSafeEqual(entry.digest, digest);
      if (equal && found === undefined) found = entry;
    }
    if (!usable || found === undefined) return FAILED;
    return { ok: true, key: found.info };
  }

  /**
   * Re-read the key file now (wire to SIGHUP). On any problem the previous keys stay in force and
   * the problem goes to onError. Without a file there is nothing to reload.
   */
  reload(): ReloadResult {
    return this.doReload('explicit', true);
  }

  /** Stop watching and polling. */
  close(): void {
    this.watcher?.close();
  }

  private reloadIfChanged(trigger: ReloadTrigger): void {
    this.doReload(trigger, false);
  }

  private doReload(trigger: ReloadTrigger, force: boolean): ReloadResult {
    if (this.file === undefined) return { ok: true, changed: false, keys: this.all.length };
    const read = readKeyFile(this.file, label(this.file));
    const seen = read.ok ? read.digest : `error:${read.error}`;
    // Directory events and polls fire for unrelated files and repeat themselves: stay quiet unless
    // the file now reads differently from the last time we looked (good or bad).
    if (!force && seen === this.lastSeenDigest) return { ok: true, changed: false, keys: this.all.length };
    this.lastSeenDigest = seen;
    if (!read.ok) return this.fail(read.error);
    if (read.digest === this.appliedDigest) return { ok: true, changed: false, keys: this.all.length };
    const parsed = parseKeyFile(read.text, this.defaults, label(this.file));
    if (!parsed.ok) return this.fail(parsed.error);
    const merged = this.merge(parsed.keys);
    if (typeof merged === 'string') return this.fail(merged);
    if (merged.length === 0 && this.all.length > 0) {
      return this.fail(`${label(this.file)}: the new file has no keys and refusing to switch to open mode`);
    }
    this.all = merged;
    this.appliedDigest = read.digest;
    this.onReload({ keys: merged.length, trigger });
    return { ok: true, changed: true, keys: merged.length };
  }

  private fail(error: string): ReloadResult {
    const message = `${error}; keeping the previous ${this.all.length} key(s)`;
    this.onError(message);
    return { ok: false, error: message };
  }

  /** Env keys + file keys, checking that names and digests are unique across both. */
  private merge(fileKeys: StoredKey[]): StoredKey[] | string {
    const where = label(this.file ?? '');
    const envDigests = new Set(this.envEntries.map((entry) => entry.digest.toString('hex')));
    const envNames = new Set(this.envEntries.map((entry) => entry.info.name));
    for (const entry of fileKeys) {
      if (envNames.has(entry.info.name)) return `${where}: key name "${entry.info.name}" is also used by an API_KEYS key`;
      if (envDigests.has(entry.digest.toString('hex'))) return `${where}: key "${entry.info.name}" is also listed in API_KEYS`;
    }
    return [...this.envEntries, ...fileKeys];
  }

  private envKeysToEntries(keys: readonly string[]): StoredKey[] {
    const entries: StoredKey[] = [];
    const seen = new Map<string, number>();
    keys.forEach((key, index) => {
      const position = index + 1;
      if (key.length === 0) throw new GlinerError('CONFIG_INVALID', `API_KEYS: key ${position} is empty`);
      if (key.length > MAX_KEY_CHARS) throw new GlinerError('CONFIG_INVALID', `API_KEYS: key ${position} is longer than ${MAX_KEY_CHARS} characters`);
      const digest = sha256(key);
      const hex = digest.toString('hex');
      const earlier = seen.get(hex);
      if (earlier !== undefined) throw new GlinerError('CONFIG_INVALID', `API_KEYS: keys ${earlier} and ${position} are the same`);
      seen.set(hex, position);
      entries.push({
        digest,
        info: Object.freeze({ name: `env-${position}`, ratePerSecond: this.defaults.ratePerSecond, burst: this.defaults.burst }),
      });
    });
    return entries;
  }
}

/**
 * Start-up policy for a store without keys. Production: throws INSECURE_CONFIG. Development:
 * returns the warning to log loudly (undefined when keys are configured).
 */
export function assertStartable(store: Pick<KeyStore, 'mode'>, production: boolean): string | undefined {
  if (store.mode === 'keys') return undefined;
  if (production) {
    throw new GlinerError('INSECURE_CONFIG', 'Production mode with no API keys: set API_KEYS_FILE (or API_KEYS). Refusing to start.');
  }
  return 'NO API KEYS CONFIGURED: the API is open to anyone who can reach it (development mode only; set API_KEYS_FILE or API_KEYS).';
}
