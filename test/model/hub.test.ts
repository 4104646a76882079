// The model store against a local imitation of the Hugging Face hub: file URLs
// `/<repo>/resolve/<revision>/<path>` with X-Repo-Commit / X-Linked-Etag / X-Linked-Size, a 302 to a
// "CDN" on another origin for the large (LFS) file, Range support, and switches for the failures
// the store must survive: a transfer cut off half-way, wrong bytes, 5xx answers, a required token.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { GlinerError, type ErrorCode } from '../../src/errors.js';
import { downloadHubModel, isHubId, type DownloadEvent, type HubDownloadOptions } from '../../src/model/hub.js';
import { readModelDir } from '../../src/model/files.js';
import { resolveModel, type ResolveModelOptions } from '../../src/model/store.js';
import { ROOT } from '../support/paths.js';

const REPO = 'test-org/gliner-fake';
const COMMIT = createHash('sha1').update('commit-1').digest('hex');
const TOKEN = 'hf_test_secret_token_1234567890';

function deterministicBytes(length: number, seed: number): Buffer {
  const out = Buffer.alloc(length);
  let state = seed >>> 0;
  for (let i = 0; i < length; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] = state >>> 24;
  }
  return out;
}

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');
const gitBlobSha1 = (bytes: Buffer): string => createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');

const CONFIG = Buffer.from(JSON.stringify({ model_name: 'fake', max_width: 12, max_len: 384, span_mode: 'markerV0' }));
const TOKENIZER = Buffer.from(JSON.stringify({ version: '1.0', model: { type: 'Unigram', vocab: [['a', 0]] } }));
const TOKENIZER_CONFIG = Buffer.from(JSON.stringify({ model_max_length: 512 }));
const ONNX = deterministicBytes(300_000, 42);

interface SeenRequest {
  readonly server: 'hub' | 'cdn';
  readonly method: string;
  readonly url: string;
  readonly range: string | undefined;
  readonly authorization: string | undefined;
}

/** The imitation hub plus its CDN (another origin, so tokens must not travel there). */
class FakeHub {
  files = new Map<string, { bytes: Buffer; lfs: boolean }>();
  requests: SeenRequest[] = [];
  /** Send only this many bytes of the next body (once), then stall until cutNow(). */
  cutAfter: number | undefined;
  private stalled: http.ServerResponse | undefined;
  /** Serve different bytes (same length) for LFS files. */
  corrupt = false;
  /** Answer 200 with the whole file even when a Range is asked for. */
  ignoreRange = false;
  /** Answer the next N requests with 503. */
  failNext = 0;
  /** When set, every hub request needs `Authorization: Bearer <token>`. */
  requiredToken: string | undefined;
  private hub!: http.Server;
  private cdn!: http.Server;
  endpoint = '';
  private cdnOrigin = '';

  async start(): Promise<void> {
    this.hub = http.createServer((req, res) => this.onHub(req, res));
    this.cdn = http.createServer((req, res) => this.onCdn(req, res));
    this.endpoint = `http://127.0.0.1:${await listen(this.hub)}`;
    this.cdnOrigin = `http://127.0.0.1:${await listen(this.cdn)}`;
  }

  async stop(): Promise<void> {
    this.hub.closeAllConnections();
    this.cdn.closeAllConnections();
    await Promise.all([new Promise((r) => this.hub.close(r)), new Promise((r) => this.cdn.close(r))]);
  }

  reset(layout: 'onnx-dir' | 'top-level' = 'onnx-dir'): void {
    this.files = new Map([
      ['gliner_config.json', { bytes: CONFIG, lfs: false }],
      ['tokenizer.json', { bytes: TOKENIZER, lfs: false }],
      ['tokenizer_config.json', { bytes: TOKENIZER_CONFIG, lfs: false }],
      [layout === 'onnx-dir' ? 'onnx/model.onnx' : 'model.onnx', { bytes: ONNX, lfs: true }],
    ]);
    this.requests = [];
    this.cutNow();
    this.cutAfter = undefined;
    this.corrupt = false;
    this.ignoreRange = false;
    this.failNext = 0;
    this.requiredToken = undefined;
  }

  /** Destroy the stalled connection: the transfer is cut off half-way. */
  cutNow(): void {
    this.stalled?.destroy();
    this.stalled = undefined;
  }

