// Thread layout on the real server: the solo session (SOLO_SESSION) that runs a lone request with
// every core, beside the shared per-worker sessions that carry concurrent load.
import { afterAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../support/server.js';
import { TEST_MODEL } from '../support/model.js';

const started: RunningServer[] = [];
afterAll(async () => {
  await Promise.all(started.map((s) => s.stop()));
});

async function serve(env: Record<string, string>): Promise<RunningServer> {
  const srv = await startServer({ env: { MODEL: TEST_MODEL, RATE_LIMIT_PER_SECOND: '0', CACHE_MAX_BYTES: '0', WORKERS: '2', INTRA_OP_THREADS: '1', ...env } });
  started.push(srv);
  return srv;
}

async function readiness(srv: RunningServer): Promise<{ workers: number; intraOpThreads: number; soloThreads: number }> {
  return ((await (await fetch(`${srv.adminUrl}/health/ready`)).json()) as { model: { workers: number; intraOpThreads: number; soloThreads: number } }).model;
}

async function soloBatches(srv: RunningServer): Promise<number> {
  const text = await (await fetch(`${srv.adminUrl}/metrics`)).text();
  return Number(/^gliner_solo_batches_total (\S+)$/m.exec(text)?.[1]);
}

async function predict(srv: RunningServer, text: string): Promise<number> {
  const response = await fetch(`${srv.url}/api/v1/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text, labels: ['person', 'city'] }) });
  await response.text();
  return response.status;
}

describe('solo session', () => {
  it('with SOLO_SESSION=on a lone request runs on it; requests that overlap run on the shared sessions', async () => {
    const srv = await serve({ SOLO_SESSION: 'on' });
    const model = await readiness(srv);
    expect(model).toMatchObject({ workers: 2, intraOpThreads: 1 });
    expect(model.soloThreads).toBeGreaterThanOrEqual(1);
    expect(await soloBatches(srv)).toBe(0);
    expect(await predict(srv, 'Ada Lovelace was born in London.')).toBe(200);
    expect(await soloBatches(srv)).toBe(1);
    // Eight at once: the first leaves alone (solo), the rest queue behind it and go to the shared sessions.
    const statuses = await Promise.all(Array.from({ length: 8 }, (_, i) => predict(srv, `Request ${i} from Alan Turing in Manchester.`)));
    expect(statuses).toEqual(Array(8).fill(200));
    expect(await soloBatches(srv)).toBeLessThan(1 + 8);
  });

  it('with SOLO_SESSION=off there is none, and every batch runs on the shared sessions', async () => {
    const srv = await serve({ SOLO_SESSION: 'off' });
    expect((await readiness(srv)).soloThreads).toBe(0);
    expect(await predict(srv, 'Ada Lovelace was born in London.')).toBe(200);
    expect(await soloBatches(srv)).toBe(0);
  });
});
