// The one typed configuration: every setting, its environment variable, default and meaning.
// Flags (`--kebab-case`), environment variables and an optional .env file all feed this schema;
// `load.ts` validates once, reports every violation together, and freezes the result.
// `docs/configuration.md` is generated from this file (`gliner-serve config --markdown`).
import { Type, type Static, type TSchema } from '@sinclair/typebox';

interface Setting<S extends TSchema = TSchema> {
  readonly env: string;
  readonly schema: S;
  readonly doc: string;
  /** Secret values are redacted when the config is logged or printed. */
  readonly secret?: boolean;
  /** Comma-separated list in env/flags. */
  readonly list?: boolean;
  /** When unset, take this other setting's value (ADMIN_HOST follows HOST); the schema default is the fallback's. */
  readonly follows?: string;
}

const s = <S extends TSchema>(env: string, schema: S, doc: string, extra: { secret?: boolean; list?: boolean; follows?: string } = {}): Setting<S> => ({ env, schema, doc, ...extra });
const Int = (def: number, min: number, max = Number.MAX_SAFE_INTEGER) => Type.Integer({ default: def, minimum: min, maximum: max });
const Num = (def: number, min: number, max: number) => Type.Number({ default: def, minimum: min, maximum: max });
const Bool = (def: boolean) => Type.Boolean({ default: def });
const Str = (def: string) => Type.String({ default: def });
const Opt = () => Type.Optional(Type.String());
const Enum = <T extends string>(values: readonly T[], def: T) => Type.Union(values.map((v) => Type.Literal(v)), { default: def });

