// The transport contract: one table of cases run against every transport — REST predict, batch,
// WebSocket and the Open Inference Protocol — each asserting its own envelope and the same code.
// The front end is the real one (uWS on real sockets, the router, the security gate, the service,
// the result cache, the engine and its batcher); only the model is the fake runner, so that every
// refusal (queue quota, overload, deadline) happens for certain and at once:
//   LABELS_PER_PASS 1 makes a request of n labels n rows; the queue holds 8 rows, 4 per key;
//   a text holding "Stall" keeps the one worker busy until the case releases it (the deadline is 1 s);
//   MAX_ENTITIES_PER_TEXT 2 truncates a text of three capitalised words.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CachedEngine } from '../../src/engine/cached-engine.js';
import { httpStatusOf, type ErrorCode } from '../../src/errors.js';
import { gateAccess } from '../../src/http/access.js';
import { startFrontEnd, type FrontEnd } from '../../src/http/server.js';
import { loadUws } from '../../src/http/uws.js';
import { batcherMetrics, cacheMetrics, serviceMetrics } from '../../src/metrics/hooks.js';
import { Metrics } from '../../src/metrics/registry.js';
import { SecurityGate } from '../../src/security/gate.js';
import { keyDigest } from '../../src/security/key-file.js';
import { KeyStore } from '../../src/security/keys.js';
import { ServiceHost } from '../../src/service/host.js';
import { PredictService } from '../../src/service/service.js';
import { FakeRunner, inProcess } from '../support/fake-runner.js';
import { post } from '../support/http.js';
import { connect, UpgradeRefused, type StreamClient } from '../support/ws.js';

// ---- The cases: what is sent (transport-neutral) and what must come back.

type Transport = 'rest' | 'batch' | 'ws' | 'oip';
interface Send { readonly text: string; readonly labels: readonly string[]; readonly threshold?: number; readonly relations?: readonly string[] }
/** A Send's relation labels as a JSON member (none when absent). */
const relationsOf = (send: Send): { relations?: readonly string[] } => (send.relations === undefined ? {} : { relations: send.relations });
interface Case {
  readonly name: string;
  /** What to send; 'bad-json' is each transport's malformed body or message. */
  readonly send: Send | 'bad-json';
  readonly key?: 'main' | 'none' | 'wrong' | 'limited';
  /** The server that is shutting down. */
  readonly draining?: boolean;
  /** Send it twice and judge the second answer (the cache hit). */
  readonly twice?: boolean;
  readonly expect: { readonly code: ErrorCode; readonly mentions?: string } | { readonly answered: true; readonly entities: number; readonly truncated?: boolean; readonly cache?: 'hit' };
}

const labels = (n: number): string[] => Array.from({ length: n }, (_, i) => `label${i}`);
const CASES: readonly Case[] = [
  { name: 'answered', send: { text: 'Ada met Bob', labels: ['person'] }, expect: { answered: true, entities: 2, truncated: false } },
  { name: 'bad JSON', send: 'bad-json', expect: { code: 'BAD_JSON' } },
  { name: 'validation error naming the field', send: { text: 'Ada', labels: ['person'], threshold: 2 }, expect: { code: 'VALIDATION_FAILED', mentions: 'threshold' } },
  { name: 'too many labels', send: { text: 'Ada', labels: labels(13) }, expect: { code: 'LIMIT_EXCEEDED', mentions: 'labels' } },
  { name: 'no key', send: { text: 'Ada', labels: ['person'] }, key: 'none', expect: { code: 'UNAUTHORIZED' } },
  { name: 'wrong key', send: { text: 'Ada', labels: ['person'] }, key: 'wrong', expect: { code: 'UNAUTHORIZED' } },
  { name: 'rate limited', send: { text: 'Ada', labels: ['person'] }, key: 'limited', expect: { code: 'RATE_LIMITED' } },
  { name: 'queue quota', send: { text: 'Ada', labels: labels(6) }, expect: { code: 'QUEUE_QUOTA_EXCEEDED' } },
  { name: 'overloaded', send: { text: 'Ada', labels: labels(10) }, expect: { code: 'OVERLOADED' } },
  { name: 'draining', send: { text: 'Ada', labels: ['person'] }, draining: true, expect: { code: 'DRAINING' } },
  { name: 'past the deadline', send: { text: 'Stall here', labels: ['person'] }, expect: { code: 'DEADLINE_EXCEEDED' } },
  { name: 'truncated answer', send: { text: 'Ann Bob Cy', labels: ['person'] }, expect: { answered: true, entities: 2, truncated: true } },
  { name: 'relations asked of a model without a relation head', send: { text: 'Ada', labels: ['person'], relations: ['knows'] }, expect: { code: 'VALIDATION_FAILED', mentions: 'relations' } },
  { name: 'cache hit', send: { text: 'Grace met Alan', labels: ['person'] }, twice: true, expect: { answered: true, entities: 2, cache: 'hit' } },
];

