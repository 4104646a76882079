// The pool's weights: one copy per process, whatever WORKERS and the solo session (SHARE_WEIGHTS).
//
// Before the pool's sessions start, write (or find) the mapped copy of the model
// (model/mapped-weights.ts) in a thread of its own, and give every session its paths. The sessions
// then memory-map the same read-only file, so the weights and their packed forms are in memory once
// (the page cache's pages, charged once to the container), not once per session. CPU only: on CUDA
// the weights live on the GPU and there is one session (startup/settings.ts decides). If the copy
// cannot be written (read-only cache, full disk), the sessions load the model as before and the
// pool says why. The other half of the memory work, the arena (CPU_MEM_ARENA), is a session setting
// resolved in startup/settings.ts.
import path from 'node:path';
import { Piscina } from 'piscina';
import { readModelDir } from '../model/files.js';
import type { MapTask } from '../worker/map-weights.js';
import type { RunnerSettings } from '../worker/onnx-runner.js';
import { workerEntry } from './entry.js';

export interface WeightsSettings {
  /** Where mapped copies are kept (one directory per model file, CPU and ONNX Runtime version). */
  readonly mappedDir: string;
}

export interface MappedPaths {
  readonly onnxPath: string;
  readonly labelsOnnxPath?: string;
}

export interface SharedWeights {
  /** The copies every session opens; absent when the copy failed. */
  readonly mapped?: MappedPaths;
  /** Why the weights are not shared (the copy failed). */
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

/** Write (or reuse) the mapped copies of the model (and a bi-encoder's label encoder) for these settings. */
export async function shareWeights(runner: RunnerSettings, settings: WeightsSettings): Promise<SharedWeights> {
  const files = readModelDir(runner.modelDir, runner.quantization);
  const options = { graphOptimization: runner.graphOptimization, prepacked: true };
  const sources = [files.onnxPath, ...(files.labelsEncoder === undefined ? [] : [files.labelsEncoder.onnxPath])];
  try {
    const [onnxPath, labelsOnnxPath] = await mapInThread(sources.map((onnxPath) => ({ onnxPath, root: path.resolve(settings.mappedDir), options })));
    if (onnxPath === undefined) return {};
    return { mapped: { onnxPath, ...(labelsOnnxPath === undefined ? {} : { labelsOnnxPath }) } };
  } catch (error) {
    return { fallbackReason: error instanceof Error ? error.message : String(error) };
  }
}

/** A session's settings to open the mapped copy: optimised already, so optimising it again would only rebuild what is there. */
export function withMapped(runner: RunnerSettings, mapped: MappedPaths | undefined): RunnerSettings {
  return mapped === undefined ? runner : { ...runner, graphOptimization: 'disabled', mapped };
}
