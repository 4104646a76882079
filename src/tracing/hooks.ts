// The tracing side of the server's hooks, as metrics/hooks.ts is the Prometheus side: the service's
// start/end events, the engine's admission, queue and helper-job events and the batcher's batch
// events, turned into the facade's calls (api.ts). Installed only when tracing is on. A request's
// trace rides as the service caller's context; a batch's trace is kept by batch id from its start
// to its end. The engine and the batcher know nothing of tracing.
import { admissionReason } from '../engine/admitted.js';
import type { BatcherEvents } from '../engine/batcher.js';
import type { CacheStatus } from '../engine/cached-engine.js';
import type { EngineEvents } from '../engine/engine.js';
import type { ErrorCode } from '../errors.js';
import type { ExtractSchema } from '../inference/gliner2/schema.js';
import type { Exemplars } from '../metrics/hooks.js';
import type { ServiceEvents } from '../service/events.js';
import type { BatchTrace, RefusalReason, RequestTrace, Tracing } from './api.js';
import { NOOP_REQUEST } from './noop.js';

/** The served model as a trace names it: its display id (never a path) and its kind. */
export interface TracedModel {
  readonly id: string;
  readonly kind: string;
}

/**
 * The service's refusals before any work, by code; admission's carry their own reason
 * (admissionReason). The transports refuse keys and rate limits before the service.
 */
const REFUSED: Partial<Record<ErrorCode, RefusalReason>> = {
  DRAINING: 'draining',
  NOT_READY: 'not_ready',
};

/** The request's trace from an event's context (the service's started event put it there). */
const traceOf = (context: unknown): RequestTrace => (context as RequestTrace | undefined) ?? NOOP_REQUEST;

export class TracingHooks {
  private readonly batches = new Map<number, BatchTrace>();

  constructor(private readonly tracing: Tracing, private readonly model: () => TracedModel | undefined) {}

  /** The service's events: `inner` (metrics) first, then the request's span. */
  service(inner: ServiceEvents): ServiceEvents {
    return {
      ...inner,
      started: (request, caller) => {
        inner.started?.(request, caller);
        const carrier = caller.trace;
        if (carrier === undefined) return undefined;
        const trace = this.tracing.startRequest(carrier.name, carrier.transport, carrier.traceparent, carrier.tracestate, carrier.receivedAt);
        carrier.handle = trace;
        const fields = trace.logFields();
        if (fields !== undefined && caller.log !== undefined) {
          caller.log.trace_id = fields.trace_id;
          caller.log.span_id = fields.span_id;
        }
        if (trace.recording) {
          // Extraction (GLiNER2): one text; its schema's entries count as its labels.
          const texts = request.operation === 'predict' ? request.inputs.texts : [request.inputs.text];
          const labels = request.operation === 'predict' ? request.inputs.labels : schemaEntries(request.inputs.schema);
          let chars = 0;
          for (const text of texts) chars += text.length;
          const model = this.model();
          trace.describe(model?.id ?? 'none', model?.kind ?? 'none', texts.length, chars, labels.length);
          trace.admitting(); // the span began when the request arrived; admission begins here, in the service
        }
        return trace;
      },
      finished: (request, caller, outcome, seconds) => {
        inner.finished?.(request, caller, outcome, seconds);
        const trace = traceOf(caller.context);
        if (!trace.recording) return;
        const http = caller.trace?.transport !== 'websocket';
        if (outcome.ok) {
          const { cache } = outcome.answer;
          if (cache !== undefined) {
            if (caller.noCache) trace.cached('bypass', cache.length); // Cache-Control: no-cache: every text ran
            else cacheOutcomes(trace, cache);
          }
          trace.end(http ? 200 : undefined, undefined);
          return;
        }
        const { error } = outcome;
        const refusal = admissionReason(error) ?? REFUSED[error.code];
        if (refusal !== undefined) trace.refused(refusal);
        trace.end(http ? error.status : undefined, error.code);
      },
    };
  }

  engine(): EngineEvents {
    return {
      admitted: (context, rows) => traceOf(context).admitted(rows),
      queued: (context, windows, rows) => {
        const trace = traceOf(context);
        trace.planned(windows, rows);
        trace.enqueued(rows);
      },
      helperDone: (job) => traceOf(job.context).job(job.kind, job.seconds, job.ok),
    };
  }

  /** The batcher's events: `inner` (metrics, which reads the batch's exemplar) first, then the batch's span. */
  batcher(inner: BatcherEvents): BatcherEvents {
    return {
      ...inner,
      batchStarted: (batch) => {
        inner.batchStarted?.(batch);
        const requests = batch.tickets.map((ticket) => traceOf(ticket.context));
        const trace = this.tracing.startBatch(batch.id, batch.rows, requests, batch.ticketRows, batch.solo);
        if (trace.recording) this.batches.set(batch.id, trace);
      },
      batchDone: (batch) => {
        inner.batchDone?.(batch);
        const trace = this.batches.get(batch.id);
        if (trace === undefined) return;
        this.batches.delete(batch.id);
        trace.done(batch.result);
      },
      batchFailed: (batch, error) => {
        inner.batchFailed?.(batch, error);
        const trace = this.batches.get(batch.id);
        if (trace === undefined) return;
        this.batches.delete(batch.id);
        trace.failed(error.code);
      },
    };
  }

  /** Trace ids for the queue-wait and inference histograms' exemplars (sampled traces only). */
  readonly exemplars: Exemplars = {
    request: (context) => traceOf(context).exemplar(),
    batch: (id) => this.batches.get(id)?.exemplar(),
  };
}

/** A schema's top-level entries (entity types, classification tasks, relation types, structures): its "labels" in a span, counted, never named. */
const schemaEntries = (schema: ExtractSchema): readonly unknown[] => [...(schema.entities ?? []), ...(schema.classifications ?? []), ...(schema.relations ?? []), ...(schema.structures ?? [])];

function cacheOutcomes(trace: RequestTrace, statuses: readonly CacheStatus[]): void {
  let hit = 0;
  let shared = 0;
  let miss = 0;
  for (const status of statuses) {
    if (status === 'hit') hit++;
    else if (status === 'shared') shared++;
    else miss++;
  }
  if (hit > 0) trace.cached('hit', hit);
  if (shared > 0) trace.cached('shared', shared);
  if (miss > 0) trace.cached('miss', miss);
}
