// Tracing on: the facade (api.ts) over an OpenTelemetry tracer. One request is a SERVER span that
// continues the caller's W3C context, with children for admission, the queue wait, its rows in each
// batch and its plan/merge jobs. One model batch is a span of its own trace (it serves many
// requests), linked to every sampled request whose rows it ran, with the worker's phases as children
// placed from the timings the worker reports: no SDK runs in the worker threads (docs/tracing.md).
// Everything here runs on the HTTP thread and costs a constant per request, batch or job.
import { performance } from 'node:perf_hooks';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type Context, type Link, type Span, type SpanContext, type TextMapGetter, type Tracer } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { httpStatusOf, type ErrorCode } from '../errors.js';
import type { BatchOutcome, BatchTrace, CacheOutcome, ExemplarLabels, JobKind, JobTrace, RefusalReason, RequestTrace, TraceLogFields, Tracing, Transport } from './api.js';
import { ATTR, SPAN } from './names.js';
import { NOOP_BATCH, NOOP_JOB } from './noop.js';

interface Carrier {
  readonly traceparent?: string;
  readonly tracestate?: string;
}
const CARRIER_GETTER: TextMapGetter<Carrier> = {
  get: (carrier, key) => (key === 'traceparent' ? carrier.traceparent : key === 'tracestate' ? carrier.tracestate : undefined),
  keys: () => ['traceparent', 'tracestate'],
};

/**
 * Now, in epoch milliseconds from the monotonic clock. Every span time is given this way: the SDK
 * shifts performance.now() values by an offset it measures per span (to a millisecond), which would
 * make a queue wait end a fraction of a millisecond off the start of the batch that ended it.
 */
const clock = (): number => performance.timeOrigin + performance.now();

/** The W3C traceparent header value of a span context. */
export function traceparentOf(context: SpanContext): string {
  return `00-${context.traceId}-${context.spanId}-${context.traceFlags.toString(16).padStart(2, '0')}`;
}

/** Whether a request that ended with this status/code failed on the server's side (5xx). */
function serverFault(status: number | undefined, code: ErrorCode | undefined): boolean {
  return (status ?? (code === undefined ? 200 : httpStatusOf(code))) >= 500;
}

function endWithCode(span: Span, code: ErrorCode | undefined, fault: boolean, at: number): void {
  if (code !== undefined) span.setAttribute(ATTR.errorType, code);
  if (fault) span.setStatus({ code: SpanStatusCode.ERROR, message: code });
  span.end(at);
}

/** Sampled out (tracing on): the context is kept for the response and the log line, nothing is recorded. */
class UnsampledRequest implements RequestTrace {
  readonly recording = false;
  private fields: TraceLogFields | undefined;

  constructor(private readonly context: SpanContext) {}

  traceparent(): string {
    return traceparentOf(this.context);
  }

  logFields(): TraceLogFields {
    return (this.fields ??= { trace_id: this.context.traceId, span_id: this.context.spanId });
  }

  exemplar(): undefined {
    return undefined;
  }

  describe(): void {}
  admitting(): void {}
  admitted(): void {}
  refused(): void {}
  planned(): void {}
  enqueued(): void {}
  cached(): void {}
  startJob(): JobTrace {
    return NOOP_JOB;
  }
  end(): void {}
}

class JobSpan implements JobTrace {
  constructor(private readonly span: Span) {}

  traceparent(): string {
    return traceparentOf(this.span.spanContext());
  }

  end(code?: ErrorCode): void {
    endWithCode(this.span, code, code !== undefined, clock());
  }
}

/** A sampled request. */
export class RequestSpan implements RequestTrace {
  readonly recording = true;
  readonly context: SpanContext;
  private readonly parent: Context;
  private admissionStart: number | undefined;
  private queued = 0;
  private dispatched = 0;
  private queueSpan: Span | undefined;
  private hits = 0;
  private shared = 0;
  private misses = 0;
  private bypassed = 0;
  private ended = false;
  private fields: TraceLogFields | undefined;
  private labels: ExemplarLabels | undefined;

  constructor(private readonly tracer: Tracer, private readonly span: Span, private readonly startedAt: number) {
    this.context = span.spanContext();
    this.parent = trace.setSpan(ROOT_CONTEXT, span);
  }

  /** A child span of the request. */
  child(name: string, startTime: number, attributes: Attributes, links?: Link[]): Span {
    return this.tracer.startSpan(name, { startTime, attributes, links }, this.parent);
  }

