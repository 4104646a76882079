// One admitted request's life around the batcher, for an engine that plans its own rows (the
// extract engine): admission (OVERLOADED / QUEUE_QUOTA_EXCEEDED thrown at once), its ticket and
// row queue, the deadline (unrun rows dropped, 504 at once), cancellation when the client leaves,
// and the timings and batch ids of the batches that served it.
import { performance } from 'node:perf_hooks';
import type { TextAnswer } from '../worker/messages.js';
import type { Batcher } from './batcher.js';
import { withDeadline } from './deadline.js';
import { refusalError, type PredictContext, type PredictResult, type Submission } from './engine.js';
import { RequestRows, type AnyRowTask, type DispatchedBatch, type Ticket } from './fair-queue.js';

export interface RunState {
  /** The request's rows in the batcher (enqueue into it; its ticket says whether it was cancelled). */
  readonly queue: RequestRows;
  /** A batch carried one of its rows: count its wait and inference time once. */
  served(batch: DispatchedBatch): void;
}

/** Admit `rows` rows of the caller's tenant, then run `answers`; refusals are thrown synchronously. */
export function admitted(batcher: Batcher<AnyRowTask>, rows: number, context: PredictContext, answers: (state: RunState) => Promise<TextAnswer[]>): Submission {
  const started = performance.now();
  const tenant = context.tenant ?? '';
  const refusal = batcher.admit(tenant, rows);
  if (refusal !== undefined) throw refusalError(refusal);
  const ticket: Ticket = { deadline: started + context.timeoutMs, cancelled: undefined, ...(context.context === undefined ? {} : { context: context.context }) };
  const queue = new RequestRows(tenant, ticket);
  const timings = { queueSeconds: 0, inferenceSeconds: 0 };
  const batchIds = new Set<number>();
  const state: RunState = {
    queue,
    served(batch) {
      timings.queueSeconds = Math.max(timings.queueSeconds, batch.queueSeconds);
      if (batchIds.has(batch.id)) return;
      batchIds.add(batch.id);
      timings.inferenceSeconds += batch.result.timings.inferenceSeconds;
    },
  };
  const expire = (): void => {
    if (ticket.cancelled === undefined) ticket.cancelled = 'deadline';
    batcher.withdraw(queue, 'deadline');
  };
  const result = withDeadline(answers(state), context.timeoutMs, expire)
    .then((texts): PredictResult => ({ texts, timings: { ...timings, totalSeconds: (performance.now() - started) / 1000 }, batchIds: [...batchIds] }))
    .catch((error: unknown) => {
      // One failed row fails the request: drop its other rows that have not run yet.
      if (ticket.cancelled === undefined) ticket.cancelled = 'failed';
      batcher.withdraw(queue);
      throw error;
    });
  return {
    result,
    cancel: () => {
      if (ticket.cancelled !== undefined) return;
      ticket.cancelled = 'disconnect';
      batcher.withdraw(queue, 'disconnect');
    },
  };
}
