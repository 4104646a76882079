// Talking to the hub: HEAD a file for its metadata (commit, SHA-256, size), and bring one file into
// a snapshot — resuming an interrupted transfer with a Range request, retrying network errors,
// timeouts, 429 and 5xx with backoff, then checking its size and SHA-256 before renaming it into
// place. Tokens go to the hub's own origin only, never across a redirect to the CDN.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { GlinerError } from '../errors.js';
import { localPath, SAFE_KEY, sizeOf, syncDir } from './hub-cache.js';

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

const SHA256_HEX = /^[0-9a-f]{64}$/;
const MAX_REDIRECTS = 10;

/** A failure worth another attempt: network error, timeout, cut-off body, 429 or 5xx. */
export class RetryableError extends Error {
  override readonly name = 'RetryableError';
}

export interface Context {
  readonly repo: string;
  readonly endpoint: string;
  readonly endpointOrigin: string;
  readonly token: string | undefined;
  readonly retries: number;
  readonly retryDelayMs: (attempt: number) => number;
  readonly timeoutMs: number;
  /** Least time between two 'progress' events for one file. */
  readonly progressIntervalMs: number;
  readonly emit: (event: Omit<DownloadEvent, 'repo'>) => void;
}

/** What a HEAD on a file URL told about it. */
export interface FileMeta {
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
export async function head(ctx: Context, revision: string, relPath: string): Promise<FileMeta | 'missing'> {
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

export async function withRetries<T>(ctx: Context, what: string, attempt: () => Promise<T>, final?: (error: RetryableError) => boolean): Promise<T> {
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

export function formatBytes(bytes: number): string {
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

/** Progress of one file as events: where it starts, an occasional 'progress', and 'done' (a terminal bar is the CLI's, cli/download-bar.ts). */
class FileProgress {
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
  }

  update(bytes: number): void {
    const now = Date.now();
    if (now - this.lastEmit < this.ctx.progressIntervalMs) return;
    this.lastEmit = now;
    const share = this.total === undefined || this.total === 0 ? '' : `${Math.floor((bytes / this.total) * 100)}%, `;
    this.ctx.emit({ kind: 'progress', file: this.file, bytes, ...(this.total === undefined ? {} : { total: this.total }), message: `${this.ctx.repo}: ${this.file} ${share}${formatBytes(bytes)}` });
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
    const progress = new FileProgress(ctx, relPath, total, offset);
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
    ctx.emit({ kind: 'done', file: relPath, bytes: written, ...(total === undefined ? {} : { total }), message: `${ctx.repo}: ${relPath} transferred (${formatBytes(written)})` });
  } finally {
    clearTimeout(timer);
  }
}

async function sha256Of(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Download one file into the snapshot: resume, verify, then rename into place. */
export async function downloadFile(ctx: Context, revision: string, relPath: string, meta: FileMeta, snapshotDir: string): Promise<void> {
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

