// The worker pool: a fixed set of piscina threads, each owning one ONNX Runtime session, and on CPU
// one more thread whose session has the threads of all the others together (the solo session,
// SOLO_SESSION). The engine hands it whole batches (and the planning and merging of long texts); a
// worker that dies is replaced by piscina and the batch it held fails with WORKER_CRASHED (never hangs);
// a task that fails in a living worker fails with its own code (worker/protocol.ts).
//
// Why two kinds of session: on a small CPU one session with all the cores answers a lone request
// fastest, while under load several sessions with fewer threads each do more rows per second (on 2
// cores two 1-thread sessions ran 1.26–1.48× the rows of one 2-thread session, two 2-thread
// sessions fighting over 2 cores only 1.2×; bench/tools/thread-layouts.ts, bench/RESULTS.md). ONNX
// Runtime fixes a session's threads when it is created, so the pool keeps both and the batcher
// picks: the solo session when a batch is the only work in the server, the shared ones otherwise.
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { GlinerError } from '../errors.js';
import type { WorkerInfo } from '../worker/messages.js';
import type { RunnerSettings } from '../worker/onnx-runner.js';
import { unwrap, type Reply, type ResultOf, type WorkerTask } from '../worker/protocol.js';
import type { WorkerFaults, WorkerSettings } from '../worker/worker.js';

export type SoloSession = 'auto' | 'on' | 'off';

export interface PoolSettings extends RunnerSettings {
  /** Worker threads; 0 = auto. */
  readonly workers: number;
  /** The extra all-cores session for lone batches (CPU only). */
  readonly soloSession?: SoloSession;
  /** Test-only fault injection (never from the configuration). */
  readonly faults?: WorkerFaults;
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

function workerEntry(): { filename: string; execArgv: string[] } {
  const js = fileURLToPath(new URL('../worker/worker.js', import.meta.url));
  if (existsSync(js)) return { filename: js, execArgv: [] };
  // Running from TypeScript sources (vitest, `npm run dev`): load the worker through tsx.
  return { filename: fileURLToPath(new URL('../worker/worker.ts', import.meta.url)), execArgv: ['--import', 'tsx'] };
}

function threadPool(settings: WorkerSettings, threads: number, onWorkerExit?: () => void): Piscina {
  const entry = workerEntry();
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

/**
 * Run one task on a piscina pool. The worker answers every task with a Reply (its own errors as
 * data, protocol.ts), so a rejection here means the thread died under the task (an uncaught error
 * or an exit): that, and only that, is WORKER_CRASHED.
 */
async function runOn<T extends WorkerTask>(piscina: Piscina, task: T, transferList?: ArrayBuffer[]): Promise<ResultOf<T>> {
  let reply: Reply<ResultOf<T>>;
  try {
    reply = (await piscina.run(task, transferList === undefined ? {} : { transferList })) as Reply<ResultOf<T>>;
  } catch (error) {
    throw new GlinerError('WORKER_CRASHED', 'The inference worker running this request died; it is being replaced.', { cause: error });
  }
  return unwrap(reply);
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
  ) {}

  /** Start every worker and wait until each has loaded and warmed up its model. */
  static async start(settings: PoolSettings, onWorkerExit?: () => void): Promise<InferencePool> {
    const { workers, intraOpThreads, soloThreads } = resolveThreads(settings);
    const { workers: _workers, soloSession: _solo, faults, ...runner } = settings;
    const extra = faults === undefined ? {} : { faults };
    const piscina = threadPool({ runner: { ...runner, intraOpThreads }, ...extra }, workers, onWorkerExit);
    const solo = soloThreads > 0 ? threadPool({ runner: soloRunner(runner, soloThreads), ...extra }, 1, onWorkerExit) : undefined;
    const info = { kind: 'info' } as const;
    try {
      const [infos] = await Promise.all([
        Promise.all(Array.from({ length: workers }, () => runOn(piscina, info))),
        solo === undefined ? undefined : runOn(solo, info),
      ]);
      return new InferencePool(piscina, solo, workers, infos, intraOpThreads, soloThreads);
    } catch (error) {
      await Promise.all([piscina.destroy(), solo?.destroy()]);
      // A thread that died while loading (a native abort, say) never said why: the model did not load.
      if (error instanceof GlinerError && error.code === 'WORKER_CRASHED') throw new GlinerError('MODEL_NOT_FOUND', `model failed to load: ${String(error.extra.cause)}`, { cause: error });
      throw error;
    }
  }

  /**
   * Run a task; its result type follows from its kind (worker/protocol.ts). `solo` sends a batch to
   * the solo session (a shared one without it); `transfer` hands buffers over instead of copying them.
   */
  run<T extends WorkerTask>(task: T, options: { readonly transfer?: ArrayBuffer[]; readonly solo?: boolean } = {}): Promise<ResultOf<T>> {
    const piscina = options.solo === true && this.solo !== undefined ? this.solo : this.piscina;
    return runOn(piscina, task, options.transfer);
  }

  /** Worker threads of the shared sessions, for tests that need to kill one. */
  get threads(): readonly { terminate(): Promise<number> }[] {
    return this.piscina.threads;
  }

  async close(): Promise<void> {
    await Promise.all([this.piscina.close(), this.solo?.close()]);
  }
}
