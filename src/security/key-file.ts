// The API key file (API_KEYS_FILE): its format as a TypeBox schema, reading it (bounded), and
// parsing it into stored keys. Production keeps named SHA-256 digests here with optional per-key
// limits; plain keys never appear in it.
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
// The schema checks the shape; uniqueness (names, digests) and the empty key's digest are checked
// after it. Error messages name the file, the entry's position and (when valid) its name; they
// never quote values, since a plain key pasted by mistake must not reach logs.
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readFileSync } from 'node:fs';
import { Type, type Static } from '@sinclair/typebox';
import { TypeCompiler, ValueErrorType, type ValueError } from '@sinclair/typebox/compiler';

/** Largest key file accepted. */
export const MAX_KEY_FILE_BYTES = 1024 * 1024;
export const KEY_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const EMPTY_DIGEST = createHash('sha256').update('').digest('hex');

const KeyEntry = Type.Object(
  {
    name: Type.String({ pattern: KEY_NAME_PATTERN.source }),
    sha256: Type.String({ pattern: '^[0-9a-fA-F]{64}$' }),
    rate_per_second: Type.Optional(Type.Number({ minimum: 0, maximum: 1e6 })),
    burst: Type.Optional(Type.Integer({ minimum: 1, maximum: 1e9 })),
    created: Type.Optional(Type.String()),
    comment: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

export const KeyFileSchema = Type.Object({ version: Type.Optional(Type.Literal(1)), keys: Type.Array(KeyEntry) }, { additionalProperties: false });

/** One entry of the key file, as written to it. */
export type KeyFileEntry = Static<typeof KeyEntry>;

/** What the rest of the server learns about an authenticated key. */
export interface ApiKeyInfo {
  readonly name: string;
  /** Tokens per second; 0 = unlimited. */
  readonly ratePerSecond: number;
  readonly burst: number;
}

/** A key in memory: its digest only. */
export interface StoredKey {
  readonly info: ApiKeyInfo;
  readonly digest: Buffer;
}

export type ParseOutcome = { ok: true; keys: StoredKey[] } | { ok: false; error: string };

const ENTRY_FIELDS = Object.keys(KeyEntry.properties);
const checkFile = TypeCompiler.Compile(KeyFileSchema);

/** SHA-256 of a key, as the hex digest the key file holds. */
export function keyDigest(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** The file's text and the digest of its bytes, or why it cannot be read (at most MAX_KEY_FILE_BYTES). */
export function readKeyFile(file: string, label: string): { ok: true; text: string; digest: string } | { ok: false; error: string } {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const stat = fstatSync(fd);
    if (!stat.isFile()) return { ok: false, error: `${label}: not a regular file` };
    if (stat.size > MAX_KEY_FILE_BYTES) return { ok: false, error: `${label}: larger than ${MAX_KEY_FILE_BYTES} bytes` };
    const bytes = readFileSync(fd);
    if (bytes.length > MAX_KEY_FILE_BYTES) return { ok: false, error: `${label}: larger than ${MAX_KEY_FILE_BYTES} bytes` };
    return { ok: true, text: bytes.toString('utf8'), digest: createHash('sha256').update(bytes).digest('hex') };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'read error';
    return { ok: false, error: `${label}: cannot read (${code})` };
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** The problem with one field of an entry, in words. */
const FIELD_PROBLEMS: Record<string, string> = {
  name: '"name" must be 1-64 of A-Z a-z 0-9 . _ - starting with a letter or digit',
  sha256: '"sha256" must be 64 hexadecimal digits (the digest, never the key itself)',
  rate_per_second: '"rate_per_second" must be a number from 0 (unlimited) to 1000000',
  burst: '"burst" must be an integer of at least 1',
  created: '"created" must be a string',
  comment: '"comment" must be a string',
};

/** The schema's first problem, as our message: the top level first, then the first entry at fault, unknown fields before bad values. */
function schemaProblem(document: unknown, errors: readonly ValueError[], label: string): string {
  const top = errors.filter((e) => e.path.split('/').length <= 2 && !e.path.startsWith('/keys/'));
  const first = top[0];
  if (first !== undefined) {
    if (first.path === '' && first.type !== ValueErrorType.ObjectRequiredProperty && first.type !== ValueErrorType.ObjectAdditionalProperties) return `${label}: must be a JSON object with a "keys" array`;
    if (first.type === ValueErrorType.ObjectAdditionalProperties || (first.path !== '/keys' && first.path !== '/version')) return `${label}: unknown top-level field (only "keys" and "version" are allowed)`;
    if (first.path === '/version') return `${label}: unsupported "version" (only 1)`;
    return first.type === ValueErrorType.ObjectRequiredProperty ? `${label}: must be a JSON object with a "keys" array` : `${label}: "keys" must be an array`;
  }
  const entryOf = (e: ValueError): number => Number(e.path.split('/')[2]);
  const index = Math.min(...errors.map(entryOf));
  const here = errors.filter((e) => entryOf(e) === index);
  const where = `${label}: entry ${index + 1}`;
  const raw = (document as { keys: unknown[] }).keys[index];
  if (here.some((e) => e.path === `/keys/${index}`) && (typeof raw !== 'object' || raw === null || Array.isArray(raw))) return `${where}: must be an object`;
  if (here.some((e) => e.type === ValueErrorType.ObjectAdditionalProperties)) return `${where}: unknown field (allowed: ${ENTRY_FIELDS.join(', ')})`;
  const bad = ENTRY_FIELDS.find((field) => here.some((e) => e.path === `/keys/${index}/${field}` || (e.type === ValueErrorType.ObjectRequiredProperty && e.path === `/keys/${index}/${field}`)));
  const name = (raw as { name?: unknown }).name;
  const named = typeof name === 'string' && KEY_NAME_PATTERN.test(name) ? `${where} ("${name}")` : where;
  return `${bad === 'name' ? where : named}: ${FIELD_PROBLEMS[bad ?? 'name'] ?? 'is not valid'}`;
}

/** Validate key-file text and turn it into stored keys (limits left out take `defaults`). */
export function parseKeyFile(text: string, defaults: { ratePerSecond: number; burst: number }, label = 'API_KEYS_FILE'): ParseOutcome {
  let document: unknown;
  try {
    document = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch {
    // JSON.parse's own message quotes the text around the error: never pass it on.
    return { ok: false, error: `${label}: not valid JSON` };
  }
  if (!checkFile.Check(document)) return { ok: false, error: schemaProblem(document, [...checkFile.Errors(document)], label) };
  const keys: StoredKey[] = [];
  const names = new Set<string>();
  const digests = new Map<string, string>();
  for (const [index, entry] of document.keys.entries()) {
    const named = `${label}: entry ${index + 1} ("${entry.name}")`;
    if (names.has(entry.name)) return { ok: false, error: `${named}: duplicate name` };
    names.add(entry.name);
    const hex = entry.sha256.toLowerCase();
    if (hex === EMPTY_DIGEST) return { ok: false, error: `${named}: "sha256" is the digest of the empty string` };
    const other = digests.get(hex);
    if (other !== undefined) return { ok: false, error: `${named}: same key as "${other}"` };
    digests.set(hex, entry.name);
    const info = Object.freeze({ name: entry.name, ratePerSecond: entry.rate_per_second ?? defaults.ratePerSecond, burst: entry.burst ?? defaults.burst });
    keys.push({ digest: Buffer.from(hex, 'hex'), info });
  }
  return { ok: true, keys };
}
