// Writing responses: status lines, the common headers (request id, security, the request's total time),
// JSON bodies and the one error shape. uWS requires writes from async code to be corked and never to
// touch an aborted response.
import { performance } from 'node:perf_hooks';
import type { HttpResponse } from 'uWebSockets.js';
import { errorBody, retryAfterOf, type GlinerError } from '../errors.js';
import type { TraceCarrier } from '../service/request.js';

const STATUS_TEXT: Record<number, string> = {
  200: 'OK', 204: 'No Content', 301: 'Moved Permanently', 400: 'Bad Request', 401: 'Unauthorized', 404: 'Not Found',
  405: 'Method Not Allowed', 413: 'Payload Too Large', 415: 'Unsupported Media Type', 429: 'Too Many Requests',
  500: 'Internal Server Error', 503: 'Service Unavailable', 504: 'Gateway Timeout',
};

export function statusLine(status: number): string {
  return `${status} ${STATUS_TEXT[status] ?? 'Unknown'}`;
}

export type Headers = readonly (readonly [string, string])[];

/** The state of one exchange, shared by the handler and the abort callback. */
export interface Exchange {
  readonly res: HttpResponse;
  aborted: boolean;
  /** Headers every response of this exchange carries (request id, security headers…). */
  readonly headers: [string, string][];
  /** Called once with the status when the response has been written. */
  onFinish?: (status: number) => void;
  /** performance.now() when the request arrived: every response then carries X-Total-Time and Server-Timing. */
  readonly startedAt?: number;
  /** The request's trace context, once it reached the service: its response carries `traceparent` (tracing on). */
  trace?: TraceCarrier;
}

/**
 * X-Total-Time (ms) and Server-Timing `total` for a response whose handler did not time itself: errors
 * (400, 404, 405, 429, 503…), health, docs. Predictions pass their own queue/inference/total headers.
 */
function totalTiming(ex: Exchange, extra: Headers): [string, string][] {
  if (ex.startedAt === undefined || extra.some(([name]) => name.toLowerCase() === 'x-total-time')) return [];
  const ms = (performance.now() - ex.startedAt).toFixed(2);
  return [['X-Total-Time', ms], ['Server-Timing', `total;dur=${ms}`]];
}

export function send(ex: Exchange, status: number, body: string | Uint8Array, contentType: string, extra: Headers = [], close = false): void {
  if (ex.aborted) return;
  ex.res.cork(() => {
    ex.res.writeStatus(statusLine(status));
    ex.res.writeHeader('Content-Type', contentType);
    for (const [name, value] of ex.headers) ex.res.writeHeader(name, value);
    for (const [name, value] of extra) ex.res.writeHeader(name, value);
    for (const [name, value] of totalTiming(ex, extra)) ex.res.writeHeader(name, value);
    const traceparent = ex.trace?.handle?.traceparent();
    if (traceparent !== undefined) ex.res.writeHeader('traceparent', traceparent);
    ex.res.end(body, close);
  });
  ex.aborted = true; // the response is finished; nothing may touch it again
  ex.onFinish?.(status);
}

/** 204 with the exchange's headers (CORS preflight). */
export function sendNoContent(ex: Exchange, extra: Headers = []): void {
  if (ex.aborted) return;
  ex.res.cork(() => {
    ex.res.writeStatus(statusLine(204));
    for (const [name, value] of ex.headers) ex.res.writeHeader(name, value);
    for (const [name, value] of extra) ex.res.writeHeader(name, value);
    for (const [name, value] of totalTiming(ex, extra)) ex.res.writeHeader(name, value);
    ex.res.end();
  });
  ex.aborted = true;
  ex.onFinish?.(204);
}

export function sendJson(ex: Exchange, status: number, value: unknown, extra: Headers = []): void {
  send(ex, status, JSON.stringify(value), 'application/json', extra);
}

/** The JSON body an error is answered with. */
export type ErrorRenderer = (error: GlinerError) => unknown;

export function sendError(ex: Exchange, error: GlinerError, extra: Headers = [], close = false, render: ErrorRenderer = errorBody): void {
  const headers: (readonly [string, string])[] = [...extra, ...(error.extra.headers ?? [])];
  const retryAfter = retryAfterOf(error);
  if (retryAfter !== undefined && !headers.some(([name]) => name.toLowerCase() === 'retry-after')) headers.push(['Retry-After', String(retryAfter)]);
  send(ex, error.status, JSON.stringify(render(error)), 'application/json', headers, close);
}
