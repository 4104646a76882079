// The benchmark run, phase by phase: the raw ceiling first (nothing else running), then the default
// server's sweep and open-loop rates (with the peers in interleaved rounds), each --compare variant
// on a fresh server, the batching gain, the raw single row again (drift), and finally the summary
// figures and budget checks. session.ts measures; this file decides what, in which order.
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadConfig } from '../src/config/load.js';
import type { Config } from '../src/config/schema.js';
import { PACKAGE_ROOT } from '../src/paths.js';
import { shareWeights, withMapped } from '../src/pool/memory.js';
import { loadModel } from '../src/startup/model.js';
import { resolveSettings, resolveThreads } from '../src/startup/settings.js';
import { defaultDatasetsDir, loadCorpus } from './corpus.js';
import type { BenchOptions } from './options.js';
import { BenchError, checkParity, comparePeer, ensureReachable, type PeerRecord } from './peers.js';
import { createProgress } from './progress.js';
import { openRawSingle, rawSingleRow, runRaw, type RawResult, type RawSingleSession } from './raw.js';
import type { BenchReport, PointRecord } from './report.js';
import { BenchSession } from './session.js';
import { summarize, type LatencySummary } from './stats.js';
import { headline } from './summary.js';
import { evaluate, loadThresholds } from './thresholds.js';

export { describeLoad } from './session.js';

function configFor(env: Readonly<Record<string, string>>): Config {
  return loadConfig({ env: { ...process.env, ...env } });
}

/** Steps the run will take, for the progress bar. */
function plannedSteps(options: BenchOptions, ownServer: boolean): number {
  const sweepPoints = options.scenarios.length * options.concurrency.length;
  const ratePoints = options.rates === 'auto' ? options.autoRateFractions.length : options.rates.length;
  const rateScenarios = options.rateScenarios.filter((s) => options.scenarios.includes(s));
  return (options.raw ? options.rawBatchSizes.length + 1 : 0) + sweepPoints + ratePoints * rateScenarios.length +
    options.compare.length * options.compareConcurrency.length + (options.batchingGain && ownServer ? 1 : 0) +
    (options.scenarios.includes(options.peerScenario) ? options.peers.length * options.concurrency.length : 0);
}

interface RawPhase {
  readonly result: RawResult;
  /** A raw session to interleave with the c=1 point. */
  readonly session: () => Promise<RawSingleSession>;
  /** The single-row latency once more (the drift check at the end). */
  readonly again: () => Promise<LatencySummary>;
}

/** Phase 1: the raw ceiling, with the server's own settings for this model and machine, before any server runs. */
async function rawCeiling(run: BenchSession, config: Config): Promise<RawPhase> {
  const { options, progress } = run;
  progress.note('raw ceiling: loading the model');
  const settings = resolveSettings(config, await loadModel(config));
  // The server's session settings, its mapped weights and arena included.
  const { mapped } = settings.pool.weights === undefined ? {} : await shareWeights(settings.pool.runner, settings.pool.weights);
  const runner = withMapped(settings.pool.runner, mapped);
  // A lone row runs on the server's solo session when it has one: the single-row figures use its settings.
  const singleRunner = settings.pool.solo === undefined ? runner : withMapped(settings.pool.solo, mapped);
  const limits = settings.engine.limits;
  const scenario = run.scenario(options.rawScenario);
  let last = 0;
  const result = await runRaw(scenario, {
    runner,
    singleRunner,
    workers: settings.pool.workers,
    limits,
    batchSizes: options.rawBatchSizes,
    seconds: options.rawSeconds,
    requests: 2048,
    order: options.rawOrder,
    lookahead: settings.batcher.lookahead,
    singleRows: 200,
    onProgress: (done) => {
      while (last < done) {
        last++;
        progress.step(last === 1 ? 'raw single row' : `raw batch ${options.rawBatchSizes[last - 2]}`);
      }
    },
  });
  progress.note(`raw ceiling ${result.best.requestsPerSecond.toFixed(1)} req/s at batch ${result.best.batchSize}; single row ${result.singleRow.p50.toFixed(2)} ms`);
  return {
    result,
    session: () => openRawSingle(scenario, { runner: singleRunner, limits, requests: 2048 }),
    again: () => rawSingleRow(scenario, { runner: singleRunner, limits, seconds: options.rawSeconds, singleRows: 200, requests: 2048 }),
  };
}

