// The one registry of coded errors: every failure the server or CLI reports has a stable code here,
// with its HTTP status. Mapping to HTTP happens only through `httpStatusOf`; docs/errors.md lists
// every code and a test checks the two agree.

export const ERROR_CODES = {
  // Request errors (4xx)
  BAD_JSON: { status: 400, summary: 'The request body is not valid JSON.' },
  VALIDATION_FAILED: { status: 400, summary: 'The request body does not match the schema; the message names the field.' },
  LIMIT_EXCEEDED: { status: 400, summary: 'A configured limit (text length, label count, label length, batch size, relation labels, candidate relation pairs) was exceeded.' },
  WRONG_ENDPOINT: { status: 400, summary: 'The loaded model is not of the kind this endpoint serves: a GLiNER2 model answers schemas (POST /api/v1/extract), a GLiNER model labels (/api/v1/predict, its batch, WebSocket and OIP forms); the message names the right one.' },
  UNAUTHORIZED: { status: 401, summary: 'Missing or invalid API key.' },
  NOT_FOUND: { status: 404, summary: 'No such route.' },
  METHOD_NOT_ALLOWED: { status: 405, summary: 'The route exists but not for this HTTP method.' },
  PAYLOAD_TOO_LARGE: { status: 413, summary: 'The request body (or WebSocket message) is larger than the configured limit.' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, summary: 'The request body must be application/json.' },
  RATE_LIMITED: { status: 429, summary: 'The key (or client address, for failed authentications) is over its rate limit.' },
  QUEUE_QUOTA_EXCEEDED: { status: 429, summary: 'The key already has its quota of rows waiting (MAX_QUEUE_ROWS_PER_KEY); retry after the Retry-After interval.' },
  // Server-side conditions (5xx)
  INTERNAL: { status: 500, summary: 'An unexpected error; this is a bug.' },
  WORKER_CRASHED: { status: 500, summary: 'The inference worker running this request died; the worker was replaced.' },
  OVERLOADED: { status: 503, summary: 'The expected queue wait is over MAX_QUEUE_WAIT_MS, or the queue is full; retry after the Retry-After interval.' },
  DRAINING: { status: 503, summary: 'The server is shutting down and admits no new work.' },
  NOT_READY: { status: 503, summary: 'The model is not loaded and warmed up yet.' },
  DEADLINE_EXCEEDED: { status: 504, summary: 'The request did not finish within its deadline.' },
  // Start-up and CLI errors (never sent over HTTP, but coded all the same)
  CONFIG_INVALID: { status: 500, summary: 'The configuration failed validation; every violation is listed.' },
  MODEL_NOT_FOUND: { status: 500, summary: 'The model directory or hub repository does not hold a usable model.' },
  MODEL_UNSUPPORTED: { status: 500, summary: 'The model is not a GLiNER export this server can run (its kind or ONNX inputs are not supported).' },
  MODEL_DOWNLOAD_FAILED: { status: 500, summary: 'Downloading a model file from the hub failed.' },
  CHECKSUM_MISMATCH: { status: 500, summary: 'A downloaded file does not match the hash the hub gave for it.' },
  OFFLINE: { status: 500, summary: 'The model is not in the cache and offline mode forbids downloading it.' },
  CUDA_UNAVAILABLE: { status: 500, summary: 'The CUDA execution provider was requested but cannot be used, and the policy is to fail.' },
  UWS_NATIVE_MISSING: { status: 500, summary: 'uWebSockets.js fell back to its slow pure-Node shim; refusing to start.' },
  INSECURE_CONFIG: { status: 500, summary: 'Production mode with no API keys configured; refusing to start.' },
  DATA_NOT_FOUND: { status: 500, summary: 'The data file given to eval does not exist or cannot be read; the message names it.' },
  SERVER_NOT_FOUND: { status: 500, summary: 'keys reload found no running server to signal: no PID file, or its PID is gone or not a gliner-serve server.' },
  DATA_INVALID: { status: 500, summary: 'The data file given to eval is not CoNLL (word<TAB>tag lines, IOB tags); the message names the line.' },
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** An error with a stable code; the only error type the server turns into an HTTP answer. */
export class GlinerError extends Error {
  override readonly name = 'GlinerError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly extra: { retryAfterSeconds?: number; headers?: readonly (readonly [string, string])[]; cause?: unknown; /** Safe to log: why access or admission was refused. */ reason?: string; /** Safe to log: the key's name. */ keyName?: string } = {},
  ) {
    super(message, extra.cause === undefined ? undefined : { cause: extra.cause });
  }

  get status(): number {
    return httpStatusOf(this.code);
  }
}

export function httpStatusOf(code: ErrorCode): number {
  return ERROR_CODES[code].status;
}

/** The JSON error body every endpoint uses. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string };
}

export function errorBody(error: GlinerError): ErrorBody {
  return { error: { code: error.code, message: error.message } };
}

/** When to come back, in seconds, for an error answered with Retry-After over HTTP (and retry_after on a WebSocket). */
export function retryAfterOf(error: GlinerError): number | undefined {
  if (error.extra.retryAfterSeconds !== undefined) return error.extra.retryAfterSeconds;
  const header = error.extra.headers?.find(([name]) => name.toLowerCase() === 'retry-after');
  return header === undefined ? undefined : Number(header[1]);
}

/** The refusal of new work while shutting down (503, retry after a second: another replica will answer). */
export function drainingError(): GlinerError {
  return new GlinerError('DRAINING', 'The server is shutting down.', { retryAfterSeconds: 1 });
}

/** Wrap anything thrown into a GlinerError; unknown errors become INTERNAL. */
export function asGlinerError(error: unknown): GlinerError {
  if (error instanceof GlinerError) return error;
  return new GlinerError('INTERNAL', 'Internal error.', { cause: error });
}
