// API key generation for `gliner-serve keys create --name NAME [--rate R --burst B] [--file PATH]`.
// A key is `gls_` + 32 random bytes in base64url (256 bits: far beyond guessing, which is also why
// an unsalted SHA-256 is the right digest for it). Only the digest goes into the key file; the key
// itself is shown once, to whoever ran the command.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, basename } from 'node:path';
import { GlinerError } from '../errors.js';
import { KEY_NAME_PATTERN, keyDigest, parseKeyFile, type KeyFileEntry } from './key-file.js';

export const KEY_PREFIX = 'gls_';

export interface CreateKeyOptions {
  /** Per-key refill rate (tokens per second, 0 = unlimited); omitted = server default. */
  readonly ratePerSecond?: number;
  /** Per-key bucket size; omitted = server default. */
  readonly burst?: number;
  /** Timestamp recorded in the entry's "created" field (default: now). */
  readonly now?: Date;
}

export interface CreatedKey {
  /** The plain key: show it once, store it only in the client's secret store. */
  readonly key: string;
  readonly name: string;
  readonly sha256: string;
  /** The entry to add to the "keys" array of API_KEYS_FILE. */
  readonly entry: KeyFileEntry;
  /** `entry` as one JSON line, ready to paste into the "keys" array. */
  readonly line: string;
}

export function createKey(name: string, options: CreateKeyOptions = {}): CreatedKey {
  if (!KEY_NAME_PATTERN.test(name)) {
    throw new GlinerError('CONFIG_INVALID', 'Key name must be 1-64 of A-Z a-z 0-9 . _ - starting with a letter or digit.');
  }
  const { ratePerSecond, burst } = options;
  if (ratePerSecond !== undefined && (!Number.isFinite(ratePerSecond) || ratePerSecond < 0 || ratePerSecond > 1e6)) {
    throw new GlinerError('CONFIG_INVALID', '--rate must be a number from 0 (unlimited) to 1000000.');
  }
  if (burst !== undefined && (!Number.isInteger(burst) || burst < 1 || burst > 1e9)) {
    throw new GlinerError('CONFIG_INVALID', '--burst must be an integer of at least 1.');
  }
  const key = KEY_PREFIX + randomBytes(32).toString('base64url');
  const sha256 = keyDigest(key);
  const entry: KeyFileEntry = { name, sha256 };
  if (ratePerSecond !== undefined) entry.rate_per_second = ratePerSecond;
  if (burst !== undefined) entry.burst = burst;
  entry.created = (options.now ?? new Date()).toISOString();
  return { key, name, sha256, entry, line: JSON.stringify(entry) };
}

/**
 * Add an entry to a key file (created when absent), atomically: the new file is written next to
 * the old one with mode 0600 and renamed over it, so a running server's watcher sees one complete
 * change. Refuses a file that does not validate or already has the name.
 */
export function addKeyToFile(file: string, entry: KeyFileEntry): void {
  let document: { keys: unknown[]; [field: string]: unknown } = { keys: [] };
  if (existsSync(file)) {
    const text = readFileSync(file, 'utf8');
    const check = parseKeyFile(text, { ratePerSecond: 0, burst: 1 }, file);
    if (!check.ok) throw new GlinerError('CONFIG_INVALID', check.error);
    document = JSON.parse(text.replace(/^\uFEFF/, '')) as typeof document;
    const names = document.keys.map((item) => (item as { name?: unknown }).name);
    if (names.includes(entry.name)) throw new GlinerError('CONFIG_INVALID', `${file}: a key named "${entry.name}" already exists`);
  }
  document.keys.push(entry);
  const text = `${JSON.stringify(document, null, 2)}\n`;
  const verify = parseKeyFile(text, { ratePerSecond: 0, burst: 1 }, file);
  if (!verify.ok) throw new GlinerError('CONFIG_INVALID', verify.error);
  const temporary = join(dirname(file), `.${basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    writeFileSync(temporary, text, { mode: 0o600, flag: 'wx' });
    renameSync(temporary, file);
  } catch (error) {
    try {
      unlinkSync(temporary);
    } catch {
      // already gone
    }
    throw error;
  }
}
