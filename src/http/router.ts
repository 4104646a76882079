// Routing and the per-request wrapper: every route goes through the same steps — capture headers,
// watch for the client leaving, authenticate, check the body's type and size, run the handler,
// answer errors in the one JSON shape, then record metrics and one log line (recordExchange, which
// the WebSocket upgrade uses too).
import type { HttpRequest, HttpResponse, TemplatedApp } from 'uWebSockets.js';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import { asGlinerError, GlinerError } from '../errors.js';
import type { Metrics } from '../metrics/registry.js';
import type { ExemplarLabels } from '../tracing/api.js';
import { checkDeclaredLength, checkJsonContentType, readBody } from './body.js';
import { captureHeaders, remoteAddress, requestIdOf, type HeaderBag, type RequestContext } from './context.js';
import { send, sendError, sendNoContent, type ErrorRenderer, type Exchange } from './respond.js';

export type Method = 'get' | 'post';

export interface Route {
  readonly method: Method;
  /** uWS path pattern. */
  readonly path: string;
  /** Metrics label: the route template. */
  readonly name: string;
  /** Requires an API key. */
  readonly auth: boolean;
  /** Reads a JSON body. */
  readonly body: boolean;
  /** Static content a browser may cache; everything else is sent with Cache-Control: no-store. */
  readonly cacheable?: boolean;
  /** Polled by machines (health probes, Prometheus scrapes): its request lines are logged at debug, not info. */
  readonly quiet?: boolean;
  /** How this route's errors are written (another protocol's error shape); default `{"error": {code, message}}`. */
  readonly errorBody?: ErrorRenderer;
  handle(ctx: RequestContext, body: Buffer | undefined): void | Promise<void>;
}

/** Decides whether a request may proceed; throws UNAUTHORIZED / RATE_LIMITED otherwise. */
export interface AccessControl {
  /** Authenticate and charge one request; throws UNAUTHORIZED / RATE_LIMITED (with their headers). */
  admit(headers: HeaderBag, ip: string): Admission;
}

export interface Admission {
  readonly keyName: string;
  /** Headers for the response (the key's remaining rate-limit budget). */
  readonly headers: readonly (readonly [string, string])[];
  /** Charge one more unit to the same key (each WebSocket message); throws RATE_LIMITED. */
  charge(): void;
}

export interface RouterDeps {
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly access: AccessControl;
  readonly maxBodyBytes: number;
  /** Headers on every response of this listener (security headers, HSTS…). */
  readonly baseHeaders: readonly (readonly [string, string])[];
  /** CORS allow-list; empty = CORS off. */
  readonly corsOrigins: readonly string[];
  /** Counts open exchanges for shutdown. */
  readonly state: { inFlight: number };
}

/** One HTTP exchange answered: gliner_http_requests_total and its duration (with its trace id as exemplar when sampled), by route template, method and status. */
export function recordExchange(metrics: Metrics, route: string, method: string, status: number, seconds: number, exemplar?: ExemplarLabels): void {
  const labels = { route, method, status: String(status) };
  metrics.httpRequests.inc(labels);
  metrics.observeRequest(labels, seconds, exemplar);
}

/** A GET route answering a fixed body read at start-up (API docs, the playground's files). */
export function staticRoute(path: string, name: string, body: string | Buffer, contentType: string, headers: readonly (readonly [string, string])[]): Route {
  return {
    method: 'get', path, name, auth: false, body: false, cacheable: true,
    handle(ctx) {
      send(ctx.ex, 200, body, contentType, headers);
    },
  };
}

const ABORTED_STATUS = 499; // nginx's "client closed request", for metrics and logs only

export function register(app: TemplatedApp, routes: readonly Route[], deps: RouterDeps): void {
  const byPath = new Map<string, Route[]>();
  for (const route of routes) {
    byPath.set(route.path, [...(byPath.get(route.path) ?? []), route]);
    app[route.method](route.path, (res, req) => handle(route, res, req, deps));
  }
  // Everything else: 405 for a known path with the wrong method, 404 otherwise; CORS preflight.
  app.any('/*', (res, req) => {
    const method = req.getMethod().toUpperCase();
    const url = req.getUrl();
    const known = byPath.get(url);
    const fallback: Route = {
      method: 'get', path: url, name: known ? known[0]?.name ?? 'other' : 'other', auth: false, body: false,
      ...(known?.[0]?.errorBody === undefined ? {} : { errorBody: known[0].errorBody }),
      handle: (ctx) => {
        if (known === undefined) throw new GlinerError('NOT_FOUND', notFoundMessage(method, url, byPath));
        const allow = known.map((route) => route.method.toUpperCase()).join(', ');
        if (method === 'OPTIONS' && deps.corsOrigins.length > 0) {
          sendNoContent(ctx.ex, [['Access-Control-Allow-Methods', allow], ['Access-Control-Allow-Headers', 'Content-Type, X-API-Key, Authorization, X-Request-Id, Cache-Control, traceparent, tracestate'], ['Access-Control-Max-Age', '600']]);
          return;
        }
        throw new GlinerError('METHOD_NOT_ALLOWED', `${method} is not allowed on ${url}; use ${allow}.`, { headers: [['Allow', allow]] });
      },
    };
    handle(fallback, res, req, deps, method);
  });
}

