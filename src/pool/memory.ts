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
import type { MapResult, MapTask } from '../worker/map-weights.js';
import type { RunnerSettings } from '../worker/onnx-runner.js';
import { workerEntry } from './entry.js';

export interface WeightsSettings {
  /** Where mapped copies are kept (one directory per model file, CPU and ONNX Runtime version). */
  readonly mappedDir: string;
}

/** The mapped copies' paths (worker/map-weights.ts). */
export type MappedPaths = MapResult;

export interface SharedWeights {
  /** The copies every session opens; absent when the copy failed. */
  readonly mapped?: MappedPaths;
  /** Why the weights are not shared (the copy failed). */
  readonly fallbackReason?: string;
}

async function mapInThread(task: MapTask): Promise<MapResult> {
  const entry = workerEntry('map-weights');
  const piscina = new Piscina({ filename: entry.filename, execArgv: entry.execArgv, minThreads: 1, maxThreads: 1, idleTimeout: 0 });
  try {
    return (await piscina.run(task)) as MapResult;
  } finally {
    await piscina.destroy();
  }
}

/**
 * Write (or reuse) the mapped copies of the model (and a bi-encoder's label encoder) for these
 * settings; the thread reads the model directory itself, so nothing here grows with the model.
 */
export async function shareWeights(runner: RunnerSettings, settings: WeightsSettings): Promise<SharedWeights> {
  const options = { graphOptimization: runner.graphOptimization, prepacked: true };
  try {
    return { mapped: await mapInThread({ modelDir: runner.modelDir, quantization: runner.quantization, root: path.resolve(settings.mappedDir), options }) };
  } catch (error) {
    return { fallbackReason: error instanceof Error ? error.message : String(error) };
  }
}

/** A session's settings to open the mapped copy: optimised already, so optimising it again would only rebuild what is there. */
export function withMapped(runner: RunnerSettings, mapped: MappedPaths | undefined): RunnerSettings {
  return mapped === undefined ? runner : { ...runner, graphOptimization: 'disabled', mapped };
}
