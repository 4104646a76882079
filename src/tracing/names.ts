// Every span name and attribute key the server writes, in one place: docs/tracing.md catalogues
// them and a test checks the two agree. Values are numbers, booleans or words from closed sets
// (transport, refusal reason, error code, model kind) and the model's display id: never a text, a
// label or a key.

export const SPAN = {
  /** The request's own span (SERVER kind) is named by the caller: "POST /api/v1/predict", "WS /api/v1/stream". */
  admission: 'gliner.admission',
  queue: 'gliner.queue',
  /** A request's rows inside one batch: child of the request, linked to the batch. */
  rows: 'gliner.rows',
  batch: 'gliner.batch',
  preprocess: 'gliner.preprocess',
  inference: 'gliner.inference',
  postprocess: 'gliner.postprocess',
  plan: 'gliner.plan',
  merge: 'gliner.merge',
} as const;

export const ATTR = {
  transport: 'gliner.transport',
  model: 'gliner.model',
  modelKind: 'gliner.model.kind',
  texts: 'gliner.texts',
  chars: 'gliner.text.chars',
  labels: 'gliner.labels',
  windows: 'gliner.windows',
  rows: 'gliner.rows',
  refusal: 'gliner.refusal.reason',
  rowsDropped: 'gliner.queue.rows_dropped',
  cacheHits: 'gliner.cache.hits',
  cacheShared: 'gliner.cache.shared',
  cacheMisses: 'gliner.cache.misses',
  cacheBypassed: 'gliner.cache.bypassed',
  batchId: 'gliner.batch.id',
  batchRequests: 'gliner.batch.requests',
  solo: 'gliner.batch.solo',
  tokens: 'gliner.batch.tokens',
  paddedTokens: 'gliner.batch.padded_tokens',
  padding: 'gliner.batch.padding',
  workerId: 'gliner.worker.id',
  /** Standard OpenTelemetry attributes. */
  httpStatus: 'http.response.status_code',
  errorType: 'error.type',
} as const;
