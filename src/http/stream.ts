// WebSocket streaming NER at /api/v1/stream.
//
// Auth happens at the upgrade. Each JSON message {id, text, labels, …} is answered as soon as it is
// ready (answers to different ids may interleave); a long text answers window by window, then once
// more with the merged result. Flow control: a connection has at most WS_MAX_INFLIGHT messages
// running; further messages — and all messages while the client is not reading our answers
// (buffered bytes over WS_MAX_BACKPRESSURE_BYTES) — wait in a small per-connection backlog, and a
// client that overflows that backlog is disconnected (1008) rather than buffered without bound.
// Texts go through the result cache like REST ones: a cached (or joined) long text sends only its
// final answer, no windows.
import type { TemplatedApp, WebSocket } from 'uWebSockets.js';
import type { Logger } from 'pino';
import { asGlinerError, errorBody, GlinerError } from '../errors.js';
import type { CachedSubmission, Predictor } from '../engine/cached-engine.js';
import { EMPTY_ANSWER } from '../engine/engine.js';
import type { Metrics } from '../metrics/registry.js';
import { captureHeaders, remoteAddress, requestIdOf } from './context.js';
import { sendError, type Exchange } from './respond.js';
import type { AccessControl, Admission } from './router.js';
import { answerMembers, assertReady, checkLabels, checkText, decodeOptions, wantsNoCache, type RequestLimits } from './routes/predict.js';
import { StreamMessage } from './schemas.js';
import type { ServerState } from './state.js';
import { validator } from './validate.js';

export const STREAM_PROTOCOL = 'gliner.v1';
const KEY_PROTOCOL_PREFIX = 'bearer.';

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
  messages: number;
  /** Cache-Control: no-cache at the upgrade: none of this connection's texts come from the cache. */
  readonly noCache: boolean;
  inflight: number;
  backlog: ArrayBuffer[];
  closed: boolean;
  readonly submissions: Set<CachedSubmission>;
}

export interface StreamDeps {
  /** The engine, behind the result cache when it is on. */
  readonly engine: Predictor;
  readonly state: ServerState;
  readonly metrics: Metrics;
  readonly access: AccessControl;
  readonly logger: Logger;
  readonly limits: RequestLimits;
  readonly settings: StreamSettings;
  readonly baseHeaders: readonly (readonly [string, string])[];
}

export interface StreamHandle {
  /** Close every connection (shutdown): 1001 going away. */
  closeAll(): void;
  readonly connections: number;
}

