// Pool worker entry: one per thread. Loads the model once (session, tokenizer, config), warms it up,
// then runs tasks (see tasks.ts) through the typed protocol (protocol.ts): every kind has its
// handler, and a task's error goes back as `{code, message}` data. Everything of a request that
// grows with its input — splitting, tokenisation, tensors, inference, decoding, merging windows, the
// answer's JSON — happens here, never on the thread that serves HTTP.
import { threadId } from 'node:worker_threads';
import { workerData } from 'piscina';
import { GlinerError } from '../errors.js';
import type { WorkerInfo } from './messages.js';
import { OnnxRunner, type RunnerSettings } from './onnx-runner.js';
import { answering, type Handlers } from './protocol.js';
import { runBatch, runMerge, runPlan } from './tasks.js';

/**
 * Faults a test may inject (never set by the configuration): a batch holding the word `exitWord`
 * makes the thread exit before running the model, as a crashed worker would (terminating a thread
 * from outside while ONNX Runtime is inside run() aborts the whole process); `failWord` makes the
 * batch fail with a coded error of its own while the thread lives on.
 */
export interface WorkerFaults {
  readonly exitWord?: string;
  readonly failWord?: string;
}

/** What each pool thread is started with (piscina's workerData). */
export interface WorkerSettings {
  readonly runner: RunnerSettings;
  readonly faults?: WorkerFaults;
}

interface WorkerState {
  readonly runner: OnnxRunner;
  readonly info: WorkerInfo;
}

async function start(settings: RunnerSettings): Promise<WorkerState> {
  const runner = await OnnxRunner.load(settings).catch((error: unknown) => {
    if (error instanceof GlinerError) throw error;
    throw new GlinerError('MODEL_NOT_FOUND', `model failed to load: ${error instanceof Error ? error.message : String(error)}`);
  });
  const warmupSeconds = await runner.warmUp();
  return {
    runner,
    info: {
      workerId: threadId,
      executionProvider: runner.executionProvider,
      ...(runner.fallbackReason === undefined ? {} : { fallbackReason: runner.fallbackReason }),
      onnxPath: runner.onnxPath,
      quantization: runner.quantization,
      warmupSeconds,
    },
  };
}

const settings = workerData as WorkerSettings;
const faults = settings.faults ?? {};
const holds = (rows: readonly { text: string }[], word: string | undefined): boolean =>
  word !== undefined && word !== '' && rows.some((row) => row.text.split(/\s+/).includes(word));

// Started at import so the model loads while the pool spins up; a load failure answers every task
// sent to this worker with the load error (its code included).
const state = start(settings.runner);
// Keep an unobserved rejection from killing the thread before a task can report it.
state.catch(() => undefined);

const handlers: Handlers = {
  info: async () => (await state).info,
  plan: async (task) => {
    await state;
    return runPlan(task);
  },
  merge: async (task) => {
    await state;
    return runMerge(task);
  },
  batch: async (task) => {
    const { runner } = await state;
    if (holds(task.rows, faults.exitWord)) process.exit(70);
    if (holds(task.rows, faults.failWord)) throw new GlinerError('INTERNAL', 'A fault was injected into this batch (test only).');
    return runBatch(runner, task, threadId);
  },
};

export default answering(handlers);
