// The engine: admission, planning and merging around the batcher. The front end gives it texts and
// labels; it plans each text into rows (windows × label groups), admits the request only if every
// row fits in the queue (otherwise OVERLOADED at once), waits for the rows, and merges their spans
// into entities. Streaming callers get each window's entities as soon as that window is done.
import { performance } from 'node:perf_hooks';
import { GlinerError } from '../errors.js';
import type { DecodeOptions } from '../inference/decode.js';
import { mergeRows, type Entity, type RowSpans } from '../inference/merge.js';
import { dedupeLabels, planText, type PlanLimits, type RowSpec, type TextPlan } from '../inference/plan.js';
import type { RowResult } from '../worker/messages.js';
import { Batcher, type DispatchedBatch, type QueuedRow, type Ticket } from './batcher.js';

export interface PredictRequest {
  readonly texts: readonly string[];
  readonly labels: readonly string[];
  readonly options: DecodeOptions;
}

export interface WindowUpdate {
  readonly text: number;
  readonly window: number;
  readonly windows: number;
  /** Entities found in this window alone (offsets in the original text). */
  readonly entities: Entity[];
}

export interface PredictContext {
  /** Milliseconds from now. */
  readonly timeoutMs: number;
  readonly onWindow?: (update: WindowUpdate) => void;
}

export interface StageTimings {
  /** Longest time any of the request's rows waited in the queue. */
  queueSeconds: number;
  /** ONNX Runtime time of the batches that carried the request's rows (summed). */
  inferenceSeconds: number;
  totalSeconds: number;
}

export interface PredictResult {
  readonly entities: Entity[][];
  readonly timings: StageTimings;
  readonly batchIds: readonly number[];
}

export interface Submission {
  readonly result: Promise<PredictResult>;
  /** The client went away: rows not yet dispatched are dropped. */
  cancel(): void;
}

export class Engine {
  private draining = false;
  private readonly active = new Set<Promise<unknown>>();

  constructor(
    private readonly batcher: Batcher,
    private limits: PlanLimits,
    private readonly onRejected: (reason: 'overload' | 'draining') => void = () => undefined,
  ) {}

  /** Set once the model's config is known (the front end starts listening before that). */
  setLimits(limits: PlanLimits): void {
    this.limits = limits;
  }

  get isDraining(): boolean {
    return this.draining;
  }

  /** Plan, admit and run a request. Throws OVERLOADED or DRAINING synchronously when refused. */
  submit(request: PredictRequest, context: PredictContext): Submission {
    if (this.draining) {
      this.onRejected('draining');
      throw new GlinerError('DRAINING', 'The server is shutting down.', { retryAfterSeconds: 1 });
    }
    const started = performance.now();
    const labels = dedupeLabels(request.labels);
    const plans = request.texts.map((text) => planText(text, labels, this.limits));
    const rowCount = plans.reduce((sum, plan) => sum + plan.rows.length, 0);
    if (!this.batcher.hasRoom(rowCount)) {
      this.onRejected('overload');
      throw new GlinerError('OVERLOADED', 'The server is at capacity; retry shortly.', { retryAfterSeconds: 1 });
    }
    const ticket: Ticket = { deadline: started + context.timeoutMs, cancelled: undefined };
    const timings: StageTimings = { queueSeconds: 0, inferenceSeconds: 0, totalSeconds: 0 };
    const batchIds = new Set<number>();
    const seenBatches = new Set<number>();
    const queued: QueuedRow[] = [];

    const perText = plans.map((plan, textIndex) =>
      this.textResult(plan, request.texts[textIndex] ?? '', labels, request.options, context, textIndex),
    );
    // Wire each row of each text to the queue.
    const rowPromises = plans.map((plan) =>
      plan.rows.map(
        (row) =>
          new Promise<RowSpans>((resolve, reject) => {
            queued.push({
              task: { words: row.words, labels: row.labels, threshold: request.options.threshold },
              tokens: row.estimatedTokens,
              ticket,
              enqueuedAt: 0,
              resolve: (result: RowResult, batch: DispatchedBatch) => {
                timings.queueSeconds = Math.max(timings.queueSeconds, batch.queueSeconds);
                if (!seenBatches.has(batch.id)) {
                  seenBatches.add(batch.id);
                  timings.inferenceSeconds += batch.result.timings.inferenceSeconds;
                }
                batchIds.add(batch.id);
                resolve({ row, spans: result.spans });
              },
              reject,
            });
          }),
      ),
    );

    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        if (ticket.cancelled === undefined) ticket.cancelled = 'deadline';
        reject(new GlinerError('DEADLINE_EXCEEDED', `The request did not finish within ${context.timeoutMs} ms.`));
      }, context.timeoutMs);
      timer.unref();
    });
    deadline.catch(() => undefined);

    const all = Promise.all(perText.map((make, i) => make(rowPromises[i] ?? [])));
    const result = Promise.race([all, deadline])
      .then((entities): PredictResult => {
        timings.totalSeconds = (performance.now() - started) / 1000;
        return { entities, timings, batchIds: [...batchIds] };
      })
      .catch((error: unknown) => {
        // One failed row fails the request: drop its other rows that have not run yet.
        if (ticket.cancelled === undefined) ticket.cancelled = 'failed';
        throw error;
      })
      .finally(() => clearTimeout(timer));
    this.track(result);
    this.batcher.enqueue(queued);
    return {
      result,
      cancel: () => {
        if (ticket.cancelled === undefined) ticket.cancelled = 'disconnect';
      },
    };
  }

  private textResult(
    plan: TextPlan,
    text: string,
    labels: readonly string[],
    options: DecodeOptions,
    context: PredictContext,
    textIndex: number,
  ): (rows: Promise<RowSpans>[]) => Promise<Entity[]> {
    return async (rows) => {
      if (plan.rows.length === 0) return [];
      if (context.onWindow !== undefined) this.streamWindows(plan, rows, text, labels, options, context.onWindow, textIndex);
      const spans = await Promise.all(rows);
      return mergeRows(text, plan.words, labels, spans, options);
    };
  }

  /** Report each window as soon as all its rows (one per label group) are back. */
  private streamWindows(
    plan: TextPlan,
    rows: Promise<RowSpans>[],
    text: string,
    labels: readonly string[],
    options: DecodeOptions,
    onWindow: (update: WindowUpdate) => void,
    textIndex: number,
  ): void {
    const byWindow = new Map<number, Promise<RowSpans>[]>();
    plan.rows.forEach((row: RowSpec, i) => {
      const list = byWindow.get(row.window) ?? [];
      const promise = rows[i];
      if (promise !== undefined) list.push(promise);
      byWindow.set(row.window, list);
    });
    for (const [window, promises] of byWindow) {
      Promise.all(promises).then(
        (spans) => onWindow({ text: textIndex, window, windows: plan.windows, entities: mergeRows(text, plan.words, labels, spans, options) }),
        () => undefined, // the request's own promise reports the failure
      );
    }
  }

  private track(promise: Promise<unknown>): void {
    const settled = promise.then(() => undefined, () => undefined);
    this.active.add(settled);
    void settled.then(() => this.active.delete(settled));
  }

  /** Stop admitting, then wait until every admitted request has settled. */
  async drain(): Promise<void> {
    this.draining = true;
    await Promise.all([...this.active]);
    await this.batcher.idle();
  }
}
