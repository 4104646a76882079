// Pool worker entry: one per thread. Loads the model once (session, tokenizer, config), warms it up,
// then runs tasks (see tasks.ts). Everything of a request that grows with its input — splitting,
// tokenisation, tensors, inference, decoding, merging windows, the answer's JSON — happens here,
// never on the thread that serves HTTP.
import { threadId } from 'node:worker_threads';
import { workerData } from 'piscina';
import { GlinerError } from '../errors.js';
import type { BatchResult, PlanResult, TextAnswer, WorkerInfo, WorkerTask } from './messages.js';
import { OnnxRunner, type RunnerSettings } from './onnx-runner.js';
import { runBatch, runMerge, runPlan } from './tasks.js';

interface WorkerState {
  readonly runner: OnnxRunner;
  readonly info: WorkerInfo;
}

async function start(settings: RunnerSettings): Promise<WorkerState> {
  // Errors cross the thread boundary as plain Errors: carry the stable code in the message.
  const runner = await OnnxRunner.load(settings).catch((error: unknown) => {
    throw new Error(error instanceof GlinerError ? `${error.code}: ${error.message}` : String(error instanceof Error ? error.message : error));
  });
  const warmupSeconds = await runner.warmUp(settings.warmupRows);
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

// Fault injection for the worker-crash test: when GLINER_FAULT_EXIT_WORD is set, a row containing
// that exact word makes this thread exit before running the model, as a crashed worker would.
// (Terminating a thread from outside while ONNX Runtime is inside run() aborts the whole process,
// so the test cannot simply kill a busy thread.) Unset in every real deployment.
const faultExitWord = process.env.GLINER_FAULT_EXIT_WORD;

// Started at import so the model loads while the pool spins up; piscina awaits the exported
// handler, so a load failure rejects every task sent to this worker with the load error.
const state = start(workerData as RunnerSettings);
// Keep an unobserved rejection from killing the thread before a task can report it.
state.catch(() => undefined);

export default async function handle(task: WorkerTask): Promise<BatchResult | PlanResult | TextAnswer | WorkerInfo> {
  const { runner, info } = await state;
  switch (task.kind) {
    case 'info':
      return info;
    case 'plan':
      return runPlan(task);
    case 'merge':
      return runMerge(task);
    case 'batch':
      if (faultExitWord !== undefined && faultExitWord !== '' && task.rows.some((row) => row.text.split(/\s+/).includes(faultExitWord))) process.exit(70);
      return runBatch(runner, task, threadId);
  }
}