  traceparent(): string {
    return traceparentOf(this.context);
  }

  logFields(): TraceLogFields {
    return (this.fields ??= { trace_id: this.context.traceId, span_id: this.context.spanId });
  }

  exemplar(): ExemplarLabels {
    return (this.labels ??= { trace_id: this.context.traceId });
  }

  describe(model: string, kind: string, texts: number, chars: number, labels: number): void {
    this.span.setAttributes({ [ATTR.model]: model, [ATTR.modelKind]: kind, [ATTR.texts]: texts, [ATTR.chars]: chars, [ATTR.labels]: labels });
  }

  admitting(): void {
    this.admissionStart = clock();
  }

  admitted(rows: number): void {
    this.span.setAttribute(ATTR.rows, rows);
    this.child(SPAN.admission, this.admissionStart ?? this.startedAt, { [ATTR.rows]: rows }).end(clock());
  }

  refused(reason: RefusalReason): void {
    this.span.setAttribute(ATTR.refusal, reason);
    const admission = this.child(SPAN.admission, this.admissionStart ?? this.startedAt, { [ATTR.refusal]: reason });
    admission.setStatus({ code: SpanStatusCode.ERROR, message: reason });
    admission.end(clock());
  }

  planned(windows: number, rows: number): void {
    this.span.setAttributes({ [ATTR.windows]: windows, [ATTR.rows]: rows });
  }

  enqueued(rows: number): void {
    if (rows <= 0) return;
    if (this.queueSpan === undefined && this.dispatched >= this.queued) this.queueSpan = this.child(SPAN.queue, clock(), {});
    this.queued += rows;
  }

  /** `rows` of the request's queued rows left in a batch at `at`; the queue span ends with the last. */
  leftQueue(rows: number, at: number): void {
    this.dispatched += rows;
    if (this.queueSpan !== undefined && this.dispatched >= this.queued) {
      this.queueSpan.setAttribute(ATTR.rows, this.queued);
      this.queueSpan.end(at);
      this.queueSpan = undefined;
    }
  }

  cached(outcome: CacheOutcome, texts: number): void {
    if (outcome === 'hit') this.hits += texts;
    else if (outcome === 'shared') this.shared += texts;
    else if (outcome === 'miss') this.misses += texts;
    else this.bypassed += texts;
  }

  startJob(kind: JobKind, count: number): JobTrace {
    return new JobSpan(this.child(kind === 'plan' ? SPAN.plan : SPAN.merge, clock(), { [kind === 'plan' ? ATTR.texts : ATTR.rows]: count }));
  }

  end(status: number | undefined, code: ErrorCode | undefined): void {
    if (this.ended) return;
    this.ended = true;
    const now = clock();
    if (this.queueSpan !== undefined) {
      // Rows that never left the queue: the request was dropped (deadline, disconnect) or failed.
      this.queueSpan.setAttributes({ [ATTR.rows]: this.queued, [ATTR.rowsDropped]: this.queued - this.dispatched });
      this.queueSpan.end(now);
      this.queueSpan = undefined;
    }
    const cache: Attributes = {};
    if (this.hits > 0) cache[ATTR.cacheHits] = this.hits;
    if (this.shared > 0) cache[ATTR.cacheShared] = this.shared;
    if (this.misses > 0) cache[ATTR.cacheMisses] = this.misses;
    if (this.bypassed > 0) cache[ATTR.cacheBypassed] = this.bypassed;
    this.span.setAttributes(cache);
    if (status !== undefined) this.span.setAttribute(ATTR.httpStatus, status);
    endWithCode(this.span, code, serverFault(status, code), now);
  }
}

/** A recorded model batch. */
class BatchSpan implements BatchTrace {
  readonly recording = true;
  private readonly parent: Context;
  private readonly rowSpans: Span[] = [];
  private labels: ExemplarLabels | undefined;
  private ended = false;

  constructor(private readonly tracer: Tracer, private readonly span: Span, private readonly startedAt: number) {
    this.parent = trace.setSpan(ROOT_CONTEXT, span);
  }

  /** A request's rows in this batch: a child of the request, linked to the batch. */
  addRequest(request: RequestSpan, rows: number, batchId: number): void {
    this.rowSpans.push(request.child(SPAN.rows, this.startedAt, { [ATTR.batchId]: batchId, [ATTR.rows]: rows }, [{ context: this.span.spanContext() }]));
  }

