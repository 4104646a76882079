// The worker pool: a fixed set of piscina threads, each owning one ONNX Runtime session.
// The engine hands it whole batches (and the planning and merging of long texts); a worker that dies is replaced by piscina and the batch it
// held fails with WORKER_CRASHED (never hangs).
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { ERROR_CODES, GlinerError, type ErrorCode } from '../errors.js';
import type { BatchResult, BatchTask, MergeTask, PlanResult, PlanTask, TextAnswer, WorkerInfo } from '../worker/messages.js';
import type { RunnerSettings } from '../worker/onnx-runner.js';

export interface PoolSettings extends RunnerSettings {
  /** Worker threads; 0 = auto. */
  readonly workers: number;
}

/** Defaults from the cores and the provider: CPU splits cores between sessions, CUDA uses one. */
export function resolveThreads(settings: PoolSettings): { workers: number; intraOpThreads: number } {
  const cores = availableParallelism();
  const workers = settings.workers > 0 ? settings.workers : settings.executionProvider === 'cuda' ? 1 : Math.max(1, Math.floor(cores / 2));
  const intraOpThreads = settings.intraOpThreads > 0 ? settings.intraOpThreads : Math.max(1, Math.floor(cores / workers));
  return { workers, intraOpThreads };
}

function workerEntry(): { filename: string; execArgv: string[] } {
  const js = fileURLToPath(new URL('../worker/worker.js', import.meta.url));
  if (existsSync(js)) return { filename: js, execArgv: [] };
  // Running from TypeScript sources (vitest, `npm run dev`): load the worker through tsx.
  return { filename: fileURLToPath(new URL('../worker/worker.ts', import.meta.url)), execArgv: ['--import', 'tsx'] };
}

/** A worker's load error arrives as "CODE: message" (see worker.ts); restore the coded error. */
function fromWorkerError(error: unknown): GlinerError {
  const message = error instanceof Error ? error.message : String(error);
  const match = /^([A-Z_]+): ([\s\S]*)$/.exec(message);
  const code = match?.[1];
  if (match !== null && code !== undefined && code in ERROR_CODES) return new GlinerError(code as ErrorCode, match[2] ?? message, { cause: error });
  return new GlinerError('MODEL_NOT_FOUND', `model failed to load: ${message}`, { cause: error });
}

export class InferencePool {
  private constructor(
    private readonly piscina: Piscina,
    readonly size: number,
    readonly workers: readonly WorkerInfo[],
  ) {}

  /** Start every worker and wait until each has loaded and warmed up its model. */
  static async start(settings: PoolSettings, onWorkerExit?: () => void): Promise<InferencePool> {
    const { workers, intraOpThreads } = resolveThreads(settings);
    const entry = workerEntry();
    const piscina = new Piscina({
      filename: entry.filename,
      execArgv: entry.execArgv,
      workerData: { ...settings, intraOpThreads } satisfies RunnerSettings,
      minThreads: workers,
      maxThreads: workers,
      concurrentTasksPerWorker: 1,
      // The engine owns queueing (bounded, deadline-aware); piscina must never hold a backlog.
      maxQueue: workers * 2,
      idleTimeout: Number.MAX_SAFE_INTEGER,
    });
    piscina.on('workerDestroy', () => onWorkerExit?.());
    // Errors of worker threads surface on the task that was running; nothing else to do here.
    piscina.on('error', () => undefined);
    try {
      const infos = (await Promise.all(Array.from({ length: workers }, () => piscina.run({ kind: 'info' })))) as WorkerInfo[];
      return new InferencePool(piscina, workers, infos);
    } catch (error) {
      await piscina.destroy();
      throw fromWorkerError(error);
    }
  }

  run(task: BatchTask): Promise<BatchResult>;
  run(task: PlanTask): Promise<PlanResult>;
  run(task: MergeTask, transferList?: ArrayBuffer[]): Promise<TextAnswer>;
  async run(task: BatchTask | PlanTask | MergeTask, transferList?: ArrayBuffer[]): Promise<BatchResult | PlanResult | TextAnswer> {
    try {
      return (await this.piscina.run(task, transferList === undefined ? {} : { transferList })) as BatchResult | PlanResult | TextAnswer;
    } catch (error) {
      throw new GlinerError('WORKER_CRASHED', 'The inference worker failed while running this request.', { cause: error });
    }
  }

  /** Worker threads, for tests that need to kill one. */
  get threads(): readonly { terminate(): Promise<number> }[] {
    return this.piscina.threads;
  }

  async close(): Promise<void> {
    await this.piscina.close();
  }
}
