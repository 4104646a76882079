// The load drivers. Closed loop (a fixed number of connections, each sending its next request when
// the last one is answered) goes through autocannon; open loop (requests fired on a fixed schedule
// whatever the server does, latency counted from the *scheduled* send time so queueing is not
// hidden) is a small driver over node:http; WebSocket streams have their own driver.
import autocannon from 'autocannon';
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { bodyOf, pathOf, type Scenario } from './scenarios.js';
import { summarize, type LatencySummary } from './stats.js';

export interface Target {
  readonly url: string;
  readonly apiKey: string | undefined;
}

export interface LoadResult {
  readonly mode: 'closed' | 'open';
  readonly concurrency?: number;
  readonly rate?: number;
  /** Length of the measured window, seconds. */
  readonly seconds: number;
  /** Responses received (any status). */
  readonly responses: number;
  /** 2xx responses (for streams: answers without an error). */
  readonly ok: number;
  /** Texts carried by the ok requests (batch requests carry several). */
  readonly okTexts: number;
  readonly throughputRps: number;
  /** Milliseconds, successful requests only. */
  readonly latency: LatencySummary;
  /** Failures by HTTP status, error code or client-side cause (socket, timeout, skipped). */
  readonly errors: Record<string, number>;
  /** Mean of the server's X-Queue-Time / X-Total-Time headers (ms), when it sends them. */
  readonly serverQueueMs?: number;
  readonly serverTotalMs?: number;
  /** Stream only: window messages received before the final answers. */
  readonly windowMessages?: number;
  /** Every successful latency (ms), for merging points; not written to the report. */
  readonly samples: readonly number[];
}

/** One point out of several measured in slices (closed loop, same concurrency). */
export function mergeLoads(parts: readonly LoadResult[]): LoadResult {
  const first = parts[0];
  if (first === undefined) throw new Error('nothing to merge');
  const samples = parts.flatMap((p) => p.samples);
  const seconds = parts.reduce((sum, p) => sum + p.seconds, 0);
  const ok = parts.reduce((sum, p) => sum + p.ok, 0);
  const errors: Record<string, number> = {};
  for (const p of parts) for (const [k, n] of Object.entries(p.errors)) errors[k] = (errors[k] ?? 0) + n;
  const weighted = (pick: (p: LoadResult) => number | undefined): number | undefined => {
    const with_ = parts.filter((p) => pick(p) !== undefined && p.ok > 0);
    const n = with_.reduce((sum, p) => sum + p.ok, 0);
    return n === 0 ? undefined : with_.reduce((sum, p) => sum + (pick(p) ?? 0) * p.ok, 0) / n;
  };
  const queue = weighted((p) => p.serverQueueMs);
  const totalMs = weighted((p) => p.serverTotalMs);
  return {
    mode: first.mode,
    ...(first.concurrency === undefined ? {} : { concurrency: first.concurrency }),
    seconds,
    responses: parts.reduce((sum, p) => sum + p.responses, 0),
    ok,
    okTexts: parts.reduce((sum, p) => sum + p.okTexts, 0),
    throughputRps: ok / seconds,
    latency: summarize(samples),
    errors,
    ...(queue === undefined ? {} : { serverQueueMs: queue }),
    ...(totalMs === undefined ? {} : { serverTotalMs: totalMs }),
    samples,
  };
}

/** Request numbers come from one counter per process so no two requests share a body. */
export class RequestCounter {
  private next: number;
  constructor(start = 0) {
    this.next = start;
  }
  take(): number {
    return this.next++;
  }
  /** The number the next take() returns. */
  get position(): number {
    return this.next;
  }
  /** Never hand out numbers below `n` again (after other counters used them). */
  skipTo(n: number): void {
    this.next = Math.max(this.next, n);
  }
}

/** The result of one HTTP load point, from what the driver collected. */
function summarizeLoad(
  shape: { mode: 'closed'; concurrency: number } | { mode: 'open'; rate: number },
  scenario: Scenario,
  seconds: number,
  responses: number,
  latencies: number[],
  errors: Record<string, number>,
  means: HeaderMeans,
): LoadResult {
  const ok = latencies.length;
  return {
    ...shape,
    seconds,
    responses,
    ok,
    okTexts: ok * textsPerRequest(scenario),
    throughputRps: ok / seconds,
    latency: summarize(latencies),
    errors,
    ...means.values,
    samples: latencies,
  };
}

function headersFor(target: Target): Record<string, string> {
  return { 'content-type': 'application/json', ...(target.apiKey === undefined ? {} : { 'x-api-key': target.apiKey }) };
}

function textsPerRequest(scenario: Scenario): number {
  return scenario.request(0).texts.length;
}

