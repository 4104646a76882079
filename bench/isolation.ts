// `node dist/bench/isolation.js --url URL --admin-url URL`: the isolation and fairness experiments of
// bench/RESULTS.md against a running server (rate limiting off):
//   fairness  short requests (closed loop) alone, then with long documents arriving at the same time;
//             short-request p50/p99 in both, and the server's mean batch time
//   overload  open-loop short requests at a multiple of the measured capacity, a 10 s client timeout:
//             how many got 200, 503 or nothing in time, accepted p99, resident memory before/after
//   health    /health/live latency while a long document runs
// The same command runs against any build of the server, so before/after comparisons use it as is.
import { parseArgs } from 'node:util';
import { PACKAGE_ROOT } from '../src/paths.js';
import { defaultDatasetsDir, loadCorpus } from './corpus.js';
import { closedLoopHttp, openLoopHttp, RequestCounter, type LoadResult, type Target } from './load.js';
import { diffHistogram, histogram, mean, parseProm, quantile, total, type Scrape } from './prom.js';
import { makeScenario } from './scenarios.js';
import { summarize } from './stats.js';

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    'admin-url': { type: 'string' },
    'api-key': { type: 'string' },
    seconds: { type: 'string', default: '15' },
    'short-concurrency': { type: 'string', default: '4' },
    'long-concurrency': { type: 'string', default: '2' },
    'long-words': { type: 'string', default: '5000' },
    'overload-factor': { type: 'string', default: '5' },
    datasets: { type: 'string' },
  },
});
if (values.url === undefined || values['admin-url'] === undefined) {
  process.stderr.write('usage: node dist/bench/isolation.js --url URL --admin-url URL [--seconds 15] [--long-words 5000] [--overload-factor 5]\n');
  process.exit(2);
}
const target: Target = { url: values.url, apiKey: values['api-key'] };
const adminUrl = values['admin-url'];
const seconds = Number(values.seconds);
const corpus = loadCorpus(values.datasets ?? defaultDatasetsDir(PACKAGE_ROOT));
const short = makeScenario('short', corpus);
const long = makeScenario('long', corpus, { longWords: Number(values['long-words']), batchTexts: 8, seed: 1 });
const counter = new RequestCounter();

async function scrape(): Promise<Scrape> {
  return parseProm(await (await fetch(`${adminUrl}/metrics`)).text());
}

const summary = (load: LoadResult) => ({ rps: Number(load.throughputRps.toFixed(2)), p50: Math.round(load.latency.p50), p99: Math.round(load.latency.p99), ok: load.ok, errors: load.errors, serverQueueMeanMs: Math.round(load.serverQueueMs ?? NaN), serverTotalMeanMs: Math.round(load.serverTotalMs ?? NaN) });

async function fairness() {
  const alone = await closedLoopHttp(target, short, counter, Number(values['short-concurrency']), seconds, 60);
  const before = await scrape();
  const [withLong, longLoad] = await Promise.all([
    closedLoopHttp(target, short, counter, Number(values['short-concurrency']), seconds, 60),
    closedLoopHttp(target, long, counter, Number(values['long-concurrency']), seconds, 120),
  ]);
  const after = await scrape();
  const batchMs = mean(diffHistogram(histogram(after, 'gliner_inference_seconds'), histogram(before, 'gliner_inference_seconds'))) * 1000;
  const target99 = alone.latency.p99 * 3 + batchMs;
  return { shortAlone: summary(alone), shortWithLong: summary(withLong), long: summary(longLoad), meanBatchMs: Math.round(batchMs), targetP99Ms: Math.round(target99), met: withLong.latency.p99 <= target99 };
}

/** Server-side latency of answered (200) predictions between two scrapes (power-of-two buckets: coarse). */
function answered(before: Scrape, after: Scrape) {
  const only = (scrape: Scrape): Scrape => scrape.filter((s) => s.labels.status === '200' && s.labels.route === '/api/v1/predict');
  const h = diffHistogram(histogram(only(after), 'gliner_http_request_duration_seconds'), histogram(only(before), 'gliner_http_request_duration_seconds'));
  return { serverP50Ms: Math.round(quantile(h, 0.5) * 1000), serverP99Ms: Math.round(quantile(h, 0.99) * 1000) };
}

async function overload() {
  const capacity = await closedLoopHttp(target, short, counter, 16, Math.max(3, seconds / 3), 60);
  const rate = Math.round(capacity.throughputRps * Number(values['overload-factor']));
  const before = await scrape();
  const rssBefore = total(before, 'process_resident_memory_bytes') / 2 ** 20;
  const load = await openLoopHttp(target, short, counter, rate, seconds, 10);
  const after = await scrape();
  const rssAfter = total(after, 'process_resident_memory_bytes') / 2 ** 20;
  const sent = load.responses + Object.entries(load.errors).filter(([k]) => !/^\d+$/.test(k) && !/^[A-Z_]+$/.test(k)).reduce((sum, [, n]) => sum + n, 0);
  return { capacityRps: Number(capacity.throughputRps.toFixed(1)), offeredRps: rate, ...summary(load), ...answered(before, after), sent, noAnswerIn10s: sent - load.responses, rssMb: [Math.round(rssBefore), Math.round(rssAfter)] };
}

async function health() {
  let done = false;
  const times: number[] = [];
  const running = closedLoopHttp(target, long, counter, 1, Math.max(5, seconds / 2), 120).finally(() => { done = true; });
  while (!done) {
    const started = performance.now();
    await (await fetch(`${target.url}/health/live`)).text();
    times.push(performance.now() - started);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  await running;
  const s = summarize(times);
  return { probes: s.count, p50: Number(s.p50.toFixed(2)), p99: Number(s.p99.toFixed(2)), max: Number(s.max.toFixed(2)) };
}

const report = { url: target.url, seconds, fairness: await fairness(), health: await health(), overload: await overload() };
process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
