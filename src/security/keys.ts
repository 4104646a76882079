// The API key store. Keys come from API_KEYS (plain keys, for development; named env-1, env-2, …)
// and from API_KEYS_FILE (production: named SHA-256 digests with optional per-key limits; plain keys
// never appear in it). Only digests are kept in memory. `authenticate` hashes the presented key and
// compares it with every stored digest in constant time, with no early exit.
//
// Key file format (JSON, UTF-8, at most 1 MiB):
//
//   {
//     "keys": [
//       { "name": "team-a", "sha256": "<64 hex digits>", "rate_per_second": 20, "burst": 40 },
//       { "name": "batch-jobs", "sha256": "<64 hex digits>" }
//     ]
//   }
//
//   name             required; 1-64 of [A-Za-z0-9._-], starting with a letter or digit; unique.
//                    It is what logs and metrics show (never the key).
//   sha256           required; hex SHA-256 of the UTF-8 key (`printf %s "$KEY" | sha256sum`); unique.
//   rate_per_second  optional; tokens per second, 0 = unlimited (default RATE_LIMIT_PER_SECOND).
//   burst            optional; integer ≥ 1 (default RATE_LIMIT_BURST).
//   created, comment optional strings, ignored.
//   A top-level "version": 1 is allowed; any other field is an error (it catches typos).
//
// The file is re-read by `reload()` (wire it to SIGHUP) and when its directory changes (fs.watch on
// the directory, debounced, because editors and Kubernetes Secret updates replace the file by
// rename or symlink swap), plus a slow poll as a fallback where fs.watch sees nothing. A bad file
// keeps the previous keys and is reported through `onError`, whose messages never contain key
// material or file contents.
import { createHash, timingSafeEqual } from 'node:crypto';
import { closeSync, fstatSync, openSync, readFileSync, watch, type FSWatcher } from 'node:fs';
import { dirname } from 'node:path';
import { GlinerError } from '../errors.js';
import type { Config } from '../config/schema.js';

/** Longest key `authenticate` will consider; longer ones fail like any wrong key. */
export const MAX_KEY_CHARS = 512;
/** Largest key file accepted. */
export const MAX_KEY_FILE_BYTES = 1024 * 1024;
export const KEY_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const HEX_DIGEST = /^[0-9a-fA-F]{64}$/;
const EMPTY_DIGEST = createHash('sha256').update('').digest('hex');

/** What the rest of the server learns about an authenticated key. */
export interface ApiKeyInfo {
  readonly name: string;
  /** Tokens per second; 0 = unlimited. */
  readonly ratePerSecond: number;
  readonly burst: number;
}

export type AuthResult = { readonly ok: true; readonly key: ApiKeyInfo } | { readonly ok: false };

export type ReloadResult =
  | { readonly ok: true; readonly changed: boolean; readonly keys: number }
  | { readonly ok: false; readonly error: string };

export type ReloadTrigger = 'explicit' | 'watch' | 'poll';

export interface KeyStoreOptions {
  /** Plain keys (API_KEYS). */
  readonly envKeys?: readonly string[];
  /** Path of the key file (API_KEYS_FILE). */
  readonly file?: string;
  /** Limits for keys that do not set their own (RATE_LIMIT_PER_SECOND, RATE_LIMIT_BURST). */
  readonly defaultRatePerSecond: number;
  readonly defaultBurst: number;
  /** A reload failed (the previous keys stay). The message names the file and the problem only. */
  readonly onError?: (message: string) => void;
  /** A reload replaced the keys (called only when the file's contents changed). */
  readonly onReload?: (event: { readonly keys: number; readonly trigger: ReloadTrigger }) => void;
  /** Watch the file's directory for changes. Default true when there is a file. */
  readonly watch?: boolean;
  /** Quiet time after the last directory event before re-reading. Default 200 ms. */
  readonly debounceMs?: number;
  /** Re-read the file this often as a fallback for file systems where fs.watch misses changes. 0 = never. Default 30 s. */
  readonly pollIntervalMs?: number;
}

interface StoredKey {
  readonly info: ApiKeyInfo;
  readonly digest: Buffer;
}

