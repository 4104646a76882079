// Tracing on: the facade (api.ts) over an OpenTelemetry tracer. A request's span continues the
// caller's W3C context (spans.ts); a batch becomes a span of its own trace linked to its sampled
// requests (batch-span.ts). Everything here runs on the HTTP thread and costs a constant per
// request, batch or job.
import { performance } from 'node:perf_hooks';
import { ROOT_CONTEXT, SpanKind, type Link, type TextMapGetter, type Tracer } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import type { BatchTrace, RequestTrace, Tracing, Transport } from './api.js';
import { BatchSpan } from './batch-span.js';
import { ATTR, SPAN } from './names.js';
import { NOOP_BATCH } from './noop.js';
import { clock, RequestSpan, UnsampledRequest } from './spans.js';

interface Carrier {
  readonly traceparent?: string;
  readonly tracestate?: string;
}
const CARRIER_GETTER: TextMapGetter<Carrier> = {
  get: (carrier, key) => (key === 'traceparent' ? carrier.traceparent : key === 'tracestate' ? carrier.tracestate : undefined),
  keys: () => ['traceparent', 'tracestate'],
};


/** The recording facade over a tracer; `provider` flushes and shuts down what the tracer exports. */
export class Recorder implements Tracing {
  readonly enabled = true;
  private readonly propagator = new W3CTraceContextPropagator();

  constructor(private readonly tracer: Tracer, private readonly provider: { forceFlush(): Promise<void>; shutdown(): Promise<void> }) {}

  startRequest(name: string, transport: Transport, traceparent: string | undefined, tracestate: string | undefined, receivedAt?: number): RequestTrace {
    const parent = traceparent === undefined ? ROOT_CONTEXT : this.propagator.extract(ROOT_CONTEXT, { traceparent, tracestate }, CARRIER_GETTER);
    const startedAt = receivedAt === undefined ? clock() : performance.timeOrigin + receivedAt;
    const span = this.tracer.startSpan(name, { kind: SpanKind.SERVER, startTime: startedAt, attributes: { [ATTR.transport]: transport } }, parent);
    return span.isRecording() ? new RequestSpan(this.tracer, span, startedAt) : new UnsampledRequest(span.spanContext());
  }

  startBatch(batchId: number, rows: number, requests: readonly RequestTrace[], rowsOf: readonly number[], solo: boolean): BatchTrace {
    if (!requests.some((request) => request instanceof RequestSpan)) return NOOP_BATCH; // no sampled request in it: the batch is not recorded either
    const now = clock();
    const links: Link[] = [];
    requests.forEach((request, i) => {
      if (!(request instanceof RequestSpan)) return;
      const count = rowsOf[i] ?? 0;
      request.leftQueue(count, now);
      links.push({ context: request.context, attributes: { [ATTR.rows]: count } });
    });
    const span = this.tracer.startSpan(SPAN.batch, {
      startTime: now,
      links,
      attributes: { [ATTR.batchId]: batchId, [ATTR.rows]: rows, [ATTR.batchRequests]: requests.length, [ATTR.solo]: solo },
    }, ROOT_CONTEXT);
    if (!span.isRecording()) return NOOP_BATCH;
    const batch = new BatchSpan(this.tracer, span, now);
    requests.forEach((request, i) => {
      if (request instanceof RequestSpan) batch.addRequest(request, rowsOf[i] ?? 0, batchId);
    });
    return batch;
  }

  flush(): Promise<void> {
    return this.provider.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.provider.shutdown();
  }
}
