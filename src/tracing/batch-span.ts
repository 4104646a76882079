// A recorded model batch: a span of its own trace (one batch serves many requests), linked to every
// sampled request whose rows it ran, with a "rows" child in each of those requests' traces and the
// worker's phases as its own children, placed from the timings the worker reports (no SDK runs in
// the worker threads: docs/tracing.md says why).
import { ROOT_CONTEXT, trace, type Context, type Span, type Tracer } from '@opentelemetry/api';
import type { ErrorCode } from '../errors.js';
import type { BatchOutcome, BatchTrace, ExemplarLabels } from './api.js';
import { ATTR, SPAN } from './names.js';
import { clock, endWithCode, traceparentOf, type RequestSpan } from './spans.js';

/** A recorded model batch. */
export class BatchSpan implements BatchTrace {
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
