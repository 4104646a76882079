// WebSocket streaming NER at /api/v1/stream: the WebSocket adapter of the predict service.
//
// Auth happens at the upgrade. Each JSON message {id, text, labels, …} is parsed, charged to the
// key's rate limit, and handed to the service; its answer is sent as soon as it is ready (answers
// to different ids may interleave); a long text answers window by window, then once more with the
// merged result. A message with `schema` instead of `labels` ({id, text, schema, threshold?,
// include_confidence?, include_spans?}) is GLiNER2 extraction, answered {id, result, done: true, …}
// as POST /api/v1/extract's result. Errors are `{"id", "error": {"code", "message", "retry_after"?}, "done": true}`,
// `retry_after` (seconds) wherever HTTP would send Retry-After. With tracing on, a message's
// `traceparent`/`tracestate` fields continue the caller's trace and the final answer (or error)
// carries the message's own `traceparent`. Flow control: a connection has at
// most WS_MAX_INFLIGHT messages running; further messages — and all messages while the client is
// not reading our answers (buffered bytes over WS_MAX_BACKPRESSURE_BYTES) — wait in a per-connection
// backlog of as many again, and a client that overflows it is disconnected (1008) rather than
// buffered without bound. Closing the connection cancels its messages' work.
import { performance } from 'node:perf_hooks';
import type { TemplatedApp, WebSocket } from 'uWebSockets.js';
import type { Logger } from 'pino';
import { asGlinerError, GlinerError, retryAfterOf } from '../errors.js';
import type { Metrics } from '../metrics/registry.js';
import { answerMembers, membersOf } from '../service/answer.js';
import type { ServiceHost } from '../service/host.js';
import type { ServiceAnswer, ServiceRequest, TraceCarrier } from '../service/request.js';
import { extractInputs, predictInputs, singleTextFields } from '../service/wire.js';
import { requestCacheStatus } from '../engine/cached-engine.js';
import { captureHeaders, remoteAddress, requestIdOf } from './context.js';
import { sendError, type Exchange } from './respond.js';
import { recordExchange, type AccessControl, type Admission } from './router.js';
import { StreamExtractMessage, StreamMessage } from './schemas.js';
import { wantsNoCache } from './service-call.js';
import { validator } from './validate.js';

export const STREAM_PROTOCOL = 'gliner.v1';
const KEY_PROTOCOL_PREFIX = 'bearer.';
const ROUTE = '/api/v1/stream';

export interface StreamSettings {
  readonly maxMessageBytes: number;
  readonly maxInflight: number;
  readonly maxBackpressureBytes: number;
  readonly idleTimeoutSeconds: number;
}

interface Connection {
  readonly admission: Admission;
  /** Log correlation: the upgrade's request id, and counts for the close line. */
  readonly connId: string;
  /** performance.now() at the upgrade request: the 101's duration. */
  readonly upgradedAt: number;
  messages: number;
  /** Cache-Control: no-cache at the upgrade: none of this connection's texts come from the cache. */
  readonly noCache: boolean;
  inflight: number;
  backlog: ArrayBuffer[];
  closed: boolean;
  /** Cancels of the messages still running: called when the connection closes. */
  readonly leaving: Set<() => void>;
}

export interface StreamDeps {
  readonly service: ServiceHost;
  readonly metrics: Metrics;
  readonly access: AccessControl;
  readonly logger: Logger;
  readonly settings: StreamSettings;
  readonly baseHeaders: readonly (readonly [string, string])[];
}

export interface StreamHandle {
  /** Close every connection (shutdown): 1001 going away. */
  closeAll(): void;
  readonly connections: number;
}

/** The WebSocket's error message for `id`; `traceparent` once the message reached the service (tracing on). */
export function streamError(id: unknown, error: GlinerError, traceparent?: string): string {
  const retryAfter = retryAfterOf(error);
  const body = { code: error.code, message: error.message, ...(retryAfter === undefined ? {} : { retry_after: retryAfter }) };
  return JSON.stringify({ id: id ?? null, error: body, done: true, ...(traceparent === undefined ? {} : { traceparent }) });
}

/** The final message: the text's answer members, then how long it took, (cache on) where it came from and (tracing on) its traceparent. */
function finalMessage(idJson: string, answer: ServiceAnswer, operation: ServiceRequest['operation'], traceparent: string | undefined): string {
  const text = answer.texts[0];
  const members = text === undefined ? (operation === 'extract' ? '"result":{}' : '"entities":[],"truncated":false') : answerMembers(text, false, membersOf(operation));
  const cache = answer.cache === undefined ? '' : `,"cache":"${requestCacheStatus(answer.cache)}"`;
  const trace = traceparent === undefined ? '' : `,"traceparent":${JSON.stringify(traceparent)}`;
  return `{"id":${idJson},${members},"done":true,"processing_time":${answer.timings.totalSeconds}${cache}${trace}}`;
}