  traceparent(): string {
    return traceparentOf(this.span.spanContext());
  }

  exemplar(): ExemplarLabels {
    return (this.labels ??= { trace_id: this.span.spanContext().traceId });
  }

  done(outcome: BatchOutcome): void {
    if (this.ended) return;
    this.ended = true;
    const now = clock();
    let tokens = 0;
    for (const row of outcome.rows) tokens += row.tokens;
    const { preprocessSeconds, inferenceSeconds, postprocessSeconds, startedAtMs } = outcome.timings;
    this.span.setAttributes({
      [ATTR.tokens]: tokens,
      [ATTR.paddedTokens]: outcome.paddedTokens,
      [ATTR.padding]: outcome.paddedTokens > 0 ? 1 - tokens / outcome.paddedTokens : 0,
      [ATTR.workerId]: outcome.workerId,
    });
    // The worker's phases, back to back from when it began (or ending when the result arrived).
    const workerMs = (preprocessSeconds + inferenceSeconds + postprocessSeconds) * 1000;
    let at = Math.max(this.startedAt, startedAtMs === undefined ? now - workerMs : startedAtMs);
    for (const [name, seconds] of [[SPAN.preprocess, preprocessSeconds], [SPAN.inference, inferenceSeconds], [SPAN.postprocess, postprocessSeconds]] as const) {
      const end = Math.min(now, at + seconds * 1000);
      this.tracer.startSpan(name, { startTime: at }, this.parent).end(end);
      at = end;
    }
    for (const rows of this.rowSpans) rows.end(now);
    this.span.end(now);
  }

  failed(code: ErrorCode): void {
    if (this.ended) return;
    this.ended = true;
    const now = clock();
    for (const rows of this.rowSpans) endWithCode(rows, code, true, now);
    endWithCode(this.span, code, true, now);
  }
}

/** The recording facade over a tracer; `provider` flushes and shuts down what the tracer exports. */
export class Recorder implements Tracing {
  readonly enabled = true;
  private readonly propagator = new W3CTraceContextPropagator();

  constructor(private readonly tracer: Tracer, private readonly provider: { forceFlush(): Promise<void>; shutdown(): Promise<void> }) {}

  startRequest(name: string, transport: Transport, traceparent: string | undefined, tracestate: string | undefined): RequestTrace {
    const parent = traceparent === undefined ? ROOT_CONTEXT : this.propagator.extract(ROOT_CONTEXT, { traceparent, tracestate }, CARRIER_GETTER);
    const startedAt = clock();
    const span = this.tracer.startSpan(name, { kind: SpanKind.SERVER, startTime: startedAt, attributes: { [ATTR.transport]: transport } }, parent);
    return span.isRecording() ? new RequestSpan(this.tracer, span, startedAt) : new UnsampledRequest(span.spanContext());
  }

  startBatch<R>(batchId: number, rows: readonly R[], traceOf: (row: R) => RequestTrace, solo: boolean): BatchTrace {
    let sampled = false;
    for (const row of rows) {
      if (traceOf(row) instanceof RequestSpan) {
        sampled = true;
        break;
      }
    }
    if (!sampled) return NOOP_BATCH; // no sampled request in it: the batch is not recorded either
    const requests = new Map<RequestTrace, number>();
    for (const row of rows) {
      const request = traceOf(row);
      requests.set(request, (requests.get(request) ?? 0) + 1);
    }
    const now = clock();
    const links: Link[] = [];
    for (const [request, count] of requests) {
      if (!(request instanceof RequestSpan)) continue;
      request.leftQueue(count, now);
      links.push({ context: request.context, attributes: { [ATTR.rows]: count } });
    }
    const span = this.tracer.startSpan(SPAN.batch, {
      startTime: now,
      links,
      attributes: { [ATTR.batchId]: batchId, [ATTR.rows]: rows.length, [ATTR.batchRequests]: requests.size, [ATTR.solo]: solo },
    }, ROOT_CONTEXT);
    if (!span.isRecording()) return NOOP_BATCH;
    const batch = new BatchSpan(this.tracer, span, now);
    for (const [request, count] of requests) if (request instanceof RequestSpan) batch.addRequest(request, count, batchId);
    return batch;
  }

  flush(): Promise<void> {
    return this.provider.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.provider.shutdown();
  }
}
