// Start-up order: the listeners come up before the model, so liveness answers (and predictions get
// 503 NOT_READY with Retry-After) while the model is still downloading; once it is in, the service
// is opened and answers. The "hub" is a local server that serves the embedded model's files and
// holds the first one until the test lets it go.
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { errorCode, get, post } from '../support/http.js';
import { startServing, type InProcessServer } from '../support/in-process.js';
import { TEST_MODEL } from '../support/model.js';

const COMMIT = '0123456789abcdef0123456789abcdef01234567';
const cacheDir = mkdtempSync(path.join(os.tmpdir(), 'startup-cache-'));
let hub: http.Server | undefined;
let server: InProcessServer | undefined;

afterAll(async () => {
  await server?.stop();
  hub?.closeAllConnections();
  await new Promise((resolve) => (hub === undefined ? resolve(undefined) : hub.close(resolve)));
  rmSync(cacheDir, { recursive: true, force: true });
});

it('answers liveness while the model downloads, NOT_READY to predictions, then serves once it is in', async () => {
  let release: () => void = () => undefined;
  const held = new Promise<void>((resolve) => { release = resolve; });
  let asked: () => void = () => undefined;
  const firstAsk = new Promise<void>((resolve) => { asked = resolve; });
  hub = http.createServer((req, res) => {
    const match = /^\/test-org\/tiny\/resolve\/[^/]+\/(.+)$/.exec(req.url ?? '');
    const file = match?.[1] === undefined ? undefined : path.join(TEST_MODEL, decodeURIComponent(match[1]));
    let bytes: Buffer | undefined;
    try {
      bytes = file === undefined ? undefined : readFileSync(file);
    } catch {
      bytes = undefined;
    }
    const answer = (): void => {
      if (bytes === undefined) res.writeHead(404).end();
      else res.writeHead(200, { 'x-repo-commit': COMMIT, 'content-length': String(bytes.length) }).end(req.method === 'HEAD' ? undefined : bytes);
    };
    asked();
    void held.then(answer);
  });
  const port = await new Promise<number>((resolve) => hub?.listen(0, '127.0.0.1', () => resolve((hub?.address() as AddressInfo).port)));

  // Look at the server while the hub holds the download.
  const starting = startServing({ MODEL: 'test-org/tiny', HF_ENDPOINT: `http://127.0.0.1:${port}`, MODEL_CACHE_DIR: cacheDir, WORKERS: '1', RATE_LIMIT_PER_SECOND: '0' });
  const early = await starting.listening;
  await firstAsk;
  expect((await get(`${early.url}/health/live`)).status).toBe(200);
  const ready = await get(`${early.url}/health/ready`);
  expect([ready.status, (JSON.parse(ready.text) as { status: string }).status]).toEqual([503, 'starting']);
  const refused = await post(`${early.url}/api/v1/predict`, { text: 'Ada Lovelace', labels: ['person'] });
  expect([refused.status, errorCode(refused), refused.headers.get('retry-after')]).toEqual([503, 'NOT_READY', '5']);

  release();
  server = await starting.ready;
  expect((await get(`${server.url}/health/ready`)).status).toBe(200);
  const answered = await post(`${server.url}/api/v1/predict`, { text: 'Ada Lovelace was born in London.', labels: ['person'] });
  expect(answered.status).toBe(200);
  expect(answered.body.model).toBe('test-org/tiny');
}, 120_000);