/** "No route for GET /api/v1/predict/ (did you mean /api/v1/predict?)": the path quoted exactly, no trailing period. */
export function notFoundMessage(method: string, url: string, known: ReadonlyMap<string, unknown>): string {
  const trimmed = url.length > 1 ? url.replace(/\/+$/, '') : url;
  const near = trimmed !== url && known.has(trimmed) ? trimmed : known.has(`${url}/`) ? `${url}/` : undefined;
  // Prometheus metrics live on the admin listener only: point there from the public one.
  if (trimmed === '/metrics' && !known.has('/metrics')) return `No route for ${method} ${url} on this port (metrics are served on the admin port, ADMIN_PORT, 9464 by default)`;
  return `No route for ${method} ${url}${near === undefined ? '' : ` (did you mean ${near}?)`}`;
}

function handle(route: Route, res: HttpResponse, req: HttpRequest, deps: RouterDeps, methodOverride?: string): void {
  const startedAt = performance.now();
  const headers = captureHeaders(req);
  const method = methodOverride ?? req.getMethod().toUpperCase();
  const url = req.getUrl();
  const requestId = requestIdOf(headers);
  const ex: Exchange = { res, aborted: false, startedAt, headers: [['X-Request-Id', requestId], ...deps.baseHeaders.map(([n, v]) => [n, v] as [string, string])] };
  if (route.cacheable !== true) ex.headers.push(['Cache-Control', 'no-store']);
  const origin = headers.get('origin');
  if (origin !== undefined && deps.corsOrigins.includes(origin)) {
    ex.headers.push(['Access-Control-Allow-Origin', origin], ['Vary', 'Origin'], ['Access-Control-Expose-Headers', 'X-Request-Id, Retry-After, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, Server-Timing, X-Cache, X-Cache-Texts, traceparent']);
  }
  // What to cancel if the client goes away (a plain list: an AbortController per request costs ~10 µs).
  let leaving: (() => void)[] | undefined;
  let gone = false;
  const onLeave = (cancel: () => void): (() => void) => {
    if (gone) {
      cancel();
      return () => undefined;
    }
    (leaving ??= []).push(cancel);
    return () => {
      const at = leaving?.indexOf(cancel) ?? -1;
      if (at >= 0) leaving?.splice(at, 1);
    };
  };
  const ctx: RequestContext = { ex, method, url, headers, ip: remoteAddress(res), requestId, startedAt, keyName: undefined, log: {}, onLeave };
  deps.metrics.httpInFlight.inc();
  deps.state.inFlight++;
  const finish = (status: number): void => {
    deps.metrics.httpInFlight.dec();
    deps.state.inFlight--;
    const seconds = (performance.now() - startedAt) / 1000;
    recordExchange(deps.metrics, route.name, method, status, seconds, ex.trace?.handle?.exemplar());
    const line = { reqId: requestId, route: route.name, method, status, latencyMs: Math.round(seconds * 1e4) / 10, key: ctx.keyName, ...ctx.log };
    if (route.quiet === true) deps.logger.debug(line, 'request');
    else deps.logger.info(line, 'request');
  };
  ex.onFinish = finish;
  res.onAborted(() => {
    if (ex.aborted) return;
    ex.aborted = true;
    gone = true;
    for (const cancel of leaving ?? []) cancel();
    finish(ABORTED_STATUS);
  });
  void run(route, ctx, res, deps);
}

async function run(route: Route, ctx: RequestContext, res: HttpResponse, deps: RouterDeps): Promise<void> {
  let bodyRead = !route.body;
  try {
    if (route.auth) {
      const admitted = deps.access.admit(ctx.headers, ctx.ip);
      ctx.keyName = admitted.keyName;
      ctx.ex.headers.push(...admitted.headers.map(([n, v]) => [n, v] as [string, string]));
    }
    let body: Buffer | undefined;
    if (route.body) {
      checkJsonContentType(ctx.headers);
      checkDeclaredLength(ctx.headers, deps.maxBodyBytes);
      body = await readBody(res, deps.maxBodyBytes);
      bodyRead = true;
    }
    await route.handle(ctx, body);
  } catch (error) {
    const failure = asGlinerError(error);
    if (failure.extra.reason !== undefined) ctx.log.reason = failure.extra.reason;
    if (failure.extra.keyName !== undefined) ctx.keyName = failure.extra.keyName;
    if (failure.code === 'INTERNAL') deps.logger.error({ reqId: ctx.requestId, err: failure.extra.cause ?? failure }, 'internal error');
    // An unread body would be taken for the next request on a keep-alive connection: close it.
    sendError(ctx.ex, failure, [], !bodyRead, route.errorBody);
  }
}
