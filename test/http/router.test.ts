// The router over a fake uWS app (no sockets): health probes log at debug, and error answers carry
// the total-time headers. (Refusals while shutting down are the service's: test/service/host.test.ts.)
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { sendJson } from '../../src/http/respond.js';
import { register, type Route } from '../../src/http/router.js';
import { Metrics } from '../../src/metrics/registry.js';

type Handler = (res: unknown, req: unknown) => void;

interface Written { status: string; headers: [string, string][]; body: string }

function harness(routes: Route[]) {
  const handlers = new Map<string, Handler>();
  const app = {
    get: (p: string, h: Handler) => handlers.set(`get ${p}`, h),
    post: (p: string, h: Handler) => handlers.set(`post ${p}`, h),
    any: (p: string, h: Handler) => handlers.set(`any ${p}`, h),
  };
  const metrics = new Metrics();
  const lines: { level: number; msg: string }[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => lines.push(JSON.parse(line) as { level: number; msg: string }) });
  register(app as never, routes, { metrics, logger, access: { admit: () => ({ keyName: 'k', headers: [], charge: () => undefined }) }, maxBodyBytes: 1024, baseHeaders: [], corsOrigins: [], state: { inFlight: 0 } });

  async function call(method: string, url: string): Promise<Written> {
    const out: Written = { status: '', headers: [], body: '' };
    let done!: () => void;
    const finished = new Promise<void>((resolve) => (done = resolve));
    const res = {
      onAborted: () => res, cork: (f: () => void) => f(), getRemoteAddressAsText: () => Buffer.from('127.0.0.1'),
      writeStatus: (s: string) => ((out.status = s), res), writeHeader: (n: string, v: string) => (out.headers.push([n, v]), res),
      end: (body?: string) => ((out.body = String(body ?? '')), done(), res),
    };
    const req = { getHeader: () => '', getMethod: () => method.toLowerCase(), getUrl: () => url };
    const handler = handlers.get(`${method.toLowerCase()} ${url}`) ?? handlers.get('any /*');
    handler!(res, req);
    await finished;
    return out;
  }
  return { call, metrics, lines };
}

const route = (path: string, handle: Route['handle'], extra: Partial<Route> = {}): Route => ({ method: 'get', path, name: path, auth: false, body: false, handle, ...extra });

describe('router', () => {
  it('logs quiet routes (health, scrapes) at debug and the rest at info', async () => {
    const h = harness([route('/health/live', (ctx) => sendJson(ctx.ex, 200, {}), { quiet: true })]);
    await h.call('GET', '/health/live');
    await h.call('GET', '/nothing');
    await new Promise((r) => setTimeout(r, 10));
    const requests = h.lines.filter((l) => l.msg === 'request') as unknown as { level: number; route: string }[];
    expect(requests.map((l) => [l.route, l.level])).toEqual([['/health/live', 20], ['other', 30]]);
  });

  it('answers 404 naming method and path, with X-Total-Time and Server-Timing', async () => {
    const h = harness([route('/api/v1/predict', () => undefined, { method: 'post' })]);
    const answer = await h.call('POST', '/api/v1/predict/');
    expect(JSON.parse(answer.body)).toEqual({ error: { code: 'NOT_FOUND', message: 'No route for POST /api/v1/predict/ (did you mean /api/v1/predict?)' } });
    const headers = new Map(answer.headers.map(([n, v]) => [n.toLowerCase(), v]));
    expect(headers.get('x-total-time')).toMatch(/^\d+\.\d{2}$/);
    expect(headers.get('server-timing')).toBe(`total;dur=${headers.get('x-total-time')}`);
  });

  it('answers /metrics on a listener without it with a pointer to the admin port', async () => {
    const h = harness([route('/api/v1/predict', () => undefined, { method: 'post' })]);
    const answer = await h.call('GET', '/metrics');
    expect(JSON.parse(answer.body)).toEqual({ error: { code: 'NOT_FOUND', message: 'No route for GET /metrics on this port (metrics are served on the admin port, ADMIN_PORT, 9464 by default)' } });
  });
});