/** Codes answered with Retry-After over HTTP, hence retry_after on the WebSocket. */
const RETRY_AFTER: readonly ErrorCode[] = ['RATE_LIMITED', 'QUEUE_QUOTA_EXCEEDED', 'OVERLOADED', 'DRAINING'];

// ---- The servers: one serving, one shutting down; the same composition as src/serve.ts.

const MAIN_KEY = 'contract-main-key';
const limitedKey = (transport: Transport): string => `contract-limited-${transport}`;
const TRANSPORTS: readonly Transport[] = ['rest', 'batch', 'ws', 'oip'];
const MODEL = { id: 'fake-model', revision: 'local', executionProvider: 'cpu', requestedProvider: 'cpu', quantization: 'fp32', workers: 1, intraOpThreads: 1, soloThreads: 0 };

interface Server {
  readonly url: string;
  readonly host: ServiceHost;
  release(): void;
  close(): void;
}

let dir: string;
let keyFile: string;

async function startServer(): Promise<Server> {
  const metrics = new Metrics();
  const fake = new FakeRunner();
  let release: () => void = () => undefined;
  let gate = Promise.resolve();
  const arm = (): void => {
    gate = new Promise<void>((resolve) => { release = resolve; });
  };
  arm();
  const runner = {
    config: fake.config,
    close: () => fake.close(),
    run: async (rows: Parameters<FakeRunner['run']>[0]) => {
      if (rows.some((row) => row.words.includes('Stall'))) await gate;
      return fake.run(rows);
    },
  };
  const { engine } = inProcess(runner, { limits: { windowWords: 50, overlapWords: 13, labelsPerRow: 1 }, maxEntities: 2 }, { maxBatchRows: 1, maxQueueRows: 8, maxQueueRowsPerKey: 4 }, undefined, batcherMetrics(metrics));
  const predictor = new CachedEngine(engine, { maxBytes: 1 << 20, ttlSeconds: 600, sharedAcrossKeys: false, maxEntities: 2 }, () => MODEL.id, cacheMetrics(metrics));
  const host = new ServiceHost(serviceMetrics(metrics));
  host.open(new PredictService(predictor, MODEL, { maxTextChars: 1000, maxLabels: 12, maxLabelChars: 50, maxBatchTexts: 4, requestTimeoutMs: 1000 }));
  const keys = new KeyStore({ file: keyFile, defaultRatePerSecond: 0, defaultBurst: 100, watch: false, pollIntervalMs: 0 });
  const gateway = SecurityGate.fromConfig({ authFailuresPerMinute: 10_000 }, keys, { metrics });
  const frontEnd: FrontEnd = await startFrontEnd(
    {
      host: '127.0.0.1', port: 0, adminHost: '127.0.0.1', adminPort: 0, maxBodyBytes: 65_536, corsOrigins: [],
      stream: { maxMessageBytes: 65_536, maxInflight: 4, maxBackpressureBytes: 1 << 20, idleTimeoutSeconds: 60 },
      version: 'test', oipModelName: 'gliner', extraRoutes: [],
    },
    { uws: loadUws(false).uws, service: host, metrics, access: gateAccess(gateway, 0), logger: pino({ level: 'silent' }) },
  );
  return {
    url: `http://127.0.0.1:${frontEnd.port}`,
    host,
    release: () => {
      release();
      arm();
    },
    close: () => {
      release();
      frontEnd.closeAll();
      frontEnd.stopListening();
      keys.close();
    },
  };
}

