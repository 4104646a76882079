// A trace waterfall as one static HTML page, drawn from the spans the test OTLP receiver decoded:
// every request trace and every batch trace on one shared time axis, children indented under their
// parents, and each span's links written out ("→ batch 3", "← 3 requests"). It stands in for a
// tracing backend's UI where none can run (no container engine on the build machines); the page
// says so in its title. Used by screenshot.ts; no scripts, no network.
import type { AttributeValue, ReceivedSpan } from '../support/otlp-receiver.js';

const SHOWN = ['gliner.transport', 'gliner.text.chars', 'gliner.windows', 'gliner.rows', 'gliner.batch.id', 'gliner.batch.requests', 'gliner.batch.tokens', 'gliner.batch.padded_tokens', 'gliner.worker.id', 'gliner.queue.rows_dropped', 'gliner.refusal.reason', 'http.response.status_code', 'error.type'];

const escape = (s: string): string => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
const ms = (ns: bigint): number => Number(ns) / 1e6;
const show = (v: AttributeValue): string => (typeof v === 'number' && !Number.isInteger(v) ? v.toFixed(3) : typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v));

function colour(name: string): string {
  if (name === 'gliner.batch') return '#7b5ea7';
  if (['gliner.preprocess', 'gliner.inference', 'gliner.postprocess'].includes(name)) return '#b38bd9';
  if (name === 'gliner.queue') return '#e0a030';
  if (name === 'gliner.rows') return '#4f9d69';
  if (name === 'gliner.plan' || name === 'gliner.merge') return '#3f8fc0';
  if (name === 'gliner.admission') return '#999999';
  return '#2f5d8a';
}

/** Traces in the order a reader wants them: request traces by start, then batch traces by start. */
function orderedTraces(spans: readonly ReceivedSpan[]): ReceivedSpan[][] {
  const byTrace = new Map<string, ReceivedSpan[]>();
  for (const s of spans) byTrace.set(s.traceId, [...(byTrace.get(s.traceId) ?? []), s]);
  const first = (t: ReceivedSpan[]): bigint => t.reduce((min, s) => (s.startNs < min ? s.startNs : min), t[0]!.startNs);
  const isBatch = (t: ReceivedSpan[]): boolean => t.some((s) => s.name === 'gliner.batch');
  return [...byTrace.values()].sort((a, b) => Number(isBatch(a)) - Number(isBatch(b)) || Number(first(a) - first(b)));
}

/** Depth-first order under each root, with depths. */
function tree(trace: ReceivedSpan[]): [ReceivedSpan, number][] {
  const ids = new Set(trace.map((s) => s.spanId));
  const roots = trace.filter((s) => s.parentSpanId === undefined || !ids.has(s.parentSpanId));
  const out: [ReceivedSpan, number][] = [];
  const walk = (span: ReceivedSpan, depth: number): void => {
    out.push([span, depth]);
    for (const child of trace.filter((s) => s.parentSpanId === span.spanId).sort((a, b) => Number(a.startNs - b.startNs))) walk(child, depth + 1);
  };
  for (const root of roots.sort((a, b) => Number(a.startNs - b.startNs))) walk(root, 0);
  return out;
}

export function renderWaterfall(spans: readonly ReceivedSpan[], title: string): string {
  const start = spans.reduce((min, s) => (s.startNs < min ? s.startNs : min), spans[0]?.startNs ?? 0n);
  const end = spans.reduce((max, s) => (s.endNs > max ? s.endNs : max), start + 1n);
  const total = ms(end - start);
  const batchId = new Map(spans.filter((s) => s.name === 'gliner.batch').map((s) => [s.spanId, s.attributes['gliner.batch.id']]));
  const sections = orderedTraces(spans).map((trace) => {
    const rows = tree(trace).map(([span, depth]) => {
      const left = (ms(span.startNs - start) / total) * 100;
      const width = Math.max(0.15, (ms(span.endNs - span.startNs) / total) * 100);
      const attrs = SHOWN.filter((k) => span.attributes[k] !== undefined).map((k) => `${k.replace(/^gliner\./, '')}=${show(span.attributes[k]!)}`);
      const links = span.name === 'gliner.batch'
        ? (span.links.length > 0 ? [`← ${span.links.length} request${span.links.length === 1 ? '' : 's'}`] : [])
        : span.links.map((l) => `→ batch ${show(batchId.get(l.spanId) ?? '?')}`);
      const error = span.status.code === 2 ? ' error' : '';
      return `<div class="row${error}"><div class="name" style="padding-left:${depth * 14}px">${escape(span.name)}</div>`
        + `<div class="lane"><div class="bar" style="left:${left.toFixed(3)}%;width:${width.toFixed(3)}%;background:${colour(span.name)}"></div></div>`
        + `<div class="dur">${ms(span.endNs - span.startNs).toFixed(1)} ms</div><div class="attrs">${escape([...links, ...attrs].join('  '))}</div></div>`;
    });
    return `<section><h2>trace ${trace[0]!.traceId.slice(0, 8)}…</h2>${rows.join('')}</section>`;
  });
  return `<!doctype html><html><head><meta charset="utf-8"><title>${escape(title)}</title><style>
body{font:12px/1.35 system-ui,sans-serif;margin:16px;color:#222;background:#fff}
h1{font-size:15px;margin:0 0 4px}p.note{margin:0 0 12px;color:#555}
h2{font-size:12px;margin:10px 0 2px;color:#555;font-weight:600}
.row{display:grid;grid-template-columns:210px 1fr 84px 430px;align-items:center;height:18px}
.row.error .name{color:#b00020}.name{white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.lane{position:relative;height:12px;background:#f3f3f3}.bar{position:absolute;top:0;height:12px;border-radius:2px}
.dur{text-align:right;padding-right:8px;color:#444;white-space:nowrap}.attrs{color:#555;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
</style></head><body><h1>${escape(title)}</h1><p class="note">Drawn from the OTLP spans the server exported, as decoded by the test receiver (test/tracing/waterfall.ts), on one time axis of ${total.toFixed(1)} ms: not a tracing backend's UI.</p>${sections.join('')}</body></html>`;
}
