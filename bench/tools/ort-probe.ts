// ORT probe: times one onnxruntime-node session on the short scenario's rows with session options
// the server does not expose (intra-op spinning, ORT's own per-operator profiler), to find where
// inference time goes. Not part of the bench CLI; run from the repository root:
//
//   npx tsx bench/tools/ort-probe.ts --model native-models/.cache/bench-size --threads 2 --batch 1 --seconds 5 [--no-spin] [--profile prof/ort]
//
// It prints per-batch timings of the stages (encode+tensors, run(), decode) and, with --profile,
// the operators that took the most time (from ORT's JSON trace).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import { dedupeLabels } from '../../src/inference/plan.js';
import { modelRows } from '../raw.js';
import { PromptEncoder } from '../../src/inference/prompt.js';
import { modelKind } from '../../src/inference/kinds/index.js';
import { feedsOf } from '../../src/worker/feeds.js';
import { readModelDir } from '../../src/model/files.js';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { loadConfig } from '../../src/config/load.js';
import { planLimits } from '../../src/startup/settings.js';
import { defaultDatasetsDir, loadCorpus, rng, shuffle } from '../corpus.js';
import { makeScenario, SCENARIO_NAMES, type ScenarioName } from '../scenarios.js';
import { summarize } from '../stats.js';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'native-models/gliner-tiny' },
    threads: { type: 'string', default: '2' },
    batch: { type: 'string', default: '1' },
    seconds: { type: 'string', default: '5' },
    scenario: { type: 'string', default: 'short' },
    'no-spin': { type: 'boolean', default: false },
    sorted: { type: 'boolean', default: false },
    profile: { type: 'string' },
  },
});

const files = readModelDir(values.model, 'auto');
const encoder = PromptEncoder.fromJson(files.tokenizerJson, files.tokenizerConfig, files.config.entToken, files.config.sepToken);
const options: ort.InferenceSession.SessionOptions = {
  executionProviders: ['cpu'],
  graphOptimizationLevel: 'all',
  executionMode: 'sequential',
  intraOpNumThreads: Number(values.threads),
  interOpNumThreads: 1,
  logSeverityLevel: 3,
  ...(values['no-spin'] ? { extra: { session: { intra_op: { allow_spinning: '0' } } } } : {}),
  ...(values.profile === undefined ? {} : { enableProfiling: true, profileFilePrefix: values.profile }),
};
const session = await ort.InferenceSession.create(files.onnxPath, options);
const kind = modelKind(files.config, session.inputNames, files.onnxPath);
const name = values.scenario as ScenarioName;
if (!(SCENARIO_NAMES as readonly string[]).includes(name)) throw new Error(`unknown scenario ${name}`);
const scenario = makeScenario(name, loadCorpus(defaultDatasetsDir(PACKAGE_ROOT)));
// The server's plan limits for this model (WINDOW_WORDS, LABELS_PER_PASS… at their defaults).
const limits = planLimits(loadConfig({ env: {}, envFile: false }), files.config);
const planned = Array.from({ length: 512 }, (_, k) => scenario.request(k)).flatMap((r) => r.texts.flatMap((t) => modelRows(t, dedupeLabels(r.labels), limits)));
// --sorted: rows sorted by length inside blocks of 256 (as the raw ceiling's default order).
// Batches are then taken in a shuffled order, so a short run does not see only the shortest rows.
const size = Number(values.batch);
const sortedRows = Array.from({ length: Math.ceil(planned.length / 256) }, (_, i) => planned.slice(i * 256, i * 256 + 256).sort((a, b) => a.tokens - b.tokens)).flat();
const order = shuffle(Array.from({ length: Math.floor(sortedRows.length / size) }, (_, i) => i), rng(7));
const rows = values.sorted ? order.flatMap((b) => sortedRows.slice(b * size, b * size + size)) : planned;

const pre: number[] = [];
const run: number[] = [];
const tokens: number[] = [];
let cursor = 0;
const stopAt = performance.now() + Number(values.seconds) * 1000;
for (let i = 0; performance.now() < stopAt || i < 3; i++) {
  const batchRows = Array.from({ length: size }, () => rows[cursor++ % rows.length]).filter((r) => r !== undefined);
  const t0 = performance.now();
  const encoded = batchRows.map((r) => encoder.encode(r.labels, r.words));
  const feeds = feedsOf(kind.feeds(encoded, files.config));
  const t1 = performance.now();
  await session.run(feeds);
  const t2 = performance.now();
  if (i >= 3) {
    pre.push(t1 - t0);
    run.push(t2 - t1);
    tokens.push(feeds.input_ids?.dims[1] ?? 0);
  }
}
const r = summarize(run);
const p = summarize(pre);
process.stdout.write(`${JSON.stringify({
  model: values.model, threads: Number(values.threads), spin: !values['no-spin'], sorted: values.sorted, batch: size, batches: r.count,
  meanTokens: tokens.reduce((a, c) => a + c, 0) / Math.max(1, tokens.length),
  runMs: { p50: r.p50, mean: r.mean, p99: r.p99 }, preMs: { p50: p.p50, mean: p.mean },
  rowsPerSecond: (size * r.count) / ((r.mean + p.mean) * r.count / 1000),
})}\n`);

if (values.profile !== undefined) {
  session.endProfiling();
  // ORT names the trace <prefix>_<timestamp>.json; take the newest.
  const dir = path.dirname(path.resolve(values.profile));
  const base = path.basename(values.profile);
  const file = readdirSync(dir)
    .filter((f) => f.startsWith(base) && f.endsWith('.json'))
    .map((f) => path.join(dir, f))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
  if (file === undefined) throw new Error(`no ORT profile found for prefix ${values.profile}`);
  const events = JSON.parse(readFileSync(file, 'utf8')) as { cat?: string; name?: string; dur?: number; args?: { op_name?: string } }[];
  const byOp = new Map<string, number>();
  let totalUs = 0;
  for (const e of events) {
    if (e.cat !== 'Node' || !e.name?.endsWith('_kernel_time')) continue;
    const op = e.args?.op_name ?? 'unknown';
    byOp.set(op, (byOp.get(op) ?? 0) + (e.dur ?? 0));
    totalUs += e.dur ?? 0;
  }
  const top = [...byOp.entries()].sort((a, b) => b[1] - a[1]).slice(0, 12);
  process.stdout.write(`ORT profile ${file}: kernel time by operator\n`);
  for (const [op, us] of top) process.stdout.write(`  ${op.padEnd(28)} ${(us / 1000).toFixed(1).padStart(9)} ms  ${((100 * us) / totalUs).toFixed(1)}%\n`);
}
await session.release();
