// The micro-batcher: owns the workers' time. Two kinds of work take a worker slot: model batches,
// filled fairly from the row queue (fair-queue.ts), and short helper jobs (planning or merging a long
// text) that go first, since each one completes or unblocks a request.
//
// Work-conserving: whenever a worker slot is free and work is waiting, it leaves at once — there is
// no timer, so a lone request never waits for company. What waits is spread over the free workers
// (two free workers and six rows: two batches of three). A single row that is the only work in the
// server (nothing running, nothing left waiting) goes to the solo session when the pool has one:
// every core for a lone request; everything else goes to the shared sessions, one batch per worker.
// Under load rows pile up while every worker is busy, and the next batch takes as many as fit: up
// to a row cap and a token budget that counts padding (rows × longest row), refusing a row that
// would make more than a set share of the batch padding. Between batches, requests whose deadline
// passed or whose client left are dropped whole.
// Admission: the batcher measures its own throughput and refuses work whose expected wait, as the
// fair schedule would serve it, exceeds a budget, and a key that already has its quota of rows queued.
import { performance } from 'node:perf_hooks';
import { GlinerError } from '../errors.js';
import type { RowTask } from '../worker/messages.js';
import { FairQueue, RequestRows, type AnyBatchResult, type AnyRowTask, type DispatchedBatch, type QueuedRow, type Ticket } from './fair-queue.js';

export type { AnyBatchResult, AnyRowResult, AnyRowTask, DispatchedBatch, QueuedRow, Ticket } from './fair-queue.js';
export { RequestRows } from './fair-queue.js';

export interface BatcherSettings {
  readonly maxBatchRows: number;
  readonly maxBatchTokens: number;
  /** Largest fraction of a batch's padded size that may be padding (0..1). */
  readonly maxBatchPadding: number;
  readonly maxQueueRows: number;
  /** Rows one tenant (API key) may have waiting; 0 = no quota. */
  readonly maxQueueRowsPerKey: number;
  /** Expected queue wait, in seconds, beyond which new work is refused; 0 = no wait budget. */
  readonly maxQueueWaitSeconds: number;
  /** Requests looked at to fill one batch. */
  readonly lookahead: number;
  /** Batches in flight at once (one per worker). */
  readonly maxInflight: number;
  /** Whether the pool has a solo session for lone batches. */
  readonly solo?: boolean;
}

export type DropReason = 'deadline' | 'disconnect';

export interface BatcherEvents {
  queueDepth?(rows: number): void;
  rowWaited?(seconds: number, ticket: Ticket | undefined): void;
  /** A request was dropped with `rows` rows not run (counted once per request). */
  dropped?(reason: DropReason, rows: number): void;
  /** A batch left for a worker: its id, rows, session and the requests it serves (a trace links them). */
  batchStarted?(batch: Omit<DispatchedBatch, 'result'>): void;
  batchDone?(batch: DispatchedBatch): void;
  /** A batch's worker task failed (the rows' requests fail with `error`). */
  batchFailed?(batch: Omit<DispatchedBatch, 'result'>, error: GlinerError): void;
  /** Seconds one row costs the pool, as measured (EWMA), after each batch. */
  rowCost?(seconds: number): void;
}

/** Run a batch; `solo`: on the solo session (the batch is the only work in the server). */
/** `T`: the rows this batcher's requests queue (GLiNER rows, or either kind where the stack may serve both). */
export type Dispatch<T extends AnyRowTask = RowTask> = (batchId: number, rows: readonly T[], solo: boolean) => Promise<AnyBatchResult>;

/** Why admission refused, and when to come back. */
export interface Refusal {
  readonly reason: 'queue_full' | 'queue_wait' | 'key_quota';
  readonly retryAfterSeconds: number;
  /** The expected wait that was refused (seconds), for the message. */
  readonly expectedWaitSeconds: number;
}

interface HelperJob {
  readonly run: () => Promise<unknown>;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

/** Weight of the newest batch in the row-cost average. */
const EWMA = 0.2;

export class Batcher<T extends AnyRowTask = RowTask> {
  private readonly queue = new FairQueue();
  private readonly helpers: HelperJob[] = [];
  private inflight = 0;
  private nextBatchId = 1;
  private idleWaiters: (() => void)[] = [];
  /** Measured seconds of one worker per row (EWMA); undefined until the first batch. */
  private secondsPerRow: number | undefined;

