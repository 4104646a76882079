// The worker pool: a fixed set of piscina threads, each owning one ONNX Runtime session, and on CPU
// one more thread whose session has the threads of all the others together (the solo session,
// SOLO_SESSION). The engine hands it whole batches (and the planning and merging of long texts); a
// worker that dies is replaced by piscina and the batch it held fails with WORKER_CRASHED (never hangs).
//
// Why two kinds of session: on a small CPU one session with all the cores answers a lone request
// fastest, while under load several sessions with fewer threads each do more rows per second (on 2
// cores two 1-thread sessions ran 1.26–1.48× the rows of one 2-thread session, two 2-thread
// sessions fighting over 2 cores only 1.2×; bench/tools/thread-layouts.ts, bench/RESULTS.md). ONNX
// Runtime fixes a session's threads when it is created, so the pool keeps both and the batcher
// picks: the solo session when a batch is the only work in the server, the shared ones otherwise.
import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import { ERROR_CODES, GlinerError, type ErrorCode } from '../errors.js';
import type { BatchResult, BatchTask, MergeTask, PlanResult, PlanTask, TextAnswer, WorkerInfo } from '../worker/messages.js';
import type { RunnerSettings } from '../worker/onnx-runner.js';
import { workerEntry } from './entry.js';
import { shareWeights, type WeightsSettings } from './memory.js';

export type SoloSession = 'auto' | 'on' | 'off';

export interface PoolSettings extends RunnerSettings {
  /** Worker threads; 0 = auto. */
  readonly workers: number;
  /** The extra all-cores session for lone batches (CPU only). */
  readonly soloSession?: SoloSession;
  /** One mapped copy of the weights for every session (memory.ts); absent = each session loads its own. */
  readonly weights?: WeightsSettings;
}

export interface ThreadPlan {
  readonly workers: number;
  readonly intraOpThreads: number;
  /** Threads of the solo session; 0 = no solo session. */
  readonly soloThreads: number;
}

/**
 * Defaults from the cores and the provider. CPU: at least two sessions (one per 2 cores), splitting
 * the cores between them, plus a solo session with the threads of all of them together (at most one
 * per core) when that is more than one session has; CUDA: one session, no solo session. The solo
 * session never has more threads than the shared sessions together, so WORKERS × INTRA_OP_THREADS
 * stays the CPU budget (a container sees the host's cores, not its CPU limit).
 */
export function resolveThreads(settings: Pick<PoolSettings, 'workers' | 'intraOpThreads' | 'executionProvider' | 'soloSession'>, cores = availableParallelism()): ThreadPlan {
  const cuda = settings.executionProvider === 'cuda';
  const workers = settings.workers > 0 ? settings.workers : cuda || cores < 2 ? 1 : Math.max(2, Math.floor(cores / 2));
  const intraOpThreads = settings.intraOpThreads > 0 ? settings.intraOpThreads : Math.max(1, Math.floor(cores / workers));
  const solo = settings.soloSession ?? 'auto';
  const soloThreads = Math.min(cores, workers * intraOpThreads);
  const wanted = solo === 'on' || (solo === 'auto' && soloThreads > intraOpThreads);
  return { workers, intraOpThreads, soloThreads: wanted && !cuda ? soloThreads : 0 };
}

/**
 * The solo session's settings: the shared sessions' settings with `threads` threads that spin inside
 * a run (a lone request's operators follow each other without a wake-up between them) and stop at
 * its end, so they never spin while the shared sessions work.
 */
export function soloRunner(runner: RunnerSettings, threads: number): RunnerSettings {
  return { ...runner, intraOpThreads: threads, intraOpSpinning: true, forceSpinningStop: true };
}

/** A worker's load error arrives as "CODE: message" (see worker.ts); restore the coded error. */
function fromWorkerError(error: unknown): GlinerError {
  const message = error instanceof Error ? error.message : String(error);
  const match = /^([A-Z_]+): ([\s\S]*)$/.exec(message);
  const code = match?.[1];
  if (match !== null && code !== undefined && code in ERROR_CODES) return new GlinerError(code as ErrorCode, match[2] ?? message, { cause: error });
  return new GlinerError('MODEL_NOT_FOUND', `model failed to load: ${message}`, { cause: error });
}