export function registerStream(app: TemplatedApp, deps: StreamDeps): StreamHandle {
  const parse = validator(StreamMessage);
  const sockets = new Set<WebSocket<Connection>>();

  const sendText = (ws: WebSocket<Connection>, json: string): void => {
    if (ws.getUserData().closed) return;
    ws.send(json, false);
    deps.metrics.wsMessages.inc({ direction: 'out' });
  };
  const sendJson = (ws: WebSocket<Connection>, value: unknown): void => sendText(ws, JSON.stringify(value));

  const handleMessage = (ws: WebSocket<Connection>, raw: ArrayBuffer): void => {
    const conn = ws.getUserData();
    let id: unknown = null;
    try {
      let value: unknown;
      try {
        value = JSON.parse(Buffer.from(raw).toString('utf8'));
      } catch {
        throw new GlinerError('BAD_JSON', 'The message is not valid JSON.');
      }
      // Echo the id even when the rest of the message is invalid, so the client can match it.
      if (typeof value === 'object' && value !== null && 'id' in value) id = (value).id;
      const message = parse.check(value);
      conn.admission.charge();
      assertReady(deps.state);
      checkText(message.text, deps.limits);
      checkLabels(message.labels, deps.limits);
      const options = decodeOptions(message);
      const submission = deps.engine.submit(
        { texts: [message.text], labels: message.labels, options },
        {
          timeoutMs: deps.limits.requestTimeoutMs,
          tenant: conn.admission.keyName,
          noCache: conn.noCache,
          onWindow: (update) => {
            if (update.windows > 1) sendText(ws, `{"id":${JSON.stringify(id ?? null)},"window":${update.window},"windows":${update.windows},"entities":${update.answer.json},"done":false}`);
          },
        },
      );
      conn.inflight++;
      conn.submissions.add(submission);
      submission.result.then(
        (result) => {
          const answer = result.texts[0] ?? EMPTY_ANSWER;
          deps.logger.debug({ connId: conn.connId, chars: message.text.length, labels: message.labels.length, entities: answer.count, truncated: answer.truncated, batches: result.batchIds, totalMs: Math.round(result.timings.totalSeconds * 1e4) / 10 }, 'stream message');
          sendText(ws, `{"id":${JSON.stringify(id ?? null)},${answerMembers(answer, deps.metrics)},"done":true,"processing_time":${result.timings.totalSeconds}}`);
        },
        (error: unknown) => sendJson(ws, { id, ...errorBody(asGlinerError(error)), done: true }),
      ).finally(() => {
        conn.inflight--;
        conn.submissions.delete(submission);
        pump(ws);
      }).catch(() => undefined);
    } catch (error) {
      const failure = asGlinerError(error);
      deps.logger.info({ connId: conn.connId, status: failure.status, code: failure.code }, 'stream message refused');
      sendJson(ws, { id, ...errorBody(failure), done: true });
    }
  };

  /** Run backlog messages while the connection has room and the client keeps reading. */
  const pump = (ws: WebSocket<Connection>): void => {
    const conn = ws.getUserData();
    while (!conn.closed && conn.backlog.length > 0 && conn.inflight < deps.settings.maxInflight && ws.getBufferedAmount() < deps.settings.maxBackpressureBytes) {
      handleMessage(ws, conn.backlog.shift() as ArrayBuffer);
    }
  };

  app.ws<Connection>('/api/v1/stream', {
    // uWS drops a connection without a close frame past maxPayloadLength; leave room so our own
    // check below can close with a proper 1009 and reason instead.
    maxPayloadLength: deps.settings.maxMessageBytes * 2 + 1024,
    idleTimeout: deps.settings.idleTimeoutSeconds,
    maxBackpressure: deps.settings.maxBackpressureBytes * 4,
    closeOnBackpressureLimit: 1,
    sendPingsAutomatically: true,
    upgrade: (res, req, context) => {
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
        if (deps.state.phase === 'draining') throw new GlinerError('DRAINING', 'The server is shutting down.', { retryAfterSeconds: 1 });
        // Browsers cannot set headers on a WebSocket: they may pass the key as a sub-protocol.
        const protocolKey = offered.find((p) => p.startsWith(KEY_PROTOCOL_PREFIX))?.slice(KEY_PROTOCOL_PREFIX.length);
        const authHeaders = protocolKey !== undefined && headers.get('x-api-key') === undefined && headers.get('authorization') === undefined
          ? { get: (name: string) => (name === 'x-api-key' ? protocolKey : headers.get(name)) }
          : headers;
        const admitted = deps.access.admit(authHeaders, ip);
        const protocol = offered.includes(STREAM_PROTOCOL) ? STREAM_PROTOCOL : '';
        const connId = requestIdOf(headers);
        deps.logger.info({ connId, route: '/api/v1/stream', status: 101, key: admitted.keyName, protocol: protocol === '' ? undefined : protocol }, 'websocket upgrade');
        res.cork(() => {
          res.upgrade<Connection>({ admission: admitted, connId, messages: 0, noCache: wantsNoCache(headers), inflight: 0, backlog: [], closed: false, submissions: new Set() }, key, protocol, extensions, context);
        });
      } catch (error) {
        const failure = asGlinerError(error);
        // Refused upgrades are logged like any request (never the key, never the sub-protocol that may carry it).
        deps.logger.info({ route: '/api/v1/stream', status: failure.status, code: failure.code, reason: failure.extra.reason, key: failure.extra.keyName }, 'websocket upgrade refused');
        deps.metrics.httpRequests.inc({ route: '/api/v1/stream', method: 'GET', status: String(failure.status) });
        sendError(ex, failure, [], true);
      }
    },
    open: (ws) => {
      sockets.add(ws);
      deps.metrics.wsConnections.inc();
      deps.metrics.httpRequests.inc({ route: '/api/v1/stream', method: 'GET', status: '101' });
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
      deps.logger.info({ connId: conn.connId, code, messages: conn.messages, cancelled: conn.submissions.size }, 'websocket closed');
      conn.closed = true;
      for (const submission of conn.submissions) submission.cancel();
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
