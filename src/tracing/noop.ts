// Tracing off: one frozen object per role, returned for every request, batch and job, so the call
// sites cost a method call and allocate nothing. No OpenTelemetry code is loaded for these.
import type { BatchTrace, RequestTrace, Tracing } from './api.js';

const nothing = (): undefined => undefined;

export const NOOP_REQUEST: RequestTrace = Object.freeze({
  recording: false,
  traceparent: nothing,
  logFields: nothing,
  exemplar: nothing,
  describe: nothing,
  admitting: nothing,
  admitted: nothing,
  refused: nothing,
  planned: nothing,
  enqueued: nothing,
  cached: nothing,
  job: nothing,
  end: nothing,
});

export const NOOP_BATCH: BatchTrace = Object.freeze({ recording: false, traceparent: nothing, exemplar: nothing, done: nothing, failed: nothing });

export const TRACING_OFF: Tracing = Object.freeze({
  enabled: false,
  startRequest: () => NOOP_REQUEST,
  startBatch: () => NOOP_BATCH,
  flush: () => Promise.resolve(),
  shutdown: () => Promise.resolve(),
});