/** Phase 2: the default server — the peers' parity check, the sweep (peers in rounds, c=1 interleaved with raw), the open-loop rates. Returns the gain point. */
async function defaultServer(run: BenchSession, env: Readonly<Record<string, string>>, raw: RawPhase | undefined): Promise<PointRecord | undefined> {
  const { options, progress } = run;
  const gainScenario = options.rawScenario;
  let gainPoint: PointRecord | undefined;
  const target = await run.start('default', env);
  try {
    const withPeers = options.peers.length > 0 && options.scenarios.includes(options.peerScenario);
    for (const peer of withPeers && options.peerCheck > 0 ? options.peers : []) {
      progress.note(`peer "${peer.name}": checking that it finds the same entities (${options.peerCheck} requests)`);
      const result = await checkParity(target, { url: peer.url, apiKey: undefined }, run.scenario(options.peerScenario), options.peerCheck);
      run.parity.set(peer.name, result);
      if (!result.passed) {
        const first = result.firstMismatch;
        throw new BenchError(`peer "${peer.name}" does not find the same entities as the server on ${result.asciiTexts - result.asciiSame} of ${result.asciiTexts} ASCII-only texts${first ? ` (request ${first.k}: ours [${first.ours}], peer [${first.peer}])` : ''}; it is not timed`);
      }
    }
    for (const name of options.scenarios) {
      for (const concurrency of options.concurrency) {
        let point: PointRecord;
        if (withPeers && name === options.peerScenario) point = await run.measureRounds(run.mainServer, target, name, concurrency);
        else {
          let session: RawSingleSession | undefined;
          if (raw !== undefined && name === options.rawScenario && concurrency === 1 && run.scenario(name).transport !== 'stream') {
            progress.note('opening a raw session for the interleaved c=1 comparison');
            session = await raw.session();
          }
          try {
            point = await run.measure(run.mainServer, target, name, { concurrency }, session);
          } finally {
            await session?.close();
          }
        }
        if (name === gainScenario && concurrency === options.gainConcurrency) gainPoint = point;
      }
    }
    for (const name of options.rateScenarios.filter((s) => options.scenarios.includes(s))) {
      const peak = Math.max(0, ...run.points.filter((p) => p.scenario === name && p.mode === 'closed').map((p) => p.throughputRps));
      const rates = options.rates === 'auto' ? (peak > 0 ? options.autoRateFractions.map((f) => f * peak) : []) : options.rates;
      for (const rate of rates) await run.measure(run.mainServer, target, name, { rate });
    }
    if (options.batchingGain && run.ownServer && gainPoint === undefined) {
      gainPoint = await run.measure('default', target, gainScenario, { concurrency: options.gainConcurrency });
    }
  } finally {
    await target.stop();
  }
  return gainPoint;
}

/** Phase 3: each --compare variant, on a fresh server, over the raw scenario at a few concurrencies. */
async function variantServers(run: BenchSession, env: Readonly<Record<string, string>>): Promise<void> {
  const { options } = run;
  for (const variant of options.compare) {
    if (!run.ownServer) {
      run.progress.note(`--compare ${variant.name} skipped: needs a server the bench starts`);
      continue;
    }
    const target = await run.start(variant.name, { ...env, ...variant.env });
    try {
      for (const concurrency of options.compareConcurrency) await run.measure(variant.name, target, options.rawScenario, { concurrency });
    } finally {
      await target.stop();
    }
  }
}

/** Phase 4: the batching gain — the same scenario and concurrency with MAX_BATCH_ROWS=1. */
async function unbatched(run: BenchSession, env: Readonly<Record<string, string>>): Promise<PointRecord | undefined> {
  const { options } = run;
  if (!options.batchingGain) return undefined;
  if (!run.ownServer) {
    run.progress.note('--batching-gain skipped: needs a server the bench starts (restarted with MAX_BATCH_ROWS=1)');
    return undefined;
  }
  const target = await run.start('unbatched', { ...env, MAX_BATCH_ROWS: '1' });
  try {
    return await run.measure('unbatched', target, options.rawScenario, { concurrency: options.gainConcurrency });
  } finally {
    await target.stop();
  }
}

