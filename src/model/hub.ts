// Download of one Hugging Face hub repository, at one revision, into the local model cache.
//
// Cache layout (one directory per repository, inside the configured cache directory):
//
//   <cacheDir>/models--<owner>--<name>/
//     refs/<revision, URI-encoded>          the commit sha the revision last resolved to
//     snapshots/<commit>/gliner_config.json
//     snapshots/<commit>/tokenizer.json
//     snapshots/<commit>/tokenizer_config.json   (when the repository has one)
//     snapshots/<commit>/onnx/model.onnx         (or model.onnx at the top, as the repository lays it out)
//
// A snapshot directory is directly usable by `readModelDir`. Files only ever appear there by rename
// of a fully written, fsynced and verified `<file>.incomplete` sibling, and the ONNX file is always
// the last one written, so "the ONNX file exists" means "the snapshot is complete". An interrupted
// transfer leaves its `.incomplete` file behind, and the next attempt continues it with a Range
// request.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Presets, SingleBar } from 'cli-progress';
import { GlinerError } from '../errors.js';
import { wantedFiles, type Quantization } from './files.js';

/** What a download reports while it runs; `message` is a ready-made log line. */
export interface DownloadEvent {
  readonly kind: 'resolved' | 'cached' | 'start' | 'progress' | 'done' | 'retry' | 'fallback';
  readonly repo: string;
  readonly message: string;
  readonly file?: string;
  /** Bytes of `file` on disk so far. */
  readonly bytes?: number;
  /** Size of `file`, when known. */
  readonly total?: number;
}

export interface HubDownloadOptions {
  /** Repository id, `owner/name`. */
  readonly repo: string;
  /** Branch, tag or commit sha. */
  readonly revision: string;
  readonly cacheDir: string;
  /** Hub base URL, e.g. https://huggingface.co (HF_ENDPOINT). */
  readonly endpoint: string;
  /** Bearer token (HF_TOKEN); sent only to the endpoint's own origin, never across a redirect to another. */
  readonly token?: string | undefined;
  /** Never touch the network; resolve through the cache only (HF_HUB_OFFLINE). */
  readonly offline: boolean;
  readonly quantization: Quantization;
  /** Log callback. With a progress bar drawn, 'progress' events go to the bar instead. */
  readonly onProgress?: ((event: DownloadEvent) => void) | undefined;
  /** Draw a cli-progress bar on stderr. Default: only when stderr is a terminal. */
  readonly progressBar?: boolean | undefined;
  /** Least time between two 'progress' events for one file (default 5000 ms). */
  readonly progressIntervalMs?: number | undefined;
  /** Further attempts after a network error, a timeout or a 429/5xx answer (default 3). */
  readonly retries?: number | undefined;
  /** Wait before retry number `attempt` (0-based). Default: 500 ms doubling, at most 8 s. */
  readonly retryDelayMs?: ((attempt: number) => number) | undefined;
  /** Time allowed for response headers, and for silence in the middle of a body (default 30 s). */
  readonly timeoutMs?: number | undefined;
}

export interface HubSnapshot {
  /** The snapshot directory; hand it to `readModelDir`. */
  readonly dir: string;
  readonly repo: string;
  /** The revision asked for. */
  readonly revision: string;
  /** The commit the revision resolved to (the revision itself if the hub did not say). */
  readonly commit: string;
  /** Relative paths present in the snapshot. */
  readonly files: readonly string[];
  /** Relative paths this call transferred (empty when everything came from the cache). */
  readonly downloaded: readonly string[];
}

const HUB_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,95}\/[A-Za-z0-9][A-Za-z0-9_.-]{0,95}$/;
const SAFE_KEY = /^[A-Za-z0-9][A-Za-z0-9._%-]{0,199}$/;
const COMMIT_SHA = /^[0-9a-f]{40}$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;
const MAX_REDIRECTS = 10;
/** Files smaller than this get no progress bar (the JSON files). */
const BAR_MIN_BYTES = 1 << 20;
const REQUIRED = ['gliner_config.json', 'tokenizer.json'] as const;
const OPTIONAL = ['tokenizer_config.json'] as const;

