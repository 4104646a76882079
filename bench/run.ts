// The benchmark run: raw ceiling first (nothing else running), then each server configuration in
// turn — started, warmed, swept, stopped — and finally the summary figures and budget checks.
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadConfig } from '../src/config/load.js';
import type { Config } from '../src/config/schema.js';
import { planLimits } from '../src/inference-stack.js';
import { readModelDir } from '../src/model/files.js';
import { resolveModel } from '../src/model/store.js';
import { PACKAGE_ROOT } from '../src/paths.js';
import { resolveThreads } from '../src/pool/pool.js';
import { defaultDatasetsDir, loadCorpus } from './corpus.js';
import { cpuWindow } from './machine.js';
import { closedLoopHttp, closedLoopStream, mergeLoads, openLoopHttp, RequestCounter, type LoadResult, type Target } from './load.js';
import type { BenchOptions } from './options.js';
import { createProgress, type Progress } from './progress.js';
import { parseProm, serverView, total, type Scrape } from './prom.js';
import { openRawSingle, rawSingleRow, runRaw, type RawResult, type RawSingleSession } from './raw.js';
import { pointRecord, type BenchReport, type PointRecord, type VariantRecord } from './report.js';
import { makeScenario, type Scenario, type ScenarioName } from './scenarios.js';
import { summarize, type LatencySummary } from './stats.js';
import { startServer, type BenchServer } from './server.js';
import { evaluate, loadThresholds } from './thresholds.js';

interface LiveTarget extends Target {
  readonly adminUrl: string | undefined;
  stop(): Promise<void>;
}

async function scrape(adminUrl: string | undefined): Promise<Scrape | undefined> {
  if (adminUrl === undefined) return undefined;
  try {
    const response = await fetch(`${adminUrl}/metrics`, { signal: AbortSignal.timeout(10_000) });
    if (response.status !== 200) return undefined;
    return parseProm(await response.text());
  } catch {
    return undefined;
  }
}

/**
 * Wait until the server is idle — nothing queued, nothing in flight, and its CPU quiet (a batch a
 * worker is still running for requests the load generator abandoned shows only as CPU) — so one
 * point's leftovers do not run into the next point's window.
 */
