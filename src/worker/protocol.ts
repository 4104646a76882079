// The worker protocol: each kind of task paired with the type of its result, checked at compile time
// on both sides (the worker's handlers in worker.ts, the pool's `run` in pool/pool.ts), and what
// crosses back to the main thread — the result, or the task's own error as data, `{code, message}`.
// A task's error is never thrown across the thread boundary: piscina then rejects a task only when
// its thread died, which is the one case the pool reports as WORKER_CRASHED.
import { ERROR_CODES, GlinerError, type ErrorCode } from '../errors.js';
import type { ExtractAnswerResult, ExtractBatchResult, ExtractBatchTask, ExtractMergeTask, ExtractPlanResult, ExtractPlanTask } from './gliner2-messages.js';
import type { BatchResult, BatchTask, InfoTask, MergeTask, PlanResult, PlanTask, TextAnswer, WorkerInfo } from './messages.js';

/** Every task kind and its result. A new kind is one line here, then a handler the compiler asks for. */
export interface Protocol {
  readonly info: { readonly task: InfoTask; readonly result: WorkerInfo };
  readonly plan: { readonly task: PlanTask; readonly result: PlanResult };
  readonly merge: { readonly task: MergeTask; readonly result: TextAnswer };
  readonly batch: { readonly task: BatchTask; readonly result: BatchResult };
  readonly 'extract-plan': { readonly task: ExtractPlanTask; readonly result: ExtractPlanResult };
  readonly 'extract-batch': { readonly task: ExtractBatchTask; readonly result: ExtractBatchResult };
  readonly 'extract-merge': { readonly task: ExtractMergeTask; readonly result: ExtractAnswerResult };
}

export type TaskKind = keyof Protocol;
export type WorkerTask = Protocol[TaskKind]['task'];
/** The result type of a task, from its `kind`. */
export type ResultOf<T extends WorkerTask> = Protocol[T['kind']]['result'];

/** What the worker runs for each kind: the compiler checks every kind has one, with the right result. */
export type Handlers = { readonly [K in TaskKind]: (task: Protocol[K]['task']) => Protocol[K]['result'] | Promise<Protocol[K]['result']> };

/** An error as data: a stable code (src/errors.ts) and its message; `detail` (a stack) only for INTERNAL, for the log. */
export interface WireError {
  readonly code: ErrorCode;
  readonly message: string;
  readonly detail?: string;
}

export type Reply<R> = { readonly ok: true; readonly value: R } | { readonly ok: false; readonly error: WireError };

/** Anything thrown in a worker, as data: a coded error keeps its code; anything else is INTERNAL. */
export function toWire(error: unknown): WireError {
  if (error instanceof GlinerError) return { code: error.code, message: error.message };
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  return { code: 'INTERNAL', message: 'Internal error in an inference worker.', detail };
}

/** The coded error on the main thread, with the code (hence the HTTP status) it had in the worker. */
export function fromWire(error: WireError): GlinerError {
  const code: ErrorCode = error.code in ERROR_CODES ? error.code : 'INTERNAL';
  return new GlinerError(code, error.message, error.detail === undefined ? {} : { cause: error.detail });
}

/** The worker's entry: dispatch a task to its handler and answer with a Reply; never throws. */
export function answering(handlers: Handlers): (task: WorkerTask) => Promise<Reply<unknown>> {
  return async (task) => {
    try {
      // The map type pairs each kind with its handler; TypeScript cannot follow the pairing through
      // an indexed access on a union, so the call goes through one cast here.
      const handler = handlers[task.kind] as (task: WorkerTask) => unknown;
      return { ok: true, value: await handler(task) };
    } catch (error) {
      return { ok: false, error: toWire(error) };
    }
  };
}

/** The main side: a reply's value, or its error thrown as the coded error it was. */
export function unwrap<R>(reply: Reply<R>): R {
  if (reply.ok) return reply.value;
  throw fromWire(reply.error);
}
