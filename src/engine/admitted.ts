// One admitted request's life around the batcher, for both engines (engine.ts for GLiNER,
// extract-engine.ts for GLiNER2), which plan their own rows: which requests are planned on the HTTP
// thread (INLINE_PLAN_CHARS), admission (OVERLOADED / QUEUE_QUOTA_EXCEEDED thrown at once, with the
// rough row estimate of a text not yet split), its ticket and row queue, the deadline (unrun rows
// dropped, 504 at once), cancellation when the client leaves, the timings and batch ids of the
// batches that served it, and draining (AdmissionGate: DRAINING, then wait for what was admitted).
import { performance } from 'node:perf_hooks';
import { drainingError, GlinerError } from '../errors.js';
import type { TextAnswer } from '../worker/messages.js';
import type { Batcher } from './batcher.js';
import { withDeadline } from './deadline.js';
import { Settling } from './jobs.js';
import type { EngineEvents, PredictContext, PredictResult, Submission } from './engine.js';
import type { Refusal } from './batcher.js';
import { RequestRows, type AnyRowTask, type DispatchedBatch, type Ticket } from './fair-queue.js';

/** Windows (or chunks) a text of `chars` characters will need, before anyone has split it: about 6 characters a word. */
export function roughWindows(chars: number, windowWords: number, overlapWords: number): number {
  const words = Math.ceil(chars / 6);
  const stride = Math.max(1, windowWords - overlapWords);
  return Math.max(1, Math.ceil(Math.max(0, words - overlapWords) / stride));
}

/** Requests whose texts add up to at most this many characters are planned on the HTTP thread (a few µs). */
export const INLINE_PLAN_CHARS = 2048;

/**
 * A request's plans made on the HTTP thread, and the rows admission charges it: texts adding up to at
 * most INLINE_PLAN_CHARS are planned here and charged their real rows; longer ones are left to a
 * worker's plan job (`plans` undefined) and charged the rough estimate of each text.
 */
export function inlinePlans<P>(texts: readonly string[], plan: (text: string) => P, rowsOf: (plan: P) => number, roughRows: (chars: number) => number): { readonly plans: P[] | undefined; readonly rows: number } {
  const chars = texts.reduce((sum, text) => sum + text.length, 0);
  if (chars > INLINE_PLAN_CHARS) return { plans: undefined, rows: texts.reduce((sum, text) => sum + roughRows(text.length), 0) };
  const plans = texts.map(plan);
  return { plans, rows: plans.reduce((sum, p) => sum + rowsOf(p), 0) };
}

/** Why admission refused a request; it rides on the error as `extra.reason` (metrics and tracing read it). */
export const ADMISSION_REASONS = ['overload', 'queue_wait', 'key_quota'] as const;
export type AdmissionReason = (typeof ADMISSION_REASONS)[number];

/** The admission reason an error carries (OVERLOADED, QUEUE_QUOTA_EXCEEDED), or undefined for any other error. */
export function admissionReason(error: GlinerError): AdmissionReason | undefined {
  const { reason } = error.extra;
  return typeof reason === 'string' && (ADMISSION_REASONS as readonly string[]).includes(reason) ? (reason as AdmissionReason) : undefined;
}

export function refusalError(refusal: Refusal): GlinerError {
  const wait = refusal.expectedWaitSeconds.toFixed(1);
  if (refusal.reason === 'key_quota') {
    return new GlinerError('QUEUE_QUOTA_EXCEEDED', `This API key already has its quota of rows waiting (about ${wait} s of work); retry shortly.`, { retryAfterSeconds: refusal.retryAfterSeconds, reason: 'key_quota' });
  }
  const why = refusal.reason === 'queue_wait' ? `the expected wait (${wait} s) is over the server's budget` : 'the queue is full';
  const reason: AdmissionReason = refusal.reason === 'queue_wait' ? 'queue_wait' : 'overload';
  return new GlinerError('OVERLOADED', `The server is at capacity: ${why}; retry after ${refusal.retryAfterSeconds} s.`, { retryAfterSeconds: refusal.retryAfterSeconds, reason });
}

export interface RunState {
  /** The request's rows in the batcher (enqueue into it; its ticket says whether it was cancelled). */
  readonly queue: RequestRows;
  /** A batch carried one of its rows: count its wait and inference time once. */
  served(batch: DispatchedBatch): void;
}

/**
 * Admit `rows` rows of the caller's tenant, tell the observers (`events.admitted`), then run
 * `answers`; refusals are thrown synchronously.
 */
function admitted<T extends AnyRowTask>(batcher: Batcher<T>, rows: number, context: PredictContext, events: EngineEvents, answers: (state: RunState) => Promise<TextAnswer[]>): Submission {
  const started = performance.now();
  const tenant = context.tenant ?? '';
  const refusal = batcher.admit(tenant, rows);
  if (refusal !== undefined) throw refusalError(refusal);
  events.admitted?.(context.context, rows);
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

/**
 * What both engines share around admission: DRAINING once drain() has begun, and drain() itself —
 * stop admitting, wait until every admitted request has settled, then until the batcher is idle.
 */
export class AdmissionGate {
  private draining = false;
  private readonly settling = new Settling();

  get isDraining(): boolean {
    return this.draining;
  }

  /** Throws DRAINING once drain() has begun; an engine calls it before any work on a request. */
  check(): void {
    if (this.draining) throw drainingError();
  }

  /** Admit a planned request (refusals thrown synchronously) and track it until it settles. */
  admit<T extends AnyRowTask>(batcher: Batcher<T>, rows: number, context: PredictContext, events: EngineEvents, answers: (state: RunState) => Promise<TextAnswer[]>): Submission {
    const submission = admitted(batcher, rows, context, events, answers);
    this.settling.track(submission.result);
    return submission;
  }

  async drain<T extends AnyRowTask>(batcher: Batcher<T>): Promise<void> {
    this.draining = true;
    await this.settling.all();
    await batcher.idle();
  }
}