/** A response header from autocannon's header object (names as the server spelled them). */
function header(headers: unknown, name: string): string | undefined {
  if (headers === null || typeof headers !== 'object') return undefined;
  for (const [key, value] of Object.entries(headers as Record<string, unknown>)) {
    if (key.toLowerCase() !== name) continue;
    const first: unknown = Array.isArray(value) ? value[0] : value;
    return typeof first === 'string' ? first : Buffer.isBuffer(first) ? first.toString() : undefined;
  }
  return undefined;
}

class HeaderMeans {
  private queue = 0;
  private totalMs = 0;
  private n = 0;
  add(queue: string | undefined, totalMs: string | undefined): void {
    if (queue === undefined || totalMs === undefined) return;
    this.queue += Number(queue);
    this.totalMs += Number(totalMs);
    this.n++;
  }
  get values(): { serverQueueMs?: number; serverTotalMs?: number } {
    return this.n === 0 ? {} : { serverQueueMs: this.queue / this.n, serverTotalMs: this.totalMs / this.n };
  }
}

/** Closed loop through autocannon: `connections` connections, one request in flight on each. */
export async function closedLoopHttp(target: Target, scenario: Scenario, counter: RequestCounter, connections: number, seconds: number, timeoutSeconds: number): Promise<LoadResult> {
  const headers = headersFor(target);
  const path = pathOf(scenario.transport);
  const latencies: number[] = [];
  const errors: Record<string, number> = {};
  const means = new HeaderMeans();
  let responses = 0;
  const started = performance.now();
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: target.url,
        connections,
        pipelining: 1,
        duration: seconds,
        timeout: timeoutSeconds,
        requests: [
          {
            method: 'POST',
            path,
            headers,
            setupRequest: (request) => ({ ...request, method: 'POST', path, headers, body: bodyOf(scenario, counter.take()) }),
            onResponse: (status, _body, _context, responseHeaders) => {
              if (status >= 200 && status < 300) means.add(header(responseHeaders, 'x-queue-time'), header(responseHeaders, 'x-total-time'));
            },
          },
        ],
      },
      (error: unknown, res) => (error ? reject(error instanceof Error ? error : new Error(JSON.stringify(error))) : resolve(res)),
    );
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      responses++;
      if (statusCode >= 200 && statusCode < 300) latencies.push(responseTime);
      else errors[String(statusCode)] = (errors[String(statusCode)] ?? 0) + 1;
    });
  });
  const elapsed = Math.min((performance.now() - started) / 1000, Math.max(seconds, result.duration));
  if (result.timeouts > 0) errors.timeout = result.timeouts;
  const socketErrors = result.errors - result.timeouts;
  if (socketErrors > 0) errors.socket = socketErrors;
  return summarizeLoad({ mode: 'closed', concurrency: connections }, scenario, elapsed, responses, latencies, errors, means);
}

/**
 * Open loop: request i is due at start + i/rate and is sent then (or as soon after as the event
 * loop allows); its latency runs from the due time to the end of the response. At most
 * `maxOutstanding` requests are in flight: beyond that a due request is skipped and counted.
 */
export async function openLoopHttp(target: Target, scenario: Scenario, counter: RequestCounter, rate: number, seconds: number, timeoutSeconds: number, maxOutstanding = 4096): Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: maxOutstanding, maxFreeSockets: maxOutstanding });
  const url = new URL(target.url);
  const headers = headersFor(target);
  const path = pathOf(scenario.transport);
  const latencies: number[] = [];
  const errors: Record<string, number> = {};
  const means = new HeaderMeans();
  const count = (key: string): void => {
    errors[key] = (errors[key] ?? 0) + 1;
  };
  let outstanding = 0;
  let responses = 0;
  let lastDone = 0;
  const total = Math.max(1, Math.round(rate * seconds));
  const start = performance.now() + 5;
  let settle: () => void = () => undefined;
  const allDone = new Promise<void>((resolve) => {
    settle = resolve;
  });
  let fired = 0;
  let finished = 0;
  const finish = (): void => {
    finished++;
    if (finished === total) settle();
  };

  const fire = (due: number): void => {
    if (outstanding >= maxOutstanding) {
      count('skipped');
      finish();
      return;
    }
    outstanding++;
    const body = bodyOf(scenario, counter.take());
    let done = false;
    const end = (key: string | undefined, response?: http.IncomingMessage): void => {
      if (done) return;
      done = true;
      outstanding--;
      const now = performance.now();
      lastDone = Math.max(lastDone, now);
      if (key === undefined) {
        latencies.push(now - due);
        const q = response?.headers['x-queue-time'];
        const t = response?.headers['x-total-time'];
        means.add(typeof q === 'string' ? q : undefined, typeof t === 'string' ? t : undefined);
      } else count(key);
      finish();
    };
    const request = http.request(
      { host: url.hostname, port: url.port, path, method: 'POST', agent, headers: { ...headers, 'content-length': Buffer.byteLength(body) }, timeout: timeoutSeconds * 1000 },
      (response) => {
        response.on('data', () => undefined);
        response.on('end', () => {
          responses++;
          const status = response.statusCode ?? 0;
          end(status >= 200 && status < 300 ? undefined : String(status), response);
        });
        response.on('error', () => end('socket'));
      },
    );
    request.on('timeout', () => {
      request.destroy();
      end('timeout');
    });
    request.on('error', () => end('socket'));
    request.end(body);
  };

  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const now = performance.now();
      while (fired < total) {
        const due = start + (fired / rate) * 1000;
        if (due > now) break;
        fired++;
        fire(due);
      }
      if (fired >= total) {
        resolve();
        return;
      }
      const next = start + (fired / rate) * 1000;
      setTimeout(tick, Math.max(0, Math.min(next - performance.now(), 50)));
    };
    tick();
  });
  const drain = setTimeout(() => settle(), timeoutSeconds * 1000 + 1000);
  await allDone;
  clearTimeout(drain);
  agent.destroy();
  const unfinished = total - finished;
  if (unfinished > 0) errors.unfinished = unfinished;
  const elapsed = Math.max(seconds, (lastDone - start) / 1000);
  return summarizeLoad({ mode: 'open', rate }, scenario, elapsed, responses, latencies, errors, means);
}