async function waitIdle(adminUrl: string | undefined, timeoutMs: number): Promise<void> {
  if (adminUrl === undefined) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    return;
  }
  const deadline = Date.now() + timeoutMs;
  let emptySince: number | undefined;
  let last: { at: number; cpu: number } | undefined;
  while (Date.now() < deadline) {
    const now = await scrape(adminUrl);
    if (now === undefined) return;
    const at = performance.now();
    const cpu = total(now, 'process_cpu_seconds_total');
    const cpuCores = last === undefined ? Infinity : (cpu - last.cpu) / ((at - last.at) / 1000);
    last = { at, cpu };
    // The scrape itself is one request in flight. Requests that were abandoned may stay counted
    // until their rows finish, so an empty queue for a few seconds also does.
    const empty = total(now, 'gliner_queue_depth_rows') === 0;
    emptySince = empty ? (emptySince ?? Date.now()) : undefined;
    const quiet = total(now, 'gliner_http_requests_in_flight') <= 1 || Date.now() - (emptySince ?? Date.now()) > 3000;
    if (empty && quiet && cpuCores < 0.3) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
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
  const corpus = loadCorpus(options.datasets ?? defaultDatasetsDir(PACKAGE_ROOT), options.seed);
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
    workers: config.workers, intraOpThreads: config.intraOpThreads, executionProvider: config.executionProvider,
    modelDir: '', quantization: config.modelQuantization, cudaFallback: config.cudaFallback, cudaDeviceId: config.cudaDeviceId,
    interOpThreads: config.interOpThreads, graphOptimization: config.graphOptimization, intraOpSpinning: config.intraOpSpinning,
  });

  // Planned steps, for the progress bar.
  const sweepPoints = options.scenarios.length * options.concurrency.length;
  const ratePoints = options.rates === 'auto' ? options.autoRateFractions.length : options.rates.length;
  const rateScenarios = options.rateScenarios.filter((s) => options.scenarios.includes(s));
  progress.plan(
    (options.raw ? options.rawBatchSizes.length + 1 : 0) + sweepPoints + ratePoints * rateScenarios.length +
    options.compare.length * options.compareConcurrency.length + (options.batchingGain && ownServer ? 1 : 0),
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
    const runner = {
      modelDir: resolved.dir, quantization: config.modelQuantization, executionProvider: config.executionProvider,
      cudaFallback: config.cudaFallback, cudaDeviceId: config.cudaDeviceId, intraOpThreads: threads.intraOpThreads,
      interOpThreads: config.interOpThreads, graphOptimization: config.graphOptimization, intraOpSpinning: config.intraOpSpinning,
    } as const;
    const limits = planLimits(config, files.config);
    rawSession = () => openRawSingle(scenario(options.rawScenario), { runner, limits, requests: 2048 });
    rawAgain = () => rawSingleRow(scenario(options.rawScenario), { runner, limits, seconds: options.rawSeconds, singleRows: 200, requests: 2048 });
    raw = await runRaw(scenario(options.rawScenario), {
      runner,
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
    variants.push({ name, env: { ...env } });
    const target: LiveTarget = { url: server.url, apiKey: server.apiKey, adminUrl: server.adminUrl, stop: () => server.stop() };
    if (options.warmup > 0) {
      progress.note(`warming server "${name}"`);
      const warm = options.scenarios.includes('mixed') ? 'mixed' : (options.scenarios[0] ?? 'short');
      const s = scenario(warm);
      if (s.transport === 'stream') await closedLoopStream(target, s, counter, 4, options.warmup);
      else await closedLoopHttp(target, s, counter, 4, options.warmup, options.timeout);
    }
    return target;
  };

  // Raw single-row times measured in slices between the slices of the c=1 point (time-matched).
  let rawInterleaved: number[] | undefined;
  const measure = async (serverName: string, target: LiveTarget, name: ScenarioName, load: { concurrency: number } | { rate: number }, interleave?: RawSingleSession): Promise<PointRecord> => {
    const s = scenario(name);
    await waitIdle(target.adminUrl, options.timeout * 1000);
    const before = await scrape(target.adminUrl);
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
    points.push(record);
    const loadLabel = 'rate' in load ? `${load.rate.toFixed(1)}/s open` : `c=${load.concurrency}`;
    const foreign = record.foreignCpuCores > 0.25 ? `  WARNING other processes used ${record.foreignCpuCores.toFixed(2)} cores` : '';
    progress.step(`${serverName} ${name} ${loadLabel}`, `${describeLoad(result)}${view ? `  batch ${view.meanBatchRows.toFixed(2)} rows  queue p99 ${view.queueWaitP99Ms.toFixed(1)} ms` : ''}${foreign}`);
    return record;
  };

  // ---- Default server: the sweep and the open-loop rates.
  const gainScenario = options.rawScenario;
  let batchedGainPoint: PointRecord | undefined;
  {
    const target = await start('default', baseEnv);
    try {
      for (const name of options.scenarios) {
        for (const concurrency of options.concurrency) {
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
  const interleaved = rawInterleaved !== undefined && rawInterleaved.length > 0 ? summarize(rawInterleaved) : undefined;
  const mainServer = ownServer ? 'default' : 'url';
  const rawPoints = points.filter((p) => p.server === mainServer && p.scenario === options.rawScenario && p.mode === 'closed');
  const peak = rawPoints.reduce<PointRecord | undefined>((a, b) => (a === undefined || b.throughputRps > a.throughputRps ? b : a), undefined);
  const c1 = rawPoints.find((p) => p.concurrency === 1);
  const rawCeilingRps = raw?.best.requestsPerSecond ?? null;
  const serverPeakRps = peak?.throughputRps ?? null;
  const batchingGain = batchedGainPoint !== undefined && unbatchedPoint !== undefined && unbatchedPoint.throughputRps > 0 ? batchedGainPoint.throughputRps / unbatchedPoint.throughputRps : null;
  const summary = {
    rawCeilingRps,
    rawCeilingRowsPerSecond: raw?.best.rowsPerSecond ?? null,
    rawBestBatchSize: raw?.best.batchSize ?? null,
    // Before and after the server runs, averaged: a host whose speed drifts during the run moves both.
    // Preferably the raw times measured interleaved with the server's c=1 point; else the mean of
    // the measurements before and after the server runs.
    rawSingleRowMs: raw === null ? null : interleaved !== undefined ? interleaved.p50 : rawSingleAfter === undefined || !Number.isFinite(rawSingleAfter.p50) ? raw.singleRow.p50 : (raw.singleRow.p50 + rawSingleAfter.p50) / 2,
    rawSingleRowP99Ms: raw === null ? null : interleaved !== undefined ? interleaved.p99 : rawSingleAfter === undefined || !Number.isFinite(rawSingleAfter.p99) ? raw.singleRow.p99 : (raw.singleRow.p99 + rawSingleAfter.p99) / 2,
    rawSingleRowInterleavedMs: interleaved?.p50 ?? null,
    rawSingleRowBeforeMs: raw?.singleRow.p50 ?? null,
    rawSingleRowAfterMs: rawSingleAfter?.p50 ?? null,
    rawScenario: options.rawScenario,
    serverPeakRps,
    serverPeakConcurrency: peak?.concurrency ?? null,
    serverToRawRatio: rawCeilingRps !== null && serverPeakRps !== null && rawCeilingRps > 0 ? serverPeakRps / rawCeilingRps : null,
    batchingGain,
    batchingGainDetail:
      batchedGainPoint !== undefined && unbatchedPoint !== undefined
        ? { scenario: gainScenario, concurrency: options.gainConcurrency, batchedRps: batchedGainPoint.throughputRps, unbatchedRps: unbatchedPoint.throughputRps, batchedP99Ms: batchedGainPoint.latencyMs.p99, unbatchedP99Ms: unbatchedPoint.latencyMs.p99 }
        : null,
    p50AtConcurrency1Ms: c1?.latencyMs.p50 ?? null,
    p99AtConcurrency1Ms: c1?.latencyMs.p99 ?? null,
  };
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
      note: 'The server runs WORKERS ONNX Runtime sessions (one per worker thread) of INTRA_OP_THREADS threads each, INTER_OP_THREADS sequential; the raw ceiling uses the same resolved numbers (resolveThreads from src/pool/pool.ts).',
    },
    scenarios: options.scenarios,
    corpus: `${corpus.sentences.length} sentences from ${corpus.source}`,
    ...summary,
    raw,
    variants,
    points,
    checks,
  };
}