function threadPool(settings: RunnerSettings, threads: number, onWorkerExit?: () => void): Piscina {
  const entry = workerEntry('worker');
  const piscina = new Piscina({
    filename: entry.filename,
    execArgv: entry.execArgv,
    workerData: settings,
    minThreads: threads,
    maxThreads: threads,
    concurrentTasksPerWorker: 1,
    // The engine owns queueing (bounded, deadline-aware); piscina must never hold a backlog.
    maxQueue: threads * 2,
    idleTimeout: Number.MAX_SAFE_INTEGER,
  });
  piscina.on('workerDestroy', () => onWorkerExit?.());
  // Errors of worker threads surface on the task that was running; nothing else to do here.
  piscina.on('error', () => undefined);
  return piscina;
}

export class InferencePool {
  private constructor(
    private readonly piscina: Piscina,
    private readonly solo: Piscina | undefined,
    readonly size: number,
    readonly workers: readonly WorkerInfo[],
    /** ONNX Runtime threads of each shared session. */
    readonly intraOpThreads: number,
    /** Threads of the solo session; 0 = none. */
    readonly soloThreads: number,
    /** The mapped copy every session opened, if any (memory.ts). */
    readonly mappedOnnxPath: string | undefined,
    /** Why the weights are not shared when they could have been. */
    readonly sharingFallback: string | undefined,
  ) {}

  /** Start every worker and wait until each has loaded and warmed up its model. */
  static async start(settings: PoolSettings, onWorkerExit?: () => void): Promise<InferencePool> {
    const { workers, intraOpThreads, soloThreads } = resolveThreads(settings);
    const { workers: _workers, soloSession: _solo, weights, ...own } = settings;
    const shared = weights === undefined ? { runner: own } : await shareWeights(own, weights);
    const { runner } = shared;
    const piscina = threadPool({ ...runner, intraOpThreads }, workers, onWorkerExit);
    const solo = soloThreads > 0 ? threadPool(soloRunner(runner, soloThreads), 1, onWorkerExit) : undefined;
    try {
      const [infos] = await Promise.all([
        Promise.all(Array.from({ length: workers }, () => piscina.run({ kind: 'info' }))) as Promise<WorkerInfo[]>,
        solo?.run({ kind: 'info' }),
      ]);
      return new InferencePool(piscina, solo, workers, infos, intraOpThreads, soloThreads, runner.mapped?.onnxPath, shared.fallbackReason);
    } catch (error) {
      await Promise.all([piscina.destroy(), solo?.destroy()]);
      throw fromWorkerError(error);
    }
  }

  /** Run a batch; `solo` sends it to the solo session (falling back to a shared one without it). */
  run(task: BatchTask, transferList?: undefined, solo?: boolean): Promise<BatchResult>;
  run(task: PlanTask): Promise<PlanResult>;
  run(task: MergeTask, transferList?: ArrayBuffer[]): Promise<TextAnswer>;
  async run(task: BatchTask | PlanTask | MergeTask, transferList?: ArrayBuffer[], solo = false): Promise<BatchResult | PlanResult | TextAnswer> {
    const piscina = solo && this.solo !== undefined ? this.solo : this.piscina;
    try {
      return (await piscina.run(task, transferList === undefined ? {} : { transferList })) as BatchResult | PlanResult | TextAnswer;
    } catch (error) {
      throw new GlinerError('WORKER_CRASHED', 'The inference worker failed while running this request.', { cause: error });
    }
  }

  /** Worker threads of the shared sessions, for tests that need to kill one. */
  get threads(): readonly { terminate(): Promise<number> }[] {
    return this.piscina.threads;
  }

  async close(): Promise<void> {
    await Promise.all([this.piscina.close(), this.solo?.close()]);
  }
}