/** A message's cancel, called if its connection closes first. */
function leave(conn: Connection, cancel: () => void): () => void {
  if (conn.closed) {
    cancel();
    return () => undefined;
  }
  conn.leaving.add(cancel);
  return () => conn.leaving.delete(cancel);
}

export function registerStream(app: TemplatedApp, deps: StreamDeps): StreamHandle {
  const parse = validator(StreamMessage);
  const parseExtract = validator(StreamExtractMessage);
  const sockets = new Set<WebSocket<Connection>>();

  const sendText = (ws: WebSocket<Connection>, json: string): void => {
    if (ws.getUserData().closed) return;
    ws.send(json, false);
    deps.metrics.wsMessages.inc({ direction: 'out' });
  };

  const refuse = (ws: WebSocket<Connection>, id: unknown, error: unknown, log?: Record<string, unknown>, traceparent?: string): void => {
    const failure = asGlinerError(error);
    deps.logger.info({ connId: ws.getUserData().connId, status: failure.status, code: failure.code, reason: failure.extra.reason, ...log }, 'stream message refused');
    sendText(ws, streamError(id, failure, traceparent));
  };

  const handleMessage = (ws: WebSocket<Connection>, raw: ArrayBuffer): void => {
    const conn = ws.getUserData();
    let id: unknown = null;
    let request: ServiceRequest;
    let sizes: { chars: number; labels: number };
    let context: { traceparent: string | undefined; tracestate: string | undefined };
    try {
      let value: unknown;
      try {
        value = JSON.parse(Buffer.from(raw).toString('utf8'));
      } catch {
        throw new GlinerError('BAD_JSON', 'The message is not valid JSON.');
      }
      // Echo the id even when the rest of the message is invalid, so the client can match it.
      if (typeof value === 'object' && value !== null && 'id' in value) id = value.id;
      if (typeof value === 'object' && value !== null && 'schema' in value) {
        const message = parseExtract.check(value);
        request = { operation: 'extract', inputs: extractInputs(message), fields: { text: 'text', schema: 'schema' } };
        sizes = { chars: message.text.length, labels: 0 };
        context = { traceparent: message.traceparent, tracestate: message.tracestate };
      } else {
        const message = parse.check(value);
        request = {
          operation: 'predict',
          inputs: predictInputs([message.text], message.labels, message, message.relations),
          fields: singleTextFields('labels'),
          onPartial: (update) => {
            if (update.windows > 1) sendText(ws, `{"id":${JSON.stringify(id ?? null)},"window":${update.window},"windows":${update.windows},${answerMembers(update.answer, true)},"done":false}`);
          },
        };
        sizes = { chars: message.text.length, labels: message.labels.length };
        context = { traceparent: message.traceparent, tracestate: message.tracestate };
      }
      conn.admission.charge();
    } catch (error) {
      refuse(ws, id, error);
      return;
    }
    const idJson = JSON.stringify(id ?? null);
    const trace: TraceCarrier = { name: 'WS /api/v1/stream', transport: 'websocket', ...context };
    const log: Record<string, unknown> = {};
    conn.inflight++;
    deps.service.handle(
      request,
      { tenant: conn.admission.keyName, requestId: conn.connId, noCache: conn.noCache, onLeave: (cancel) => leave(conn, cancel), log, trace },
    ).then(
      (answer) => {
        const text = answer.texts[0];
        deps.logger.debug({ connId: conn.connId, operation: request.operation, chars: sizes.chars, labels: sizes.labels, entities: text?.count, truncated: text?.truncated, batches: answer.batchIds, totalMs: Math.round(answer.timings.totalSeconds * 1e4) / 10, trace_id: log.trace_id, span_id: log.span_id }, 'stream message');
        sendText(ws, finalMessage(idJson, answer, request.operation, trace.handle?.traceparent()));
      },
      (error: unknown) => refuse(ws, id, error, { trace_id: log.trace_id, span_id: log.span_id }, trace.handle?.traceparent()),
    ).finally(() => {
      conn.inflight--;
      pump(ws);
    }).catch(() => undefined);
  };

  /** Run backlog messages while the connection has room and the client keeps reading. */
  const pump = (ws: WebSocket<Connection>): void => {
    const conn = ws.getUserData();
    while (!conn.closed && conn.backlog.length > 0 && conn.inflight < deps.settings.maxInflight && ws.getBufferedAmount() < deps.settings.maxBackpressureBytes) {
      handleMessage(ws, conn.backlog.shift() as ArrayBuffer);
    }
  };

  app.ws<Connection>(ROUTE, {
    // uWS drops a connection without a close frame past maxPayloadLength; leave room so our own
    // check below can close with a proper 1009 and reason instead.
    maxPayloadLength: deps.settings.maxMessageBytes * 2 + 1024,
    idleTimeout: deps.settings.idleTimeoutSeconds,
    maxBackpressure: deps.settings.maxBackpressureBytes * 4,
    closeOnBackpressureLimit: 1,
    sendPingsAutomatically: true,
    upgrade: (res, req, context) => {
      const upgradedAt = performance.now();
      const headers = captureHeaders(req);
      const ip = remoteAddress(res);
      const key = req.getHeader('sec-websocket-key');
      const extensions = req.getHeader('sec-websocket-extensions');
      const offered = (headers.get('sec-websocket-protocol') ?? '').split(',').map((p) => p.trim()).filter((p) => p.length > 0);
      const ex: Exchange = { res, aborted: false, headers: deps.baseHeaders.map(([n, v]) => [n, v] as [string, string]) };
      res.onAborted(() => {
        ex.aborted = true;
      });
      try {
        deps.service.assertAccepting();
        // Browsers cannot set headers on a WebSocket: they may pass the key as a sub-protocol.
        const protocolKey = offered.find((p) => p.startsWith(KEY_PROTOCOL_PREFIX))?.slice(KEY_PROTOCOL_PREFIX.length);
        const authHeaders = protocolKey !== undefined && headers.get('x-api-key') === undefined && headers.get('authorization') === undefined
          ? { get: (name: string) => (name === 'x-api-key' ? protocolKey : headers.get(name)) }
          : headers;
        const admitted = deps.access.admit(authHeaders, ip);
        const protocol = offered.includes(STREAM_PROTOCOL) ? STREAM_PROTOCOL : '';
        const connId = requestIdOf(headers);
        deps.logger.info({ connId, route: ROUTE, status: 101, key: admitted.keyName, protocol: protocol === '' ? undefined : protocol }, 'websocket upgrade');
        res.cork(() => {
          res.upgrade<Connection>({ admission: admitted, connId, upgradedAt, messages: 0, noCache: wantsNoCache(headers), inflight: 0, backlog: [], closed: false, leaving: new Set() }, key, protocol, extensions, context);
        });
      } catch (error) {
        const failure = asGlinerError(error);
        // Refused upgrades are logged like any request (never the key, never the sub-protocol that may carry it).
        deps.logger.info({ route: ROUTE, status: failure.status, code: failure.code, reason: failure.extra.reason, key: failure.extra.keyName }, 'websocket upgrade refused');
        recordExchange(deps.metrics, ROUTE, 'GET', failure.status, (performance.now() - upgradedAt) / 1000);
        sendError(ex, failure, [], true);
      }
    },
    open: (ws) => {
      sockets.add(ws);
      deps.metrics.wsConnections.inc();
      recordExchange(deps.metrics, ROUTE, 'GET', 101, (performance.now() - ws.getUserData().upgradedAt) / 1000);
    },
    message: (ws, message) => {
      deps.metrics.wsMessages.inc({ direction: 'in' });
      const conn = ws.getUserData();
      conn.messages++;
      if (message.byteLength > deps.settings.maxMessageBytes) {
        ws.end(1009, `message larger than ${deps.settings.maxMessageBytes} bytes`);
        return;
      }
      // uWS reuses the message buffer after this callback: copy before keeping it.
      const copy = message.slice(0);
      if (conn.inflight < deps.settings.maxInflight && conn.backlog.length === 0 && ws.getBufferedAmount() < deps.settings.maxBackpressureBytes) {
        handleMessage(ws, copy);
        return;
      }
      if (conn.backlog.length >= deps.settings.maxInflight) {
        ws.end(1008, 'too many messages in flight on this connection');
        return;
      }
      conn.backlog.push(copy);
    },
    drain: (ws) => pump(ws),
    close: (ws, code) => {
      const conn = ws.getUserData();
      deps.logger.info({ connId: conn.connId, code, messages: conn.messages, cancelled: conn.inflight }, 'websocket closed');
      conn.closed = true;
      for (const cancel of conn.leaving) cancel();
      conn.leaving.clear();
      conn.backlog = [];
      sockets.delete(ws);
      deps.metrics.wsConnections.dec();
    },
  });

  return {
    closeAll() {
      for (const ws of sockets) ws.end(1001, 'server shutting down');
    },
    get connections() {
      return sockets.size;
    },
  };
}
