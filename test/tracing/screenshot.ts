// Takes docs/tracing-trace.png: a long document beside short requests, as the server traced them.
//   npm run build && npx tsx test/tracing/screenshot.ts
// Starts the test OTLP receiver and the server (embedded model, tracing on, every request sampled,
// MAX_BATCH_ROWS 8 so short requests can share a batch), sends one ~1,500-word document and eight
// short requests at once, waits for their spans, draws them with waterfall.ts and screenshots the
// page with headless Chromium. The page is our own drawing of the exported spans, not a tracing
// backend's UI (none runs here: Jaeger and Grafana Tempo ship as containers); with the Compose
// stack, the same traces open in Jaeger at http://localhost:16686.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { HAS_CHROMIUM, launchChromium } from '../playground/helpers.js';
import { startOtlpReceiver, type ReceivedSpan } from '../support/otlp-receiver.js';
import { ROOT, startServer } from '../support/server.js';
import { renderWaterfall } from './waterfall.js';

const KEY = 'trace-demo-key';
const SHORT = [
  'Angela Merkel met Emmanuel Macron in Paris on Monday.',
  'Microsoft opened an office in Nairobi last year.',
  'The Danube flows through Vienna and Budapest.',
  'Ada Lovelace worked with Charles Babbage in London.',
  'Toyota and Panasonic signed a battery deal in Osaka.',
  'The World Health Organization is based in Geneva.',
  'Serena Williams won the US Open in New York.',
  'The European Central Bank raised rates in Frankfurt.',
];
const LABELS = ['person', 'organization', 'location'];
const LONG = Array.from({ length: 100 }, (_, i) => `In ${1900 + i} the committee in Geneva met delegates from Siemens and Toyota, and Marie Curie wrote to Albert Einstein about it.`).join(' ');

async function main(): Promise<void> {
  if (!HAS_CHROMIUM) throw new Error('/usr/bin/chromium is missing: apt-get install -y chromium');
  const receiver = await startOtlpReceiver();
  const server = await startServer({ env: { API_KEYS: KEY, MAX_BATCH_ROWS: '8', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: receiver.tracesUrl, OTEL_TRACES_SAMPLER: 'always_on' } });
  const dir = mkdtempSync(path.join(tmpdir(), 'gliner-trace-'));
  try {
    const post = (text: string): Promise<Response> => fetch(`${server.url}/api/v1/predict`, {
      method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': KEY }, body: JSON.stringify({ text, labels: LABELS }),
    });
    const answers = await Promise.all([post(LONG), ...SHORT.map(post)]);
    const statuses = answers.map((a) => a.status);
    if (statuses.some((s) => s !== 200)) throw new Error(`expected 200s, got ${statuses.join(', ')}`);
    const requests = (s: readonly { name: string; kind: number }[]): number => s.filter((x) => x.kind === 2).length;
    const spans = await receiver.waitFor((s) => requests(s) >= SHORT.length + 1, 20_000).catch((error: unknown) => {
      throw new Error(`${(error as Error).message}\nDid the server export traces? It must read the OTEL_* variables (docs/tracing.md, Status).`);
    });
    // A moment for the batch spans, which end with their results: wait until every link has its batch.
    const linked = (s: readonly ReceivedSpan[]): boolean => s.filter((x) => x.name === 'gliner.rows').every((r) => r.links.every((l) => s.some((b) => b.spanId === l.spanId)));
    const complete = linked(spans) ? spans : await receiver.waitFor(linked, 10_000);
    const html = path.join(dir, 'trace.html');
    writeFileSync(html, renderWaterfall(complete, 'One ~1,500-word document beside eight short requests (MAX_BATCH_ROWS=8, every request sampled)'));
    const out = path.join(ROOT, 'docs/tracing-trace.png');
    mkdirSync(path.dirname(out), { recursive: true });
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 }, deviceScaleFactor: 1 });
      await page.goto(pathToFileURL(html).href);
      await page.screenshot({ path: out, fullPage: true });
    } finally {
      await browser.close();
    }
    console.log(`wrote ${path.relative(ROOT, out)} from ${complete.length} spans in ${new Set(complete.map((s) => s.traceId)).size} traces`);
  } finally {
    await server.stop();
    await receiver.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
