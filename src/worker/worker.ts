// Pool worker entry: one per thread. Loads the model once (session, tokenizer, config), warms it up,
// then runs tasks (see tasks.ts; a GLiNER2 export, a directory with gliner2_config.json, runs the
// extract tasks of gliner2-tasks.ts instead) through the typed protocol (protocol.ts): every kind
// has its handler, and a task's error goes back as `{code, message}` data. Everything of a request that
// grows with its input — splitting, tokenisation, tensors, inference, decoding, merging windows, the
// answer's JSON — happens here, never on the thread that serves HTTP.
import { threadId } from 'node:worker_threads';
import { workerData } from 'piscina';
import { GlinerError } from '../errors.js';
import { isGliner2Dir } from '../model/gliner2-files.js';
import { Gliner2Runner } from './gliner2-runner.js';
import { runExtractBatch, runExtractMerge, runExtractPlan } from './gliner2-tasks.js';
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

/** The loaded model: a GLiNER (OnnxRunner: NER tasks) or a GLiNER2 export (Gliner2Runner: extract tasks). */
type WorkerState = { readonly info: WorkerInfo } & ({ readonly kind: 'gliner'; readonly runner: OnnxRunner } | { readonly kind: 'gliner2'; readonly runner: Gliner2Runner });

function loadFailure(error: unknown): never {
  if (error instanceof GlinerError) throw error;
  throw new GlinerError('MODEL_NOT_FOUND', `model failed to load: ${error instanceof Error ? error.message : String(error)}`);
}

async function start(settings: RunnerSettings): Promise<WorkerState> {
  if (isGliner2Dir(settings.modelDir)) {
    const runner = await Gliner2Runner.load(settings).catch(loadFailure);
    const warmupSeconds = await runner.warmUp();
    const info: WorkerInfo = {
      workerId: threadId,
      executionProvider: runner.executionProvider,
      ...(runner.fallbackReason === undefined ? {} : { fallbackReason: runner.fallbackReason }),
      onnxPath: runner.onnxPath,
      quantization: 'fp32',
      warmupSeconds,
    };
    return { kind: 'gliner2', runner, info };
  }
  const runner = await OnnxRunner.load(settings).catch(loadFailure);
  const warmupSeconds = await runner.warmUp(settings.warmupRows);
  return {
    kind: 'gliner',
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

/** A task for the other kind of model: a bug of the engine's (the service refuses such requests). */
const wrongKind = (task: string, loaded: string): GlinerError => new GlinerError('INTERNAL', `A ${task} task reached a worker that serves a ${loaded} model: this is a bug.`);

async function glinerRunner(): Promise<OnnxRunner> {
  const loaded = await state;
  if (loaded.kind !== 'gliner') throw wrongKind('GLiNER', loaded.kind);
  return loaded.runner;
}

async function gliner2Runner(): Promise<Gliner2Runner> {
  const loaded = await state;
  if (loaded.kind !== 'gliner2') throw wrongKind('GLiNER2', loaded.kind);
  return loaded.runner;
}

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
    const runner = await glinerRunner();
    if (holds(task.rows, faults.exitWord)) process.exit(70);
    if (holds(task.rows, faults.failWord)) throw new GlinerError('INTERNAL', 'A fault was injected into this batch (test only).');
    return runBatch(runner, task, threadId);
  },
  'extract-plan': async (task) => {
    await state;
    return runExtractPlan(task);
  },
  'extract-merge': async (task) => {
    await state;
    return runExtractMerge(task);
  },
  'extract-batch': async (task) => {
    const runner = await gliner2Runner();
    if (holds(task.rows, faults.failWord)) throw new GlinerError('INTERNAL', 'A fault was injected into this batch (test only).');
    return runExtractBatch(runner, task, threadId);
  },
};

export default answering(handlers);