interface StreamAnswer {
  id?: unknown;
  done?: boolean;
  error?: { code?: string };
}

/** WebSocket closed loop: `connections` sockets, `depth` messages in flight on each. */
export async function closedLoopStream(target: Target, scenario: Scenario, counter: RequestCounter, connections: number, seconds: number, depth = 1): Promise<LoadResult> {
  const wsUrl = `${target.url.replace(/^http/, 'ws')}${pathOf('stream')}`;
  const latencies: number[] = [];
  const errors: Record<string, number> = {};
  const count = (key: string): void => {
    errors[key] = (errors[key] ?? 0) + 1;
  };
  let responses = 0;
  let windows = 0;
  let stopping = false;
  const started = performance.now();

  const open = new Set<WebSocket>();
  const runSocket = (): Promise<void> =>
    new Promise<void>((resolve) => {
      const ws = new WebSocket(wsUrl, { headers: target.apiKey === undefined ? {} : { 'x-api-key': target.apiKey }, perMessageDeflate: false });
      open.add(ws);
      const sentAt = new Map<number, number>();
      const send = (): void => {
        if (stopping) return;
        const k = counter.take();
        sentAt.set(k, performance.now());
        ws.send(bodyOf(scenario, k));
      };
      ws.on('open', () => {
        for (let i = 0; i < depth; i++) send();
      });
      ws.on('message', (data: WebSocket.RawData) => {
        if (stopping) return;
        let answer: StreamAnswer;
        try {
          answer = JSON.parse(Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.from(data as ArrayBuffer).toString('utf8')) as StreamAnswer;
        } catch {
          count('bad-json');
          return;
        }
        if (answer.done !== true) {
          windows++;
          return;
        }
        const id = typeof answer.id === 'number' ? answer.id : Number(answer.id);
        const sent = sentAt.get(id);
        sentAt.delete(id);
        responses++;
        if (answer.error !== undefined) count(answer.error.code ?? 'error');
        else if (sent !== undefined) latencies.push(performance.now() - sent);
        send();
      });
      ws.on('unexpected-response', (_request, response) => {
        count(String(response.statusCode ?? 'upgrade'));
        resolve();
      });
      ws.on('error', () => {
        if (!stopping) count('socket');
        resolve();
      });
      ws.on('close', (code) => {
        open.delete(ws);
        if (!stopping && code !== 1000 && code !== 1005) count(`close-${code}`);
        resolve();
      });
    });

  const sockets = Array.from({ length: connections }, () => runSocket());
  // Like autocannon: answers still in flight at the end of the window are not counted; closing the
  // sockets cancels their work on the server.
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  stopping = true;
  const elapsed = (performance.now() - started) / 1000;
  for (const ws of open) ws.close(1000);
  await Promise.race([Promise.all(sockets), new Promise((resolve) => setTimeout(resolve, 5000))]);
  for (const ws of open) ws.terminate();
  const ok = latencies.length;
  return {
    mode: 'closed',
    concurrency: connections * depth,
    seconds: elapsed,
    responses,
    ok,
    okTexts: ok,
    throughputRps: ok / elapsed,
    latency: summarize(latencies),
    errors,
    windowMessages: windows,
    samples: latencies,
  };
}