  count(filter: (r: SeenRequest) => boolean): number {
    return this.requests.filter(filter).length;
  }

  private record(server: 'hub' | 'cdn', req: http.IncomingMessage): void {
    this.requests.push({ server, method: req.method ?? '', url: req.url ?? '', range: req.headers.range, authorization: req.headers.authorization });
  }

  private onHub(req: http.IncomingMessage, res: http.ServerResponse): void {
    this.record('hub', req);
    if (this.failNext > 0) {
      this.failNext--;
      res.writeHead(503).end();
      return;
    }
    if (this.requiredToken !== undefined && req.headers.authorization !== `Bearer ${this.requiredToken}`) {
      res.writeHead(401, { 'x-error-code': 'GatedRepo', 'x-error-message': 'Access to this model is restricted.' }).end();
      return;
    }
    const match = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(req.url ?? '');
    const revision = match?.[2] === undefined ? '' : decodeURIComponent(match[2]);
    if (match?.[1] !== REPO || (revision !== 'main' && revision !== COMMIT)) {
      res.writeHead(404, { 'x-error-code': 'RepoNotFound' }).end();
      return;
    }
    const file = this.files.get(decodeURIComponent(match[3] ?? ''));
    if (file === undefined) {
      res.writeHead(404, { 'x-error-code': 'EntryNotFound', 'x-repo-commit': COMMIT }).end();
      return;
    }
    if (file.lfs) {
      const hash = sha256(file.bytes);
      res
        .writeHead(302, {
          location: `${this.cdnOrigin}/cdn/${hash}?signature=abc`,
          'x-repo-commit': COMMIT,
          'x-linked-etag': `"${hash}"`,
          'x-linked-size': String(file.bytes.length),
          etag: `"${hash}"`,
        })
        .end();
      return;
    }
    this.serve(req, res, file.bytes, { 'x-repo-commit': COMMIT, etag: `"${gitBlobSha1(file.bytes)}"` });
  }

  private onCdn(req: http.IncomingMessage, res: http.ServerResponse): void {
    this.record('cdn', req);
    const hash = /^\/cdn\/([0-9a-f]{64})/.exec(req.url ?? '')?.[1];
    const file = [...this.files.values()].find((f) => sha256(f.bytes) === hash);
    if (file === undefined) {
      res.writeHead(404).end();
      return;
    }
    // An S3-style md5 ETag: 32 hex digits, which must not be taken for a SHA-256.
    const bytes = this.corrupt ? Buffer.from(file.bytes.map((b) => b ^ 0xff)) : file.bytes;
    this.serve(req, res, bytes, { etag: `"${createHash('md5').update(bytes).digest('hex')}"` });
  }

  private serve(req: http.IncomingMessage, res: http.ServerResponse, bytes: Buffer, headers: Record<string, string>): void {
    let start = 0;
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    if (range?.[1] !== undefined && !this.ignoreRange) {
      start = Number(range[1]);
      if (start >= bytes.length) {
        res.writeHead(416, { 'content-range': `bytes */${bytes.length}` }).end();
        return;
      }
      res.writeHead(206, { ...headers, 'content-length': String(bytes.length - start), 'content-range': `bytes ${start}-${bytes.length - 1}/${bytes.length}` });
    } else {
      res.writeHead(200, { ...headers, 'content-length': String(bytes.length) });
    }
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    const body = bytes.subarray(start);
    if (this.cutAfter !== undefined && this.cutAfter < body.length) {
      // Send the first part, then stall until the test (having seen the client store that part)
      // calls cutNow(), which destroys the connection mid-body.
      const cut = this.cutAfter;
      this.cutAfter = undefined;
      res.write(body.subarray(0, cut));
      this.stalled = res;
      return;
    }
    res.end(body);
  }
}

function listen(server: http.Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

async function codeOf(promise: Promise<unknown>): Promise<ErrorCode | 'resolved' | 'not-a-gliner-error'> {
  try {
    await promise;
    return 'resolved';
  } catch (error) {
    return error instanceof GlinerError ? error.code : 'not-a-gliner-error';
  }
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => statSync(path.join(dir, f)).isFile());
}

const hub = new FakeHub();
let cacheDir: string;
let tempRoot: string;

function options(extra: Partial<HubDownloadOptions> = {}): HubDownloadOptions {
  return { repo: REPO, revision: 'main', cacheDir, endpoint: hub.endpoint, offline: false, quantization: 'auto', retries: 0, retryDelayMs: () => 0, timeoutMs: 10_000, ...extra };
}

