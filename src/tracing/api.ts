// What the request path calls to trace a request: the facade's contract, free of the SDK. With
// tracing off (the default) `createTracing` returns shared no-op objects (noop.ts) and loads no SDK,
// so a call site costs a method call on a constant and allocates nothing; with tracing on, the
// recording implementation (recorder.ts) writes OpenTelemetry spans.
//
// Arguments are numbers, closed sets of words and the model's display id: there is no parameter a
// request's text, a label or a key could be passed through (docs/tracing.md, test/tracing/).
import type { ErrorCode } from '../errors.js';

/** How the request came in. */
export type Transport = 'rest' | 'batch' | 'websocket' | 'oip';

/** Why admission said no (the names of gliner_requests_dropped_total{reason} where they overlap). */
export type RefusalReason = 'unauthorized' | 'rate_limited' | 'overload' | 'queue_wait' | 'key_quota' | 'draining' | 'not_ready';

/** What the result cache did with one text. */
export type CacheOutcome = 'hit' | 'shared' | 'miss' | 'bypass';

/** A helper job a worker runs for a long text. */
export type JobKind = 'plan' | 'merge';

/** Fields for the request's log line: the trace and span it belongs to. */
export interface TraceLogFields {
  readonly trace_id: string;
  readonly span_id: string;
}

/** Exemplar labels for a latency histogram (only for sampled traces: the trace exists in the backend). */
export interface ExemplarLabels {
  readonly trace_id: string;
}

/** What a worker reports of a batch (src/worker/messages.ts BatchResult is one). */
export interface BatchOutcome {
  readonly workerId: number;
  /** rows × longest row: the batch's cost, padding included. */
  readonly paddedTokens: number;
  readonly rows: readonly { readonly tokens: number }[];
  readonly timings: {
    readonly preprocessSeconds: number;
    readonly inferenceSeconds: number;
    readonly postprocessSeconds: number;
    /**
     * When the worker began the batch, in epoch milliseconds (performance.timeOrigin + now() in the
     * worker). Without it the phases are placed back to back ending when the result arrived.
     */
    readonly startedAtMs?: number;
  };
}

/** One request's trace: one REST/batch/OIP call, or one WebSocket message. */
export interface RequestTrace {
  /** Whether spans are being recorded for it (tracing on and the request sampled). */
  readonly recording: boolean;
  /** W3C traceparent of the request's span: the `traceparent` response header, the WebSocket answer's field. Undefined when tracing is off. */
  traceparent(): string | undefined;
  /** trace_id / span_id for the request's log line; undefined when tracing is off. */
  logFields(): TraceLogFields | undefined;
  /** Exemplar labels for gliner_http_request_duration_seconds / gliner_queue_wait_seconds; undefined unless sampled. */
  exemplar(): ExemplarLabels | undefined;
  /** What was asked: sizes and counts only. `model` is the display id (never a path), `kind` the model kind. */
  describe(model: string, kind: string, texts: number, chars: number, labels: number): void;
  /** Admission starts (key, rate limit, queue budget); without this call it starts with the request. */
  admitting(): void;
  admitted(rows: number): void;
  refused(reason: RefusalReason): void;
  /** The texts are planned: windows in all, model rows (windows × label groups). */
  planned(windows: number, rows: number): void;
  /** Rows joined the queue; the queue span ends when the last of them leaves in a batch. */
  enqueued(rows: number): void;
  /** The result cache's answer for `texts` texts. */
  cached(outcome: CacheOutcome, texts: number): void;
  /** A plan or merge job for this request ran on a worker for `seconds`, ending now (ok: it did not fail). */
  job(kind: JobKind, seconds: number, ok: boolean): void;
  /** The request is answered: its HTTP status (undefined on WebSocket) and error code if it failed. */
  end(status: number | undefined, code: ErrorCode | undefined): void;
}

/** One model batch: its own trace, linked to every request whose rows it ran. */
export interface BatchTrace {
  readonly recording: boolean;
  /** The batch span's context, to put in the worker task; undefined when not recorded. */
  traceparent(): string | undefined;
  /** Exemplar labels for gliner_inference_seconds; undefined when not recorded. */
  exemplar(): ExemplarLabels | undefined;
  done(outcome: BatchOutcome): void;
  failed(code: ErrorCode): void;
}

export interface Tracing {
  /** Checked once where a call would need work to build its arguments (startBatch does it itself). */
  readonly enabled: boolean;
  /**
   * A request arrives. `name` is a constant per route ("POST /api/v1/predict", "WS /api/v1/stream");
   * `traceparent`/`tracestate` are the caller's header values or WebSocket message fields (an invalid
   * traceparent starts a new trace, as W3C Trace Context says). `receivedAt` (performance.now() when
   * the request arrived, before its body was read) starts the span there; default: now.
   */
  startRequest(name: string, transport: Transport, traceparent: string | undefined, tracestate: string | undefined, receivedAt?: number): RequestTrace;
  /**
   * A batch of `rows` rows leaves for a worker, carrying `rowsOf[i]` rows of `requests[i]` (each
   * request once). Also ends the queue span of each request whose last queued row this is.
   */
  startBatch(batchId: number, rows: number, requests: readonly RequestTrace[], rowsOf: readonly number[], solo: boolean): BatchTrace;
  /** Export what has ended (tests; shutdown does it too). */
  flush(): Promise<void>;
  /** Flush and stop exporting (after the server has drained). */
  shutdown(): Promise<void>;
}