  /** Built once the pool is up, with its final settings (startup/settings.ts): one batch in flight per worker. */
  constructor(
    private readonly settings: BatcherSettings,
    private readonly dispatch: Dispatch<T>,
    private readonly events: BatcherEvents = {},
    private readonly now: () => number = () => performance.now(),
  ) {}

  get depth(): number {
    return this.queue.rows;
  }

  /** Rows waiting per tenant (metrics). */
  rowsByTenant(): Map<string, number> {
    return this.queue.byTenant();
  }

  get busy(): number {
    return this.inflight;
  }

  /** Expected seconds before `rows` new rows of `tenant` would all be dispatched (0 until measured). */
  expectedWait(tenant: string, rows: number): number {
    if (this.secondsPerRow === undefined) return 0;
    return (this.queue.rowsAhead(tenant, rows) * this.secondsPerRow) / Math.max(1, this.settings.maxInflight);
  }

  /** Whether `rows` more rows of `tenant` may join the queue now; a refusal says why. */
  admit(tenant: string, rows: number): Refusal | undefined {
    const { maxQueueRows, maxQueueRowsPerKey, maxQueueWaitSeconds } = this.settings;
    const perRow = (this.secondsPerRow ?? 0) / Math.max(1, this.settings.maxInflight);
    const retry = (excessRows: number): number => Math.max(1, Math.ceil(excessRows * perRow));
    if (this.queue.rows + rows > maxQueueRows) return { reason: 'queue_full', retryAfterSeconds: retry(this.queue.rows + rows - maxQueueRows), expectedWaitSeconds: this.queue.rows * perRow };
    const own = this.queue.tenantRows(tenant);
    if (maxQueueRowsPerKey > 0 && own + rows > maxQueueRowsPerKey) return { reason: 'key_quota', retryAfterSeconds: retry(own + rows - maxQueueRowsPerKey), expectedWaitSeconds: own * perRow };
    if (maxQueueWaitSeconds > 0) {
      const wait = this.expectedWait(tenant, rows);
      if (wait > maxQueueWaitSeconds) return { reason: 'queue_wait', retryAfterSeconds: Math.max(1, Math.ceil(wait - maxQueueWaitSeconds)), expectedWaitSeconds: wait };
    }
    return undefined;
  }

  /** Queue rows of a request (admission was checked) and dispatch if a worker is free. */
  enqueue(request: RequestRows, rows: readonly QueuedRow[]): void {
    const now = this.now();
    for (const row of rows) row.enqueuedAt = now;
    this.queue.push(request, rows);
    this.pump();
  }

  /**
   * Take a request's rows that have not run out of the queue: it failed, or (with a reason, counted
   * as a drop) its deadline passed or its client left.
   */
  withdraw(request: RequestRows, reason?: DropReason): void {
    this.drop(request, reason);
    this.pump();
  }

