// One copy of the weights per process: the mapped copy of a model.
//
// Every ONNX Runtime session loads its own copy of the weights onto the heap, and packs the MatMul
// weights for the CPU kernels into one more (pre-packing): with two worker sessions and the solo
// session that was three copies of the model. ONNX Runtime memory-maps weights kept in an external
// data file instead (read-only, so every session of the process, and every process on the host,
// shares the same page-cache pages), and it can write the packed weights into that file too
// (`session.save_external_prepacked_constant_initializers`), after which a session maps them instead
// of packing them again. This module writes that copy once: the model optimised at the configured
// level, its initializers and their packed forms in `model.onnx.data`, in a directory named by what
// it was made from (source file, its size and time, ONNX Runtime's version, the CPU, the level).
// Sessions then open it with graph optimisation off (it is optimised already). Measured in
// bench/RESULTS.md ("Memory"): bench/tools/memory-layouts.ts.
//
// The optimised graph is specific to the CPU it was made on (ORT warns so), hence the CPU in the key;
// the copy is made where it runs, at start, never shipped.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import type { GraphOptimization } from './session.js';

export const MAPPED_MODEL_FILE = 'model.onnx';
export const MAPPED_DATA_FILE = 'model.onnx.data';
/** Bumped when the layout of a mapped copy changes, so stale copies are never reused. */
const LAYOUT = 1;

export interface MapOptions {
  readonly graphOptimization: GraphOptimization;
  /** Write the packed MatMul weights into the data file (mapped like the rest) rather than leaving them to each session. */
  readonly prepacked: boolean;
}

/** What identifies the CPU for the optimised graph: its model name and instruction-set flags. */
function cpuIdentity(): string {
  let flags = '';
  try {
    flags = /^flags\s*:\s*(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? '';
  } catch {
    // Not Linux: the model name and architecture alone.
  }
  return `${os.arch()} ${os.cpus()[0]?.model ?? ''} ${flags}`;
}

/** The directory, under `root`, that holds the mapped copy of `onnxPath` made with these options. */
export function mappedDir(root: string, onnxPath: string, options: MapOptions): string {
  const source = statSync(onnxPath);
  const key = JSON.stringify({
    layout: LAYOUT,
    source: path.resolve(onnxPath),
    bytes: source.size,
    mtimeMs: source.mtimeMs,
    ort: ort.env.versions.common,
    cpu: cpuIdentity(),
    ...options,
  });
  const hash = createHash('sha256').update(key).digest('hex').slice(0, 16);
  return path.join(path.resolve(root), `${path.basename(onnxPath, '.onnx')}-${hash}`);
}

/**
 * The mapped copy of `onnxPath` under `root`: reused when it exists, else written (one session load,
 * seconds to tens of seconds; its memory is given back when the session is released). Written into a
 * temporary directory and renamed, so a crash or a second process never leaves a half copy in use.
 * Blocks the calling thread while ONNX Runtime loads: call it from a worker.
 */
export async function mapWeights(onnxPath: string, root: string, options: MapOptions): Promise<string> {
  const dir = mappedDir(root, onnxPath, options);
  const model = path.join(dir, MAPPED_MODEL_FILE);
  if (existsSync(model) && existsSync(path.join(dir, MAPPED_DATA_FILE))) return model;
  mkdirSync(path.dirname(dir), { recursive: true });
  const temporary = `${dir}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  mkdirSync(temporary);
  try {
    const session = await ort.InferenceSession.create(onnxPath, {
      executionProviders: ['cpu'],
      graphOptimizationLevel: options.graphOptimization,
      intraOpNumThreads: 1,
      logSeverityLevel: 3,
      optimizedModelFilePath: path.join(temporary, MAPPED_MODEL_FILE),
      extra: {
        session: {
          optimized_model_external_initializers_file_name: MAPPED_DATA_FILE,
          optimized_model_external_initializers_min_size_in_bytes: '1024',
          ...(options.prepacked ? { save_external_prepacked_constant_initializers: '1' } : {}),
        },
      },
    });
    await session.release();
    // A graph with no initializer above the threshold writes no data file: nothing to map, but valid.
    if (!existsSync(path.join(temporary, MAPPED_DATA_FILE))) writeFileSync(path.join(temporary, MAPPED_DATA_FILE), '');
    try {
      renameSync(temporary, dir);
    } catch (error) {
      // Another process finished the same copy first: use theirs.
      if (!existsSync(model)) throw error;
      rmSync(temporary, { recursive: true, force: true });
    }
    return model;
  } catch (error) {
    rmSync(temporary, { recursive: true, force: true });
    throw error;
  }
}
