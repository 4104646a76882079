// The benchmark run: raw ceiling first (nothing else running), then each server configuration in
// turn — started, warmed, swept, stopped — and finally the summary figures and budget checks.
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadConfig } from '../src/config/load.js';
import type { Config } from '../src/config/schema.js';
import { batchRows, planLimits } from '../src/inference-stack.js';
import { readModelDir } from '../src/model/files.js';
import { resolveModel } from '../src/model/store.js';
import { PACKAGE_ROOT } from '../src/paths.js';
import { cpuArenaOn, shareWeights } from '../src/pool/memory.js';
import { resolveThreads, soloRunner } from '../src/pool/pool.js';
import { defaultDatasetsDir, loadCorpus } from './corpus.js';
import { cpuWindow } from './machine.js';
import { closedLoopHttp, closedLoopStream, mergeLoads, openLoopHttp, RequestCounter, type LoadResult, type Target } from './load.js';
import type { BenchOptions } from './options.js';
import { createProgress, type Progress } from './progress.js';
import { scrape, waitIdle } from './idle.js';
import { BenchError, checkParity, comparePeer, ensureReachable, interleavedRounds, waitPeerIdle, type ParityResult, type PeerRecord } from './peers.js';
import { serverView } from './prom.js';
import { openRawSingle, rawSingleRow, runRaw, type RawResult, type RawSingleSession } from './raw.js';
import { pointRecord, type BenchReport, type PointRecord, type VariantRecord } from './report.js';
import { makeScenario, type Scenario, type ScenarioName } from './scenarios.js';
import { summarize, type LatencySummary } from './stats.js';
import { headline } from './summary.js';
import { startServer, type BenchServer } from './server.js';
import { readMemory, watchMemory } from './server-memory.js';
import { evaluate, loadThresholds } from './thresholds.js';

interface LiveTarget extends Target {
  readonly adminUrl: string | undefined;
  readonly pid?: number | undefined;
  readonly variant?: VariantRecord;
  stop(): Promise<void>;
}

function configFor(env: Readonly<Record<string, string>>): Config {
  return loadConfig({ env: { ...process.env, ...env } });
}

export function describeLoad(result: LoadResult): string {
  const errors = Object.entries(result.errors).map(([k, n]) => `${k}:${n}`).join(' ');
  return `${result.throughputRps.toFixed(1)} req/s  p50 ${result.latency.p50.toFixed(1)} ms  p99 ${result.latency.p99.toFixed(1)} ms${errors ? `  errors ${errors}` : ''}`;
}

