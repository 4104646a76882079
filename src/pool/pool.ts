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
// How many threads of each, and whether there is a solo session, is decided before the pool starts
// (startup/settings.ts); the pool starts what it is given. With `weights`, every session opens one
// mapped copy of the model (memory.ts) instead of loading its own.
import type { ResourceLimits } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { GlinerError } from '../errors.js';
import type { WorkerInfo } from '../worker/messages.js';
import type { RunnerSettings } from '../worker/onnx-runner.js';
import { unwrap, type Reply, type ResultOf, type WorkerTask } from '../worker/protocol.js';
import type { WorkerFaults, WorkerSettings } from '../worker/worker.js';
import { workerEntry } from './entry.js';
import { shareWeights, withMapped, type WeightsSettings } from './memory.js';

export interface PoolSettings {
  /** The shared sessions' settings (one session per worker thread). */
  readonly runner: RunnerSettings;
  /** Worker threads of the shared sessions. */
  readonly workers: number;
  /** The solo session's settings (startup/settings.ts soloRunner); absent: no solo session. */
  readonly solo?: RunnerSettings;
  /** One mapped copy of the weights for every session (memory.ts); absent: each session loads its own. */
  readonly weights?: WeightsSettings;
  /** Each worker thread's V8 young generation, in MB (WORKER_YOUNG_GENERATION_MB); absent: V8's default. */
  readonly youngGenerationMb?: number;
  /** Test-only fault injection (never from the configuration). */
  readonly faults?: WorkerFaults;
}

function threadPool(settings: WorkerSettings, threads: number, youngGenerationMb: number | undefined, onWorkerExit?: () => void): Piscina {
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
    ...(youngGenerationMb === undefined ? {} : { resourceLimits: { maxYoungGenerationSizeMb: youngGenerationMb } }),
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
    /** The mapped copy every session opened, if any (memory.ts). */
    readonly mappedOnnxPath: string | undefined,
    /** Why the weights are not shared when they were to be (the copy could not be written). */
    readonly sharingFallback: string | undefined,
  ) {}

  /** Start every worker with its final settings and wait until each has loaded and warmed up its model. */
  static async start(settings: PoolSettings, onWorkerExit?: () => void): Promise<InferencePool> {
    const { workers, faults } = settings;
    const shared = settings.weights === undefined ? {} : await shareWeights(settings.runner, settings.weights);
    const runner = withMapped(settings.runner, shared.mapped);
    const extra = faults === undefined ? {} : { faults };
    const piscina = threadPool({ runner, ...extra }, workers, settings.youngGenerationMb, onWorkerExit);
    const solo = settings.solo === undefined ? undefined : threadPool({ runner: withMapped(settings.solo, shared.mapped), ...extra }, 1, settings.youngGenerationMb, onWorkerExit);
    const info = { kind: 'info' } as const;
    try {
      const [infos] = await Promise.all([
        Promise.all(Array.from({ length: workers }, () => runOn(piscina, info))),
        solo === undefined ? undefined : runOn(solo, info),
      ]);
      return new InferencePool(piscina, solo, workers, infos, runner.intraOpThreads, settings.solo?.intraOpThreads ?? 0, shared.mapped?.onnxPath, shared.fallbackReason);
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

  /** Worker threads of the shared sessions, for tests that need to kill one or read its limits. */
  get threads(): readonly { terminate(): Promise<number>; readonly resourceLimits?: ResourceLimits }[] {
    return this.piscina.threads;
  }

  async close(): Promise<void> {
    await Promise.all([this.piscina.close(), this.solo?.close()]);
  }
}
