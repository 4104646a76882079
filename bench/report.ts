// What a run produces: one JSON document (BenchReport), a markdown rendering of it, and an SVG
// chart of latency against throughput over the concurrency sweep.
import type { LoadResult } from './load.js';
import type { PeerRecord } from './peers.js';
import type { ServerView } from './prom.js';
import type { RawResult } from './raw.js';
import { memorySection, type PointMemory, type ServerMemory } from './server-memory.js';
import { round } from './stats.js';

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

const fmt = (value: number | null | undefined, digits?: number): string => {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  return digits === undefined ? String(round(value)) : value.toFixed(digits);
};

function errorsText(errors: Readonly<Record<string, number>>): string {
  const entries = Object.entries(errors).filter(([, n]) => n > 0);
  return entries.length === 0 ? '0' : entries.map(([k, n]) => `${k}:${n}`).join(' ');
}

export function pointLabel(p: PointRecord): string {
  return p.mode === 'closed' ? `c=${p.concurrency ?? '?'}` : `${fmt(p.rate)}/s`;
}

export function pointsTable(points: readonly PointRecord[]): string {
  const head = '| server | scenario | load | req/s | texts/s | rows/s | p50 ms | p90 ms | p99 ms | max ms | errors | mean batch rows | queue p50 ms | queue p99 ms | worker util | server CPU cores | bench CPU | other CPU |';
  const rule = '| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |';
  const rows = points.map((p) => {
    const s = p.server;
    return `| ${s} | ${p.scenario} | ${pointLabel(p)} | ${fmt(p.throughputRps)} | ${fmt(p.textsPerSecond)} | ${fmt(p.rowsPerSecond)} | ${fmt(p.latencyMs.p50)} | ${fmt(p.latencyMs.p90)} | ${fmt(p.latencyMs.p99)} | ${fmt(p.latencyMs.max)} | ${errorsText(p.errors)} | ${fmt(p.serverMetrics?.meanBatchRows)} | ${fmt(p.serverMetrics?.queueWaitP50Ms)} | ${fmt(p.serverMetrics?.queueWaitP99Ms)} | ${fmt(p.serverMetrics?.workerUtilization, 2)} | ${fmt(p.serverMetrics?.serverCpuCores, 2)} | ${fmt(p.benchCpuCores, 2)} | ${fmt(p.foreignCpuCores, 2)} |`;
  });
  return [head, rule, ...rows].join('\n');
}

export function rawTable(raw: RawResult): string {
  const head = '| batch size | rows/s | requests/s | ms per batch p50 | ms per batch p99 | ORT run() ms (mean) | other CPU |';
  const rule = '| ---: | ---: | ---: | ---: | ---: | ---: | ---: |';
  const rows = raw.points.map((p) => `| ${p.batchSize}${p.batchSize === raw.best.batchSize ? ' (best)' : ''} | ${fmt(p.rowsPerSecond)} | ${fmt(p.requestsPerSecond)} | ${fmt(p.batchMs.p50)} | ${fmt(p.batchMs.p99)} | ${fmt(p.meanInferenceMs)} | ${fmt(p.foreignCpuCores, 2)} |`);
  return [head, rule, ...rows].join('\n');
}

export function checksTable(checks: readonly CheckResult[]): string {
  const rows = checks.map((c) => `| ${c.name} | ${c.description} | ${fmt(c.value)} | ${c.budget} | ${c.status === 'pass' ? 'pass' : c.status === 'fail' ? '**FAIL**' : `skipped${c.note ? ` (${c.note})` : ''}`} |`);
  return ['| check | what | measured | budget | result |', '| --- | --- | ---: | ---: | --- |', ...rows].join('\n');
}

