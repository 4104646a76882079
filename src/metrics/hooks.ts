// The metrics side of the server's hooks: the service's start/end events, the batcher's events and
// the result cache's counters, each turned into the Prometheus series of registry.ts. The parts that
// emit the events know nothing of Prometheus; tracing subscribes to the same hooks (tracing/hooks.ts)
// and, when on, lends the latency histograms their exemplars (Exemplars).
import { admissionReason } from '../engine/admitted.js';
import type { CacheCounters } from '../engine/cached-engine.js';
import type { BatcherEvents } from '../engine/batcher.js';
import type { ErrorCode } from '../errors.js';
import type { ServiceEvents } from '../service/events.js';
import type { ExemplarLabels } from '../tracing/api.js';
import type { DROP_REASONS, Metrics } from './registry.js';

type DropReason = (typeof DROP_REASONS)[number];

/** Failures counted as dropped requests, by code; admission refusals carry their own reason (admissionReason). */
const DROPPED_BY_CODE: Partial<Record<ErrorCode, DropReason>> = {
  DRAINING: 'draining',
  WORKER_CRASHED: 'worker_crash',
};

/**
 * Requests: entities returned and answers truncated when answered; refusals and failures counted
 * in gliner_requests_dropped_total once per request (deadlines and disconnects are the batcher's,
 * which knows the rows left behind); gliner_ready follows the phase.
 */
export function serviceMetrics(metrics: Metrics): ServiceEvents {
  return {
    phase: (phase) => metrics.ready.set(phase === 'ready' ? 1 : 0),
    finished: (_request, _caller, outcome) => {
      if (outcome.ok) {
        for (const text of outcome.answer.texts) {
          metrics.entities.inc(text.count);
          if (text.truncated) metrics.truncated.inc();
        }
        return;
      }
      const { error } = outcome;
      const reason = admissionReason(error) ?? DROPPED_BY_CODE[error.code];
      if (reason !== undefined) metrics.dropped.inc({ reason });
    },
  };
}

/** Trace ids for exemplars: a request's (from its events' context) and a batch's (by id, while it runs). */
export interface Exemplars {
  request(context: unknown): ExemplarLabels | undefined;
  batch(id: number): ExemplarLabels | undefined;
}

export function batcherMetrics(metrics: Metrics, exemplars?: Exemplars): BatcherEvents {
  return {
    queueDepth: (rows) => metrics.queueDepth.set(rows),
    rowWaited: (seconds, ticket) => metrics.observeQueueWait(seconds, ticket === undefined ? undefined : exemplars?.request(ticket.context)),
    dropped: (reason, rows) => {
      metrics.dropped.inc({ reason });
      metrics.rowsDropped.inc({ reason }, rows);
    },
    rowCost: (seconds) => metrics.rowCost.set(seconds),
    batchDone: (batch) => {
      const { result } = batch;
      metrics.batchRows.observe(batch.rows);
      if (batch.solo) metrics.soloBatches.inc();
      metrics.batchTokens.observe(result.paddedTokens);
      metrics.observeInference(result.timings.inferenceSeconds, exemplars?.batch(batch.id));
      metrics.preprocessSeconds.observe(result.timings.preprocessSeconds);
      metrics.postprocessSeconds.observe(result.timings.postprocessSeconds);
      metrics.rowsProcessed.inc(batch.rows);
      metrics.tokensProcessed.inc(result.rows.reduce((sum, row) => sum + row.tokens, 0));
      if ('labelCache' in result && result.labelCache !== undefined) {
        metrics.labelCacheHits.inc(result.labelCache.hits);
        metrics.labelCacheMisses.inc(result.labelCache.misses);
      }
      metrics.workerBusySeconds.inc(result.timings.preprocessSeconds + result.timings.inferenceSeconds + result.timings.postprocessSeconds);
    },
  };
}

export function cacheMetrics(metrics: Metrics): CacheCounters {
  return {
    onLookup: (status, count) => {
      const counter = { hit: metrics.cacheHits, miss: metrics.cacheMisses, shared: metrics.cacheShared, bypass: metrics.cacheBypassed }[status];
      counter.inc(count);
    },
    onEvict: (reason, count) => metrics.cacheEvictions.inc({ reason }, count),
    onSize: (bytes, entries) => {
      metrics.cacheBytes.set(bytes);
      metrics.cacheEntries.set(entries);
    },
  };
}
