// What the HTTP adapters (REST predict and batch, the Open Inference Protocol) share around the
// service: the caller made from an exchange — API key name, request id, Cache-Control, the hook
// that cancels when the client goes away, the log line's fields — and the answer's headers (per-stage
// timings, X-Cache).
import { requestCacheStatus } from '../engine/cached-engine.js';
import type { Caller, ServiceAnswer, TraceCarrier } from '../service/request.js';
import type { HeaderBag, RequestContext } from './context.js';

/** Cache-Control: no-cache (or no-store) on a request: do not answer it from the cache or from a text in flight. */
export function wantsNoCache(headers: HeaderBag): boolean {
  return /(^|,)\s*no-(cache|store)\s*(,|=|$)/i.test(headers.get('cache-control') ?? '');
}

/**
 * The caller of a service request made from an HTTP exchange. `span` names the request's span
 * ("POST /api/v1/predict"); the caller's traceparent/tracestate headers ride in, and the exchange
 * keeps the carrier so that its response (answer or error) carries the request's `traceparent`.
 */
export function callerOf(ctx: RequestContext, transport: TraceCarrier['transport'], span: string): Caller {
  const trace: TraceCarrier = { name: span, transport, traceparent: ctx.headers.get('traceparent'), tracestate: ctx.headers.get('tracestate'), receivedAt: ctx.startedAt };
  ctx.ex.trace = trace;
  return { tenant: ctx.keyName ?? 'anonymous', requestId: ctx.requestId, noCache: wantsNoCache(ctx.headers), onLeave: ctx.onLeave, log: ctx.log, trace };
}

const ms = (seconds: number): string => (seconds * 1000).toFixed(2);

/**
 * Server-Timing plus plain X-* headers, in milliseconds; with the cache on, X-Cache (`hit` when
 * every text came from the cache, `shared` when none ran but some joined a text in flight, `miss`
 * when any text ran) and X-Cache-Texts counting each (`hit=2, shared=0, miss=1`).
 */
export function answerHeaders(answer: ServiceAnswer): [string, string][] {
  const { queueSeconds, inferenceSeconds, totalSeconds } = answer.timings;
  const headers: [string, string][] = [
    ['X-Queue-Time', ms(queueSeconds)],
    ['X-Inference-Time', ms(inferenceSeconds)],
    ['X-Total-Time', ms(totalSeconds)],
    ['Server-Timing', `queue;dur=${ms(queueSeconds)}, inference;dur=${ms(inferenceSeconds)}, total;dur=${ms(totalSeconds)}`],
  ];
  const { cache } = answer;
  if (cache === undefined) return headers;
  const count = (status: string): number => cache.filter((s) => s === status).length;
  headers.push(['X-Cache', requestCacheStatus(cache)], ['X-Cache-Texts', `hit=${count('hit')}, shared=${count('shared')}, miss=${count('miss')}`]);
  return headers;
}

/** The REST answers' closing members (predict, batch, extract): how long the request took and the served model. */
export function answerTail(answer: ServiceAnswer): string {
  return `"processing_time":${answer.timings.totalSeconds},"model":${JSON.stringify(answer.model.id)}`;
}