export function peersText(peers: readonly PeerRecord[]): string {
  const lines: string[] = [];
  for (const peer of peers) {
    const p = peer.parity;
    lines.push(p === null
      ? `- **${peer.name}** (${peer.url}): entities not compared (--peer-check 0)`
      : `- **${peer.name}** (${peer.url}): same entities on ${p.asciiSame}/${p.asciiTexts} ASCII-only texts (scores within ${p.maxScoreDiff.toExponential(1)}); ${p.nonAsciiSame}/${p.nonAsciiTexts} texts with non-ASCII characters agree (not required: the peer splits words with ASCII \\w and normalises them its own way)`);
  }
  lines.push('');
  // req/s counts successful answers only: the errors columns show what each side refused or failed.
  lines.push('| peer | scenario | load | ours req/s | peer req/s | req/s ratio | ours p99 ms | peer p99 ms | p99 ratio | ours errors | peer errors |');
  lines.push('| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |');
  for (const peer of peers) {
    for (const c of peer.comparisons) {
      lines.push(`| ${peer.name} | ${c.scenario} | c=${c.concurrency} | ${fmt(c.oursRps)} | ${fmt(c.peerRps)} | ${fmt(c.rpsRatio, 2)} | ${fmt(c.oursP99Ms)} | ${fmt(c.peerP99Ms)} | ${fmt(c.p99Ratio, 2)} | ${errorsText(c.oursErrors)} | ${errorsText(c.peerErrors)} |`);
    }
  }
  return lines.join('\n');
}

export function markdown(report: BenchReport): string {
  const lines: string[] = [];
  lines.push(`## gliner-serve bench — ${report.startedAt}`);
  lines.push('');
  lines.push(`Machine: ${report.machine.cpus} CPU cores (${report.machine.cpuModel}), ${report.machine.memoryGiB} GiB, Node ${report.machine.node}. Model: \`${report.target.model}\`. Target: ${report.target.ownServer ? 'server started by the bench' : report.target.url}. Threads: ${report.threads.workers} worker(s) × ${report.threads.intraOpThreads} intra-op thread(s)${report.threads.soloThreads > 0 ? `, solo session ${report.threads.soloThreads} thread(s)` : ''}. Inputs: ${report.corpus}.`);
  lines.push('');
  lines.push('| figure | value |');
  lines.push('| --- | ---: |');
  lines.push(`| raw ceiling (${report.rawScenario}, req/s, best batch ${report.rawBestBatchSize ?? '—'}) | ${fmt(report.rawCeilingRps)} |`);
  lines.push(`| raw single-row latency (ms; interleaved with c=1 — before / after the server runs) | ${fmt(report.rawSingleRowMs)} (${fmt(report.rawSingleRowBeforeMs)} / ${fmt(report.rawSingleRowAfterMs)}) |`);
  lines.push(`| raw single-row p99 (ms) | ${fmt(report.rawSingleRowP99Ms)} |`);
  lines.push(`| server peak (${report.rawScenario}, req/s${report.serverPeakConcurrency === null ? '' : ` at c=${report.serverPeakConcurrency}`}) | ${fmt(report.serverPeakRps)} |`);
  lines.push(`| server / raw | ${fmt(report.serverToRawRatio, 3)} |`);
  lines.push(`| p50 / p99 at concurrency 1 (ms) | ${fmt(report.p50AtConcurrency1Ms)} / ${fmt(report.p99AtConcurrency1Ms)} |`);
  const gain = report.batchingGainDetail;
  lines.push(`| batching gain${gain ? ` (${gain.scenario}, c=${gain.concurrency}: ${fmt(gain.batchedRps)} vs ${fmt(gain.unbatchedRps)} req/s)` : ''} | ${fmt(report.batchingGain, 2)} |`);
  lines.push('');
  lines.push('### Points');
  lines.push('');
  lines.push(pointsTable(report.points));
  if (report.raw !== null) {
    lines.push('');
    lines.push(`### Raw ceiling (${report.raw.scenario}, ${report.raw.workers} × ${report.raw.intraOpThreads} threads, ${fmt(report.raw.rowsPerRequest)} rows/request, ${report.raw.order} order)`);
    lines.push('');
    lines.push(`Single row alone: p50 ${fmt(report.raw.singleRow.p50)} ms, p99 ${fmt(report.raw.singleRow.p99)} ms (ORT run() ${fmt(report.raw.singleRowInferenceMs)} ms).`);
    lines.push('');
    lines.push(rawTable(report.raw));
  }
  if (report.variants.length > 0) {
    lines.push('');
    lines.push('### Server variants');
    lines.push('');
    for (const v of report.variants) lines.push(`- **${v.name}**: ${Object.entries(v.env).map(([k, val]) => `${k}=${val}`).join(' ') || '(defaults)'}`);
  }
  const memory = memorySection(report.variants, report.points.map((p) => ({ server: p.server, scenario: p.scenario, label: pointLabel(p), memory: p.memory })));
  if (memory !== '') lines.push('', memory);
  if (report.peers.length > 0) {
    lines.push('');
    lines.push('### Peers (same bodies, interleaved rounds; ratios are ours ÷ peer)');
    lines.push('');
    lines.push(peersText(report.peers));
  }
  if (report.checks.length > 0) {
    lines.push('');
    lines.push('### Budgets (bench/thresholds.json)');
    lines.push('');
    lines.push(checksTable(report.checks));
  }
  return lines.join('\n');
}