  /** Run a short helper job (planning, merging) on the next free worker, ahead of batches. */
  helper<T>(run: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.helpers.push({ run, resolve: resolve as (value: unknown) => void, reject });
      this.pump();
    });
  }

  /** Resolves once nothing is queued or running. */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private isIdle(): boolean {
    return this.queue.rows === 0 && this.helpers.length === 0 && this.inflight === 0;
  }

  private pump(): void {
    while (this.inflight < this.settings.maxInflight) {
      const job = this.helpers.shift();
      if (job !== undefined) {
        this.runHelper(job);
        continue;
      }
      const batch = this.take();
      if (batch.length === 0) break;
      // The solo session takes a batch that is the only work in the server (taking it left the
      // batcher idle): with every worker free, take() leaves rows behind unless there was a single
      // one, so this is a lone request's row. Larger lone work is spread over the shared sessions.
      this.run(batch, this.settings.solo === true && this.isIdle());
    }
    this.events.queueDepth?.(this.queue.rows);
    if (this.isIdle()) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  /** A request that must not run any more: past its deadline, cancelled, or failed. */
  private dead(ticket: Ticket, now: number): boolean {
    if (ticket.cancelled === undefined && now > ticket.deadline) ticket.cancelled = 'deadline';
    return ticket.cancelled !== undefined;
  }

  /** Pick the next batch out of the queue, dropping dead requests met on the way. */
  private take(): QueuedRow[] {
    const now = this.now();
    const { maxBatchRows, maxBatchTokens, maxBatchPadding, lookahead, maxInflight } = this.settings;
    // Spread what is waiting over the free workers instead of giving one of them everything.
    const free = Math.max(1, maxInflight - this.inflight);
    const maxRows = Math.max(1, Math.min(maxBatchRows, Math.ceil(this.queue.rows / free)));
    // A request waits at most about two batches' time before it anchors one (a second until measured).
    const ageLimitMs = this.secondsPerRow === undefined ? 1000 : Math.max(50, 2000 * this.secondsPerRow * maxBatchRows);
    const { rows, dead } = this.queue.take(
      { maxRows, maxTokens: maxBatchTokens, maxPadding: maxBatchPadding, lookahead, ageLimitMs },
      now,
      (request) => this.dead(request.ticket, now),
    );
    for (const request of dead) {
      const reason = request.ticket.cancelled;
      this.drop(request, reason === 'deadline' || reason === 'disconnect' ? reason : undefined);
    }
    return rows;
  }

  /** Remove a request's waiting rows; a drop (not a failure, counted where it failed) is counted once. */
  private drop(request: RequestRows, reason: DropReason | undefined): void {
    const left = this.queue.remove(request);
    if (reason !== undefined && !request.dropCounted) {
      request.dropCounted = true;
      this.events.dropped?.(reason, left.length);
    }
    if (left.length === 0) return;
    const error = reason === 'disconnect'
      ? new GlinerError('DEADLINE_EXCEEDED', 'The client went away before the request could run.')
      : new GlinerError('DEADLINE_EXCEEDED', 'The request deadline passed before it could run.');
    for (const row of left) row.reject(error);
  }

  private runHelper(job: HelperJob): void {
    this.inflight++;
    job.run().then(job.resolve, job.reject).finally(() => {
      this.inflight--;
      this.pump();
    });
  }

  private run(rows: QueuedRow[], solo: boolean): void {
    const id = this.nextBatchId++;
    const started = this.now();
    let queueSeconds = 0;
    for (const row of rows) {
      const waited = (started - row.enqueuedAt) / 1000;
      queueSeconds = Math.max(queueSeconds, waited);
      this.events.rowWaited?.(waited, row.ticket);
    }
    this.inflight++;
    // The requests the batch serves, each once (a batch holds a handful of rows: a scan beats a Set).
    const tickets: Ticket[] = [];
    const ticketRows: number[] = [];
    for (const row of rows) {
      if (row.ticket === undefined) continue;
      const at = tickets.indexOf(row.ticket);
      if (at < 0) {
        tickets.push(row.ticket);
        ticketRows.push(1);
      } else ticketRows[at] = (ticketRows[at] ?? 0) + 1;
    }
    const dispatched = { id, rows: rows.length, queueSeconds, solo, tickets, ticketRows };
    this.events.batchStarted?.(dispatched);
    this.dispatch(id, rows.map((row) => row.task as T), solo).then(
      (result) => {
        // The wait estimate is for the shared sessions (the queue is served by them); a solo batch
        // runs only when nothing waits, faster than a shared one, and would make the estimate low.
        if (!solo) this.measure(rows.length, (this.now() - started) / 1000);
        const batch: DispatchedBatch = { ...dispatched, result };
        this.events.batchDone?.(batch);
        rows.forEach((row, i) => {
          const rowResult = result.rows[i];
          if (rowResult === undefined) row.reject(new GlinerError('INTERNAL', 'A batch result is missing a row: this is a bug.'));
          else row.resolve(rowResult, batch);
        });
      },
      (error: unknown) => {
        const failure = error instanceof GlinerError ? error : new GlinerError('INTERNAL', 'Inference failed.', { cause: error });
        this.events.batchFailed?.(dispatched, failure);
        for (const row of rows) row.reject(failure);
      },
    ).finally(() => {
      this.inflight--;
      this.pump();
    });
  }

  private measure(rows: number, seconds: number): void {
    const perRow = seconds / Math.max(1, rows);
    this.secondsPerRow = this.secondsPerRow === undefined ? perRow : this.secondsPerRow * (1 - EWMA) + perRow * EWMA;
    this.events.rowCost?.(this.secondsPerRow);
  }
}