type ParseOutcome = { ok: true; keys: StoredKey[] } | { ok: false; error: string };

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
  private watcher: FSWatcher | undefined;
  private debounceTimer: NodeJS.Timeout | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private readonly debounceMs: number;
  private closed = false;

  /**
   * Loads the keys synchronously. Throws CONFIG_INVALID when API_KEYS or the key file is unusable
   * at start-up (there are no previous keys to fall back on).
   */
  constructor(options: KeyStoreOptions) {
    this.file = options.file === undefined || options.file === '' ? undefined : options.file;
    this.defaults = { ratePerSecond: options.defaultRatePerSecond, burst: options.defaultBurst };
    this.onError = options.onError ?? (() => {});
    this.onReload = options.onReload ?? (() => {});
    this.debounceMs = Math.max(0, options.debounceMs ?? 200);

    this.envEntries = this.envKeysToEntries(options.envKeys ?? []);
    if (this.file !== undefined) {
      const read = this.readFile();
      if (!read.ok) throw new GlinerError('CONFIG_INVALID', read.error);
      const parsed = this.parse(read.text);
      if (!parsed.ok) throw new GlinerError('CONFIG_INVALID', parsed.error);
      const merged = this.merge(parsed.keys);
      if (typeof merged === 'string') throw new GlinerError('CONFIG_INVALID', merged);
      this.all = merged;
      this.lastSeenDigest = read.digest;
      this.appliedDigest = read.digest;
      if (options.watch ?? true) this.startWatching();
      const poll = options.pollIntervalMs ?? 30_000;
      if (poll > 0) {
        this.pollTimer = setInterval(() => this.reloadIfChanged('poll'), poll);
        this.pollTimer.unref();
      }
    } else {
      this.all = this.envEntries;
    }
  }

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
    this.closed = true;
    this.watcher?.close();
    this.watcher = undefined;
    if (this.debounceTimer !== undefined) clearTimeout(this.debounceTimer);
    if (this.pollTimer !== undefined) clearInterval(this.pollTimer);
    this.debounceTimer = undefined;
    this.pollTimer = undefined;
  }

  private reloadIfChanged(trigger: ReloadTrigger): void {
    if (this.closed) return;
    this.doReload(trigger, false);
  }

  private doReload(trigger: ReloadTrigger, force: boolean): ReloadResult {
    if (this.file === undefined) return { ok: true, changed: false, keys: this.all.length };
    const read = this.readFile();
    const seen = read.ok ? read.digest : `error:${read.error}`;
    // Directory events and polls fire for unrelated files and repeat themselves: stay quiet unless
    // the file now reads differently from the last time we looked (good or bad).
    if (!force && seen === this.lastSeenDigest) return { ok: true, changed: false, keys: this.all.length };
    this.lastSeenDigest = seen;
    if (!read.ok) return this.fail(read.error);
    if (read.digest === this.appliedDigest) return { ok: true, changed: false, keys: this.all.length };
    const parsed = this.parse(read.text);
    if (!parsed.ok) return this.fail(parsed.error);
    const merged = this.merge(parsed.keys);
    if (typeof merged === 'string') return this.fail(merged);
    if (merged.length === 0 && this.all.length > 0) {
      return this.fail(`${this.label()}: the new file has no keys and refusing to switch to open mode`);
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

  private startWatching(): void {
    if (this.file === undefined) return;
    const directory = dirname(this.file);
    try {
      this.watcher = watch(directory, { persistent: false }, () => this.scheduleReload());
      this.watcher.on('error', () => {
        this.onError(`${this.label()}: watching ${directory} failed; changes are picked up by SIGHUP or the periodic re-read only`);
        this.watcher?.close();
        this.watcher = undefined;
      });
    } catch {
      this.onError(`${this.label()}: cannot watch ${directory}; changes are picked up by SIGHUP or the periodic re-read only`);
    }
  }

  private scheduleReload(): void {
    if (this.closed) return;
    if (this.debounceTimer !== undefined) clearTimeout(this.debounceTimer);
    this.debounceTimer = setTimeout(() => {
      this.debounceTimer = undefined;
      this.reloadIfChanged('watch');
    }, this.debounceMs);
    this.debounceTimer.unref();
  }

  private label(): string {
    return `API_KEYS_FILE ${this.file ?? ''}`;
  }

  private readFile(): { ok: true; text: string; digest: string } | { ok: false; error: string } {
    const file = this.file ?? '';
    let fd: number | undefined;
    try {
      fd = openSync(file, 'r');
      const stat = fstatSync(fd);
      if (!stat.isFile()) return { ok: false, error: `${this.label()}: not a regular file` };
      if (stat.size > MAX_KEY_FILE_BYTES) return { ok: false, error: `${this.label()}: larger than ${MAX_KEY_FILE_BYTES} bytes` };
      const bytes = readFileSync(fd);
      if (bytes.length > MAX_KEY_FILE_BYTES) return { ok: false, error: `${this.label()}: larger than ${MAX_KEY_FILE_BYTES} bytes` };
      return { ok: true, text: bytes.toString('utf8'), digest: createHash('sha256').update(bytes).digest('hex') };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'read error';
      return { ok: false, error: `${this.label()}: cannot read (${code})` };
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }

  private parse(text: string): ParseOutcome {
    return parseKeyFile(text, this.defaults, this.label());
  }

  /** Env keys + file keys, checking that names and digests are unique across both. */
  private merge(fileKeys: StoredKey[]): StoredKey[] | string {
    const envDigests = new Set(this.envEntries.map((entry) => entry.digest.toString('hex')));
    const envNames = new Set(this.envEntries.map((entry) => entry.info.name));
    for (const entry of fileKeys) {
      if (envNames.has(entry.info.name)) return `${this.label()}: key name "${entry.info.name}" is also used by an API_KEYS key`;
      if (envDigests.has(entry.digest.toString('hex'))) return `${this.label()}: key "${entry.info.name}" is also listed in API_KEYS`;
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

const FAILED: AuthResult = Object.freeze({ ok: false });

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** SHA-256 of a key, as the hex digest the key file holds. */
export function keyDigest(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** One entry of the key file, as written to it. */
export interface KeyFileEntry {
  name: string;
  sha256: string;
  rate_per_second?: number;
  burst?: number;
  created?: string;
  comment?: string;
}

const ENTRY_FIELDS = new Set(['name', 'sha256', 'rate_per_second', 'burst', 'created', 'comment']);

/**
 * Validate key-file text. Error messages name the file, the entry position and (when valid) the
 * entry's name; they never quote values, since a plain key pasted by mistake must not reach logs.
 */
export function parseKeyFile(
  text: string,
  defaults: { ratePerSecond: number; burst: number },
  label = 'API_KEYS_FILE',
): ParseOutcome {
  let document: unknown;
  try {
    document = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch {
    // JSON.parse's own message quotes the text around the error: never pass it on.
    return { ok: false, error: `${label}: not valid JSON` };
  }
  if (!isRecord(document)) return { ok: false, error: `${label}: must be a JSON object with a "keys" array` };
  for (const field of Object.keys(document)) {
    if (field !== 'keys' && field !== 'version') return { ok: false, error: `${label}: unknown top-level field (only "keys" and "version" are allowed)` };
  }
  if (document.version !== undefined && document.version !== 1) return { ok: false, error: `${label}: unsupported "version" (only 1)` };
  const list = document.keys;
  if (!Array.isArray(list)) return { ok: false, error: `${label}: "keys" must be an array` };
  const keys: StoredKey[] = [];
  const names = new Set<string>();
  const digests = new Map<string, string>();
  for (let index = 0; index < list.length; index++) {
    const raw: unknown = list[index];
    const where = `${label}: entry ${index + 1}`;
    if (!isRecord(raw)) return { ok: false, error: `${where}: must be an object` };
    for (const field of Object.keys(raw)) {
      if (!ENTRY_FIELDS.has(field)) return { ok: false, error: `${where}: unknown field (allowed: ${[...ENTRY_FIELDS].join(', ')})` };
    }
    const name = raw.name;
    if (typeof name !== 'string' || !KEY_NAME_PATTERN.test(name)) {
      return { ok: false, error: `${where}: "name" must be 1-64 of A-Z a-z 0-9 . _ - starting with a letter or digit` };
    }
    const named = `${where} ("${name}")`;
    if (names.has(name)) return { ok: false, error: `${named}: duplicate name` };
    names.add(name);
    const hash = raw.sha256;
    if (typeof hash !== 'string' || !HEX_DIGEST.test(hash)) return { ok: false, error: `${named}: "sha256" must be 64 hexadecimal digits (the digest, never the key itself)` };
    const hex = hash.toLowerCase();
    if (hex === EMPTY_DIGEST) return { ok: false, error: `${named}: "sha256" is the digest of the empty string` };
    const other = digests.get(hex);
    if (other !== undefined) return { ok: false, error: `${named}: same key as "${other}"` };
    digests.set(hex, name);
    const rate = raw.rate_per_second ?? defaults.ratePerSecond;
    if (typeof rate !== 'number' || !Number.isFinite(rate) || rate < 0 || rate > 1e6) {
      return { ok: false, error: `${named}: "rate_per_second" must be a number from 0 (unlimited) to 1000000` };
    }
    const burst = raw.burst ?? defaults.burst;
    if (typeof burst !== 'number' || !Number.isInteger(burst) || burst < 1 || burst > 1e9) {
      return { ok: false, error: `${named}: "burst" must be an integer of at least 1` };
    }
    for (const field of ['created', 'comment'] as const) {
      if (raw[field] !== undefined && typeof raw[field] !== 'string') return { ok: false, error: `${named}: "${field}" must be a string` };
    }
    keys.push({ digest: Buffer.from(hex, 'hex'), info: Object.freeze({ name, ratePerSecond: rate, burst }) });
  }
  return { ok: true, keys };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
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
