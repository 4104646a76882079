// Where a model comes from: a directory on disk, or a hub repository downloaded into the cache.
// The caller then reads the directory with `readModelDir(dir, quantization)`.
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { GlinerError } from '../errors.js';
import { downloadHubModel, isHubId, type HubDownloadOptions } from './hub.js';

/** The hub download settings (all but the repository, which is `ref`), plus where the package lives. */
export interface ResolveModelOptions extends Omit<HubDownloadOptions, 'repo'> {
  /** The package's root directory: relative model paths are also tried against it. */
  readonly packageRoot: string;
}

export interface ResolvedModel {
  /** Absolute path of the model directory. */
  readonly dir: string;
  readonly source: 'path' | 'hub';
  /** The hub id, or for a directory the reference as given. */
  readonly id: string;
  /** The revision asked for ('local' for a directory). */
  readonly revision: string;
  /** The commit a hub revision resolved to; absent for a directory. */
  readonly commit?: string;
}

function isDirectory(candidate: string): boolean {
  try {
    return existsSync(candidate) && statSync(candidate).isDirectory();
  } catch {
    return false;
  }
}

/** The directories `ref` could name, in the order they are tried. */
function directoryCandidates(ref: string, packageRoot: string): string[] {
  if (path.isAbsolute(ref)) return [path.normalize(ref)];
  const fromCwd = path.resolve(ref);
  const fromPackage = path.resolve(packageRoot, ref);
  return fromCwd === fromPackage ? [fromCwd] : [fromCwd, fromPackage];
}

/**
 * Whether `ref` is plainly meant as a path even though no such directory exists: absolute, starting
 * with `.` or `~`, holding a backslash or more than one slash, or its first segment being an existing
 * directory (as `native-models/…` is).
 */
function looksLikePath(ref: string, packageRoot: string): boolean {
  if (path.isAbsolute(ref) || ref.startsWith('.') || ref.startsWith('~') || ref.includes('\\')) return true;
  const first = ref.split('/')[0] ?? '';
  return first !== '' && ref.includes('/') && (isDirectory(path.resolve(first)) || isDirectory(path.resolve(packageRoot, first)));
}

/**
 * Resolve a model reference (MODEL): an existing directory (absolute, relative to the working
 * directory, or relative to the package root), else a hub id `owner/name` downloaded at
 * `options.revision` into the cache. Throws MODEL_NOT_FOUND when it is neither, and the hub errors
 * of `downloadHubModel` (MODEL_DOWNLOAD_FAILED, CHECKSUM_MISMATCH, OFFLINE, MODEL_NOT_FOUND).
 */
export async function resolveModel(ref: string, options: ResolveModelOptions): Promise<ResolvedModel> {
  const trimmed = ref.trim();
  if (trimmed === '') throw new GlinerError('MODEL_NOT_FOUND', 'No model given (MODEL is empty).');
  const candidates = directoryCandidates(trimmed, options.packageRoot);
  const dir = candidates.find(isDirectory);
  if (dir !== undefined) return { dir, source: 'path', id: trimmed, revision: 'local' };

  if (isHubId(trimmed) && !looksLikePath(trimmed, options.packageRoot)) {
    const snapshot = await downloadHubModel({
      repo: trimmed,
      revision: options.revision,
      cacheDir: options.cacheDir,
      endpoint: options.endpoint,
      token: options.token,
      offline: options.offline,
      quantization: options.quantization,
      onProgress: options.onProgress,
      progressIntervalMs: options.progressIntervalMs,
      retries: options.retries,
      retryDelayMs: options.retryDelayMs,
      timeoutMs: options.timeoutMs,
    });
    return { dir: snapshot.dir, source: 'hub', id: trimmed, revision: options.revision, commit: snapshot.commit };
  }

  const looked = candidates.map((c) => `'${c}'`).join(' or ');
  throw new GlinerError('MODEL_NOT_FOUND', `Model '${trimmed}' is not a directory (looked for ${looked}) and not a hub repository id (owner/name).`);
}
