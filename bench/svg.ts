// The SVG chart of a bench report: latency against throughput over the concurrency sweep, one line
// per server and scenario, open-loop points as diamonds.
import type { BenchReport, PointRecord } from './report.js';
import { round } from './stats.js';

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
