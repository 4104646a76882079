// The spans of one request when tracing is on: the sampled request (a SERVER span with children for
// admission, the queue wait, its rows in each batch and its plan/merge jobs) and the sampled-out one
// (its context only, for the response and the log line). Shared helpers for span times,
// traceparent values and error status. Runs on the HTTP thread; constant work per call.
import { performance } from 'node:perf_hooks';
import { ROOT_CONTEXT, SpanStatusCode, trace, type Attributes, type Context, type Link, type Span, type SpanContext, type Tracer } from '@opentelemetry/api';
import { httpStatusOf, type ErrorCode } from '../errors.js';
import type { CacheOutcome, ExemplarLabels, JobKind, RefusalReason, RequestTrace, TraceLogFields } from './api.js';
import { ATTR, SPAN } from './names.js';

/**
 * Now, in epoch milliseconds from the monotonic clock. Every span time is given this way: the SDK
 * shifts performance.now() values by an offset it measures per span (to a millisecond), which would
 * make a queue wait end a fraction of a millisecond off the start of the batch that ended it.
 */
export const clock = (): number => performance.timeOrigin + performance.now();

/** The W3C traceparent header value of a span context. */
export function traceparentOf(context: SpanContext): string {
  return `00-${context.traceId}-${context.spanId}-${context.traceFlags.toString(16).padStart(2, '0')}`;
}

/** Whether a request that ended with this status/code failed on the server's side (5xx). */
function serverFault(status: number | undefined, code: ErrorCode | undefined): boolean {
  return (status ?? (code === undefined ? 200 : httpStatusOf(code))) >= 500;
}

export function endWithCode(span: Span, code: ErrorCode | undefined, fault: boolean, at: number): void {
  if (code !== undefined) span.setAttribute(ATTR.errorType, code);
  if (fault) span.setStatus({ code: SpanStatusCode.ERROR, message: code });
  span.end(at);
}

/** Sampled out (tracing on): the context is kept for the response and the log line, nothing is recorded. */
export class UnsampledRequest implements RequestTrace {
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
  job(): void {}
  end(): void {}
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

  job(kind: JobKind, seconds: number, ok: boolean): void {
    const now = clock();
    endWithCode(this.child(kind === 'plan' ? SPAN.plan : SPAN.merge, Math.max(this.startedAt, now - seconds * 1000), {}), undefined, !ok, now);
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

