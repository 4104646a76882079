// What a route handler gets: the exchange, the request's headers (read synchronously, as uWS
// requires, before any await), the caller's identity once authenticated, and a place for log fields.
import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import { randomUUID } from 'node:crypto';
import type { Exchange } from './respond.js';

export interface HeaderBag {
  get(name: string): string | undefined;
}

/** Header names a handler may need later; uWS invalidates the request object at the first await. */
const CAPTURED = ['content-type', 'content-length', 'x-api-key', 'authorization', 'x-request-id', 'origin', 'sec-websocket-protocol', 'x-forwarded-for', 'cache-control', 'traceparent', 'tracestate'] as const;

export function captureHeaders(req: HttpRequest): HeaderBag {
  const values = new Map<string, string>();
  for (const name of CAPTURED) {
    const value = req.getHeader(name);
    if (value !== '') values.set(name, value);
  }
  return { get: (name) => values.get(name.toLowerCase()) };
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Honour a sane client X-Request-Id, otherwise make one. */
export function requestIdOf(headers: HeaderBag): string {
  const given = headers.get('x-request-id');
  return given !== undefined && REQUEST_ID.test(given) ? given : randomUUID();
}

export function remoteAddress(res: HttpResponse): string {
  return Buffer.from(res.getRemoteAddressAsText()).toString();
}

export interface RequestContext {
  readonly ex: Exchange;
  readonly method: string;
  readonly url: string;
  readonly headers: HeaderBag;
  readonly ip: string;
  readonly requestId: string;
  /** performance.now() when the request arrived. */
  readonly startedAt: number;
  /** API key name once authenticated ("anonymous" when auth is off). */
  keyName: string | undefined;
  /** Extra fields for the request's log line (never text, never keys). */
  readonly log: Record<string, unknown>;
  /** Call `cancel` if the client goes away before the answer (at once if it has); returns what forgets it. */
  readonly onLeave: (cancel: () => void) => () => void;
}