let serving: Server;
let draining: Server;
/** A WebSocket opened on the draining server before it began to drain. */
let drainingSocket: StreamClient;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'contract-'));
  keyFile = path.join(dir, 'keys.json');
  const limited = TRANSPORTS.map((t) => ({ name: `limited-${t}`, sha256: keyDigest(limitedKey(t)), rate_per_second: 0.001, burst: 1 }));
  writeFileSync(keyFile, JSON.stringify({ keys: [{ name: 'main', sha256: keyDigest(MAIN_KEY) }, ...limited] }));
  serving = await startServer();
  draining = await startServer();
  drainingSocket = await connect(`${draining.url}/api/v1/stream`, { headers: { 'x-api-key': MAIN_KEY } });
  await draining.host.drain();
});

afterAll(() => {
  drainingSocket.close();
  serving.close();
  draining.close();
  rmSync(dir, { recursive: true, force: true });
});

// ---- The transports: how each sends a case, and what it got back, in one shape to judge.

interface Got {
  /** HTTP status (the WebSocket: 101 once upgraded, the refusal's status otherwise). */
  readonly status: number;
  /** The error code in this transport's envelope, or undefined for an answer. */
  readonly code: string | undefined;
  readonly message: string;
  /** Seconds to wait before retrying: Retry-After over HTTP, retry_after on the WebSocket. */
  readonly retryAfter: number | undefined;
  readonly entities: unknown[] | undefined;
  readonly truncated: unknown;
  readonly cache: string | null | undefined;
}

function keyFor(c: Case, transport: Transport): Record<string, string> {
  switch (c.key ?? 'main') {
    case 'none': return {};
    case 'wrong': return { 'x-api-key': 'not-a-key' };
    case 'limited': return { 'x-api-key': limitedKey(transport) };
    default: return { 'x-api-key': MAIN_KEY };
  }
}

const retryHeader = (headers: Headers): number | undefined => (headers.get('retry-after') === null ? undefined : Number(headers.get('retry-after')));

/** REST predict and batch share the envelope `{"error": {"code", "message"}}`, and nothing else. */
function restEnvelope(answer: { status: number; headers: Headers; body: Record<string, unknown> }, result: Record<string, unknown> | undefined): Got {
  const error = answer.body.error as { code: string; message: string } | undefined;
  if (error !== undefined) expect(Object.keys(answer.body)).toEqual(['error']);
  return {
    status: answer.status, code: error?.code, message: error?.message ?? '', retryAfter: retryHeader(answer.headers),
    entities: result?.entities as unknown[] | undefined, truncated: result?.truncated, cache: answer.headers.get('x-cache'),
  };
}

