// The markdown rendering of a bench report: the headline figures, every point, the raw ceiling,
// the variants, the peers and the budget checks.
import type { PeerRecord } from './peers.js';
import type { RawResult } from './raw.js';
import type { BenchReport, CheckResult, PointRecord } from './report.js';
import { memorySection } from './server-memory.js';
import { round } from './stats.js';

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
  const section = (title: string, body: string): void => {
    lines.push('', `### ${title}`, '', body);
  };
  if (report.variants.length > 0) section('Server variants', report.variants.map((v) => `- **${v.name}**: ${Object.entries(v.env).map(([k, val]) => `${k}=${val}`).join(' ') || '(defaults)'}`).join('\n'));
  const memory = memorySection(report.variants, report.points.map((p) => ({ server: p.server, scenario: p.scenario, label: pointLabel(p), memory: p.memory })));
  if (memory !== '') lines.push('', memory);
  if (report.peers.length > 0) section('Peers (same bodies, interleaved rounds; ratios are ours ÷ peer)', peersText(report.peers));
  if (report.checks.length > 0) section('Budgets (bench/thresholds.json)', checksTable(report.checks));
  return lines.join('\n');
}
