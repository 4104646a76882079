// Memory that returns to rest: does the server give back what a long text or a burst took? For each
// configuration (a fresh server, one at a time, so each process's memory is its own) it records RSS
// and PSS (bench/memory.ts): idle (ready), warm (after short requests at c=4), while one
// 100,000-character text runs (peak) and after it, then while the short scenario runs at c=64 (peak)
// and after it; "after" waits until the server is idle and `--settle` seconds more. The
// configurations run in turn, --rounds times each (the order rotating), and the table gives medians.
// From the repository root, after `npm run build`:
//
//   npx tsx bench/tools/memory-rest.ts [--model native-models/.cache/bench-size] [--rounds 1]
//       [--config NAME:KEY=V,KEY=V]... [--burst-seconds 10] [--settle 2] [--json FILE]
//
// Without --config: the arena on against the arena off, with and without a fixed glibc mmap
// threshold (MALLOC_MMAP_THRESHOLD_, which the images set). --baseline-cli adds another build. Figures and the choice:
// bench/RESULTS.md, "Memory".
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { defaultDatasetsDir, loadCorpus } from '../corpus.js';
import { waitIdle } from '../idle.js';
import { closedLoopHttp, RequestCounter } from '../load.js';
import { mb } from '../memory.js';
import { parseVariant } from '../options.js';
import { makeScenario } from '../scenarios.js';
import { readMemory, type MemorySample } from '../server-memory.js';
import { startServer } from '../server.js';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'native-models/.cache/bench-size' },
    config: { type: 'string', multiple: true },
    rounds: { type: 'string', default: '1' },
    'burst-seconds': { type: 'string', default: '10' },
    settle: { type: 'string', default: '2' },
    chars: { type: 'string', default: '100000' },
    json: { type: 'string' },
    // Another build to run as one more configuration named "baseline" (e.g. the last release's dist/src/cli.js).
    'baseline-cli': { type: 'string' },
  },
});

const configs: { name: string; env: Readonly<Record<string, string>>; cli?: string }[] = (values.config ?? ['arena:CPU_MEM_ARENA=on', 'no-arena:CPU_MEM_ARENA=off', 'no-arena-mmap:CPU_MEM_ARENA=off,MALLOC_MMAP_THRESHOLD_=8388608']).map(parseVariant);
if (values['baseline-cli'] !== undefined) configs.push({ name: 'baseline', env: {}, cli: path.resolve(values['baseline-cli']) });
const corpus = loadCorpus(defaultDatasetsDir(PACKAGE_ROOT), 1, PACKAGE_ROOT);
const short = makeScenario('short', corpus);
const counter = new RequestCounter();
// One long text of real sentences, just under MAX_TEXT_CHARS.
let longText = '';
for (const sentence of corpus.sentences) {
  if (longText.length + sentence.length + 1 > Number(values.chars)) break;
  longText += `${sentence} `;
}
const cli = path.join(PACKAGE_ROOT, 'dist/src/cli.js');
const settle = Number(values.settle) * 1000;

type Stage = 'idle' | 'warm' | 'long peak' | 'after long' | 'burst peak' | 'after burst';
const STAGES: Stage[] = ['idle', 'warm', 'long peak', 'after long', 'burst peak', 'after burst'];

/** POST without a client-side timeout (fetch gives up on headers after 300 s; a long text on a slow host takes longer). */
function post(url: string, apiKey: string, body: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': apiKey } }, (response) => {
      response.resume();
      response.on('end', () => (response.statusCode === 200 ? resolve() : reject(new Error(`long text: HTTP ${response.statusCode}`))));
    });
    request.on('error', reject);
    request.end(body);
  });
}

