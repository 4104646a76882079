#!/usr/bin/env node
// A reference server for `bench --peer`: the plainest Node server around GLiNER.js (npm `gliner`),
// one request at a time, with the request and response shape of gliner-serve's /api/v1/predict.
// It is what a user would write without a serving layer: node:http, JSON in, one
// `gliner.inference()` per request, in arrival order. Installed apart from the main package:
//   npm --prefix bench/peers ci
//   node bench/peers/gliner-js-server.mjs [--model DIR] [--onnx FILE] [--port 8010] [--host 127.0.0.1]
//
// What it adds to GLiNER.js, and why:
// - transformers.js 2.x puts the ▁ word prefix in only when the Metaspace pre-tokenizer says
//   `add_prefix_space: true`; tokenizers ≥ 0.14 write `prepend_scheme: "always"` instead (our
//   tokenizer.json does). Left alone, every word is tokenised without ▁ and the model finds nothing,
//   so the peer loads a patched copy of tokenizer.json (written to a temporary directory at start;
//   the model directory is not touched).
// - `sharp` (images) is replaced by a stub package (bench/peers/stubs/sharp, through `overrides`).
// - Offsets are converted from UTF-16 indices (JavaScript) to code points, as gliner-serve reports
//   them; they differ only for astral-plane characters (emoji).
// - A request whose client went away before its turn is skipped, so a load generator that stops
//   does not leave minutes of work behind; GET /health/ready reports {"queued": n} so the bench can
//   wait for the peer to be idle between rounds.
// Known difference: GLiNER.js splits words with the ASCII-only `\w`, gliner-serve with Unicode
// letters, so text with non-ASCII letters ("Thorbjørn", "Zürich", "Москва") is split and scored
// differently. The bench's parity check compares ASCII-only texts exactly and counts the rest apart.
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { env } from '@xenova/transformers';
import { Gliner } from 'gliner/node';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const { values: args } = parseArgs({
  options: {
    model: { type: 'string', default: path.resolve(HERE, '..', '..', 'native-models', 'gliner-tiny') },
    onnx: { type: 'string' },
    port: { type: 'string', default: '8010' },
    host: { type: 'string', default: '127.0.0.1' },
  },
});

/** tokenizer.json with Metaspace `prepend_scheme` spelled the way transformers.js 2.x reads it. */
export function patchTokenizer(tokenizer) {
  const fix = (node) => {
    if (node === null || typeof node !== 'object') return;
    if (Array.isArray(node)) {
      node.forEach(fix);
      return;
    }
    if (node.type === 'Metaspace' && node.add_prefix_space === undefined) node.add_prefix_space = node.prepend_scheme !== 'never';
    for (const value of Object.values(node)) fix(value);
  };
  const copy = structuredClone(tokenizer);
  fix(copy.pre_tokenizer);
  fix(copy.decoder);
  return copy;
}

const modelDir = path.resolve(args.model);
const onnxPath = path.resolve(args.onnx ?? path.join(modelDir, 'model.onnx'));
const glinerConfig = JSON.parse(readFileSync(path.join(modelDir, 'gliner_config.json'), 'utf8'));
const modelName = path.relative(path.resolve(HERE, '..', '..'), modelDir).split(path.sep).join('/') || modelDir;

const tokenizerDir = mkdtempSync(path.join(tmpdir(), 'gliner-js-peer-'));
const cleanup = () => rmSync(tokenizerDir, { recursive: true, force: true });
writeFileSync(path.join(tokenizerDir, 'tokenizer.json'), JSON.stringify(patchTokenizer(JSON.parse(readFileSync(path.join(modelDir, 'tokenizer.json'), 'utf8')))));
const tokenizerConfig = path.join(modelDir, 'tokenizer_config.json');
if (existsSync(tokenizerConfig)) writeFileSync(path.join(tokenizerDir, 'tokenizer_config.json'), readFileSync(tokenizerConfig));