/** An onProgress that cuts the stalled transfer once the client has stored `bytes` of the ONNX file. */
function cutWhenStored(bytes: number): (event: DownloadEvent) => void {
  return (event) => {
    if (event.kind === 'progress' && event.file?.endsWith('.onnx') === true && event.bytes === bytes) hub.cutNow();
  };
}

const isOnnxGet = (r: SeenRequest): boolean => r.method === 'GET' && (r.server === 'cdn' || r.url.endsWith('.onnx'));

beforeAll(async () => {
  await hub.start();
  tempRoot = mkdtempSync(path.join(os.tmpdir(), 'gliner-hub-test-'));
});

afterAll(async () => {
  await hub.stop();
  rmSync(tempRoot, { recursive: true, force: true });
});

beforeEach(() => {
  hub.reset();
  cacheDir = mkdtempSync(path.join(tempRoot, 'cache-'));
});

describe('downloadHubModel', () => {
  it('downloads a fresh repository into the cache, atomically and verified', async () => {
    const events: DownloadEvent[] = [];
    const snapshot = await downloadHubModel(options({ onProgress: (e) => events.push(e) }));
    expect(snapshot.commit).toBe(COMMIT);
    expect(snapshot.dir).toBe(path.join(cacheDir, 'models--test-org--gliner-fake', 'snapshots', COMMIT));
    expect(readFileSync(path.join(snapshot.dir, 'onnx', 'model.onnx')).equals(ONNX)).toBe(true);
    expect(readFileSync(path.join(snapshot.dir, 'gliner_config.json')).equals(CONFIG)).toBe(true);
    expect(readFileSync(path.join(snapshot.dir, 'tokenizer.json')).equals(TOKENIZER)).toBe(true);
    expect(readFileSync(path.join(snapshot.dir, 'tokenizer_config.json')).equals(TOKENIZER_CONFIG)).toBe(true);
    expect(snapshot.files).toEqual(['gliner_config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/model.onnx']);
    expect([...snapshot.downloaded].sort()).toEqual([...snapshot.files].sort());
    expect(listFiles(cacheDir).filter((f) => f.endsWith('.incomplete'))).toEqual([]);
    expect(readFileSync(path.join(cacheDir, 'models--test-org--gliner-fake', 'refs', 'main'), 'utf8')).toBe(COMMIT);
    // The big file came from the CDN after a redirect; no token was set, and none travelled anywhere.
    expect(hub.count((r) => r.server === 'cdn' && r.method === 'GET')).toBe(1);
    expect(events.some((e) => e.kind === 'done' && e.file === 'onnx/model.onnx' && e.bytes === ONNX.length)).toBe(true);
  });

  it('makes no download when the revision is already cached', async () => {
    await downloadHubModel(options());
    hub.requests = [];
    const events: DownloadEvent[] = [];
    const snapshot = await downloadHubModel(options({ onProgress: (e) => events.push(e) }));
    expect(snapshot.downloaded).toEqual([]);
    expect(hub.count(isOnnxGet)).toBe(0);
    expect(hub.count((r) => r.method === 'GET')).toBe(0);
    expect(events.map((e) => e.kind)).toContain('cached');
  });

  it('resumes a transfer cut off half-way with a Range request', async () => {
    hub.cutAfter = 100_000;
    expect(await codeOf(downloadHubModel(options({ progressIntervalMs: 0, onProgress: cutWhenStored(100_000) })))).toBe('MODEL_DOWNLOAD_FAILED');
    const snapshotDir = path.join(cacheDir, 'models--test-org--gliner-fake', 'snapshots', COMMIT);
    const partial = path.join(snapshotDir, 'onnx', 'model.onnx.incomplete');
    expect(existsSync(path.join(snapshotDir, 'onnx', 'model.onnx'))).toBe(false);
    const kept = statSync(partial).size;
    expect(kept).toBe(100_000);

    hub.requests = [];
    const snapshot = await downloadHubModel(options());
    expect(snapshot.downloaded).toEqual(['onnx/model.onnx']);
    const gets = hub.requests.filter((r) => r.server === 'cdn' && r.method === 'GET');
    expect(gets.map((r) => r.range)).toEqual([`bytes=${kept}-`]);
    expect(readFileSync(path.join(snapshot.dir, 'onnx', 'model.onnx')).equals(ONNX)).toBe(true);
    expect(existsSync(partial)).toBe(false);
  });

  it('resumes within one call when retries are allowed', async () => {
    hub.cutAfter = 50_000;
    const snapshot = await downloadHubModel(options({ retries: 2, progressIntervalMs: 0, onProgress: cutWhenStored(50_000) }));
    expect(readFileSync(path.join(snapshot.dir, 'onnx', 'model.onnx')).equals(ONNX)).toBe(true);
    const ranges = hub.requests.filter((r) => r.server === 'cdn' && r.method === 'GET').map((r) => r.range);
    expect(ranges).toHaveLength(2);
    expect(ranges[0]).toBeUndefined();
    expect(ranges[1]).toBe('bytes=50000-');
  });

  it('starts again from zero when the server ignores the Range header', async () => {
    hub.cutAfter = 100_000;
    expect(await codeOf(downloadHubModel(options({ progressIntervalMs: 0, onProgress: cutWhenStored(100_000) })))).toBe('MODEL_DOWNLOAD_FAILED');
    hub.ignoreRange = true;
    hub.requests = [];
    const snapshot = await downloadHubModel(options());
    expect(hub.requests.filter((r) => r.server === 'cdn' && r.method === 'GET').map((r) => r.range)).toEqual(['bytes=100000-']);
    expect(readFileSync(path.join(snapshot.dir, 'onnx', 'model.onnx')).equals(ONNX)).toBe(true);
  });

  it('gives up on a stalled transfer after the timeout, keeping the partial for later', async () => {
    hub.cutAfter = 80_000;
    expect(await codeOf(downloadHubModel(options({ timeoutMs: 500 })))).toBe('MODEL_DOWNLOAD_FAILED');
    const partial = path.join(cacheDir, 'models--test-org--gliner-fake', 'snapshots', COMMIT, 'onnx', 'model.onnx.incomplete');
    expect(statSync(partial).size).toBe(80_000);
    const snapshot = await downloadHubModel(options());
    expect(readFileSync(path.join(snapshot.dir, 'onnx', 'model.onnx')).equals(ONNX)).toBe(true);
  });

  it('rejects a file whose SHA-256 differs from the hub\'s, leaving no file behind', async () => {
    hub.corrupt = true;
    expect(await codeOf(downloadHubModel(options()))).toBe('CHECKSUM_MISMATCH');
    const onnxDir = path.join(cacheDir, 'models--test-org--gliner-fake', 'snapshots', COMMIT, 'onnx');
    expect(existsSync(path.join(onnxDir, 'model.onnx'))).toBe(false);
    expect(existsSync(path.join(onnxDir, 'model.onnx.incomplete'))).toBe(false);
    // Offline, the failed download is not mistaken for a cached model.
    expect(await codeOf(downloadHubModel(options({ offline: true })))).toBe('OFFLINE');
  });

  it('offline: answers from the cache without any request', async () => {
    const online = await downloadHubModel(options());
    hub.requests = [];
    const offline = await downloadHubModel(options({ offline: true }));
    expect(offline.dir).toBe(online.dir);
    expect(offline.commit).toBe(COMMIT);
    expect(hub.requests).toEqual([]);
  });

  it('offline: finds a model that Python\'s huggingface_hub put in the cache (blobs, snapshot symlinks, refs/main)', async () => {
    // test/fixtures/hf-cache/hub was written by huggingface_hub's own hf_hub_download (generate.py there).
    const pythonCache = path.join(ROOT, 'test/fixtures/hf-cache/hub');
    const snapshot = await downloadHubModel(options({ repo: 'test-org/hf-cache-model', cacheDir: pythonCache, offline: true }));
    expect(snapshot.commit).toBe(readFileSync(path.join(pythonCache, 'models--test-org--hf-cache-model/refs/main'), 'utf8'));
    expect(snapshot.files).toEqual(['gliner_config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/model.onnx']);
    const files = readModelDir(snapshot.dir);
    expect([files.config.maxLen, files.onnxBytes]).toEqual([384, 1024]);
    expect(hub.requests).toEqual([]);
  });

  it('offline: OFFLINE when the model is not cached, without any request', async () => {
    expect(await codeOf(downloadHubModel(options({ offline: true })))).toBe('OFFLINE');
    expect(hub.requests).toEqual([]);
  });

  it('falls back to the cache when the hub keeps failing', async () => {
    await downloadHubModel(options());
    hub.failNext = 10;
    const events: DownloadEvent[] = [];
    const snapshot = await downloadHubModel(options({ retries: 1, onProgress: (e) => events.push(e) }));
    expect(snapshot.commit).toBe(COMMIT);
    expect(events.map((e) => e.kind)).toEqual(['retry', 'fallback']);
  });

  it('retries 5xx answers with the injected delay', async () => {
    hub.failNext = 2;
    const delays: number[] = [];
    const snapshot = await downloadHubModel(options({ retries: 3, retryDelayMs: (attempt) => (delays.push(attempt), 0) }));
    expect(readFileSync(path.join(snapshot.dir, 'onnx', 'model.onnx')).equals(ONNX)).toBe(true);
    expect(delays).toEqual([0, 1]);
    hub.failNext = 5;
    expect(await codeOf(downloadHubModel(options({ revision: COMMIT, cacheDir: mkdtempSync(path.join(tempRoot, 'cache-')), retries: 1 })))).toBe('MODEL_DOWNLOAD_FAILED');
  });

  it('sends HF_TOKEN to the hub but not to the CDN; without it, fails with MODEL_DOWNLOAD_FAILED', async () => {
    hub.requiredToken = TOKEN;
    let failure: unknown;
    try {
      await downloadHubModel(options());
    } catch (error) {
      failure = error;
    }
    expect(failure).toBeInstanceOf(GlinerError);
    expect((failure as GlinerError).code).toBe('MODEL_DOWNLOAD_FAILED');
    expect((failure as GlinerError).message).toContain('401');

    hub.requests = [];
    const snapshot = await downloadHubModel(options({ token: TOKEN }));
    expect(readFileSync(path.join(snapshot.dir, 'onnx', 'model.onnx')).equals(ONNX)).toBe(true);
    const hubRequests = hub.requests.filter((r) => r.server === 'hub');
    const cdnRequests = hub.requests.filter((r) => r.server === 'cdn');
    expect(hubRequests.length).toBeGreaterThan(0);
    expect(hubRequests.every((r) => r.authorization === `Bearer ${TOKEN}`)).toBe(true);
    expect(cdnRequests.length).toBeGreaterThan(0);
    expect(cdnRequests.every((r) => r.authorization === undefined)).toBe(true);
  });

  it('never puts the token into an error message', async () => {
    hub.requiredToken = 'some-other-token';
    let message = '';
    try {
      await downloadHubModel(options({ token: TOKEN }));
    } catch (error) {
      message = `${String(error)} ${JSON.stringify(error)}`;
    }
    expect(message).toContain('401');
    expect(message).not.toContain(TOKEN);
  });

  it('accepts the top-level model.onnx layout', async () => {
    hub.reset('top-level');
    const snapshot = await downloadHubModel(options());
    expect(snapshot.files).toContain('model.onnx');
    expect(readFileSync(path.join(snapshot.dir, 'model.onnx')).equals(ONNX)).toBe(true);
    expect(existsSync(path.join(snapshot.dir, 'onnx'))).toBe(false);
  });

  it('a relation-extraction model: its relation head (beside the ONNX file) and a bi-encoder\'s label encoder (at the top) come too, before the ONNX file; a plain model asks for neither', async () => {
    hub.files.set('gliner_config.json', { bytes: Buffer.from(JSON.stringify({ ...JSON.parse(CONFIG.toString()), relations_layer: 'bilinear', labels_encoder: 'x' })), lfs: false });
    const heads = { entities: deterministicBytes(1000, 7), pairs: deterministicBytes(1000, 8), labels: deterministicBytes(1000, 9) };
    hub.files.set('onnx/relex_entities.onnx', { bytes: heads.entities, lfs: true });
    hub.files.set('onnx/relex_pairs.onnx', { bytes: heads.pairs, lfs: true });
    hub.files.set('labels_encoder.onnx', { bytes: heads.labels, lfs: true });
    const snapshot = await downloadHubModel(options());
    expect(snapshot.files.slice(-4)).toEqual(['labels_encoder.onnx', 'onnx/relex_entities.onnx', 'onnx/relex_pairs.onnx', 'onnx/model.onnx']);
    expect(readFileSync(path.join(snapshot.dir, 'onnx', 'relex_pairs.onnx')).equals(heads.pairs)).toBe(true);
    const files = readModelDir(snapshot.dir);
    expect(files.relexHeads).toEqual({ entitiesPath: path.join(snapshot.dir, 'onnx', 'relex_entities.onnx'), pairsPath: path.join(snapshot.dir, 'onnx', 'relex_pairs.onnx') });
    expect(files.labelsEncoder?.onnxPath).toBe(path.join(snapshot.dir, 'labels_encoder.onnx'));
    // A cached snapshot without its relation head is not complete: the next start fetches what is missing.
    expect((await downloadHubModel(options())).downloaded).toEqual([]);
    rmSync(path.join(snapshot.dir, 'onnx', 'relex_pairs.onnx'));
    expect((await downloadHubModel(options())).downloaded).toEqual(['onnx/relex_pairs.onnx']);
    hub.reset();
    cacheDir = mkdtempSync(path.join(tempRoot, 'cache-'));
    await downloadHubModel(options());
    expect(hub.requests.filter((r) => /relex|labels_/.test(r.url))).toEqual([]);
  });

  it('tolerates a missing optional tokenizer_config.json', async () => {
    hub.files.delete('tokenizer_config.json');
    const snapshot = await downloadHubModel(options());
    expect(snapshot.files).not.toContain('tokenizer_config.json');
    hub.requests = [];
    await downloadHubModel(options());
    expect(hub.count((r) => r.method === 'GET')).toBe(0);
  });

  it('MODEL_NOT_FOUND when a required file, every ONNX file or the repository is missing', async () => {
    hub.files.delete('tokenizer.json');
    expect(await codeOf(downloadHubModel(options()))).toBe('MODEL_NOT_FOUND');
    hub.reset();
    hub.files.delete('onnx/model.onnx');
    expect(await codeOf(downloadHubModel(options()))).toBe('MODEL_NOT_FOUND');
    expect(await codeOf(downloadHubModel(options({ repo: 'test-org/no-such-model' })))).toBe('MODEL_NOT_FOUND');
    expect(await codeOf(downloadHubModel(options({ quantization: 'int8' })))).toBe('MODEL_NOT_FOUND');
  });

  it('MODEL_DOWNLOAD_FAILED when the hub cannot be reached at all', async () => {
    const closed = http.createServer();
    const port = await listen(closed);
    await new Promise((r) => closed.close(r));
    expect(await codeOf(downloadHubModel(options({ endpoint: `http://127.0.0.1:${port}` })))).toBe('MODEL_DOWNLOAD_FAILED');
  });

  it('a hub that accepts connections and never answers fails within 15 s with the defaults, asked once, naming the ways out', async () => {
    // A firewall that drops: the socket accepts and never sends a byte.
    const connections: net.Socket[] = [];
    const requests: string[] = [];
    const silent = net.createServer((socket) => {
      connections.push(socket);
      socket.on('data', (chunk: Buffer) => requests.push(chunk.toString().split('\r\n')[0] ?? ''));
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as AddressInfo;
    try {
      const began = performance.now();
      // The server's own defaults: no timeoutMs, retries or retryDelayMs given.
      const failure = await downloadHubModel({ repo: REPO, revision: 'main', cacheDir, endpoint: `http://127.0.0.1:${port}`, offline: false, quantization: 'auto' }).catch((error: unknown) => error);
      const seconds = (performance.now() - began) / 1000;
      expect(failure).toBeInstanceOf(GlinerError);
      const { code, message } = failure as GlinerError;
      expect(code).toBe('MODEL_DOWNLOAD_FAILED');
      for (const way of ['HF_HUB_OFFLINE', 'HF_ENDPOINT', 'MODEL', 'no answer', 'after 1 attempt']) expect(message).toContain(way);
      expect(requests).toEqual([`HEAD /${REPO}/resolve/main/gliner_config.json HTTP/1.1`]);
      expect(seconds).toBeLessThan(15);
    } finally {
      for (const socket of connections) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  }, 30_000);

  it('a hub name that does not resolve (DNS) names the same ways out', async () => {
    const failure = await downloadHubModel(options({ endpoint: 'http://gliner-hub.invalid' })).catch((error: unknown) => error);
    expect((failure as GlinerError).code).toBe('MODEL_DOWNLOAD_FAILED');
    for (const way of ['ENOTFOUND', 'HF_HUB_OFFLINE', 'HF_ENDPOINT', 'MODEL']) expect((failure as GlinerError).message).toContain(way);
  });

  it('recognises hub ids', () => {
    expect(isHubId('onnx-community/gliner_medium-v2.1')).toBe(true);
    expect(isHubId('urchade/gliner_small-v2.1')).toBe(true);
    expect(isHubId('a/b/c')).toBe(false);
    expect(isHubId('../x')).toBe(false);
    expect(isHubId('gliner')).toBe(false);
  });
});

describe('resolveModel', () => {
  let packageRoot: string;
  const originalCwd = process.cwd();

  beforeEach(() => {
    packageRoot = mkdtempSync(path.join(tempRoot, 'pkg-'));
  });

  afterEach(() => {
    process.chdir(originalCwd);
  });

  function storeOptions(extra: Partial<ResolveModelOptions> = {}): ResolveModelOptions {
    return { revision: 'main', cacheDir, endpoint: hub.endpoint, offline: false, quantization: 'auto', packageRoot, retries: 0, retryDelayMs: () => 0, ...extra };
  }

  function makeModelDir(dir: string): void {
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'model.onnx'), ONNX);
    writeFileSync(path.join(dir, 'tokenizer.json'), TOKENIZER);
    writeFileSync(path.join(dir, 'gliner_config.json'), CONFIG);
  }

  it('uses an existing directory given by absolute path', async () => {
    const dir = path.join(packageRoot, 'my-model');
    makeModelDir(dir);
    const resolved = await resolveModel(dir, storeOptions());
    expect(resolved).toEqual({ dir, source: 'path', id: dir, revision: 'local' });
    expect(hub.requests).toEqual([]);
  });

  it('uses a directory relative to the working directory', async () => {
    const cwd = mkdtempSync(path.join(tempRoot, 'cwd-'));
    makeModelDir(path.join(cwd, 'models', 'here'));
    process.chdir(cwd);
    const resolved = await resolveModel('models/here', storeOptions());
    expect(resolved.source).toBe('path');
    expect(resolved.dir).toBe(path.join(process.cwd(), 'models', 'here'));
  });

  it('finds the embedded default relative to the package root', async () => {
    makeModelDir(path.join(packageRoot, 'native-models', 'gliner-tiny'));
    process.chdir(mkdtempSync(path.join(tempRoot, 'elsewhere-')));
    const resolved = await resolveModel('native-models/gliner-tiny', storeOptions());
    expect(resolved).toMatchObject({ dir: path.join(packageRoot, 'native-models', 'gliner-tiny'), source: 'path', id: 'native-models/gliner-tiny' });
    expect(hub.requests).toEqual([]);
  });

  it('downloads a hub id', async () => {
    process.chdir(mkdtempSync(path.join(tempRoot, 'elsewhere-')));
    const resolved = await resolveModel(REPO, storeOptions());
    expect(resolved).toEqual({ dir: path.join(cacheDir, 'models--test-org--gliner-fake', 'snapshots', COMMIT), source: 'hub', id: REPO, revision: 'main', commit: COMMIT });
    expect(readFileSync(path.join(resolved.dir, 'onnx', 'model.onnx')).equals(ONNX)).toBe(true);
    // Offline, the same reference resolves through the cache.
    hub.requests = [];
    expect((await resolveModel(REPO, storeOptions({ offline: true }))).dir).toBe(resolved.dir);
    expect(hub.requests).toEqual([]);
  });

  it('MODEL_NOT_FOUND for a missing path that is not owner/name, without asking the hub', async () => {
    process.chdir(mkdtempSync(path.join(tempRoot, 'elsewhere-')));
    expect(await codeOf(resolveModel('./no/such/model', storeOptions()))).toBe('MODEL_NOT_FOUND');
    expect(await codeOf(resolveModel('no-such-model', storeOptions()))).toBe('MODEL_NOT_FOUND');
    expect(await codeOf(resolveModel(path.join(packageRoot, 'missing'), storeOptions()))).toBe('MODEL_NOT_FOUND');
    // A missing default under an existing native-models/ is a path, not a hub id.
    mkdirSync(path.join(packageRoot, 'native-models'));
    expect(await codeOf(resolveModel('native-models/gliner-tiny', storeOptions()))).toBe('MODEL_NOT_FOUND');
    expect(hub.requests).toEqual([]);
  });
});
