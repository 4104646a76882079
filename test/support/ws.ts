// A small WebSocket client for tests: collects every JSON message and waits on predicates.
import WebSocket from 'ws';

export interface StreamClient {
  readonly socket: WebSocket;
  readonly messages: Record<string, unknown>[];
  send(value: unknown): void;
  /** Resolves with the first message (or the list) satisfying `predicate`, bounded in time. */
  waitFor(predicate: (messages: Record<string, unknown>[]) => boolean, timeoutMs?: number): Promise<Record<string, unknown>[]>;
  readonly closed: Promise<{ code: number; reason: string }>;
  close(): void;
}

/** An upgrade the server answered with an HTTP error instead of 101: its status, Retry-After and JSON body. */
export class UpgradeRefused extends Error {
  constructor(readonly status: number, readonly retryAfter: string | undefined, readonly body: unknown) {
    super(`upgrade refused: ${status}`);
  }
}

export async function connect(url: string, options: { headers?: Record<string, string>; protocols?: string[] } = {}): Promise<StreamClient> {
  const socket = new WebSocket(url.replace(/^http/, 'ws'), options.protocols ?? [], { headers: options.headers ?? {} });
  const messages: Record<string, unknown>[] = [];
  const waiters: (() => void)[] = [];
  socket.on('message', (data: Buffer) => {
    messages.push(JSON.parse(data.toString()) as Record<string, unknown>);
    for (const wake of waiters.splice(0)) wake();
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => socket.on('close', (code: number, reason: Buffer) => {
    resolve({ code, reason: reason.toString() });
    for (const wake of waiters.splice(0)) wake();
  }));
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
    socket.once('unexpected-response', (_req, res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        const retry = res.headers['retry-after'];
        reject(new UpgradeRefused(res.statusCode ?? 0, typeof retry === 'string' ? retry : undefined, text === '' ? undefined : (JSON.parse(text) as unknown)));
      });
    });
  });
  return {
    socket,
    messages,
    closed,
    send: (value) => socket.send(JSON.stringify(value)),
    close: () => socket.close(),
    async waitFor(predicate, timeoutMs = 30_000) {
      const until = Date.now() + timeoutMs;
      while (!predicate(messages)) {
        if (Date.now() > until) throw new Error(`timed out waiting; got ${JSON.stringify(messages).slice(0, 500)}`);
        if (socket.readyState === WebSocket.CLOSED) throw new Error(`socket closed; got ${JSON.stringify(messages).slice(0, 500)}`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 200);
        });
      }
      return messages;
    },
  };
}