export const SETTINGS = {
  // --- Network
  host: s('HOST', Str('0.0.0.0'), 'Address the public API listens on.'),
  port: s('PORT', Int(8000, 0, 65535), 'Port of the public API (REST, WebSocket, docs, health, playground). 0 picks a free port.'),
  adminHost: s('ADMIN_HOST', Str('0.0.0.0'), 'Address of the admin listener that serves /metrics (and health); unset, it follows HOST (HOST=127.0.0.1 keeps /metrics local too). Keep it off the public Service.', { follows: 'host' }),
  adminPort: s('ADMIN_PORT', Int(9464, 0, 65535), 'Port of the admin listener (/metrics, /health/*). 0 picks a free port.'),
  // --- Model
  model: s('MODEL', Str('native-models/gliner-tiny'), 'Model directory path, or a hub repository id such as onnx-community/gliner_medium-v2.1. Relative paths resolve against the working directory, then the package root.'),
  modelRevision: s('MODEL_REVISION', Str('main'), 'Hub revision (branch, tag or commit) when MODEL is a hub id.'),
  modelQuantization: s('MODEL_QUANTIZATION', Enum(['auto', 'fp32', 'fp16', 'int8'] as const, 'auto'), 'Which ONNX file to load when a model directory holds several (auto = fp32 if present).'),
  modelCacheDir: s('MODEL_CACHE_DIR', Str('.cache/models'), 'Where hub downloads are kept (mount a volume here in containers).'),
  hfEndpoint: s('HF_ENDPOINT', Str('https://huggingface.co'), 'Hugging Face hub base URL (a mirror works).'),
  hfToken: s('HF_TOKEN', Opt(), 'Hub access token for private or gated models.', { secret: true }),
  hfOffline: s('HF_HUB_OFFLINE', Bool(false), 'Never download; use only what is already in MODEL_CACHE_DIR.'),
  // --- Execution
  executionProvider: s('EXECUTION_PROVIDER', Enum(['cpu', 'cuda'] as const, 'cpu'), 'ONNX Runtime execution provider.'),
  cudaFallback: s('CUDA_FALLBACK', Enum(['fail', 'cpu'] as const, 'fail'), 'When CUDA is asked for but unusable: fail to start, or run on CPU with a warning, a metric (gliner_model_info{execution_provider="cpu",requested_provider="cuda"}) and a note in /health/ready.'),
  cudaDeviceId: s('CUDA_DEVICE_ID', Int(0, 0), 'GPU index for the CUDA provider.'),
  workers: s('WORKERS', Int(0, 0, 64), 'Inference worker threads, each with its own ONNX Runtime session. 0 = auto: on CPU 1 per 2 cores but at least 2 (on 2 cores two 1-thread sessions did 1.26–1.48× the rows/s of one 2-thread session, bench/RESULTS.md); 1 on CUDA or a 1-core machine.'),
  intraOpThreads: s('INTRA_OP_THREADS', Int(0, 0, 256), 'Threads per ONNX Runtime session. 0 = auto (cores / workers).'),
  soloSession: s('SOLO_SESSION', Enum(['auto', 'on', 'off'] as const, 'auto'), 'CPU: one more ONNX Runtime session, in its own worker, with the threads of all the workers together (WORKERS × INTRA_OP_THREADS, at most one per core). It runs a lone request (a single row with nothing else running or waiting), so that request gets the whole CPU budget, while the WORKERS sessions carry concurrent load (batches in flight stay at most WORKERS). Its threads spin inside a run and stop at its end. With SHARE_WEIGHTS it maps the same copy of the weights and costs only its working memory. auto = on when that is more threads than one worker has; never on CUDA.'),
  interOpThreads: s('INTER_OP_THREADS', Int(1, 0, 64), 'Inter-operator threads per session (the graph runs sequentially, so 1 is enough).'),
  graphOptimization: s('GRAPH_OPTIMIZATION', Enum(['disabled', 'basic', 'extended', 'all'] as const, 'all'), 'ONNX Runtime graph optimisation level.'),
  shareWeights: s('SHARE_WEIGHTS', Enum(['auto', 'off'] as const, 'auto'), 'CPU: one copy of the weights for all the sessions (WORKERS and the solo session). At start the model is written once, optimised, with its weights and their packed forms in a data file (in MAPPED_WEIGHTS_DIR), and every session memory-maps that file: on the bench-size model the 3 sessions took 3.2 GB with a copy each, 0.67 GB (PSS) sharing one (bench/RESULTS.md, "Memory"). The mapped pages count once in PSS and in the container\'s memory, but once per session that maps them in RSS (1.5 GB). off = every session loads its own copy (as before). Ignored on CUDA and for GLiNER2 exports (their seven graphs load in each session).'),
  mappedWeightsDir: s('MAPPED_WEIGHTS_DIR', Opt(), 'Where SHARE_WEIGHTS keeps the mapped copies (one per model file, CPU and ONNX Runtime version; about 1.5 × the ONNX file). Unset = MODEL_CACHE_DIR/mapped; the images set /var/cache/gliner/models/mapped, on the model-cache volume, so that a baked model (MODEL_CACHE_DIR=/opt/gliner/baked-models, read-only) still shares its weights. Must be writable; if it is not, the sessions load their own copies and the log says why.'),
  cpuMemArena: s('CPU_MEM_ARENA', Enum(['auto', 'on', 'off'] as const, 'auto'), 'CPU: ONNX Runtime\'s memory arena. on: each session keeps the memory of its largest run for good (a long text\'s window: +370 MB over the 3 sessions of the bench-size model). off: tensors are allocated and freed per run, so memory can return to rest after a long input, provided the allocator gives freed memory back: jemalloc does (the CPU image preloads it, LD_PRELOAD with MALLOC_CONF=background_thread:true), glibc does with a fixed mmap threshold (MALLOC_MMAP_THRESHOLD_; the GPU image sets 8 MiB), and with its default, moving threshold keeps it. auto = off under jemalloc or with the threshold fixed, on otherwise; the start-up log says which allocator and arena it found (bench/RESULTS.md, "Memory").'),
  workerYoungGenerationMb: s('WORKER_YOUNG_GENERATION_MB', Int(3, 0, 1024), 'Each inference worker thread\'s V8 young generation (where short-lived objects start), in MB. A worker\'s objects live for one batch; with V8\'s default the young generation grows to tens of MB per thread under load and stays so until the server idles. 3 (a 1-MB semi-space) took the embedded server from 422 to 380 MB RSS warm, at the same req/s (bench/RESULTS.md, "Memory"). 0 = V8\'s default.'),
  labelCacheSize: s('LABEL_CACHE_SIZE', Int(10000, 0), 'Bi-encoder models: label embeddings kept per worker (LRU by label text), so each distinct label goes through the label encoder once. 0 = no cache. Ignored by uni-encoders.'),
  intraOpSpinning: s('INTRA_OP_SPINNING', Bool(false), 'Let ONNX Runtime\'s threads spin while waiting for work: slightly lower latency on dedicated cores, but on small machines the spinning steals CPU from the HTTP thread.'),
  // --- Batching
  maxBatchRows: s('MAX_BATCH_ROWS', Int(0, 0, 4096), 'Most rows (texts or windows) in one model batch. 0 = auto: 1 on CPU (with one session per core, batching only added padding: 1.2× the req/s and 0.66× the p99 at c=64 against 8 rows, bench/RESULTS.md), 32 on CUDA. 1 disables micro-batching.'),
  maxBatchTokens: s('MAX_BATCH_TOKENS', Int(0, 0), 'Token budget of one batch, padding counted (rows × longest row). 0 = auto: 2048 on CPU (about four long-text windows: batching them gains nothing on a CPU, and a shorter batch is a shorter wait for everyone else), 16384 on CUDA.'),
  maxBatchPadding: s('MAX_BATCH_PADDING', Num(0.3, 0, 1), 'Largest share of a batch that may be padding; a row that would push it higher waits for the next batch (the span layer pays for padded words too).'),
  maxQueueRows: s('MAX_QUEUE_ROWS', Int(4096, 1), 'Hard bound on rows waiting for a worker; beyond it new requests are refused with 503.'),
  maxQueueWaitMs: s('MAX_QUEUE_WAIT_MS', Int(3000, 0), 'Admission budget: a request whose expected queue wait (rows ahead of it in the fair schedule × the measured time per row) is longer is refused at once with 503 and a Retry-After from the estimate. 0 = no wait budget.'),
  maxQueueRowsPerKey: s('MAX_QUEUE_ROWS_PER_KEY', Int(1024, 0), 'Rows one API key may have waiting; beyond it its new requests get 429 QUEUE_QUOTA_EXCEEDED. 0 = no quota.'),
  batchLookahead: s('BATCH_LOOKAHEAD', Int(256, 1), 'How many waiting requests the batcher looks at to fill one batch fairly within its token and padding budgets.'),
  windowWords: s('WINDOW_WORDS', Int(0, 0), 'Words per window for long texts. 0 = the model\'s max_len.'),
  windowOverlapWords: s('WINDOW_OVERLAP_WORDS', Int(32, 1), 'Words shared by neighbouring windows; must exceed the model\'s max span width.'),
  labelsPerPass: s('LABELS_PER_PASS', Int(0, 0), 'Labels per model row; longer label lists are split into groups. 0 = the model\'s max_types for uni-encoders (labels in the prompt), all of a request\'s labels for bi-encoders.'),
  requestTimeoutMs: s('REQUEST_TIMEOUT_MS', Int(30000, 1), 'Deadline of a request: when it passes, its rows not yet run are dropped and it is answered 504 at once.'),
  // --- Request limits
  maxBodyBytes: s('MAX_BODY_BYTES', Int(1048576, 1024), 'Largest accepted request body (413 beyond).'),
  maxTextChars: s('MAX_TEXT_CHARS', Int(100000, 1), 'Longest accepted text, in characters.'),
  maxLabels: s('MAX_LABELS', Int(100, 1), 'Most labels in one request.'),
  maxLabelChars: s('MAX_LABEL_CHARS', Int(100, 1), 'Longest accepted label, in characters.'),
  maxBatchTexts: s('MAX_BATCH_TEXTS', Int(64, 1), 'Most texts in one /predict/batch request.'),
  maxEntitiesPerText: s('MAX_ENTITIES_PER_TEXT', Int(5000, 1, 1_000_000), 'Most entities in one text\'s answer. Past it the answer holds the best-scoring ones (those GLiNER\'s decoder keeps first) and says "truncated": true.'),
  // --- Schema extraction (GLiNER2 models, POST /api/v1/extract; docs/gliner2.md)
  extractMaxEntityTypes: s('EXTRACT_MAX_ENTITY_TYPES', Int(50, 1), 'GLiNER2 extract: most entity types in one schema.'),
  extractMaxClassifications: s('EXTRACT_MAX_CLASSIFICATIONS', Int(10, 1), 'GLiNER2 extract: most classification tasks in one schema.'),
  extractMaxLabels: s('EXTRACT_MAX_LABELS', Int(50, 2), 'GLiNER2 extract: most labels of one classification.'),
  extractMaxRelations: s('EXTRACT_MAX_RELATIONS', Int(20, 1), 'GLiNER2 extract: most relation types in one schema.'),
  extractMaxStructures: s('EXTRACT_MAX_STRUCTURES', Int(10, 1), 'GLiNER2 extract: most structures in one schema.'),
  extractMaxFields: s('EXTRACT_MAX_FIELDS', Int(20, 1), 'GLiNER2 extract: most fields of one structure.'),
  extractMaxChoices: s('EXTRACT_MAX_CHOICES', Int(20, 1), 'GLiNER2 extract: most choices of one field.'),
  extractMaxSchemaItems: s('EXTRACT_MAX_SCHEMA_ITEMS', Int(200, 1), 'GLiNER2 extract: most items in one schema (entity types + labels + 2 per relation + fields + choices): bounds the prompt.'),
  extractMaxDescriptionChars: s('EXTRACT_MAX_DESCRIPTION_CHARS', Int(500, 1), 'GLiNER2 extract: longest description of an entity type or field, in characters.'),
  extractChunkWords: s('EXTRACT_CHUNK_WORDS', Int(384, 16), 'GLiNER2 extract: a text of more words is answered chunk by chunk and merged, as upstream\'s extract_long.'),
  extractChunkOverlapWords: s('EXTRACT_CHUNK_OVERLAP_WORDS', Int(64, 0), 'GLiNER2 extract: words shared by neighbouring chunks; must be below EXTRACT_CHUNK_WORDS.'),
  // --- Relation extraction (relex models; docs/relations.md)
  maxRelationLabels: s('MAX_RELATION_LABELS', Int(25, 1), 'Most relation labels in one request (relation-extraction models; docs/relations.md).'),
  maxRelationPairs: s('MAX_RELATION_PAIRS', Int(10000, 1), 'Most candidate pairs of entities one window of a text may give the relation head (E × (E − 1) for the E entities above the threshold); past it the request is refused with 400 LIMIT_EXCEEDED (docs/relations.md).'),
  // --- Result cache
  cacheMaxBytes: s('CACHE_MAX_BYTES', Int(67108864, 0), 'Memory for cached text answers, in bytes (64 MiB by default; least recently used answers go first). Identical texts (same model, labels in order, options and API key) in flight at the same time run once. 0 turns the cache and single-flight off.'),
  cacheTtlSeconds: s('CACHE_TTL_SECONDS', Int(300, 1), 'How long a cached answer may be served.'),
  cacheSharedAcrossKeys: s('CACHE_SHARED_ACROSS_KEYS', Bool(false), 'Let one API key\'s cached answers serve another. Off by default: a hit is fast (and says X-Cache: hit), so a shared cache would tell one tenant which texts another has sent.'),
  // --- Open Inference Protocol (KServe v2)
  oipModelName: s('OIP_MODEL_NAME', Type.String({ default: 'gliner', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$' }), 'The model\'s name in the Open Inference Protocol routes (/v2/models/{name}/infer). Set it to the InferenceService\'s name under KServe.'),
  // --- WebSocket
  wsMaxMessageBytes: s('WS_MAX_MESSAGE_BYTES', Int(1048576, 1024), 'Largest WebSocket message; larger ones close the connection with code 1009.'),
  wsMaxInflight: s('WS_MAX_INFLIGHT', Int(16, 1), 'Messages running at once per connection; beyond it further messages wait in a per-connection backlog of as many again, and a client with more than twice this unanswered is disconnected with close code 1008.'),
  wsMaxBackpressureBytes: s('WS_MAX_BACKPRESSURE_BYTES', Int(1048576, 1024), 'Bytes buffered for a slow reader before the server stops taking its messages.'),
  wsIdleTimeoutSeconds: s('WS_IDLE_TIMEOUT_SECONDS', Int(120, 8, 960), 'Idle WebSocket connections are closed after this.'),
  // --- Security
  production: s('PRODUCTION', Bool(false), 'Production mode (also on when NODE_ENV=production): refuses to start without API keys.'),
  apiKeys: s('API_KEYS', Type.Array(Type.String({ minLength: 1 }), { default: [] }), 'Comma-separated API keys (development). Prefer API_KEYS_FILE in production.', { secret: true, list: true }),
  apiKeysFile: s('API_KEYS_FILE', Opt(), 'File of named, SHA-256-hashed keys with optional per-key limits; reloaded on SIGHUP and on change.'),
  rateLimitPerSecond: s('RATE_LIMIT_PER_SECOND', Num(50, 0, 1e6), 'Token-bucket refill rate per API key (requests per second; 0 disables rate limiting).'),
  rateLimitBurst: s('RATE_LIMIT_BURST', Int(100, 1), 'Token-bucket size per API key.'),
  authFailuresPerMinute: s('AUTH_FAILURES_PER_MINUTE', Int(30, 1), 'Failed authentications allowed per client address per minute before 429.'),
  trustProxyHops: s('TRUST_PROXY_HOPS', Int(0, 0, 16), 'Proxies in front of the server whose X-Forwarded-For entries are trusted (1 behind an ingress controller); the client address for failed-auth limiting is taken that many hops back. 0 = the socket peer.'),
  tlsCertFile: s('TLS_CERT_FILE', Opt(), 'PEM certificate; with TLS_KEY_FILE, serves HTTPS/WSS.'),
  tlsKeyFile: s('TLS_KEY_FILE', Opt(), 'PEM private key.'),
  tlsPassphrase: s('TLS_PASSPHRASE', Opt(), 'Passphrase of the private key.', { secret: true }),
  corsOrigins: s('CORS_ORIGINS', Type.Array(Type.String(), { default: [] }), 'Comma-separated origins allowed by CORS (empty = CORS off).', { list: true }),
  // --- Operations
  logLevel: s('LOG_LEVEL', Enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const, 'info'), 'pino log level.'),
  pidFile: s('PID_FILE', Opt(), 'File the server writes its PID to while it runs, for `gliner-serve keys reload` (SIGHUP to that PID). Unset: none, but .gliner-serve.pid under `npm start` and `npm run reload-keys`.'),
  shutdownGraceMs: s('SHUTDOWN_GRACE_MS', Int(25000, 0), 'On SIGTERM, how long accepted work may take to finish before the process exits anyway.'),
  playground: s('PLAYGROUND', Bool(true), 'Serve the playground page at /.'),
  allowUwsFallback: s('ALLOW_UWS_FALLBACK', Bool(false), 'Start even if uWebSockets.js fell back to its slow pure-Node shim.'),
} as const;

type Settings = typeof SETTINGS;
export type SettingKey = keyof Settings;

/** The values an enum setting accepts (LOG_LEVEL, EXECUTION_PROVIDER, …); undefined for the others. */
export function allowedValues(key: SettingKey): readonly string[] | undefined {
  const anyOf = (SETTINGS[key].schema as { anyOf?: readonly { const?: unknown }[] }).anyOf;
  const values = anyOf?.map((member) => member.const);
  return values !== undefined && values.every((v): v is string => typeof v === 'string') ? values : undefined;
}

/** Whether a setting is a switch: a flag without a value (`--playground` / `--no-playground`). */
export function isSwitch(key: SettingKey): boolean {
  return (SETTINGS[key].schema as { type?: unknown }).type === 'boolean';
}

/** A setting's meaning with its allowed values, as --help and the docs table show it. */
export function describeSetting(key: SettingKey): string {
  const values = allowedValues(key);
  return values === undefined ? SETTINGS[key].doc : `${SETTINGS[key].doc} One of: ${values.join(', ')}.`;
}

export const ConfigSchema = Type.Object(
  Object.fromEntries(Object.entries(SETTINGS).map(([key, setting]) => [key, setting.schema])) as { [K in SettingKey]: Settings[K]['schema'] },
  { additionalProperties: false },
);

export type Config = Readonly<Static<typeof ConfigSchema>>;