/** Whether `ref` has the shape of a hub repository id (`owner/name`). */
export function isHubId(ref: string): boolean {
  return HUB_ID.test(ref) && !ref.includes('..') && !ref.includes('--');
}

/** The cache directory of one repository. */
export function repoCacheDir(cacheDir: string, repo: string): string {
  return path.join(path.resolve(cacheDir), `models--${repo.replace('/', '--')}`);
}

/** The ONNX candidates for a quantisation, in the order `readModelDir` prefers them. */
function onnxCandidates(quantization: Quantization): string[] {
  const onnx = wantedFiles(quantization).filter((f) => f.endsWith('.onnx'));
  const topLevel = onnx.filter((f) => !f.includes('/'));
  return topLevel.flatMap((f) => (onnx.includes(`onnx/${f}`) ? [f, `onnx/${f}`] : [f]));
}

// ---------------------------------------------------------------------------------------------
// Cache

function refFile(repoDir: string, revision: string): string {
  return path.join(repoDir, 'refs', encodeURIComponent(revision));
}

function localPath(snapshotDir: string, relPath: string): string {
  return path.join(snapshotDir, ...relPath.split('/'));
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}

async function sizeOf(file: string): Promise<number> {
  try {
    return (await stat(file)).size;
  } catch {
    return 0;
  }
}

/** The complete files of a snapshot for this quantisation, or undefined if it is not complete. */
async function completeFiles(snapshotDir: string, quantization: Quantization): Promise<string[] | undefined> {
  for (const file of REQUIRED) if (!(await exists(localPath(snapshotDir, file)))) return undefined;
  let onnx: string | undefined;
  for (const candidate of onnxCandidates(quantization)) {
    if (await exists(localPath(snapshotDir, candidate))) {
      onnx = candidate;
      break;
    }
  }
  if (onnx === undefined) return undefined;
  const files: string[] = [...REQUIRED];
  for (const file of [...OPTIONAL, `${onnx}_data`]) if (await exists(localPath(snapshotDir, file))) files.push(file);
  files.push(onnx);
  return files;
}

async function writeAtomically(file: string, content: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, content);
  await rename(temp, file);
}

async function syncDir(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Not every platform can fsync a directory; the rename is still atomic.
  }
}

/** A cached, complete snapshot of `repo` at `revision`, without any network access. */
export async function findCachedSnapshot(options: Pick<HubDownloadOptions, 'repo' | 'revision' | 'cacheDir' | 'quantization'>): Promise<HubSnapshot | undefined> {
  const repoDir = repoCacheDir(options.cacheDir, options.repo);
  let commit: string | undefined;
  try {
    commit = (await readFile(refFile(repoDir, options.revision), 'utf8')).trim();
  } catch {
    // A commit sha asked for directly, or a snapshot stored under the revision's own name.
    commit = encodeURIComponent(options.revision);
  }
  if (commit === undefined || !SAFE_KEY.test(commit)) return undefined;
  const dir = path.join(repoDir, 'snapshots', commit);
  const files = await completeFiles(dir, options.quantization);
  if (files === undefined) return undefined;
  return { dir, repo: options.repo, revision: options.revision, commit, files, downloaded: [] };
}

// ---------------------------------------------------------------------------------------------
// HTTP

/** A failure worth another attempt: network error, timeout, cut-off body, 429 or 5xx. */
class RetryableError extends Error {
  override readonly name = 'RetryableError';
}

interface Context {
  readonly repo: string;
  readonly endpoint: string;
  readonly endpointOrigin: string;
  readonly token: string | undefined;
  readonly retries: number;
  readonly retryDelayMs: (attempt: number) => number;
  readonly timeoutMs: number;
  readonly bar: boolean;
  readonly progressIntervalMs: number;
  readonly emit: (event: Omit<DownloadEvent, 'repo'>) => void;
}

/** What a HEAD on a file URL told about it. */
interface FileMeta {
  readonly commit: string | undefined;
  readonly sha256: string | undefined;
  readonly size: number | undefined;
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause;
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code;
    return `${error.message} (${typeof code === 'string' ? `${code}: ` : ''}${cause.message})`;
  }
  return error.message;
}