// transformers.js resolves a local model as localModelPath + name.
env.allowRemoteModels = false;
env.localModelPath = `${path.dirname(tokenizerDir)}/`;
const gliner = new Gliner({
  tokenizerPath: path.basename(tokenizerDir),
  onnxSettings: { modelPath: onnxPath, executionProvider: 'cpu' },
  transformersSettings: { allowLocalModels: true, useBrowserCache: false },
  maxWidth: glinerConfig.max_width ?? 12,
  modelType: 'span-level',
});
await gliner.initialize();

/** UTF-16 index → code-point index within `text`. */
function codePoints(text, index) {
  let n = 0;
  for (let i = 0; i < index; i++) {
    const c = text.charCodeAt(i);
    if (c < 0xd800 || c > 0xdbff || i + 1 >= index) n++;
    else {
      n++;
      i++;
    }
  }
  return n;
}

function send(res, status, body) {
  if (res.destroyed || res.writableEnded) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function parseRequest(raw) {
  let body;
  try {
    body = JSON.parse(raw);
  } catch {
    return { error: 'body is not JSON' };
  }
  if (body === null || typeof body !== 'object' || typeof body.text !== 'string') return { error: 'text: expected a string' };
  const labels = Array.isArray(body.labels) ? body.labels : typeof body.entity_type === 'string' ? [body.entity_type] : undefined;
  if (labels === undefined || labels.length === 0 || labels.some((l) => typeof l !== 'string')) return { error: 'labels: expected a non-empty list of strings (or entity_type)' };
  return {
    text: body.text,
    labels: [...new Set(labels)],
    threshold: typeof body.threshold === 'number' ? body.threshold : 0.5,
    flatNer: body.flat_ner !== false,
    multiLabel: body.multi_label === true,
  };
}

// One request at a time, in arrival order.
let queued = 0;
let chain = Promise.resolve();

async function predict(req, res, raw) {
  const input = parseRequest(raw);
  if (input.error !== undefined) {
    send(res, 400, { error: { code: 'VALIDATION_FAILED', message: input.error } });
    return;
  }
  const t0 = performance.now();
  const [entities = []] = await gliner.inference({ texts: [input.text], entities: input.labels, threshold: input.threshold, flatNer: input.flatNer, multiLabel: input.multiLabel });
  send(res, 200, {
    entities: entities.map((e) => ({ text: e.spanText, start: codePoints(input.text, e.start), end: codePoints(input.text, e.end), entity_type: e.label, score: e.score })),
    processing_time: (performance.now() - t0) / 1000,
    model: modelName,
  });
}

const server = http.createServer((req, res) => {
  const url = req.url ?? '/';
  if (req.method === 'GET' && (url === '/health/ready' || url === '/health/live')) {
    send(res, 200, { status: 'ready', queued });
    return;
  }
  if (url !== '/api/v1/predict') {
    send(res, 404, { error: { code: 'NOT_FOUND', message: `No route ${url}` } });
    return;
  }
  if (req.method !== 'POST') {
    send(res, 405, { error: { code: 'METHOD_NOT_ALLOWED', message: 'POST only' } });
    return;
  }
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    queued++;
    chain = chain.then(async () => {
      try {
        if (!res.destroyed) await predict(req, res, Buffer.concat(chunks).toString('utf8'));
      } catch (error) {
        send(res, 500, { error: { code: 'INTERNAL', message: error instanceof Error ? error.message : String(error) } });
      } finally {
        queued--;
      }
    });
  });
});
server.keepAliveTimeout = 60_000;
server.listen(Number(args.port), args.host, () => {
  const address = server.address();
  process.stdout.write(`gliner-js peer listening on http://${args.host}:${address.port} (model ${modelName}, ${path.basename(onnxPath)})\n`);
});
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    server.close();
    server.closeAllConnections();
    cleanup();
    process.exit(0);
  });
}
process.on('exit', cleanup);