export async function runBench(options: BenchOptions, cliPath: string, commandLine: string): Promise<BenchReport> {
  const startedAt = new Date();
  const t0 = performance.now();
  // Fail at once, with a clear message, when a server the run needs is not there.
  if (options.url !== undefined) await ensureReachable(options.url, 'the server (--url)');
  for (const peer of options.peers) await ensureReachable(peer.url, `peer "${peer.name}"`);
  const corpus = loadCorpus(options.datasets ?? defaultDatasetsDir(PACKAGE_ROOT), options.seed, PACKAGE_ROOT);
  const run = new BenchSession(options, createProgress(options.progress, options.quiet), corpus, cliPath);
  const baseEnv: Record<string, string> = { ...options.serverEnv };
  const config = configFor(baseEnv);
  const threads = resolveThreads(config);
  run.progress.plan(plannedSteps(options, run.ownServer));

  const raw = options.raw ? await rawCeiling(run, config) : undefined;
  const batched = await defaultServer(run, baseEnv, raw);
  await variantServers(run, baseEnv);
  const unbatchedPoint = await unbatched(run, baseEnv);
  let rawSingleAfter: LatencySummary | undefined;
  if (raw !== undefined) {
    run.progress.note('raw single row again (drift check)');
    rawSingleAfter = await raw.again();
  }
  run.progress.stop();

  // ---- Summary.
  const { points } = run;
  const summary = headline({
    points,
    mainServer: run.mainServer,
    rawScenario: options.rawScenario,
    raw: raw?.result ?? null,
    interleaved: run.rawInterleaved !== undefined && run.rawInterleaved.length > 0 ? summarize(run.rawInterleaved) : undefined,
    rawSingleAfter,
    gain: { scenario: options.rawScenario, concurrency: options.gainConcurrency, batched, unbatched: unbatchedPoint },
  });
  if (points.length > 0 && points.filter((p) => p.server === run.mainServer).every((p) => p.ok === 0)) {
    throw new BenchError(`no request to ${run.ownServer ? 'the server' : options.url} succeeded (errors: ${JSON.stringify(points[0]?.errors ?? {})}); nothing to report`);
  }
  const peers: PeerRecord[] = options.peers.map((peer) => ({
    name: peer.name,
    url: peer.url,
    parity: run.parity.get(peer.name) ?? null,
    comparisons: comparePeer(points, run.mainServer, peer.name),
  }));
  const checks = options.check === undefined ? [] : evaluate(summary, loadThresholds(options.check === 'default' ? path.join(PACKAGE_ROOT, 'bench', 'thresholds.json') : options.check));
  const cpus = os.cpus();
  return {
    version: 1,
    startedAt: startedAt.toISOString(),
    durationSeconds: (performance.now() - t0) / 1000,
    command: commandLine,
    machine: { cpus: os.availableParallelism(), cpuModel: cpus[0]?.model.trim() ?? 'unknown', memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.versions.node, platform: `${process.platform}-${process.arch}` },
    target: { url: options.url ?? null, ownServer: run.ownServer, model: config.model },
    serverEnv: baseEnv,
    threads: {
      workers: threads.workers,
      intraOpThreads: threads.intraOpThreads,
      soloThreads: threads.soloThreads,
      note: 'The server runs WORKERS ONNX Runtime sessions (one per worker thread) of INTRA_OP_THREADS threads each, INTER_OP_THREADS sequential, plus the solo session of soloThreads threads (0 = none) for a lone row; the raw ceiling uses the same resolved numbers (resolveSettings from src/startup/settings.ts), and the raw single row the solo session\'s settings when there is one.',
    },
    scenarios: options.scenarios,
    corpus: `${corpus.sentences.length} sentences from ${corpus.source}`,
    ...summary,
    raw: raw?.result ?? null,
    variants: run.variants,
    peers,
    points,
    checks,
  };
}