function fileUrl(ctx: Context, revision: string, relPath: string): URL {
  const encoded = relPath.split('/').map(encodeURIComponent).join('/');
  return new URL(`${ctx.endpoint}/${ctx.repo}/resolve/${encodeURIComponent(revision)}/${encoded}`);
}

function headersFor(ctx: Context, url: URL, extra: Record<string, string>): Record<string, string> {
  // identity: fetch would otherwise negotiate gzip and decode it, breaking sizes, hashes and ranges.
  const headers: Record<string, string> = { 'accept-encoding': 'identity', 'user-agent': 'gliner-serve', ...extra };
  if (ctx.token !== undefined && ctx.token !== '' && url.origin === ctx.endpointOrigin) headers.authorization = `Bearer ${ctx.token}`;
  return headers;
}

interface Sent {
  /** The last response (a redirect when `followCrossOrigin` was false and the next hop left the origin). */
  readonly response: Response;
  /** Every response on the way, first hop first; the hub puts its metadata on the first. */
  readonly hops: readonly Response[];
}

async function send(ctx: Context, method: 'HEAD' | 'GET', start: URL, extra: Record<string, string>, signal: AbortSignal, followCrossOrigin: boolean): Promise<Sent> {
  const hops: Response[] = [];
  let url = start;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    let response: Response;
    try {
      response = await fetch(url, { method, headers: headersFor(ctx, url, extra), redirect: 'manual', signal });
    } catch (error) {
      const why = error instanceof Error && error.name === 'TimeoutError' ? `no answer within ${ctx.timeoutMs / 1000} s` : describe(error);
      throw new RetryableError(`${method} ${url.href} failed: ${why}`, { cause: error });
    }
    hops.push(response);
    const location = response.headers.get('location');
    if (response.status < 300 || response.status >= 400 || location === null) return { response, hops };
    const next = new URL(location, url);
    if (!followCrossOrigin && next.origin !== url.origin) return { response, hops };
    await response.body?.cancel();
    url = next;
  }
  throw new GlinerError('MODEL_DOWNLOAD_FAILED', `${ctx.repo}: more than ${MAX_REDIRECTS} redirects from ${start.href}`);
}

/** Turn an error status into the right error; returns normally for 2xx/3xx. */
function checkStatus(ctx: Context, response: Response, relPath: string): void {
  const status = response.status;
  if (status < 400) return;
  const hubSays = response.headers.get('x-error-message');
  const detail = hubSays === null ? '' : ` (${hubSays.slice(0, 200)})`;
  if (status === 429 || status >= 500) throw new RetryableError(`${ctx.repo}: HTTP ${status} for ${relPath}${detail}`);
  if (status === 401 || status === 403) {
    const hint = ctx.token === undefined || ctx.token === '' ? 'the repository may be private or gated: set HF_TOKEN' : 'the token in HF_TOKEN was refused or lacks access';
    throw new GlinerError('MODEL_DOWNLOAD_FAILED', `${ctx.repo}: HTTP ${status} for ${relPath}${detail}; ${hint}`);
  }
  throw new GlinerError('MODEL_DOWNLOAD_FAILED', `${ctx.repo}: HTTP ${status} for ${relPath}${detail}`);
}

function firstHeader(hops: readonly Response[], name: string): string | undefined {
  for (const hop of hops) {
    const value = hop.headers.get(name);
    if (value !== null && value !== '') return value;
  }
  return undefined;
}

/** An ETag is a SHA-256 only when it is 64 hex digits; a 40-digit one is a git blob sha1. */
function sha256FromEtag(etag: string | undefined): string | undefined {
  if (etag === undefined) return undefined;
  const bare = etag.trim().replace(/^W\//, '').replace(/^"(.*)"$/, '$1').toLowerCase();
  return SHA256_HEX.test(bare) ? bare : undefined;
}

function parseSize(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d+$/.test(value.trim())) return undefined;
  return Number(value.trim());
}