export async function runBench(options: BenchOptions, cliPath: string, commandLine: string): Promise<BenchReport> {
  const startedAt = new Date();
  const t0 = performance.now();
  const progress: Progress = createProgress(options.progress, options.quiet);
  // Fail at once, with a clear message, when a server the run needs is not there.
  if (options.url !== undefined) await ensureReachable(options.url, 'the server (--url)');
  for (const peer of options.peers) await ensureReachable(peer.url, `peer "${peer.name}"`);
  const corpus = loadCorpus(options.datasets ?? defaultDatasetsDir(PACKAGE_ROOT), options.seed, PACKAGE_ROOT);
  const scenarioOptions = { longWords: options.longWords, batchTexts: 8, seed: options.seed, repeatShare: options.repeatShare };
  const scenarios = new Map<ScenarioName, Scenario>();
  const scenario = (name: ScenarioName): Scenario => {
    let s = scenarios.get(name);
    if (s === undefined) {
      s = makeScenario(name, corpus, scenarioOptions);
      scenarios.set(name, s);
    }
    return s;
  };
  const counter = new RequestCounter();
  const ownServer = options.url === undefined;
  const baseEnv: Record<string, string> = { ...options.serverEnv };
  const config = configFor(baseEnv);
  const threads = resolveThreads({
    workers: config.workers, intraOpThreads: config.intraOpThreads, executionProvider: config.executionProvider, soloSession: config.soloSession,
  });

  // Planned steps, for the progress bar.
  const sweepPoints = options.scenarios.length * options.concurrency.length;
  const ratePoints = options.rates === 'auto' ? options.autoRateFractions.length : options.rates.length;
  const rateScenarios = options.rateScenarios.filter((s) => options.scenarios.includes(s));
  progress.plan(
    (options.raw ? options.rawBatchSizes.length + 1 : 0) + sweepPoints + ratePoints * rateScenarios.length +
    options.compare.length * options.compareConcurrency.length + (options.batchingGain && ownServer ? 1 : 0) +
    (options.scenarios.includes(options.peerScenario) ? options.peers.length * options.concurrency.length : 0),
  );

  // ---- Raw ceiling (before any server runs, so nothing competes for the cores).
  let raw: RawResult | null = null;
  let rawAgain: (() => Promise<LatencySummary>) | undefined;
  let rawSession: (() => Promise<RawSingleSession>) | undefined;
  if (options.raw) {
    progress.note('raw ceiling: loading the model');
    const resolved = await resolveModel(config.model, {
      revision: config.modelRevision, cacheDir: config.modelCacheDir, endpoint: config.hfEndpoint, token: config.hfToken,
      offline: config.hfOffline, quantization: config.modelQuantization, packageRoot: PACKAGE_ROOT,
    });
    const files = readModelDir(resolved.dir, config.modelQuantization);
    let last = 0;
    // The server's session settings, its mapped weights and arena included.
    const { runner } = await shareWeights({
      modelDir: resolved.dir, quantization: config.modelQuantization, executionProvider: config.executionProvider,
      cudaFallback: config.cudaFallback, cudaDeviceId: config.cudaDeviceId, intraOpThreads: threads.intraOpThreads,
      interOpThreads: config.interOpThreads, graphOptimization: config.graphOptimization, intraOpSpinning: config.intraOpSpinning,
      cpuArena: cpuArenaOn(config.cpuMemArena), warmupRows: Math.min(4, batchRows(config)),
    }, { shareWeights: config.shareWeights, mappedDir: config.mappedWeightsDir ?? path.join(config.modelCacheDir, 'mapped') });
    // A lone row runs on the server's solo session when it has one: the single-row figures use its settings.
    const singleRunner = threads.soloThreads > 0 ? soloRunner(runner, threads.soloThreads) : runner;
    const limits = planLimits(config, files.config);
    rawSession = () => openRawSingle(scenario(options.rawScenario), { runner: singleRunner, limits, requests: 2048 });
    rawAgain = () => rawSingleRow(scenario(options.rawScenario), { runner: singleRunner, limits, seconds: options.rawSeconds, singleRows: 200, requests: 2048 });
    raw = await runRaw(scenario(options.rawScenario), {
      runner,
      singleRunner,
      workers: threads.workers,
      limits,
      batchSizes: options.rawBatchSizes,
      seconds: options.rawSeconds,
      requests: 2048,
      order: options.rawOrder,
      lookahead: config.batchLookahead,
      singleRows: 200,
      onProgress: (done) => {
        while (last < done) {
          last++;
          progress.step(last === 1 ? 'raw single row' : `raw batch ${options.rawBatchSizes[last - 2]}`);
        }
      },
    });
    progress.note(`raw ceiling ${raw.best.requestsPerSecond.toFixed(1)} req/s at batch ${raw.best.batchSize}; single row ${raw.singleRow.p50.toFixed(2)} ms`);
  }

  const points: PointRecord[] = [];
  const variants: VariantRecord[] = [];

  const start = async (name: string, env: Readonly<Record<string, string>>): Promise<LiveTarget> => {
    if (!ownServer) {
      return { url: options.url ?? '', apiKey: options.apiKey, adminUrl: options.adminUrl, stop: () => Promise.resolve() };
    }
    progress.note(`starting server "${name}"`);
    const server: BenchServer = await startServer(cliPath, { env, nodeArgs: options.serverNodeArgs, readyTimeoutMs: options.serverReadyTimeout * 1000 });
    const variant: VariantRecord = { name, env: { ...env } };
    variants.push(variant);
    const idle = options.memory ? await readMemory(server) : null;
    const target: LiveTarget = {
      url: server.url, apiKey: server.apiKey, adminUrl: server.adminUrl, pid: server.pid, variant,
      stop: async () => {
        if (variant.memory !== undefined) variant.memory = { ...variant.memory, end: await readMemory(server) };
        await server.stop();
      },
    };
    if (options.warmup > 0) {
      progress.note(`warming server "${name}"`);
      const warm = options.scenarios.includes('mixed') ? 'mixed' : (options.scenarios[0] ?? 'short');
      const s = scenario(warm);
      if (s.transport === 'stream') await closedLoopStream(target, s, counter, 4, options.warmup);
      else await closedLoopHttp(target, s, counter, 4, options.warmup, options.timeout);
    }
    if (options.memory) {
      await waitIdle(target.adminUrl, options.timeout * 1000);
      variant.memory = { idle, warm: await readMemory(server), end: null };
    }
    return target;
  };

  // Raw single-row times measured in slices between the slices of the c=1 point (time-matched).
  let rawInterleaved: number[] | undefined;
  const measure = async (serverName: string, target: LiveTarget, name: ScenarioName, load: { concurrency: number } | { rate: number }, interleave?: RawSingleSession): Promise<PointRecord> => {
    const s = scenario(name);
    await waitIdle(target.adminUrl, options.timeout * 1000);
    const before = await scrape(target.adminUrl);
    const memory = options.memory ? await watchMemory(target) : undefined;
    const cpu = cpuWindow();
    let result: LoadResult;
    if (interleave !== undefined && 'concurrency' in load) {
      // Alternate raw and server slices so host speed drift hits both sides alike.
      const rounds = 4;
      const slice = options.duration / rounds;
      const parts: LoadResult[] = [];
      rawInterleaved = [];
      for (let r = 0; r < rounds; r++) {
        rawInterleaved.push(...(await interleave.measure(slice)));
        parts.push(await closedLoopHttp(target, s, counter, load.concurrency, slice, options.timeout));
      }
      result = mergeLoads(parts);
    } else if ('rate' in load) result = await openLoopHttp(target, s, counter, load.rate, options.duration, options.timeout);
    else if (s.transport === 'stream') {
      const depth = Math.max(1, Math.round(options.wsDepth));
      result = await closedLoopStream(target, s, counter, Math.max(1, Math.round(load.concurrency / depth)), options.duration, depth);
    } else result = await closedLoopHttp(target, s, counter, load.concurrency, options.duration, options.timeout);
    const after = await scrape(target.adminUrl);
    const view = before !== undefined && after !== undefined ? serverView(before, after, result.seconds) : undefined;
    const record = pointRecord(serverName, name, s.transport, result, view, cpu.finish(view?.serverCpuSeconds ?? Number.NaN));
    if (memory !== undefined) record.memory = await memory.finish();
    points.push(record);
    const loadLabel = 'rate' in load ? `${load.rate.toFixed(1)}/s open` : `c=${load.concurrency}`;
    const foreign = record.foreignCpuCores > 0.25 ? `  WARNING other processes used ${record.foreignCpuCores.toFixed(2)} cores` : '';
    progress.step(`${serverName} ${name} ${loadLabel}`, `${describeLoad(result)}${view ? `  batch ${view.meanBatchRows.toFixed(2)} rows  queue p99 ${view.queueWaitP99Ms.toFixed(1)} ms` : ''}${foreign}`);
    return record;
  };

  // Our server and the peers at one concurrency, in interleaved rounds: each round gives every
  // server duration/rounds seconds with the same request bodies (the same request numbers), and
  // who goes first rotates, so host drift and one side's leftovers hit all sides alike.
  const parity = new Map<string, ParityResult>();
  const measureRounds = async (serverName: string, target: LiveTarget, name: ScenarioName, concurrency: number): Promise<PointRecord> => {
    const s = scenario(name);
    const wait = options.timeout * 1000;
    const sides = [
      { name: serverName, target: target as Target, idle: () => waitIdle(target.adminUrl, wait) },
      ...options.peers.map((peer) => ({ name: peer.name, target: { url: peer.url, apiKey: undefined }, idle: () => waitPeerIdle(peer.url, wait) })),
    ];
    await waitIdle(target.adminUrl, wait);
    const before = await scrape(target.adminUrl);
    const memory = options.memory ? await watchMemory(target) : undefined;
    const parts = await interleavedRounds(sides, s, counter, { concurrency, seconds: options.duration, rounds: options.peerRounds, timeout: options.timeout });
    const after = await scrape(target.adminUrl);
    let ours: PointRecord | undefined;
    sides.forEach((side, i) => {
      const result = mergeLoads(parts[i] ?? []);
      const view = i === 0 && before !== undefined && after !== undefined ? serverView(before, after, result.seconds) : undefined;
      // Other CPU is not measured here: the other sides of the round run on the same machine.
      const record = pointRecord(side.name, name, s.transport, result, view, { foreignCpuCores: Number.NaN, benchCpuCores: Number.NaN });
      points.push(record);
      if (i === 0) ours = record;
      progress.step(`${side.name} ${name} c=${concurrency} (${options.peerRounds} rounds)`, describeLoad(result));
    });
    if (ours === undefined) throw new Error('no point for our server: this is a bug');
    if (memory !== undefined) ours.memory = await memory.finish();
    return ours;
  };

  // ---- Default server: the sweep and the open-loop rates.
  const gainScenario = options.rawScenario;
  let batchedGainPoint: PointRecord | undefined;
  {
    const target = await start('default', baseEnv);
    try {
      const withPeers = options.peers.length > 0 && options.scenarios.includes(options.peerScenario);
      for (const peer of withPeers && options.peerCheck > 0 ? options.peers : []) {
        progress.note(`peer "${peer.name}": checking that it finds the same entities (${options.peerCheck} requests)`);
        const result = await checkParity(target, { url: peer.url, apiKey: undefined }, scenario(options.peerScenario), options.peerCheck);
        parity.set(peer.name, result);
        if (!result.passed) {
          const first = result.firstMismatch;
          throw new BenchError(`peer "${peer.name}" does not find the same entities as the server on ${result.asciiTexts - result.asciiSame} of ${result.asciiTexts} ASCII-only texts${first ? ` (request ${first.k}: ours [${first.ours}], peer [${first.peer}])` : ''}; it is not timed`);
        }
      }
      for (const name of options.scenarios) {
        for (const concurrency of options.concurrency) {
          if (withPeers && name === options.peerScenario) {
            const p = await measureRounds(ownServer ? 'default' : 'url', target, name, concurrency);
            if (name === gainScenario && concurrency === options.gainConcurrency) batchedGainPoint = p;
            continue;
          }
          let session: RawSingleSession | undefined;
          if (rawSession !== undefined && name === options.rawScenario && concurrency === 1 && scenario(name).transport !== 'stream') {
            progress.note('opening a raw session for the interleaved c=1 comparison');
            session = await rawSession();
          }
          let p: PointRecord;
          try {
            p = await measure(ownServer ? 'default' : 'url', target, name, { concurrency }, session);
          } finally {
            await session?.close();
          }
          if (name === gainScenario && concurrency === options.gainConcurrency) batchedGainPoint = p;
        }
      }
      for (const name of rateScenarios) {
        const peak = Math.max(0, ...points.filter((p) => p.scenario === name && p.mode === 'closed').map((p) => p.throughputRps));
        const rates = options.rates === 'auto' ? (peak > 0 ? options.autoRateFractions.map((f) => f * peak) : []) : options.rates;
        for (const rate of rates) await measure(ownServer ? 'default' : 'url', target, name, { rate });
      }
      if (options.batchingGain && ownServer && batchedGainPoint === undefined) {
        batchedGainPoint = await measure('default', target, gainScenario, { concurrency: options.gainConcurrency });
      }
    } finally {
      await target.stop();
    }
  }

  // ---- Variants: the raw scenario at a few concurrencies, each on a fresh server.
  for (const variant of options.compare) {
    if (!ownServer) {
      progress.note(`--compare ${variant.name} skipped: needs a server the bench starts`);
      continue;
    }
    const target = await start(variant.name, { ...baseEnv, ...variant.env });
    try {
      for (const concurrency of options.compareConcurrency) await measure(variant.name, target, options.rawScenario, { concurrency });
    } finally {
      await target.stop();
    }
  }

  // ---- Batching gain: the same scenario and concurrency with MAX_BATCH_ROWS=1.
  let unbatchedPoint: PointRecord | undefined;
  if (options.batchingGain) {
    if (!ownServer) progress.note('--batching-gain skipped: needs a server the bench starts (restarted with MAX_BATCH_ROWS=1)');
    else {
      const target = await start('unbatched', { ...baseEnv, MAX_BATCH_ROWS: '1' });
      try {
        unbatchedPoint = await measure('unbatched', target, gainScenario, { concurrency: options.gainConcurrency });
      } finally {
        await target.stop();
      }
    }
  }
  // ---- The single-row latency once more, now that the servers are gone: drift check.
  let rawSingleAfter: LatencySummary | undefined;
  if (rawAgain !== undefined) {
    progress.note('raw single row again (drift check)');
    rawSingleAfter = await rawAgain();
  }
  progress.stop();

  // ---- Summary.
  const summary = headline({
    points,
    mainServer: ownServer ? 'default' : 'url',
    rawScenario: options.rawScenario,
    raw,
    interleaved: rawInterleaved !== undefined && rawInterleaved.length > 0 ? summarize(rawInterleaved) : undefined,
    rawSingleAfter,
    gain: { scenario: gainScenario, concurrency: options.gainConcurrency, batched: batchedGainPoint, unbatched: unbatchedPoint },
  });
  const oursName = ownServer ? 'default' : 'url';
  if (points.length > 0 && points.filter((p) => p.server === oursName).every((p) => p.ok === 0)) {
    throw new BenchError(`no request to ${ownServer ? 'the server' : options.url} succeeded (errors: ${JSON.stringify(points[0]?.errors ?? {})}); nothing to report`);
  }
  const peers: PeerRecord[] = options.peers.map((peer) => ({
    name: peer.name,
    url: peer.url,
    parity: parity.get(peer.name) ?? null,
    comparisons: comparePeer(points, oursName, peer.name),
  }));
  const checks = options.check === undefined ? [] : evaluate(summary, loadThresholds(options.check === 'default' ? path.join(PACKAGE_ROOT, 'bench', 'thresholds.json') : options.check));
  const cpus = os.cpus();
  return {
    version: 1,
    startedAt: startedAt.toISOString(),
    durationSeconds: (performance.now() - t0) / 1000,
    command: commandLine,
    machine: { cpus: os.availableParallelism(), cpuModel: cpus[0]?.model.trim() ?? 'unknown', memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.versions.node, platform: `${process.platform}-${process.arch}` },
    target: { url: options.url ?? null, ownServer, model: config.model },
    serverEnv: baseEnv,
    threads: {
      workers: threads.workers,
      intraOpThreads: threads.intraOpThreads,
      soloThreads: threads.soloThreads,
      note: 'The server runs WORKERS ONNX Runtime sessions (one per worker thread) of INTRA_OP_THREADS threads each, INTER_OP_THREADS sequential, plus the solo session of soloThreads threads (0 = none) for a lone row; the raw ceiling uses the same resolved numbers (resolveThreads from src/pool/pool.ts), and the raw single row the solo session\'s settings when there is one.',
    },
    scenarios: options.scenarios,
    corpus: `${corpus.sentences.length} sentences from ${corpus.source}`,
    ...summary,
    raw,
    variants,
    peers,
    points,
    checks,
  };
}
