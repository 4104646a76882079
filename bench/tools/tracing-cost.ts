// Tracing cost probe, in process (no model, no HTTP server): what the tracing facade costs the HTTP
// thread per request, and what carrying a traceparent into a worker task costs. Run from the
// repository root:
//
//   npx tsx bench/tools/tracing-cost.ts [--requests 20000] [--rounds 5]
//
// 1. Facade: one request's calls as the request path makes them (start with a caller's traceparent,
//    describe, admission, plan, queue, a one-row batch with its worker outcome, log fields, exemplar,
//    response traceparent, end) with tracing off, on with every request sampled out (ratio 0) and on
//    with every request sampled (exported as OTLP/protobuf to a sink in another process that drains
//    and answers 200). The event loop yields every 500 requests so the batch span processor exports
//    as it would in a server; the time includes that export work. Modes are interleaved in rounds.
// 2. Worker context: postMessage round trips of a one-row batch task to an echo worker, with and
//    without a traceparent string in the task, and the task's structured clone alone, interleaved.
// Prints medians over rounds (ns per request, µs per round trip) and the ratios to "off".
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { tracingSettings } from '../../src/config/otel.js';
import { createTracing, type Tracing } from '../../src/tracing/index.js';
import { startSink } from './otlp-sink.js';

const { values } = parseArgs({ options: { requests: { type: 'string', default: '20000' }, rounds: { type: 'string', default: '5' } } });
const REQUESTS = Number(values.requests);
const ROUNDS = Number(values.rounds);
const CALLER = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00';
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

const OUTCOME = { workerId: 0, paddedTokens: 40, rows: [{ tokens: 38 }], timings: { preprocessSeconds: 0.0002, inferenceSeconds: 0.004, postprocessSeconds: 0.0001 } };

function oneRequest(tracing: Tracing, id: number): void {
  const request = tracing.startRequest('POST /api/v1/predict', 'rest', CALLER, undefined);
  request.describe('native-models/gliner-tiny', 'uni-span', 1, 180, 4);
  request.admitting();
  request.admitted(1);
  request.planned(1, 1);
  request.cached('miss', 1);
  request.enqueued(1);
  const batch = tracing.startBatch(id, 1, [request], [1], false);
  batch.exemplar();
  batch.done(OUTCOME);
  request.logFields();
  request.exemplar();
  request.traceparent();
  request.end(200, undefined);
}

async function facadeNsPerRequest(tracing: Tracing): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < REQUESTS; i++) {
    oneRequest(tracing, i);
    if (i % 500 === 499) await new Promise((resolve) => setImmediate(resolve));
  }
  await tracing.flush();
  return ((performance.now() - started) * 1e6) / REQUESTS;
}

const ECHO = "const { parentPort } = require('node:worker_threads'); parentPort.on('message', (m) => parentPort.postMessage(m.batchId));";

async function roundTripsUs(worker: Worker, task: object, n: number): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < n; i++) {
    worker.postMessage(task);
    await once(worker, 'message');
  }
  return ((performance.now() - started) * 1000) / n;
}

async function main(): Promise<void> {
  const sink = await startSink();
  const modes: [string, Tracing][] = [
    ['off', await createTracing(tracingSettings({}), '0')],
    ['on, sampled out (ratio 0)', await createTracing(tracingSettings({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: sink.url, OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '0' }), '0')],
    ['on, every request sampled', await createTracing(tracingSettings({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: sink.url, OTEL_TRACES_SAMPLER: 'always_on' }), '0')],
  ];
  const facade = new Map<string, number[]>(modes.map(([name]) => [name, []]));
  for (const [, tracing] of modes) await facadeNsPerRequest(tracing); // warm-up
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, tracing] of round % 2 === 0 ? modes : [...modes].reverse()) facade.get(name)!.push(await facadeNsPerRequest(tracing));
  }
  for (const [, tracing] of modes) await tracing.shutdown();
  sink.stop();

  const worker = new Worker(ECHO, { eval: true });
  const row = { text: 'Ottilie Quenneville flew from Lagos to Zanzibar on Tuesday to meet the board of Quintessa Corp. '.repeat(2), codePoint: 0, labels: ['person', 'organization', 'location', 'date'], threshold: 0.5, finish: { kind: 'answer', options: { threshold: 0.5, flatNer: true, multiLabel: false }, maxEntities: 5000 } };
  const plain = { kind: 'batch', batchId: 1, rows: [row] };
  const traced = { ...plain, traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' };
  const trips = Math.max(2000, Math.floor(REQUESTS / 4));
  await roundTripsUs(worker, plain, trips);
  const clone = { without: [] as number[], with: [] as number[] };
  for (let round = 0; round < ROUNDS; round++) {
    clone.without.push(await roundTripsUs(worker, plain, trips));
    clone.with.push(await roundTripsUs(worker, traced, trips));
  }
  await worker.terminate();
  // The serialisation alone (postMessage's structured clone), where a round trip's noise hides it.
  const cloneNs = (task: object): number => {
    const started = performance.now();
    for (let i = 0; i < trips * 4; i++) structuredClone(task);
    return ((performance.now() - started) * 1e6) / (trips * 4);
  };
  const serial = { without: [] as number[], with: [] as number[] };
  for (let round = 0; round < ROUNDS; round++) {
    serial.without.push(cloneNs(plain));
    serial.with.push(cloneNs(traced));
  }

  const off = median(facade.get('off')!);
  process.stdout.write(`Facade, one request's calls (${REQUESTS} requests × ${ROUNDS} rounds, medians):\n`);
  for (const [name] of modes) {
    const ns = median(facade.get(name)!);
    process.stdout.write(`  ${name.padEnd(28)} ${ns.toFixed(0).padStart(7)} ns/request   (${(ns / off).toFixed(1)}× off)\n`);
  }
  const [a, b] = [median(clone.without), median(clone.with)];
  process.stdout.write(`Worker task round trip (${trips} × ${ROUNDS} rounds, medians): without traceparent ${a.toFixed(2)} µs, with ${b.toFixed(2)} µs (${(b - a >= 0 ? '+' : '')}${(b - a).toFixed(2)} µs)\n`);
  const [c, d] = [median(serial.without), median(serial.with)];
  process.stdout.write(`Structured clone of the task (${trips * 4} × ${ROUNDS} rounds, medians): without ${c.toFixed(0)} ns, with ${d.toFixed(0)} ns (${(d - c >= 0 ? '+' : '')}${(d - c).toFixed(0)} ns)\n`);
}

await main();
