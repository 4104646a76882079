// Every Prometheus metric the server exposes, in one place (docs/metrics.md is the catalogue and a
// test checks the two agree). Labels are low-cardinality by construction: routes are templates,
// reasons and providers are enums, rate-limit labels carry the key's *name*, never the key or text.
// Worker threads report their timings in each batch result; the engine records them here, so one
// registry on the main thread serves everything. Labels with a fixed set of values start at 0 for
// every value, so a dashboard shows 0 instead of "no data" before the first event. With exemplars on
// (tracing), the request, queue-wait and inference histograms keep a sampled trace's id per bucket
// and /metrics is served as OpenMetrics, the only format that carries exemplars.
import client from 'prom-client';
import type { ExemplarLabels } from '../tracing/api.js';

/** Every value of gliner_requests_dropped_total{reason} (docs/metrics.md says what each means). */
export const DROP_REASONS = ['overload', 'queue_wait', 'key_quota', 'draining', 'deadline', 'disconnect', 'worker_crash'] as const;
/** Every value of gliner_rows_dropped_total{reason}. */
export const ROW_DROP_REASONS = ['deadline', 'disconnect'] as const;
export const WS_DIRECTIONS = ['in', 'out'] as const;
export const CACHE_EVICTION_REASONS = ['size', 'ttl'] as const;

export interface MetricsOptions {
  /** Latency histograms keep the trace id of a sampled request as an OpenMetrics exemplar (tracing on). */
  readonly exemplars?: boolean;
}

const seconds = (lo: number, hi: number): number[] => {
  const out: number[] = [];
  for (let v = lo; v <= hi * 1.0001; v *= 2) out.push(Number(v.toPrecision(3)));
  return out;
};

export class Metrics {
  readonly registry = new client.Registry<client.RegistryContentType>();