// ---- SVG ------------------------------------------------------------------------------------

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#7f7f7f', '#bcbd22'];

const esc = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function niceTicks(max: number, count = 5): number[] {
  if (!(max > 0)) return [0];
  const raw = max / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? raw;
  const ticks: number[] = [];
  for (let v = 0; v <= max * 1.0001; v += step) ticks.push(Number(v.toPrecision(6)));
  return ticks;
}

/** Latency (p50 solid, p99 dashed; log scale) against throughput (texts/s), one colour per series. */
export function svgChart(report: BenchReport): string {
  const width = 900;
  const height = 560;
  const m = { left: 70, right: 230, top: 40, bottom: 55 };
  const plotW = width - m.left - m.right;
  const plotH = height - m.top - m.bottom;
  const closed = report.points.filter((p) => p.mode === 'closed' && p.ok > 0);
  const open = report.points.filter((p) => p.mode === 'open' && p.ok > 0);
  const all = [...closed, ...open];
  const xs = all.map((p) => p.textsPerSecond);
  if (report.rawCeilingRps !== null) xs.push(report.rawCeilingRps);
  const xMax = Math.max(1, ...xs) * 1.08;
  const lat = all.flatMap((p) => [p.latencyMs.p50, p.latencyMs.p99]).filter((v) => v > 0 && Number.isFinite(v));
  const yMin = 10 ** Math.floor(Math.log10(Math.max(0.01, Math.min(1, ...lat))));
  const yMax = 10 ** Math.ceil(Math.log10(Math.max(10, ...lat)));
  const x = (v: number): number => m.left + (v / xMax) * plotW;
  const y = (v: number): number => m.top + plotH - ((Math.log10(Math.max(v, yMin)) - Math.log10(yMin)) / (Math.log10(yMax) - Math.log10(yMin))) * plotH;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="12">`);
  out.push(`<rect width="${width}" height="${height}" fill="#fff"/>`);
  out.push(`<text x="${m.left}" y="22" font-size="15" font-weight="bold">${esc(`Latency vs throughput — ${report.target.model} (${report.machine.cpus} cores, ${report.threads.workers}×${report.threads.intraOpThreads} threads)`)}</text>`);
  // Grid and axes.
  for (const t of niceTicks(xMax / 1.08)) {
    out.push(`<line x1="${x(t)}" x2="${x(t)}" y1="${m.top}" y2="${m.top + plotH}" stroke="#eee"/>`);
    out.push(`<text x="${x(t)}" y="${m.top + plotH + 16}" text-anchor="middle">${t}</text>`);
  }
  for (let d = yMin; d <= yMax * 1.0001; d *= 10) {
    out.push(`<line x1="${m.left}" x2="${m.left + plotW}" y1="${y(d)}" y2="${y(d)}" stroke="#ddd"/>`);
    out.push(`<text x="${m.left - 6}" y="${y(d) + 4}" text-anchor="end">${Number(d.toPrecision(3))}</text>`);
  }
  out.push(`<rect x="${m.left}" y="${m.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#333"/>`);
  out.push(`<text x="${m.left + plotW / 2}" y="${height - 14}" text-anchor="middle">throughput (texts/s)</text>`);
  out.push(`<text transform="translate(18 ${m.top + plotH / 2}) rotate(-90)" text-anchor="middle">latency (ms, log scale)</text>`);
  if (report.rawCeilingRps !== null) {
    const rx = x(report.rawCeilingRps);
    out.push(`<line x1="${rx}" x2="${rx}" y1="${m.top}" y2="${m.top + plotH}" stroke="#000" stroke-dasharray="2 3"/>`);
    out.push(`<text x="${rx - 4}" y="${m.top + 14}" text-anchor="end">${esc(`raw ceiling (${report.rawScenario})`)}</text>`);
  }
  // Series: one per (server, scenario) closed-loop sweep.
  const series = new Map<string, PointRecord[]>();
  for (const p of closed) {
    const key = `${p.server} · ${p.scenario}`;
    series.set(key, [...(series.get(key) ?? []), p]);
  }
  const legend: string[] = [];
  let i = 0;
  for (const [key, points] of series) {
    const colour = PALETTE[i++ % PALETTE.length] as string;
    const sorted = [...points].sort((a, b) => (a.concurrency ?? 0) - (b.concurrency ?? 0));
    const path = (pick: (p: PointRecord) => number): string => sorted.map((p) => `${x(p.textsPerSecond).toFixed(1)},${y(pick(p)).toFixed(1)}`).join(' ');
    out.push(`<polyline points="${path((p) => p.latencyMs.p50)}" fill="none" stroke="${colour}" stroke-width="2"/>`);
    out.push(`<polyline points="${path((p) => p.latencyMs.p99)}" fill="none" stroke="${colour}" stroke-width="1.5" stroke-dasharray="6 4"/>`);
    for (const p of sorted) {
      out.push(`<circle cx="${x(p.textsPerSecond).toFixed(1)}" cy="${y(p.latencyMs.p50).toFixed(1)}" r="3.5" fill="${colour}"><title>${esc(`${key} c=${p.concurrency}: ${round(p.textsPerSecond)} texts/s, p50 ${round(p.latencyMs.p50)} ms, p99 ${round(p.latencyMs.p99)} ms`)}</title></circle>`);
      out.push(`<text x="${(x(p.textsPerSecond) + 5).toFixed(1)}" y="${(y(p.latencyMs.p50) - 5).toFixed(1)}" font-size="10" fill="${colour}">${p.concurrency}</text>`);
    }
    legend.push(`<line x1="0" x2="22" y1="${legend.length * 18}" y2="${legend.length * 18}" stroke="${colour}" stroke-width="2"/><text x="28" y="${legend.length * 18 + 4}">${esc(key)}</text>`);
  }
  for (const p of open) {
    const cx = x(p.textsPerSecond);
    const cy = y(p.latencyMs.p99);
    out.push(`<path d="M ${cx.toFixed(1)} ${(cy - 5).toFixed(1)} l 5 5 l -5 5 l -5 -5 z" fill="none" stroke="#555"><title>${esc(`${p.server} · ${p.scenario} open loop ${round(p.rate ?? 0)}/s: p50 ${round(p.latencyMs.p50)} ms, p99 ${round(p.latencyMs.p99)} ms`)}</title></path>`);
  }
  const ly = m.top + 4;
  out.push(`<g transform="translate(${m.left + plotW + 16} ${ly})">${legend.join('')}`);
  const n = legend.length;
  out.push(`<line x1="0" x2="22" y1="${n * 18 + 10}" y2="${n * 18 + 10}" stroke="#333" stroke-width="2"/><text x="28" y="${n * 18 + 14}">p50 (label: concurrency)</text>`);
  out.push(`<line x1="0" x2="22" y1="${n * 18 + 28}" y2="${n * 18 + 28}" stroke="#333" stroke-dasharray="6 4"/><text x="28" y="${n * 18 + 32}">p99</text>`);
  if (open.length > 0) out.push(`<path d="M 11 ${n * 18 + 41} l 5 5 l -5 5 l -5 -5 z" fill="none" stroke="#555"/><text x="28" y="${n * 18 + 50}">open-loop p99</text>`);
  out.push('</g>');
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
