// The pool's memory: one copy of the weights per process, and per-run memory that returns to rest.
//
// Weights (SHARE_WEIGHTS), whatever WORKERS and the solo session: before the pool's sessions start,
// write (or find) the mapped copy of the model (model/mapped-weights.ts) in a thread of its own, and
// give every session its paths. The sessions then memory-map the same read-only
// file, so the weights and their packed forms are in memory once (the page cache's pages, charged
// once to the container), not once per session. CPU only: on CUDA the weights live on the GPU and
// there is one session. If the copy cannot be written (read-only cache, full disk), the pool loads
// the model as before and says why.
import path from 'node:path';
import { Piscina } from 'piscina';
import { readModelDir } from '../model/files.js';
import type { RunnerSettings } from '../worker/onnx-runner.js';
import type { MapTask } from '../worker/map-weights.js';
import { workerEntry } from './entry.js';

export type ShareWeights = 'auto' | 'off';
export type CpuMemArena = 'auto' | 'on' | 'off';

/**
 * CPU_MEM_ARENA: whether the sessions keep ONNX Runtime's CPU arena. The arena keeps what a session's
 * largest run took (a long text's full window: +370 MB over 3 sessions of the bench-size model) and
 * never gives it back; off, ONNX Runtime allocates and frees every tensor per run. Whether freed
 * memory then leaves the process is glibc's call: with its default, moving mmap threshold it mostly
 * stays (worse than the arena), with the threshold fixed (MALLOC_MMAP_THRESHOLD_, as the images set
 * it, or GLIBC_TUNABLES' glibc.malloc.mmap_threshold) it goes back, at ~2 % more CPU per row
 * (bench/RESULTS.md, "Memory"). auto = off exactly when the threshold is fixed.
 */
export function cpuArenaOn(setting: CpuMemArena, env: NodeJS.ProcessEnv = process.env): boolean {
  if (setting !== 'auto') return setting === 'on';
  const fixed = env.MALLOC_MMAP_THRESHOLD_ !== undefined || /glibc\.malloc\.mmap_threshold=/.test(env.GLIBC_TUNABLES ?? '');
  return !fixed;
}

export interface WeightsSettings {
  /** auto: map the weights on CPU; off: every session loads its own copy onto its heap. */
  readonly shareWeights: ShareWeights;
  /** Where mapped copies are kept (one directory per model file, CPU and ONNX Runtime version). */
  readonly mappedDir: string;
}

export interface SharedWeights {
  /** The settings every session of the pool opens its model with. */
  readonly runner: RunnerSettings;
  /** Why the weights are not shared, when they could have been (the copy failed). */
  readonly fallbackReason?: string;
}

async function mapInThread(tasks: readonly MapTask[]): Promise<string[]> {
  const entry = workerEntry('map-weights');
  const piscina = new Piscina({ filename: entry.filename, execArgv: entry.execArgv, minThreads: 1, maxThreads: 1, idleTimeout: 0 });
  try {
    const results: string[] = [];
    // One at a time: each write holds a whole model in memory while ONNX Runtime optimises it.
    for (const task of tasks) results.push((await piscina.run(task)) as string);
    return results;
  } finally {
    await piscina.destroy();
  }
}

export async function shareWeights(runner: RunnerSettings, settings: WeightsSettings): Promise<SharedWeights> {
  if (settings.shareWeights === 'off' || runner.executionProvider !== 'cpu') return { runner };
  const files = readModelDir(runner.modelDir, runner.quantization);
  const options = { graphOptimization: runner.graphOptimization, prepacked: true };
  const sources = [files.onnxPath, ...(files.labelsEncoder === undefined ? [] : [files.labelsEncoder.onnxPath])];
  try {
    const [onnxPath, labelsOnnxPath] = await mapInThread(sources.map((onnxPath) => ({ onnxPath, root: path.resolve(settings.mappedDir), options })));
    if (onnxPath === undefined) return { runner };
    // The copy is optimised already: optimising it again would only rebuild what is there.
    return { runner: { ...runner, graphOptimization: 'disabled', mapped: { onnxPath, ...(labelsOnnxPath === undefined ? {} : { labelsOnnxPath }) } } };
  } catch (error) {
    return { runner, fallbackReason: error instanceof Error ? error.message : String(error) };
  }
}