async function peakWhile<T>(pid: number | undefined, work: Promise<T>): Promise<{ result: T; peak: MemorySample | null }> {
  let peak: MemorySample | null = null;
  let done = false;
  const sampler = (async () => {
    while (!done) {
      const m = await readMemory({ pid }, true);
      if (m !== null && (peak === null || m.rss > peak.rss)) peak = m;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  })();
  const result = await work;
  done = true;
  await sampler;
  return { result, peak };
}

async function measure(env: Readonly<Record<string, string>>, cliPath = cli): Promise<{ stages: Record<Stage, MemorySample | null>; longMs: number; burstRps: number }> {
  const server = await startServer(cliPath, { env: { MODEL: values.model, CACHE_MAX_BYTES: '0', REQUEST_TIMEOUT_MS: '900000', ...env }, nodeArgs: [], readyTimeoutMs: 600_000 });
  const target = { url: server.url, apiKey: server.apiKey };
  const rest = async (): Promise<MemorySample | null> => {
    await waitIdle(server.adminUrl, 600_000);
    await new Promise((resolve) => setTimeout(resolve, settle));
    return readMemory(server);
  };
  try {
    const stages = {} as Record<Stage, MemorySample | null>;
    stages.idle = await readMemory(server);
    await closedLoopHttp(target, short, counter, 4, 5, 60);
    stages.warm = await rest();
    const t0 = performance.now();
    const long = await peakWhile(server.pid, post(`${server.url}/api/v1/predict`, server.apiKey, JSON.stringify({ text: longText, labels: ['person', 'organization', 'location', 'date'] })));
    const longMs = performance.now() - t0;
    stages['long peak'] = long.peak;
    stages['after long'] = await rest();
    const burst = await peakWhile(server.pid, closedLoopHttp(target, short, counter, 64, Number(values['burst-seconds']), 120));
    stages['burst peak'] = burst.peak;
    stages['after burst'] = await rest();
    return { stages, longMs, burstRps: burst.result.throughputRps };
  } finally {
    await server.stop();
  }
}

const results = new Map<string, { stages: Record<Stage, MemorySample | null>; longMs: number; burstRps: number }[]>();
for (let round = 0; round < Number(values.rounds); round++) {
  for (let i = 0; i < configs.length; i++) {
    const config = configs[(i + round) % configs.length];
    if (config === undefined) continue;
    const run = await measure(config.env, config.cli);
    results.set(config.name, [...(results.get(config.name) ?? []), run]);
    process.stderr.write(`${config.name}: ${STAGES.map((s) => `${s} ${mb(run.stages[s]?.rss)}`).join(', ')}; long text ${(run.longMs / 1000).toFixed(1)} s, burst ${run.burstRps.toFixed(2)} req/s\n`);
  }
}

const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const at = (runs: readonly { stages: Record<Stage, MemorySample | null> }[], stage: Stage, pick: (m: MemorySample) => number | null): number => median(runs.map((r) => (r.stages[stage] === null ? NaN : (pick(r.stages[stage]) ?? NaN))));
console.log(`${values.model}; ${longText.length}-character text; burst: short scenario at c=64 for ${values['burst-seconds']} s; medians of ${values.rounds} round(s)\n`);
console.log(`| configuration | ${STAGES.join(' | ')} | after long ÷ warm | after burst ÷ warm | long text s | burst req/s |`);
console.log(`| --- |${STAGES.map(() => ' ---: |').join('')} ---: | ---: | ---: | ---: |`);
for (const config of configs) {
  const runs = results.get(config.name) ?? [];
  const cell = (stage: Stage): string => `${mb(at(runs, stage, (m) => m.rss))} / ${mb(at(runs, stage, (m) => m.pss))}`;
  const warm = at(runs, 'warm', (m) => m.rss);
  console.log(`| ${config.name} | ${STAGES.map(cell).join(' | ')} | ${(at(runs, 'after long', (m) => m.rss) / warm).toFixed(2)} | ${(at(runs, 'after burst', (m) => m.rss) / warm).toFixed(2)} | ${(median(runs.map((r) => r.longMs)) / 1000).toFixed(1)} | ${median(runs.map((r) => r.burstRps)).toFixed(2)} |`);
}
console.log('\n(MB, RSS / PSS; peaks are sampled RSS, PSS not read there.)');
if (values.json !== undefined) writeFileSync(values.json, `${JSON.stringify({ model: values.model, chars: longText.length, configs: configs.map((c) => ({ ...c, runs: results.get(c.name) })) }, null, 2)}\n`);