const DRIVERS: Record<Transport, (server: Server, c: Case) => Promise<Got>> = {
  async rest(server, c) {
    const body = c.send === 'bad-json' ? '{"text": ' : { text: c.send.text, labels: c.send.labels, ...(c.send.threshold === undefined ? {} : { threshold: c.send.threshold }), ...relationsOf(c.send) };
    const answer = await post(`${server.url}/api/v1/predict`, body, keyFor(c, 'rest'));
    return restEnvelope(answer, answer.status === 200 ? answer.body : undefined);
  },
  async batch(server, c) {
    const body = c.send === 'bad-json' ? '{"texts": [' : { texts: [c.send.text], labels: c.send.labels, ...(c.send.threshold === undefined ? {} : { threshold: c.send.threshold }), ...relationsOf(c.send) };
    const answer = await post(`${server.url}/api/v1/predict/batch`, body, keyFor(c, 'batch'));
    return restEnvelope(answer, answer.status === 200 ? (answer.body.results as Record<string, unknown>[])[0] : undefined);
  },
  async oip(server, c) {
    const tensor = (name: string, data: readonly string[]) => ({ name, datatype: 'BYTES', shape: [data.length], data });
    const body = c.send === 'bad-json'
      ? '{"inputs": ['
      : { inputs: [tensor('text', [c.send.text]), tensor('labels', c.send.labels), ...(c.send.relations === undefined ? [] : [tensor('relations', c.send.relations)])], ...(c.send.threshold === undefined ? {} : { parameters: { threshold: c.send.threshold } }) };
    const answer = await post(`${server.url}/v2/models/gliner/infer`, body, keyFor(c, 'oip'));
    // The protocol's error object, {"error": "<message>"}, with our code beside it.
    if (answer.status !== 200) expect(Object.keys(answer.body)).toEqual(['error', 'code']);
    const outputs = (answer.body.outputs as { name: string; data: unknown[] }[] | undefined) ?? [];
    const output = (name: string): unknown => outputs.find((o) => o.name === name)?.data[0];
    return {
      status: answer.status, code: answer.status === 200 ? undefined : (answer.body.code as string), message: answer.status === 200 ? '' : (answer.body.error as string),
      retryAfter: retryHeader(answer.headers), entities: answer.status === 200 ? (JSON.parse(output('entities') as string) as unknown[]) : undefined,
      truncated: output('truncated'), cache: answer.headers.get('x-cache'),
    };
  },
  async ws(server, c) {
    const headers = keyFor(c, 'ws');
    let client: StreamClient;
    try {
      client = c.draining === true ? drainingSocket : await connect(`${server.url}/api/v1/stream`, { headers });
    } catch (error) {
      // Refused at the upgrade (no key, wrong key): an HTTP answer in the REST envelope.
      if (!(error instanceof UpgradeRefused)) throw error;
      const body = error.body as { error: { code: string; message: string } };
      expect(Object.keys(body)).toEqual(['error']);
      return { status: error.status, code: body.error.code, message: body.error.message, retryAfter: error.retryAfter === undefined ? undefined : Number(error.retryAfter), entities: undefined, truncated: undefined, cache: undefined };
    }
    const id = `${c.name}-${Math.random()}`;
    if (c.send === 'bad-json') client.socket.send('{"id": ');
    else client.send({ id, text: c.send.text, labels: c.send.labels, ...(c.send.threshold === undefined ? {} : { threshold: c.send.threshold }), ...relationsOf(c.send) });
    // A message that is not JSON cannot name its id: its error comes back with id null.
    const mine = (m: Record<string, unknown>): boolean => m.done === true && (m.id === id || (c.send === 'bad-json' && m.id === null));
    const final = (await client.waitFor((messages) => messages.some(mine))).filter(mine).at(-1) ?? {};
    client.messages.length = 0;
    if (client !== drainingSocket) client.close();
    const error = final.error as { code: string; message: string; retry_after?: number } | undefined;
    if (error !== undefined) expect(Object.keys(final)).toEqual(['id', 'error', 'done']);
    return {
      status: 101, code: error?.code, message: error?.message ?? '', retryAfter: error?.retry_after,
      entities: final.entities as unknown[] | undefined, truncated: final.truncated, cache: final.cache as string | undefined,
    };
  },
};

describe.each(TRANSPORTS)('transport contract: %s', (transport) => {
  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const server = c.draining === true ? draining : serving;
    const drive = DRIVERS[transport];
    if (c.key === 'limited' && transport !== 'ws') await drive(server, { ...c, expect: { code: 'RATE_LIMITED' } }); // spends the key's one token (a WebSocket's upgrade does)
    if (c.twice === true) await drive(server, c);
    let got: Got;
    try {
      got = await drive(server, c);
    } finally {
      server.release();
    }
    const { expect: wanted } = c;
    if ('code' in wanted) {
      expect(got.code).toBe(wanted.code);
      if (got.status !== 101) expect(got.status).toBe(httpStatusOf(wanted.code));
      if (wanted.mentions !== undefined) expect(got.message).toContain(wanted.mentions);
      if (RETRY_AFTER.includes(wanted.code)) expect(got.retryAfter).toBeGreaterThanOrEqual(1);
      else expect(got.retryAfter).toBeUndefined();
      return;
    }
    expect([got.status, got.code]).toEqual([transport === 'ws' ? 101 : 200, undefined]);
    expect(got.entities).toHaveLength(wanted.entities);
    if (wanted.truncated !== undefined) expect(got.truncated).toBe(wanted.truncated);
    if (wanted.cache !== undefined) expect(got.cache).toBe(wanted.cache);
  });
});
