// The micro-batcher: owns the bounded row queue and turns it into model batches.
//
// Work-conserving: whenever a worker slot is free and rows are waiting, a batch leaves at once —
// there is no timer, so a lone request never waits for company. Under load rows pile up while
// every worker is busy, and the next batch takes as many as fit: up to a row cap and a token
// budget that counts padding (rows × longest row), preferring rows of similar length to the
// oldest waiting row, and refusing a row that would make more than a set share of the batch
// padding (the model pays for padded tokens, and its span layer for padded words). Rows whose request was cancelled
// (client gone) or whose deadline passed are dropped here, before they cost anything.
import { performance } from 'node:perf_hooks';
import { GlinerError } from '../errors.js';
import type { BatchResult, RowResult, RowTask } from '../worker/messages.js';

export interface BatcherSettings {
  readonly maxBatchRows: number;
  readonly maxBatchTokens: number;
  /** Largest fraction of a batch's padded size that may be padding (0..1). */
  readonly maxBatchPadding: number;
  readonly maxQueueRows: number;
  /** Queued rows scanned when grouping by length. */
  readonly lookahead: number;
  /** Batches in flight at once (one per worker). */
  readonly maxInflight: number;
}

/** Shared by every row of one request: cancelling it drops the rows not yet dispatched. */
export interface Ticket {
  readonly deadline: number;
  cancelled: 'disconnect' | 'deadline' | 'failed' | undefined;
  /** Set once the request's drop has been counted (a request counts once, whatever its rows). */
  dropCounted?: boolean;
}

export interface QueuedRow {
  readonly task: RowTask;
  readonly tokens: number;
  readonly ticket: Ticket;
  readonly resolve: (result: RowResult, batch: DispatchedBatch) => void;
  readonly reject: (error: GlinerError) => void;
  enqueuedAt: number;
}

export interface DispatchedBatch {
  readonly id: number;
  readonly rows: number;
  /** Longest wait among the batch's rows, in seconds. */
  readonly queueSeconds: number;
  readonly result: BatchResult;
}

export interface BatcherEvents {
  queueDepth?(rows: number): void;
  rowWaited?(seconds: number): void;
  dropped?(reason: 'deadline' | 'disconnect', rows: number): void;
  batchDone?(batch: DispatchedBatch): void;
}

export type Dispatch = (batchId: number, rows: readonly RowTask[]) => Promise<BatchResult>;

export class Batcher {
  private queue: QueuedRow[] = [];
  private inflight = 0;
  private nextBatchId = 1;
  private idleWaiters: (() => void)[] = [];

  private settings: BatcherSettings;

  constructor(
    settings: BatcherSettings,
    private readonly dispatch: Dispatch,
    private readonly events: BatcherEvents = {},
    private readonly now: () => number = () => performance.now(),
  ) {
    this.settings = settings;
  }

  /** One batch in flight per worker: set once the pool is up and its size known. */
  setMaxInflight(batches: number): void {
    this.settings = { ...this.settings, maxInflight: batches };
    this.pump();
  }

  get depth(): number {
    return this.queue.length;
  }

  get busy(): number {
    return this.inflight;
  }

  /** Whether `rows` more rows fit in the queue. */
  hasRoom(rows: number): boolean {
    return this.queue.length + rows <= this.settings.maxQueueRows;
  }

  /** Queue rows (the caller checked hasRoom) and dispatch if a worker is free. */
  enqueue(rows: readonly QueuedRow[]): void {
    const now = this.now();
    for (const row of rows) {
      row.enqueuedAt = now;
      this.queue.push(row);
    }
    this.events.queueDepth?.(this.queue.length);
    this.pump();
  }

