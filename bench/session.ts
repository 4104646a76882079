// One bench run's working state and its measuring steps: the scenarios (made once each), the
// servers it starts and warms, a point measured against one server (closed loop, open loop, the
// WebSocket driver, or interleaved with raw single-row slices), and a point measured in rounds
// against our server and the peers together. run.ts strings these into the run's phases.
import type { BenchOptions } from './options.js';
import type { Corpus } from './corpus.js';
import { scrape, waitIdle } from './idle.js';
import { closedLoopHttp, closedLoopStream, mergeLoads, openLoopHttp, RequestCounter, type LoadResult, type Target } from './load.js';
import { cpuWindow } from './machine.js';
import { interleavedRounds, waitPeerIdle, type ParityResult } from './peers.js';
import type { Progress } from './progress.js';
import { serverView } from './prom.js';
import type { RawSingleSession } from './raw.js';
import { pointRecord, type PointRecord, type VariantRecord } from './report.js';
import { makeScenario, type Scenario, type ScenarioName } from './scenarios.js';
import { startServer, type BenchServer } from './server.js';
import { readMemory, watchMemory } from './server-memory.js';

export interface LiveTarget extends Target {
  readonly adminUrl: string | undefined;
  readonly pid?: number | undefined;
  stop(): Promise<void>;
}

export type Load = { readonly concurrency: number } | { readonly rate: number };

export function describeLoad(result: LoadResult): string {
  const errors = Object.entries(result.errors).map(([k, n]) => `${k}:${n}`).join(' ');
  return `${result.throughputRps.toFixed(1)} req/s  p50 ${result.latency.p50.toFixed(1)} ms  p99 ${result.latency.p99.toFixed(1)} ms${errors ? `  errors ${errors}` : ''}`;
}

export class BenchSession {
  readonly points: PointRecord[] = [];
  readonly variants: VariantRecord[] = [];
  readonly parity = new Map<string, ParityResult>();
  /** Raw single-row times measured in slices between the slices of the c=1 point (time-matched). */
  rawInterleaved: number[] | undefined;
  private readonly scenarios = new Map<ScenarioName, Scenario>();
  private readonly counter = new RequestCounter();

  constructor(
    readonly options: BenchOptions,
    readonly progress: Progress,
    private readonly corpus: Corpus,
    private readonly cliPath: string,
  ) {}

  /** The bench drives its own servers (no --url). */
  get ownServer(): boolean {
    return this.options.url === undefined;
  }

  /** Our server's name in the points: "default", or "url" for a server given by --url. */
  get mainServer(): string {
    return this.ownServer ? 'default' : 'url';
  }

  scenario(name: ScenarioName): Scenario {
    let s = this.scenarios.get(name);
    if (s === undefined) {
      const { longWords, seed, repeatShare } = this.options;
      s = makeScenario(name, this.corpus, { longWords, batchTexts: 8, seed, repeatShare });
      this.scenarios.set(name, s);
    }
    return s;
  }

  /** A server to measure: one the bench starts (and warms) with `env`, or the --url one. */
  async start(name: string, env: Readonly<Record<string, string>>): Promise<LiveTarget> {
    const { options, progress } = this;
    if (!this.ownServer) return { url: options.url ?? '', apiKey: options.apiKey, adminUrl: options.adminUrl, stop: () => Promise.resolve() };
    progress.note(`starting server "${name}"`);
    const server: BenchServer = await startServer(this.cliPath, { env, nodeArgs: options.serverNodeArgs, readyTimeoutMs: options.serverReadyTimeout * 1000 });
    const variant: VariantRecord = { name, env: { ...env } };
    this.variants.push(variant);
    const idle = options.memory ? await readMemory(server) : null;
    const target: LiveTarget = {
      url: server.url, apiKey: server.apiKey, adminUrl: server.adminUrl, pid: server.pid,
      stop: async () => {
        if (variant.memory !== undefined) variant.memory = { ...variant.memory, end: await readMemory(server) };
        await server.stop();
      },
    };
    if (options.warmup > 0) {
      progress.note(`warming server "${name}"`);
      const warm = options.scenarios.includes('mixed') ? 'mixed' : (options.scenarios[0] ?? 'short');
      const s = this.scenario(warm);
      if (s.transport === 'stream') await closedLoopStream(target, s, this.counter, 4, options.warmup);
      else await closedLoopHttp(target, s, this.counter, 4, options.warmup, options.timeout);
    }
    if (options.memory) {
      await waitIdle(target.adminUrl, options.timeout * 1000);
      variant.memory = { idle, warm: await readMemory(server), end: null };
    }
    return target;
  }

