// The headline figures of a run, from its points and raw measurements: the raw ceiling, the server's
// peak and its ratio to the ceiling, the raw single-row latency, the batching gain and the c=1
// latencies (what --check evaluates and the report puts first).
import type { RawResult } from './raw.js';
import type { PointRecord } from './report.js';
import type { LatencySummary } from './stats.js';

export interface HeadlineInput {
  readonly points: readonly PointRecord[];
  /** Our server's name in the points ("default", or "url" with --url). */
  readonly mainServer: string;
  readonly rawScenario: string;
  readonly raw: RawResult | null;
  /** Raw single-row times measured in slices alternating with the server's c=1 point. */
  readonly interleaved: LatencySummary | undefined;
  /** The raw single-row times measured again after the servers ran. */
  readonly rawSingleAfter: LatencySummary | undefined;
  readonly gain: { readonly scenario: string; readonly concurrency: number; readonly batched: PointRecord | undefined; readonly unbatched: PointRecord | undefined };
}

export function headline(input: HeadlineInput) {
  const { points, mainServer, rawScenario, raw, interleaved, rawSingleAfter, gain } = input;
  const { batched, unbatched } = gain;
  const rawPoints = points.filter((p) => p.server === mainServer && p.scenario === rawScenario && p.mode === 'closed');
  const peak = rawPoints.reduce<PointRecord | undefined>((a, b) => (a === undefined || b.throughputRps > a.throughputRps ? b : a), undefined);
  const c1 = rawPoints.find((p) => p.concurrency === 1);
  const rawCeilingRps = raw?.best.requestsPerSecond ?? null;
  const serverPeakRps = peak?.throughputRps ?? null;
  const batchingGain = batched !== undefined && unbatched !== undefined && unbatched.throughputRps > 0 ? batched.throughputRps / unbatched.throughputRps : null;
  return {
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
    rawScenario,
    serverPeakRps,
    serverPeakConcurrency: peak?.concurrency ?? null,
    serverToRawRatio: rawCeilingRps !== null && serverPeakRps !== null && rawCeilingRps > 0 ? serverPeakRps / rawCeilingRps : null,
    batchingGain,
    batchingGainDetail:
      batched !== undefined && unbatched !== undefined
        ? { scenario: gain.scenario, concurrency: gain.concurrency, batchedRps: batched.throughputRps, unbatchedRps: unbatched.throughputRps, batchedP99Ms: batched.latencyMs.p99, unbatchedP99Ms: unbatched.latencyMs.p99 }
        : null,
    p50AtConcurrency1Ms: c1?.latencyMs.p50 ?? null,
    p99AtConcurrency1Ms: c1?.latencyMs.p99 ?? null,
  };
}