  /** Resolves once nothing is queued or running. */
  idle(): Promise<void> {
    if (this.queue.length === 0 && this.inflight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private pump(): void {
    while (this.inflight < this.settings.maxInflight) {
      const batch = this.take();
      if (batch.length === 0) break;
      this.run(batch);
    }
    this.events.queueDepth?.(this.queue.length);
    if (this.queue.length === 0 && this.inflight === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  /** Drop rows that must not run; returns true if the row is still live. */
  private live(row: QueuedRow, now: number): boolean {
    const ticket = row.ticket;
    if (ticket.cancelled === undefined && now > ticket.deadline) {
      ticket.cancelled = 'deadline';
      row.reject(new GlinerError('DEADLINE_EXCEEDED', 'The request deadline passed before it could run.'));
    }
    if (ticket.cancelled === undefined) return true;
    // Requests that failed for another reason are counted where they failed.
    if (ticket.cancelled !== 'failed' && ticket.dropCounted !== true) {
      ticket.dropCounted = true;
      this.events.dropped?.(ticket.cancelled, 1);
    }
    return false;
  }

  /** Pick the next batch out of the queue. */
  private take(): QueuedRow[] {
    const now = this.now();
    // Clear dead rows from the head so the anchor is live.
    while (this.queue.length > 0 && !this.live(this.queue[0] as QueuedRow, now)) this.queue.shift();
    const anchor = this.queue[0];
    if (anchor === undefined) return [];
    const { maxBatchRows, maxBatchTokens, maxBatchPadding, lookahead } = this.settings;
    if (maxBatchRows === 1) return [this.queue.shift() as QueuedRow];

    const scan = Math.min(this.queue.length, lookahead);
    const order: number[] = [];
    for (let i = 1; i < scan; i++) order.push(i);
    order.sort((a, b) => Math.abs((this.queue[a] as QueuedRow).tokens - anchor.tokens) - Math.abs((this.queue[b] as QueuedRow).tokens - anchor.tokens) || a - b);

    const picked = new Set<number>([0]);
    let longest = anchor.tokens;
    let total = anchor.tokens;
    let live = 1;
    for (const i of order) {
      if (live >= maxBatchRows) break;
      const row = this.queue[i] as QueuedRow;
      if (!this.live(row, now)) {
        picked.add(i); // removed from the queue below, but not dispatched
        continue;
      }
      const nextLongest = Math.max(longest, row.tokens);
      const padded = nextLongest * (live + 1);
      if (padded > maxBatchTokens) continue;
      if ((padded - (total + row.tokens)) / padded > maxBatchPadding) continue;
      picked.add(i);
      longest = nextLongest;
      total += row.tokens;
      live++;
    }
    const batch: QueuedRow[] = [];
    const rest: QueuedRow[] = [];
    this.queue.forEach((row, i) => {
      if (!picked.has(i)) rest.push(row);
      else if (row.ticket.cancelled === undefined) batch.push(row);
    });
    this.queue = rest;
    return batch;
  }

  private run(rows: QueuedRow[]): void {
    const id = this.nextBatchId++;
    const started = this.now();
    let queueSeconds = 0;
    for (const row of rows) {
      const waited = (started - row.enqueuedAt) / 1000;
      queueSeconds = Math.max(queueSeconds, waited);
      this.events.rowWaited?.(waited);
    }
    this.inflight++;
    this.dispatch(id, rows.map((row) => row.task)).then(
      (result) => {
        const batch: DispatchedBatch = { id, rows: rows.length, queueSeconds, result };
        this.events.batchDone?.(batch);
        rows.forEach((row, i) => {
          const rowResult = result.rows[i];
          if (rowResult === undefined) row.reject(new GlinerError('INTERNAL', 'A batch result is missing a row: this is a bug.'));
          else row.resolve(rowResult, batch);
        });
      },
      (error: unknown) => {
        const failure = error instanceof GlinerError ? error : new GlinerError('INTERNAL', 'Inference failed.', { cause: error });
        for (const row of rows) row.reject(failure);
      },
    ).finally(() => {
      this.inflight--;
      this.pump();
    });
  }
}
