// What the front door does that operators must know (README "HTTP clients and proxies", deploy/README.md):
// uWebSockets.js never answers HTTP/1.0, and a request pipelined behind a POST aborts the connection,
// while keep-alive and pipelined GETs work. Plus what the log says on a server run without keys: the
// open-API warning on its own short lines, the admin listener following HOST, health polls at debug.
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { get } from '../support/http.js';
import { TEST_MODEL } from '../support/model.js';
import { startServer, type RunningServer } from '../support/server.js';

let srv: RunningServer;
beforeAll(async () => {
  // No keys (open, development), and ADMIN_HOST unset so it follows HOST=127.0.0.1.
  // The result cache off: a cached answer is written before uWS reads the next pipelined request,
  // which would hide the limit this file pins down (it concerns a POST that is still unanswered).
  srv = await startServer({ env: { MODEL: TEST_MODEL, API_KEYS: '', API_KEYS_FILE: '', ADMIN_HOST: '', RATE_LIMIT_PER_SECOND: '0', CACHE_MAX_BYTES: '0' } });
});
afterAll(async () => {
  expect(await srv.stop()).toBe(0);
});

interface RawOutcome { readonly closed: boolean; readonly statuses: number[]; readonly text: string }

/** Writes `payload` on one raw TCP connection and collects what comes back within `waitMs`. */
function raw(payload: string, waitMs: number): Promise<RawOutcome> {
  return new Promise((resolve) => {
    const socket = connect(srv.port, '127.0.0.1');
    let text = '';
    let settled = false;
    const settle = (closed: boolean): void => {
      if (settled) return;
      settled = true;
      socket.destroy();
      resolve({ closed, statuses: [...text.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1])), text });
    };
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
    });
    socket.on('close', () => settle(true));
    socket.on('error', () => settle(true));
    socket.write(payload);
    setTimeout(() => settle(false), waitMs).unref();
  });
}

const BODY = JSON.stringify({ text: 'I work at Microsoft based in Seattle, Washington.', labels: ['organization'] });
const POST = `POST /api/v1/predict HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(BODY)}\r\n\r\n${BODY}`;
const GET_LIVE = 'GET /health/live HTTP/1.1\r\nHost: test\r\n\r\n';

describe('HTTP/1.0 and pipelining (documented limits of uWebSockets.js)', () => {
  it('an HTTP/1.0 request gets no answer at all: the connection just hangs (proxies must speak HTTP/1.1)', async () => {
    const outcome = await raw('GET /health/live HTTP/1.0\r\nHost: test\r\n\r\n', 1500);
    expect(outcome).toEqual({ closed: false, statuses: [], text: '' });
  });

  it('the same request over HTTP/1.1 is answered', async () => {
    const outcome = await raw(GET_LIVE, 1500);
    expect(outcome.statuses).toEqual([200]);
  });

  it('pipelined GETs, and a POST pipelined behind a GET, are all answered in order', async () => {
    expect((await raw(GET_LIVE + GET_LIVE, 1500)).statuses).toEqual([200, 200]);
    expect((await raw(GET_LIVE + POST, 5000)).statuses).toEqual([200, 200]);
  });

  it('a request pipelined behind a POST aborts the connection: neither gets an answer', async () => {
    for (const second of [POST, GET_LIVE]) {
      const outcome = await raw(POST + second, 5000);
      expect(outcome.statuses).toEqual([]);
      expect(outcome.closed).toBe(true);
    }
  });

  it('keep-alive without pipelining works: POSTs one after another on one connection', async () => {
    const socket = connect(srv.port, '127.0.0.1');
    let text = '';
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
    });
    const answered = async (n: number): Promise<void> => {
      for (let i = 0; i < 100 && (text.match(/HTTP\/1\.1 200 /g) ?? []).length < n; i++) await new Promise((r) => setTimeout(r, 50));
    };
    for (let n = 1; n <= 3; n++) {
      socket.write(POST);
      await answered(n);
    }
    socket.destroy();
    expect((text.match(/HTTP\/1\.1 200 /g) ?? []).length).toBe(3);
  });
});

describe('start-up and request log', () => {
  const warnings = () => srv.logs.filter((l) => l.level === 40 && String(l.msg).startsWith('NO API KEYS CONFIGURED'));

  it('the open-API warning is a short line of its own, repeated right after "ready"', () => {
    expect(warnings()).toHaveLength(2);
    for (const line of warnings()) {
      expect(line.config).toBeUndefined();
      expect(JSON.stringify(line).length).toBeLessThan(300);
    }
    const ready = srv.logs.findIndex((l) => l.msg === 'ready');
    expect(srv.logs.indexOf(warnings()[1]!)).toBe(ready + 1);
  });

  it('the admin listener follows HOST when ADMIN_HOST is unset', () => {
    const starting = srv.logs.find((l) => l.msg === 'starting') as { config: { host: string; adminHost: string } };
    expect(starting.config.host).toBe('127.0.0.1');
    expect(starting.config.adminHost).toBe('127.0.0.1');
  });

  it('health probes and scrapes are logged at debug, so they do not reach the info log; other requests do', async () => {
    await get(`${srv.url}/health/live`);
    await get(`${srv.adminUrl}/health/ready`);
    await get(`${srv.adminUrl}/metrics`);
    const missing = await get(`${srv.url}/nowhere`);
    const reqId = missing.headers.get('x-request-id');
    for (let i = 0; i < 50 && !srv.logs.some((l) => l.reqId === reqId); i++) await new Promise((r) => setTimeout(r, 20));
    const requestLines = srv.logs.filter((l) => l.msg === 'request');
    expect(requestLines.some((l) => l.reqId === reqId && l.status === 404)).toBe(true);
    expect(requestLines.filter((l) => ['/health/live', '/health/ready', '/metrics'].includes(String(l.route)))).toEqual([]);
  });
});
