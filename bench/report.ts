// What a run produces: one JSON document (BenchReport) and its parts. markdown.ts renders it as
// tables, svg.ts as a chart of latency against throughput over the concurrency sweep.
import type { LoadResult } from './load.js';
import type { PeerRecord } from './peers.js';
import type { ServerView } from './prom.js';
import type { RawResult } from './raw.js';
import type { PointMemory, ServerMemory } from './server-memory.js';

export interface PointRecord {
  /** Which server: "default", a --compare variant name, "unbatched", or "url". */
  readonly server: string;
  readonly scenario: string;
  readonly transport: string;
  readonly mode: 'closed' | 'open';
  readonly concurrency?: number;
  readonly rate?: number;
  readonly seconds: number;
  readonly responses: number;
  readonly ok: number;
  readonly throughputRps: number;
  readonly textsPerSecond: number;
  /** Model rows per second, from the server's gliner_rows_processed_total (NaN without /metrics). */
  readonly rowsPerSecond: number;
  readonly latencyMs: { readonly mean: number; readonly p50: number; readonly p90: number; readonly p99: number; readonly max: number };
  readonly errors: Readonly<Record<string, number>>;
  readonly errors5xx: number;
  readonly serverQueueHeaderMs?: number;
  readonly serverTotalHeaderMs?: number;
  readonly windowMessages?: number;
  /** CPU cores used by other processes on the machine during the point (NaN off Linux). */
  readonly foreignCpuCores: number;
  /** CPU cores the bench process (load generator) used. */
  readonly benchCpuCores: number;
  /** The server's own view from /metrics, diffed around the point. */
  readonly serverMetrics?: ServerView;
  /** The server's memory before, during (peak RSS) and after the point (`--no-memory`: absent). */
  memory?: PointMemory;
}

export interface CheckResult {
  readonly name: string;
  readonly description: string;
  readonly value: number | null;
  readonly budget: number;
  readonly status: 'pass' | 'fail' | 'skipped';
  readonly note?: string;
}

export interface VariantRecord {
  readonly name: string;
  readonly env: Readonly<Record<string, string>>;
  /** The server's memory idle (ready), warm (after the warm-up) and at the end (`--no-memory`: absent). */
  memory?: ServerMemory;
}

export interface BenchReport {
  readonly version: 1;
  readonly startedAt: string;
  readonly durationSeconds: number;
  readonly command: string;
  readonly machine: { readonly cpus: number; readonly cpuModel: string; readonly memoryGiB: number; readonly node: string; readonly platform: string };
  readonly target: { readonly url: string | null; readonly ownServer: boolean; readonly model: string };
  /** Server settings of the default run (the environment the bench started it with). */
  readonly serverEnv: Readonly<Record<string, string>>;
  readonly threads: { readonly workers: number; readonly intraOpThreads: number; readonly soloThreads: number; readonly note: string };
  readonly scenarios: readonly string[];
  readonly corpus: string;
  /** Raw ceiling (requests/s of the raw scenario at the best batch size); null without --raw. */
  readonly rawCeilingRps: number | null;
  readonly rawCeilingRowsPerSecond: number | null;
  readonly rawBestBatchSize: number | null;
  /** Median time of one row alone through OnnxRunner.run (ms), mean of the before/after measurements; null without --raw. */
  readonly rawSingleRowMs: number | null;
  /** p99 of the same single-row times (the inputs' own tail), before/after mean. */
  readonly rawSingleRowP99Ms: number | null;
  /** Median of the raw single-row times measured in slices alternating with the server's c=1 point. */
  readonly rawSingleRowInterleavedMs: number | null;
  /** The single-row median measured before the servers ran, and again after them (drift check). */
  readonly rawSingleRowBeforeMs: number | null;
  readonly rawSingleRowAfterMs: number | null;
  readonly rawScenario: string;
  /** Best closed-loop throughput of the raw scenario on the default server. */
  readonly serverPeakRps: number | null;
  readonly serverPeakConcurrency: number | null;
  readonly serverToRawRatio: number | null;
  readonly batchingGain: number | null;
  readonly batchingGainDetail: { readonly scenario: string; readonly concurrency: number; readonly batchedRps: number; readonly unbatchedRps: number; readonly batchedP99Ms: number; readonly unbatchedP99Ms: number } | null;
  readonly p50AtConcurrency1Ms: number | null;
  readonly p99AtConcurrency1Ms: number | null;
  readonly raw: RawResult | null;
  readonly variants: readonly VariantRecord[];
  /** Other servers driven in interleaved rounds (`--peer`), with their parity check and our ratios. */
  readonly peers: readonly PeerRecord[];
  readonly points: readonly PointRecord[];
  readonly checks: readonly CheckResult[];
}

export function pointRecord(server: string, scenario: string, transport: string, result: LoadResult, view: ServerView | undefined, cpu: { foreignCpuCores: number; benchCpuCores: number }): PointRecord {
  const errors5xx = Object.entries(result.errors).reduce((sum, [key, n]) => sum + (/^5\d\d$/.test(key) ? n : 0), 0);
  return {
    server,
    scenario,
    transport,
    mode: result.mode,
    ...(result.concurrency === undefined ? {} : { concurrency: result.concurrency }),
    ...(result.rate === undefined ? {} : { rate: result.rate }),
    seconds: result.seconds,
    responses: result.responses,
    ok: result.ok,
    throughputRps: result.throughputRps,
    textsPerSecond: result.okTexts / result.seconds,
    rowsPerSecond: view === undefined ? Number.NaN : view.rows / result.seconds,
    latencyMs: { mean: result.latency.mean, p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max },
    errors: result.errors,
    errors5xx,
    foreignCpuCores: cpu.foreignCpuCores,
    benchCpuCores: cpu.benchCpuCores,
    ...(result.serverQueueMs === undefined ? {} : { serverQueueHeaderMs: result.serverQueueMs }),
    ...(result.serverTotalMs === undefined ? {} : { serverTotalHeaderMs: result.serverTotalMs }),
    ...(result.windowMessages === undefined ? {} : { windowMessages: result.windowMessages }),
    ...(view === undefined ? {} : { serverMetrics: view }),
  };
}
