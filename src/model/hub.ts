// Download of one Hugging Face hub repository, at one revision, into the local model cache: our
// policy over the cache (hub-cache.ts, the layout Python's huggingface_hub shares) and the transfer
// (hub-transfer.ts). Which files (the config, the tokenizer, the one ONNX file the quantisation
// wants, written last), pinned to the commit the revision resolves to; offline, the cache alone
// answers; when the hub cannot be reached, a cached snapshot of the revision is used instead.
//
// Why not @huggingface/hub (2.17.5, weighed for this): its downloadFileToCacheDir writes the same
// cache layout (blobs + snapshot symlinks + refs), and reading that layout is what we share with
// it and with Python. But it has no ranged resume (a cut transfer starts again from zero), no
// SHA-256 check of what arrived, no retries or timeouts, no offline policy or fallback to the cache,
// no file selection in snapshotDownload (every file of the repository: every quantisation of an
// ONNX export), it asks the JSON API (paths-info, model-info) that plain mirrors may not serve, and
// it prints to the console. Those are what this client is for, so the transfer stays ours.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { GlinerError } from '../errors.js';
import { companionFiles, type Quantization } from './files.js';
import { companionPlaces, completeFiles, exists, findCachedSnapshot, isHubId, localPath, onnxCandidates, OPTIONAL, refFiles, repoCacheDir, REQUIRED, SAFE_KEY, writeAtomically, type HubSnapshot } from './hub-cache.js';
import { downloadFile, head, RetryableError, withRetries, type Context, type DownloadEvent, type FileMeta } from './hub-transfer.js';

export { isHubId, repoCacheDir, findCachedSnapshot, type HubSnapshot } from './hub-cache.js';
export type { DownloadEvent } from './hub-transfer.js';

const COMMIT_SHA = /^[0-9a-f]{40}$/;

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
  /** What the download reports (logs; the CLI's terminal bar). */
  readonly onProgress?: ((event: DownloadEvent) => void) | undefined;
  /** Least time between two 'progress' events for one file (default 5000 ms; a terminal bar wants less). */
  readonly progressIntervalMs?: number | undefined;
  /** Further attempts after a network error, a timeout or a 429/5xx answer (default 3). */
  readonly retries?: number | undefined;
  /** Wait before retry number `attempt` (0-based). Default: 500 ms doubling, at most 8 s. */
  readonly retryDelayMs?: ((attempt: number) => number) | undefined;
  /** Time allowed for response headers, and for silence in the middle of a body (default 30 s). */
  readonly timeoutMs?: number | undefined;
}

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
  const onProgress = options.onProgress;
  return {
    repo: options.repo,
    endpoint,
    endpointOrigin,
    token: options.token,
    retries: Math.max(0, options.retries ?? 3),
    retryDelayMs: options.retryDelayMs ?? ((attempt) => Math.min(8000, 500 * 2 ** attempt)),
    timeoutMs: options.timeoutMs ?? 30_000,
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
  const ref = refFiles(repoDir, revision)[0] ?? path.join(repoDir, 'refs', encodeURIComponent(revision));

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
    // The kind's companions (label encoder, relation head): beside the ONNX file, else at the top.
    const config = JSON.parse(await readFile(localPath(snapshotDir, REQUIRED[0]), 'utf8')) as unknown;
    for (const name of companionFiles(config)) {
      for (const place of companionPlaces(onnx, name)) {
        const found = (await exists(localPath(snapshotDir, place))) ? 'cached' : await headAt(place);
        if (found === 'missing') continue;
        if (found === 'cached') files.push(place);
        else await fetchFile(place, found);
        break;
      }
    }
    await fetchFile(onnx, meta);
    await writeAtomically(ref, commit);
    return { dir: snapshotDir, repo, revision, commit, files, downloaded };
  }
  throw new GlinerError('MODEL_NOT_FOUND', `${repo}@${revision}: no ONNX file for quantization '${quantization}' (looked for ${candidates.join(', ')})`);
}
