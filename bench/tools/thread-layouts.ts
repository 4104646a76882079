// Thread layouts: how should a machine's cores be split between ONNX Runtime sessions? Runs the
// short scenario's rows, one row per run() (the CPU default, MAX_BATCH_ROWS=1), through several
// layouts of sessions side by side — one wide session, one per core, wide + narrow together, with
// and without spinning — in interleaved slices, so that a drifting shared host affects each alike.
// Each layout's sessions run concurrently (closed loop, one row in flight per session); it prints
// rows/s and the per-row p50 of every slice. Not part of the bench CLI; from the repository root:
//
//   npx tsx bench/tools/thread-layouts.ts [--model DIR] [--rounds 4] [--seconds 3]
//
// The layouts behind SOLO_SESSION and the WORKERS default (src/startup/settings.ts, bench/RESULTS.md).
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { loadConfig } from '../../src/config/load.js';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { loadModel } from '../../src/startup/model.js';
import { resolveSettings, soloRunner, thisMachine } from '../../src/startup/settings.js';
import type { ModelRow } from '../../src/worker/messages.js';
import type { RunnerSettings } from '../../src/worker/onnx-runner.js';
import { defaultDatasetsDir, loadCorpus } from '../corpus.js';
import { RawWorker, scenarioRows } from '../raw.js';
import { makeScenario } from '../scenarios.js';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'native-models/gliner-tiny' },
    rounds: { type: 'string', default: '4' },
    seconds: { type: 'string', default: '3' },
  },
});

const { cores } = thisMachine();
// The server's settings for this model (defaults, one thread per session): only the layouts differ.
const config = loadConfig({ env: { MODEL: values.model, WORKERS: String(cores), INTRA_OP_THREADS: '1', SOLO_SESSION: 'off', EXECUTION_PROVIDER: 'cpu' }, envFile: false });
const settings = resolveSettings(config, await loadModel(config), thisMachine());
const base: RunnerSettings = settings.pool.runner;
const wide: RunnerSettings = { ...base, intraOpThreads: cores };
const narrow = base;
// The server's solo session (src/startup/settings.ts soloRunner): all the cores, spinning inside a run only.
const solo = soloRunner(base, cores);
const layouts: Record<string, RunnerSettings[]> = {
  [`1×${cores}`]: [wide],
  [`1×${cores} spinning`]: [{ ...wide, intraOpSpinning: true }],
  [`1×${cores} spinning, stopped after each run`]: [solo],
  [`${cores}×1`]: Array.from({ length: cores }, () => narrow),
  [`${cores}×${cores} (oversubscribed)`]: Array.from({ length: cores }, () => wide),
  [`1×${cores} + ${cores - 1}×1 together`]: [wide, ...Array.from({ length: cores - 1 }, () => narrow)],
  [`1×${cores} spinning-stopped + ${cores - 1}×1 together`]: [solo, ...Array.from({ length: cores - 1 }, () => narrow)],
};

const corpus = loadCorpus(defaultDatasetsDir(PACKAGE_ROOT), 1, PACKAGE_ROOT);
const { rows } = scenarioRows(makeScenario('short', corpus), 600, settings.engine.limits);
let cursor = 0;
const nextRow = (): ModelRow[] => {
  const { words, labels, threshold } = rows[cursor++ % rows.length] as ModelRow;
  return [{ words, labels, threshold }];
};

const pools = new Map<string, RawWorker[]>();
for (const [name, sessions] of Object.entries(layouts)) {
  const workers = sessions.map((settings) => new RawWorker(settings));
  await Promise.all(workers.map((w) => w.ready));
  pools.set(name, workers);
}
const results = new Map<string, { rowsPerSecond: number; p50: number }[]>();
for (let round = 0; round < Number(values.rounds); round++) {
  for (const [name, workers] of pools) {
    const latencies: number[] = [];
    const started = performance.now();
    const stopAt = started + Number(values.seconds) * 1000;
    await Promise.all(workers.map(async (worker) => {
      while (performance.now() < stopAt) latencies.push((await worker.run(nextRow())).ms);
    }));
    latencies.sort((a, b) => a - b);
    const slices = results.get(name) ?? [];
    slices.push({ rowsPerSecond: latencies.length / ((performance.now() - started) / 1000), p50: latencies[Math.floor(latencies.length / 2)] ?? NaN });
    results.set(name, slices);
  }
}
await Promise.all([...pools.values()].flat().map((w) => w.close()));

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
console.log(`${values.model}, ${cores} cores, ${values.rounds} interleaved rounds of ${values.seconds} s per layout\n`);
console.log('| layout | rows/s (median) | rows/s per round | p50 ms per row (median) |');
console.log('| --- | ---: | --- | ---: |');
for (const [name, slices] of results) {
  const rps = slices.map((s) => s.rowsPerSecond);
  console.log(`| ${name} | ${median(rps).toFixed(1)} | ${rps.map((x) => x.toFixed(1)).join(' ')} | ${median(slices.map((s) => s.p50)).toFixed(2)} |`);
}