  /** One point against one server; with `interleave` (c=1), raw single-row slices alternate with the server's. */
  async measure(serverName: string, target: LiveTarget, name: ScenarioName, load: Load, interleave?: RawSingleSession): Promise<PointRecord> {
    const { options } = this;
    const s = this.scenario(name);
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
      this.rawInterleaved = [];
      for (let r = 0; r < rounds; r++) {
        this.rawInterleaved.push(...(await interleave.measure(slice)));
        parts.push(await closedLoopHttp(target, s, this.counter, load.concurrency, slice, options.timeout));
      }
      result = mergeLoads(parts);
    } else if ('rate' in load) result = await openLoopHttp(target, s, this.counter, load.rate, options.duration, options.timeout);
    else if (s.transport === 'stream') {
      const depth = Math.max(1, Math.round(options.wsDepth));
      result = await closedLoopStream(target, s, this.counter, Math.max(1, Math.round(load.concurrency / depth)), options.duration, depth);
    } else result = await closedLoopHttp(target, s, this.counter, load.concurrency, options.duration, options.timeout);
    const after = await scrape(target.adminUrl);
    const view = before !== undefined && after !== undefined ? serverView(before, after, result.seconds) : undefined;
    const record = pointRecord(serverName, name, s.transport, result, view, cpu.finish(view?.serverCpuSeconds ?? Number.NaN));
    if (memory !== undefined) record.memory = await memory.finish();
    this.points.push(record);
    const loadLabel = 'rate' in load ? `${load.rate.toFixed(1)}/s open` : `c=${load.concurrency}`;
    const foreign = record.foreignCpuCores > 0.25 ? `  WARNING other processes used ${record.foreignCpuCores.toFixed(2)} cores` : '';
    this.progress.step(`${serverName} ${name} ${loadLabel}`, `${describeLoad(result)}${view ? `  batch ${view.meanBatchRows.toFixed(2)} rows  queue p99 ${view.queueWaitP99Ms.toFixed(1)} ms` : ''}${foreign}`);
    return record;
  }

  /**
   * Our server and the peers at one concurrency, in interleaved rounds: each round gives every
   * server duration/rounds seconds with the same request bodies (the same request numbers), and
   * who goes first rotates, so host drift and one side's leftovers hit all sides alike.
   */
  async measureRounds(serverName: string, target: LiveTarget, name: ScenarioName, concurrency: number): Promise<PointRecord> {
    const { options } = this;
    const s = this.scenario(name);
    const wait = options.timeout * 1000;
    const sides = [
      { name: serverName, target: target as Target, idle: () => waitIdle(target.adminUrl, wait) },
      ...options.peers.map((peer) => ({ name: peer.name, target: { url: peer.url, apiKey: undefined }, idle: () => waitPeerIdle(peer.url, wait) })),
    ];
    await waitIdle(target.adminUrl, wait);
    const before = await scrape(target.adminUrl);
    const memory = options.memory ? await watchMemory(target) : undefined;
    const parts = await interleavedRounds(sides, s, this.counter, { concurrency, seconds: options.duration, rounds: options.peerRounds, timeout: options.timeout });
    const after = await scrape(target.adminUrl);
    let ours: PointRecord | undefined;
    sides.forEach((side, i) => {
      const result = mergeLoads(parts[i] ?? []);
      const view = i === 0 && before !== undefined && after !== undefined ? serverView(before, after, result.seconds) : undefined;
      // Other CPU is not measured here: the other sides of the round run on the same machine.
      const record = pointRecord(side.name, name, s.transport, result, view, { foreignCpuCores: Number.NaN, benchCpuCores: Number.NaN });
      this.points.push(record);
      if (i === 0) ours = record;
      this.progress.step(`${side.name} ${name} c=${concurrency} (${options.peerRounds} rounds)`, describeLoad(result));
    });
    if (ours === undefined) throw new Error('no point for our server: this is a bug');
    if (memory !== undefined) ours.memory = await memory.finish();
    return ours;
  }
}