/** HEAD a file: its metadata, or 'missing' on 404. Cross-origin redirects (the CDN) are not followed. */
async function head(ctx: Context, revision: string, relPath: string): Promise<FileMeta | 'missing'> {
  const { response, hops } = await send(ctx, 'HEAD', fileUrl(ctx, revision, relPath), {}, AbortSignal.timeout(ctx.timeoutMs), false);
  if (response.status === 404) return 'missing';
  checkStatus(ctx, response, relPath);
  const commit = firstHeader(hops, 'x-repo-commit');
  const sha256 = sha256FromEtag(firstHeader(hops, 'x-linked-etag')) ?? sha256FromEtag(firstHeader(hops, 'etag'));
  const final = hops[hops.length - 1];
  const plainLength = final !== undefined && final.status === 200 && final.headers.get('content-encoding') === null ? parseSize(final.headers.get('content-length') ?? undefined) : undefined;
  const size = parseSize(firstHeader(hops, 'x-linked-size')) ?? plainLength;
  return { commit: commit !== undefined && SAFE_KEY.test(commit) ? commit : undefined, sha256, size };
}

async function withRetries<T>(ctx: Context, what: string, attempt: () => Promise<T>, final?: (error: RetryableError) => boolean): Promise<T> {
  for (let tries = 0; ; tries++) {
    try {
      return await attempt();
    } catch (error) {
      if (!(error instanceof RetryableError)) throw error;
      if (tries >= ctx.retries || final?.(error) === true) {
        throw new GlinerError('MODEL_DOWNLOAD_FAILED', `${ctx.repo}: ${what} failed after ${tries + 1} attempt(s): ${error.message}`, { cause: error });
      }
      const wait = Math.max(0, ctx.retryDelayMs(tries));
      ctx.emit({ kind: 'retry', message: `${ctx.repo}: ${error.message}; retrying in ${wait} ms (retry ${tries + 1} of ${ctx.retries})` });
      await sleep(wait);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Transfer of one file

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

/** Progress of one file: a bar on a terminal, otherwise an occasional event. */
class FileProgress {
  private bar: SingleBar | undefined;
  private lastEmit = Date.now();

  constructor(
    private readonly ctx: Context,
    private readonly file: string,
    private readonly total: number | undefined,
    from: number,
  ) {
    const size = total === undefined ? 'unknown size' : formatBytes(total);
    const message = from > 0 ? `${ctx.repo}: resuming ${file} at ${formatBytes(from)} of ${size}` : `${ctx.repo}: downloading ${file} (${size})`;
    ctx.emit({ kind: 'start', file, bytes: from, ...(total === undefined ? {} : { total }), message });
    if (ctx.bar && total !== undefined && total >= BAR_MIN_BYTES) {
      this.bar = new SingleBar(
        { stream: process.stderr, format: `${file} [{bar}] {percentage}% | {done} of {size} | eta {eta_formatted}`, hideCursor: false, clearOnComplete: false, etaBuffer: 50 },
        Presets.shades_classic,
      );
      this.bar.start(total, from, { done: formatBytes(from), size });
    }
  }

  update(bytes: number): void {
    if (this.bar !== undefined) {
      this.bar.update(bytes, { done: formatBytes(bytes) });
      return;
    }
    const now = Date.now();
    if (now - this.lastEmit < this.ctx.progressIntervalMs) return;
    this.lastEmit = now;
    const share = this.total === undefined || this.total === 0 ? '' : `${Math.floor((bytes / this.total) * 100)}%, `;
    this.ctx.emit({ kind: 'progress', file: this.file, bytes, ...(this.total === undefined ? {} : { total: this.total }), message: `${this.ctx.repo}: ${this.file} ${share}${formatBytes(bytes)}` });
  }

  stop(): void {
    this.bar?.stop();
    this.bar = undefined;
  }
}

function contentRangeStart(value: string | null): number | undefined {
  const match = value === null ? null : /^bytes (\d+)-\d+\/(?:\d+|\*)$/.exec(value.trim());
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

/**
 * One attempt at bringing `partial` up to the full file, appending to what is there. Throws
 * RetryableError when the transfer broke off (the partial keeps what arrived).
 */
async function transferOnce(ctx: Context, revision: string, relPath: string, meta: FileMeta, partial: string): Promise<void> {
  let offset = await sizeOf(partial);
  if (meta.size !== undefined) {
    if (offset === meta.size) return;
    if (offset > meta.size) {
      await rm(partial, { force: true });
      offset = 0;
    }
  }
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error(`no response or data for ${ctx.timeoutMs} ms`)), ctx.timeoutMs);
  let progress: FileProgress | undefined;
  try {
    const { response } = await send(ctx, 'GET', fileUrl(ctx, revision, relPath), offset > 0 ? { range: `bytes=${offset}-` } : {}, controller.signal, true);
    if (response.status === 416 && offset > 0) {
      // The partial does not fit what the server has now; start over.
      await response.body?.cancel();
      await rm(partial, { force: true });
      throw new RetryableError(`${ctx.repo}: the server refused to resume ${relPath} at byte ${offset}`);
    }
    if (response.status === 404) {
      await response.body?.cancel();
      throw new GlinerError('MODEL_DOWNLOAD_FAILED', `${ctx.repo}: ${relPath} vanished (HTTP 404) during the download`);
    }
    checkStatus(ctx, response, relPath);
    let append: boolean;
    if (response.status === 206 && offset > 0) {
      if (contentRangeStart(response.headers.get('content-range')) !== offset) {
        await response.body?.cancel();
        await rm(partial, { force: true });
        throw new RetryableError(`${ctx.repo}: the server answered a different range for ${relPath}`);
      }
      append = true;
    } else if (response.status === 200) {
      append = false; // the server ignored the Range header: start from zero
      offset = 0;
    } else {
      await response.body?.cancel();
      throw new GlinerError('MODEL_DOWNLOAD_FAILED', `${ctx.repo}: unexpected HTTP ${response.status} for ${relPath}`);
    }
    const length = response.headers.get('content-encoding') === null ? parseSize(response.headers.get('content-length') ?? undefined) : undefined;
    const total = meta.size ?? (length === undefined ? undefined : offset + length);
    progress = new FileProgress(ctx, relPath, total, offset);
    const handle = await open(partial, append ? 'a' : 'w');
    let written = offset;
    try {
      if (response.body === null) throw new RetryableError(`${ctx.repo}: empty body for ${relPath}`);
      for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
        timer.refresh();
        for (let at = 0; at < chunk.byteLength; ) at += (await handle.write(chunk, at, chunk.byteLength - at)).bytesWritten;
        written += chunk.byteLength;
        progress.update(written);
      }
      await handle.sync();
    } catch (error) {
      if (error instanceof RetryableError || error instanceof GlinerError) throw error;
      throw new RetryableError(`${ctx.repo}: transfer of ${relPath} broke off at byte ${written}: ${describe(error)}`, { cause: error });
    } finally {
      await handle.close();
    }
    if (total !== undefined && written < total) throw new RetryableError(`${ctx.repo}: transfer of ${relPath} ended at byte ${written} of ${total}`);
    if (total !== undefined && written > total) {
      await rm(partial, { force: true });
      throw new RetryableError(`${ctx.repo}: ${relPath} came out longer (${written} bytes) than announced (${total})`);
    }
    progress.stop();
    ctx.emit({ kind: 'done', file: relPath, bytes: written, ...(total === undefined ? {} : { total }), message: `${ctx.repo}: ${relPath} transferred (${formatBytes(written)})` });
  } finally {
    progress?.stop();
    clearTimeout(timer);
  }
}

async function sha256Of(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Download one file into the snapshot: resume, verify, then rename into place. */
async function downloadFile(ctx: Context, revision: string, relPath: string, meta: FileMeta, snapshotDir: string): Promise<void> {
  const target = localPath(snapshotDir, relPath);
  const partial = `${target}.incomplete`;
  await mkdir(path.dirname(target), { recursive: true });
  await withRetries(ctx, `download of ${relPath}`, () => transferOnce(ctx, revision, relPath, meta, partial));
  const size = await sizeOf(partial);
  if (meta.size !== undefined && size !== meta.size) {
    await rm(partial, { force: true });
    throw new GlinerError('MODEL_DOWNLOAD_FAILED', `${ctx.repo}: ${relPath} is ${size} bytes, the hub announced ${meta.size}`);
  }
  if (meta.sha256 !== undefined) {
    const actual = await sha256Of(partial);
    if (actual !== meta.sha256) {
      await rm(partial, { force: true });
      throw new GlinerError('CHECKSUM_MISMATCH', `${ctx.repo}: ${relPath} has SHA-256 ${actual}, the hub announced ${meta.sha256}; the partial file was deleted`);
    }
  }
  await rename(partial, target);
  await syncDir(path.dirname(target));
}

// ---------------------------------------------------------------------------------------------
// Entry point

/** How long the first request to the hub may go unanswered (headers included) before start-up gives up. */
const FIRST_CONTACT_MS = 10_000;

/** The ways out when the hub cannot be reached, for the error that says so. */
function unreachableAdvice(endpoint: string, cacheDir: string): string {
  return `The hub at ${endpoint} could not be reached and the model is not in the cache (${cacheDir}). Ways out: `
    + 'set MODEL to a local model directory (the embedded native-models/gliner-tiny, or one `gliner-serve models pull` filled on a machine with access); '
    + 'set HF_ENDPOINT to a hub mirror you can reach; '
    + 'or, with the model copied into MODEL_CACHE_DIR, set HF_HUB_OFFLINE=true';
}

function makeContext(options: HubDownloadOptions): Context {
  const endpoint = options.endpoint.replace(/\/+$/, '');
  let endpointOrigin: string;
  try {
    endpointOrigin = new URL(endpoint).origin;
  } catch (error) {
    throw new GlinerError('MODEL_DOWNLOAD_FAILED', `HF_ENDPOINT is not a URL: ${endpoint}`, { cause: error });
  }
  const bar = options.progressBar ?? process.stderr.isTTY === true;
  const onProgress = options.onProgress;
  return {
    repo: options.repo,
    endpoint,
    endpointOrigin,
    token: options.token,
    retries: Math.max(0, options.retries ?? 3),
    retryDelayMs: options.retryDelayMs ?? ((attempt) => Math.min(8000, 500 * 2 ** attempt)),
    timeoutMs: options.timeoutMs ?? 30_000,
    bar,
    progressIntervalMs: options.progressIntervalMs ?? 5000,
    emit: (event) => onProgress?.({ repo: options.repo, ...event }),
  };
}

/**
 * Make `repo` at `revision` available in the cache and return its snapshot directory. A revision
 * already cached costs one HEAD request (to learn which commit it points at now) and no download;
 * offline, the cache alone answers. If the hub cannot be reached (network error, timeout, 5xx), a
 * cached snapshot of the revision is used instead.
 *
 * Errors: MODEL_NOT_FOUND (no such repository/revision, or a required file is missing),
 * MODEL_DOWNLOAD_FAILED (HTTP errors, 401/403, transfers that kept breaking off),
 * CHECKSUM_MISMATCH, OFFLINE.
 */
export async function downloadHubModel(options: HubDownloadOptions): Promise<HubSnapshot> {
  const { repo, revision, quantization } = options;
  if (!isHubId(repo)) throw new GlinerError('MODEL_NOT_FOUND', `'${repo}' is not a hub repository id (owner/name)`);
  if (revision.trim() === '') throw new GlinerError('MODEL_NOT_FOUND', `${repo}: empty revision`);
  const repoDir = repoCacheDir(options.cacheDir, repo);

  if (options.offline) {
    const cached = await findCachedSnapshot(options);
    if (cached === undefined) {
      throw new GlinerError('OFFLINE', `${repo}@${revision} is not in the model cache (${repoDir}) and offline mode (HF_HUB_OFFLINE) forbids downloading it`);
    }
    return cached;
  }

  const ctx = makeContext(options);

  // Which commit does the revision point at now? The first required file's HEAD tells. This first
  // contact waits at most FIRST_CONTACT_MS for an answer, and a hub that accepts the connection and
  // never answers (a firewall that drops) is not asked again: it fails in seconds, not minutes.
  let configMeta: FileMeta | 'missing';
  const first = { ...ctx, timeoutMs: Math.min(ctx.timeoutMs, FIRST_CONTACT_MS) };
  try {
    configMeta = await withRetries(first, `HEAD of ${REQUIRED[0]}`, () => head(first, revision, REQUIRED[0]), (e) => e.cause instanceof Error && e.cause.name === 'TimeoutError');
  } catch (error) {
    if (error instanceof GlinerError && error.extra.cause instanceof RetryableError) {
      const cached = await findCachedSnapshot(options);
      if (cached !== undefined) {
        ctx.emit({ kind: 'fallback', message: `${repo}: the hub is unreachable (${error.extra.cause.message}); using cached commit ${cached.commit}` });
        return cached;
      }
      throw new GlinerError('MODEL_DOWNLOAD_FAILED', `${error.message}. ${unreachableAdvice(ctx.endpoint, options.cacheDir)}`, { cause: error.extra.cause });
    }
    throw error;
  }
  if (configMeta === 'missing') {
    throw new GlinerError('MODEL_NOT_FOUND', `${repo}@${revision}: no ${REQUIRED[0]} on ${ctx.endpoint} (no such repository, revision or file)`);
  }
  const commit = configMeta.commit ?? encodeURIComponent(revision);
  if (!SAFE_KEY.test(commit)) throw new GlinerError('MODEL_DOWNLOAD_FAILED', `${repo}: unusable revision '${revision}'`);
  // Fetch everything else at the commit, so a branch moving mid-download cannot mix two commits.
  const fetchRevision = configMeta.commit !== undefined && COMMIT_SHA.test(configMeta.commit) ? configMeta.commit : revision;
  const snapshotDir = path.join(repoDir, 'snapshots', commit);
  const ref = refFile(repoDir, revision);

  const done = await completeFiles(snapshotDir, quantization);
  if (done !== undefined) {
    await writeAtomically(ref, commit);
    ctx.emit({ kind: 'cached', message: `${repo}@${revision} (${commit}) is in the cache` });
    return { dir: snapshotDir, repo, revision, commit, files: done, downloaded: [] };
  }
  ctx.emit({ kind: 'resolved', message: `${repo}@${revision} is commit ${commit}; downloading into ${snapshotDir}` });

  const files: string[] = [];
  const downloaded: string[] = [];
  const fetchFile = async (relPath: string, meta: FileMeta): Promise<void> => {
    if (!(await exists(localPath(snapshotDir, relPath)))) {
      await downloadFile(ctx, fetchRevision, relPath, meta, snapshotDir);
      downloaded.push(relPath);
    }
    files.push(relPath);
  };
  const headAt = (relPath: string): Promise<FileMeta | 'missing'> => withRetries(ctx, `HEAD of ${relPath}`, () => head(ctx, fetchRevision, relPath));

  await fetchFile(REQUIRED[0], configMeta);
  for (const relPath of REQUIRED.slice(1)) {
    if (await exists(localPath(snapshotDir, relPath))) {
      files.push(relPath);
      continue;
    }
    const meta = await headAt(relPath);
    if (meta === 'missing') throw new GlinerError('MODEL_NOT_FOUND', `${repo}@${revision}: the repository has no ${relPath}`);
    await fetchFile(relPath, meta);
  }
  for (const relPath of OPTIONAL) {
    if (await exists(localPath(snapshotDir, relPath))) {
      files.push(relPath);
      continue;
    }
    const meta = await headAt(relPath);
    if (meta !== 'missing') await fetchFile(relPath, meta);
  }

  // The first ONNX candidate the repository has; its external-data file (if any) goes first, the
  // ONNX file itself last, so that its presence marks the snapshot complete.
  const candidates = onnxCandidates(quantization);
  for (const onnx of candidates) {
    const meta = await headAt(onnx);
    if (meta === 'missing') continue;
    const dataFile = `${onnx}_data`;
    const dataMeta = await headAt(dataFile);
    if (dataMeta !== 'missing') await fetchFile(dataFile, dataMeta);
    await fetchFile(onnx, meta);
    await writeAtomically(ref, commit);
    return { dir: snapshotDir, repo, revision, commit, files, downloaded };
  }
  throw new GlinerError('MODEL_NOT_FOUND', `${repo}@${revision}: no ONNX file for quantization '${quantization}' (looked for ${candidates.join(', ')})`);
}