  readonly httpRequests = new client.Counter({
    name: 'gliner_http_requests_total', help: 'HTTP requests answered, by route template, method and status code.',
    labelNames: ['route', 'method', 'status'] as const, registers: [this.registry],
  });
  /** Observe through observeRequest(): with exemplars on, a plain observe(labels, value) is not valid. */
  readonly httpDuration: client.Histogram<'route' | 'method' | 'status'>;
  readonly httpInFlight = new client.Gauge({
    name: 'gliner_http_requests_in_flight', help: 'HTTP requests received and not yet answered.', registers: [this.registry],
  });
  readonly queueDepth = new client.Gauge({
    name: 'gliner_queue_depth_rows', help: 'Model rows waiting in the batcher queue.', registers: [this.registry],
  });
  readonly queueCapacity = new client.Gauge({
    name: 'gliner_queue_capacity_rows', help: 'Configured queue bound (MAX_QUEUE_ROWS); depth/capacity is saturation.', registers: [this.registry],
  });
  /** Observe through observeQueueWait(). */
  readonly queueWait: client.Histogram;
  readonly batchRows = new client.Histogram({
    name: 'gliner_batch_rows', help: 'Rows per model batch.', buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256], registers: [this.registry],
  });
  readonly batchTokens = new client.Histogram({
    name: 'gliner_batch_tokens', help: 'Tokens per model batch, padding included (rows x longest row).',
    buckets: [32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768], registers: [this.registry],
  });
  /** Observe through observeInference(). */
  readonly inferenceSeconds: client.Histogram;
  readonly preprocessSeconds = new client.Histogram({
    name: 'gliner_preprocess_seconds', help: 'Word splitting, tokenisation and tensor building per batch (in the worker).', buckets: seconds(0.0001, 2), registers: [this.registry],
  });
  readonly postprocessSeconds = new client.Histogram({
    name: 'gliner_postprocess_seconds', help: 'Span extraction, decoding and the answer\'s JSON per batch (in the worker).', buckets: seconds(0.0001, 2), registers: [this.registry],
  });
  readonly labelCacheHits = new client.Counter({
    name: 'gliner_label_cache_hits_total', help: 'Bi-encoder models: label embeddings found in a worker\'s label cache (LABEL_CACHE_SIZE). Stays 0 for uni-encoders.', registers: [this.registry],
  });
  readonly labelCacheMisses = new client.Counter({
    name: 'gliner_label_cache_misses_total', help: 'Bi-encoder models: labels run through the label encoder because they were not in the worker\'s cache. Stays 0 for uni-encoders.', registers: [this.registry],
  });
  readonly tokensProcessed = new client.Counter({
    name: 'gliner_tokens_processed_total', help: 'Real (unpadded) tokens run through the model.', registers: [this.registry],
  });
  readonly rowsProcessed = new client.Counter({
    name: 'gliner_rows_processed_total', help: 'Model rows (texts or windows; GLiNER2: texts or chunks) run through the model.', registers: [this.registry],
  });
  readonly workerBusySeconds = new client.Counter({
    name: 'gliner_worker_busy_seconds_total', help: 'Seconds workers spent running batches; rate() / gliner_workers is utilisation.', registers: [this.registry],
  });
  readonly workers = new client.Gauge({
    name: 'gliner_workers', help: 'Inference worker threads in the pool (the solo session\'s worker not counted).', registers: [this.registry],
  });
  readonly soloBatches = new client.Counter({
    name: 'gliner_solo_batches_total', help: 'Batches run on the solo session (SOLO_SESSION): each was the only work in the server when it started. Stays 0 without a solo session.', registers: [this.registry],
  });
  readonly workerRestarts = new client.Counter({
    name: 'gliner_worker_restarts_total', help: 'Workers that died and were replaced.', registers: [this.registry],
  });
  readonly dropped = new client.Counter({
    name: 'gliner_requests_dropped_total', help: 'Requests refused or not run to the end, by reason: overload (queue full), queue_wait (expected wait over MAX_QUEUE_WAIT_MS), key_quota (MAX_QUEUE_ROWS_PER_KEY), draining (request or WebSocket message refused while shutting down), deadline, disconnect, worker_crash.',
    labelNames: ['reason'] as const, registers: [this.registry],
  });
  readonly rowsDropped = new client.Counter({
    name: 'gliner_rows_dropped_total', help: 'Model rows of admitted requests that never ran, by reason: deadline, disconnect.',
    labelNames: ['reason'] as const, registers: [this.registry],
  });
  readonly rowCost = new client.Gauge({
    name: 'gliner_row_cost_seconds', help: 'Measured seconds one worker spends per model row (moving average); admission multiplies it by the rows ahead to estimate a new request\'s wait.', registers: [this.registry],
  });
  /** Where gliner_queue_rows_by_key reads from at each scrape (set once the batcher exists). */
  queueRowsSource: () => ReadonlyMap<string, number> = () => new Map();
  readonly queueRowsByKey: client.Gauge<'key'> = (() => {
    const source = (): ReadonlyMap<string, number> => this.queueRowsSource();
    return new client.Gauge({
      name: 'gliner_queue_rows_by_key', help: 'Rows waiting, by API key name ("anonymous" when keys are off); keys with nothing waiting are absent.',
      labelNames: ['key'] as const, registers: [this.registry],
      collect() {
        this.reset();
        for (const [key, rows] of source()) this.set({ key }, rows);
      },
    });
  })();
  readonly truncated = new client.Counter({
    name: 'gliner_answers_truncated_total', help: 'Text answers cut at MAX_ENTITIES_PER_TEXT.', registers: [this.registry],
  });
  readonly modelInfo = new client.Gauge({
    name: 'gliner_model_info', help: 'The loaded model (value is always 1).',
    labelNames: ['model', 'revision', 'execution_provider', 'requested_provider', 'quantization'] as const, registers: [this.registry],
  });
  readonly ready = new client.Gauge({
    name: 'gliner_ready', help: '1 when the server is ready for traffic, 0 while starting or draining.', registers: [this.registry],
  });
  readonly wsConnections = new client.Gauge({
    name: 'gliner_websocket_connections', help: 'Open WebSocket connections.', registers: [this.registry],
  });
  readonly wsMessages = new client.Counter({
    name: 'gliner_websocket_messages_total', help: 'WebSocket messages, by direction (in, out).',
    labelNames: ['direction'] as const, registers: [this.registry],
  });
  readonly authFailures = new client.Counter({
    name: 'gliner_auth_failures_total', help: 'Requests refused for a missing or invalid API key.', registers: [this.registry],
  });
  readonly rateLimited = new client.Counter({
    name: 'gliner_rate_limited_total', help: 'Requests refused with 429, by API key name (or "anonymous-ip" for failed-auth limiting).',
    labelNames: ['key'] as const, registers: [this.registry],
  });
  readonly entities = new client.Counter({
    name: 'gliner_entities_returned_total', help: 'Entities returned to clients by NER (labels); a GLiNER2 extract result is not counted.', registers: [this.registry],
  });

  readonly cacheHits = new client.Counter({
    name: 'gliner_cache_hits_total', help: 'Texts answered from the result cache.', registers: [this.registry],
  });
  readonly cacheMisses = new client.Counter({
    name: 'gliner_cache_misses_total', help: 'Texts not in the result cache (nor in flight) that ran through the model.', registers: [this.registry],
  });
  readonly cacheShared = new client.Counter({
    name: 'gliner_cache_shared_total', help: 'Texts that joined an identical text already in flight instead of running again (single-flight).', registers: [this.registry],
  });
  readonly cacheBypassed = new client.Counter({
    name: 'gliner_cache_bypassed_total', help: 'Texts of requests sent with Cache-Control: no-cache (they ran; their answers were stored).', registers: [this.registry],
  });
  readonly cacheEvictions = new client.Counter({
    name: 'gliner_cache_evictions_total', help: 'Cached answers removed, by reason: size (CACHE_MAX_BYTES reached, least recently used first), ttl (older than CACHE_TTL_SECONDS).',
    labelNames: ['reason'] as const, registers: [this.registry],
  });
  readonly cacheBytes = new client.Gauge({
    name: 'gliner_cache_bytes', help: 'Memory charged to cached answers (bounded by CACHE_MAX_BYTES).', registers: [this.registry],
  });
  readonly cacheEntries = new client.Gauge({
    name: 'gliner_cache_entries', help: 'Text answers in the result cache.', registers: [this.registry],
  });

  /** Whether the latency histograms carry trace ids as exemplars (and /metrics speaks OpenMetrics). */
  readonly exemplars: boolean;

  constructor(options: MetricsOptions = {}) {
    this.exemplars = options.exemplars ?? false;
    // Exemplars exist only in the OpenMetrics format. It names the same series (counters keep their
    // _total samples; the # TYPE line drops the suffix, as OpenMetrics says) and ends with # EOF.
    if (this.exemplars) this.registry.setContentType(client.Registry.OPENMETRICS_CONTENT_TYPE);
    const enableExemplars = this.exemplars;
    this.httpDuration = new client.Histogram({
      name: 'gliner_http_request_duration_seconds', help: 'Time from request received to response sent.',
      labelNames: ['route', 'method', 'status'] as const, buckets: seconds(0.001, 32), enableExemplars, registers: [this.registry],
    });
    this.queueWait = new client.Histogram({
      name: 'gliner_queue_wait_seconds', help: 'Time a row waited in the queue before its batch was dispatched.',
      buckets: seconds(0.0005, 16), enableExemplars, registers: [this.registry],
    });
    this.inferenceSeconds = new client.Histogram({
      name: 'gliner_inference_seconds', help: 'ONNX Runtime run() time per batch.', buckets: seconds(0.0005, 16), enableExemplars, registers: [this.registry],
    });
    for (const reason of DROP_REASONS) this.dropped.inc({ reason }, 0);
    for (const reason of ROW_DROP_REASONS) this.rowsDropped.inc({ reason }, 0);
    for (const direction of WS_DIRECTIONS) this.wsMessages.inc({ direction }, 0);
    for (const reason of CACHE_EVICTION_REASONS) this.cacheEvictions.inc({ reason }, 0);
    // process_cpu_seconds_total, process_resident_memory_bytes, nodejs_eventloop_lag_* and friends.
    client.collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 10 });
  }

  /** A request's duration; `exemplar` (a sampled request's trace id) is kept when exemplars are on. */
  observeRequest(labels: client.LabelValues<'route' | 'method' | 'status'>, value: number, exemplar?: ExemplarLabels): void {
    this.observe(this.httpDuration, labels, value, exemplar);
  }

  /** One row's wait in the queue, with its request's trace id. */
  observeQueueWait(value: number, exemplar?: ExemplarLabels): void {
    this.observe(this.queueWait, {}, value, exemplar);
  }

  /** One batch's ONNX Runtime time, with the batch's trace id. */
  observeInference(value: number, exemplar?: ExemplarLabels): void {
    this.observe(this.inferenceSeconds, {}, value, exemplar);
  }

  private observe<T extends string>(histogram: client.Histogram<T>, labels: client.LabelValues<T>, value: number, exemplar: ExemplarLabels | undefined): void {
    if (!this.exemplars) histogram.observe(labels, value);
    // prom-client types exemplar labels with the histogram's own label names; trace_id is not one.
    else histogram.observe({ labels, value, exemplarLabels: exemplar as client.LabelValues<T> | undefined });
  }

  async render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
