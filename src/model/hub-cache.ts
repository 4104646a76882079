// The hub cache on disk: one directory per repository inside MODEL_CACHE_DIR, laid out as Python's
// huggingface_hub lays out its own cache, so a model fetched with `hf download` (or
// `huggingface_hub.snapshot_download`) into the same directory is found offline, and ours by it:
//
//   <cacheDir>/models--<owner>--<name>/
//     refs/<revision>                       the commit sha the revision last resolved to
//     snapshots/<commit>/gliner_config.json  (Python: a symlink into blobs/; ours: the file itself)
//     snapshots/<commit>/tokenizer.json
//     snapshots/<commit>/tokenizer_config.json   (when the repository has one)
//     snapshots/<commit>/onnx/model.onnx         (or model.onnx at the top, as the repository lays it out)
//
// A snapshot directory is directly usable by `readModelDir`. We only ever put a file there by
// renaming a fully written, fsynced and verified `<file>.incomplete` sibling, and the ONNX file is
// always written last, so "the ONNX file exists" means "the snapshot is complete".
import { mkdir, open, readFile, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { companionFiles, wantedFiles, type Quantization } from './files.js';

/** What a complete snapshot holds besides its ONNX file. */
export const REQUIRED = ['gliner_config.json', 'tokenizer.json'] as const;
export const OPTIONAL = ['tokenizer_config.json'] as const;

const HUB_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,95}\/[A-Za-z0-9][A-Za-z0-9_.-]{0,95}$/;
/** What may name a snapshot directory (a commit sha, or an encoded revision). */
export const SAFE_KEY = /^[A-Za-z0-9][A-Za-z0-9._%-]{0,199}$/;

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

/** Whether `ref` has the shape of a hub repository id (`owner/name`). */
export function isHubId(ref: string): boolean {
  return HUB_ID.test(ref) && !ref.includes('..') && !ref.includes('--');
}

/** The cache directory of one repository (huggingface_hub's `models--owner--name`). */
export function repoCacheDir(cacheDir: string, repo: string): string {
  return path.join(path.resolve(cacheDir), `models--${repo.replace('/', '--')}`);
}

/** The ONNX candidates for a quantisation, in the order `readModelDir` prefers them. */
export function onnxCandidates(quantization: Quantization): string[] {
  const onnx = wantedFiles(quantization).filter((f) => f.endsWith('.onnx'));
  const topLevel = onnx.filter((f) => !f.includes('/'));
  return topLevel.flatMap((f) => (onnx.includes(`onnx/${f}`) ? [f, `onnx/${f}`] : [f]));
}

/**
 * Where a revision's commit is recorded, where we write it first: `refs/<revision>` as Python
 * writes it (`refs/pr/1` nested), or URI-encoded when the revision is not a plain path; then the
 * encoded name earlier versions of this server wrote for any revision.
 */
export function refFiles(repoDir: string, revision: string): string[] {
  const encoded = path.join(repoDir, 'refs', encodeURIComponent(revision));
  const plain = revision.split('/').every((part) => part !== '' && part !== '.' && part !== '..' && SAFE_KEY.test(part));
  const nested = path.join(repoDir, 'refs', ...revision.split('/'));
  return plain && nested !== encoded ? [nested, encoded] : [encoded];
}

export function localPath(snapshotDir: string, relPath: string): string {
  return path.join(snapshotDir, ...relPath.split('/'));
}

/** Whether a file is there (a symlink counts when its blob is). */
export async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}

export async function sizeOf(file: string): Promise<number> {
  try {
    return (await stat(file)).size;
  } catch {
    return 0;
  }
}

/** Where a companion file of the model's kind may be: ONNX graphs beside the chosen ONNX file, then at the top. */
export function companionPlaces(onnx: string, name: string): string[] {
  return onnx.includes('/') && name.endsWith('.onnx') ? [`${path.posix.dirname(onnx)}/${name}`, name] : [name];
}

/** The complete files of a snapshot for this quantisation, or undefined if it is not complete. */
export async function completeFiles(snapshotDir: string, quantization: Quantization): Promise<string[] | undefined> {
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
  // The kind's companions (hub.ts fetches them before the ONNX file): a relation-extraction model
  // without its relation head is not complete (a snapshot from before they were fetched gets them).
  const config = await readFile(localPath(snapshotDir, REQUIRED[0]), 'utf8').then((text) => JSON.parse(text) as unknown, () => undefined);
  for (const name of companionFiles(config)) {
    let found: string | undefined;
    for (const place of companionPlaces(onnx, name)) if (found === undefined && (await exists(localPath(snapshotDir, place)))) found = place;
    if (found !== undefined) files.push(found);
    else if (name.startsWith('relex_')) return undefined;
  }
  files.push(onnx);
  return files;
}

export async function writeAtomically(file: string, content: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, content);
  await rename(temp, file);
}

export async function syncDir(dir: string): Promise<void> {
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
export async function findCachedSnapshot(options: { readonly repo: string; readonly revision: string; readonly cacheDir: string; readonly quantization: Quantization }): Promise<HubSnapshot | undefined> {
  const repoDir = repoCacheDir(options.cacheDir, options.repo);
  let commit: string | undefined;
  for (const ref of refFiles(repoDir, options.revision)) {
    commit ??= await readFile(ref, 'utf8').then((text) => text.trim(), () => undefined);
  }
  // A commit sha asked for directly, or a snapshot stored under the revision's own name.
  commit ??= encodeURIComponent(options.revision);
  if (!SAFE_KEY.test(commit)) return undefined;
  const dir = path.join(repoDir, 'snapshots', commit);
  const files = await completeFiles(dir, options.quantization);
  if (files === undefined) return undefined;
  return { dir, repo: options.repo, revision: options.revision, commit, files, downloaded: [] };
}
