// The lone request: where does a c=1 request's time go between the client and ONNX Runtime's run?
// Starts the server with tracing on (every request sampled) into a local OTLP receiver, sends the
// short scenario's requests one at a time (keep-alive), and splits each request's time with its
// spans (docs/tracing.md):
//   client − request span   the client, the socket and uWS before the request span starts and after it ends
//   request − batch         the HTTP thread: body, validation, admission, queueing to the batcher, the answer
//   batch − worker stages   the hand-offs: the task's message to the worker, its thread waking, the result's trip back
//   preprocess, inference, postprocess   the worker's own stages (inference = ONNX Runtime's run)
// Tracing itself costs a little (bench/RESULTS.md, "Tracing overhead"); the spans are the profile.
// From the repository root, after `npm run build`:
//
//   npx tsx bench/tools/lone-gap.ts [--model native-models/gliner-tiny] [--requests 400] [--warmup 50]
//       [--server-env KEY=V]... [--json FILE]
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { ATTR, SPAN } from '../../src/tracing/names.js';
import { startOtlpReceiver, type ReceivedSpan } from '../../test/support/otlp-receiver.js';
import { defaultDatasetsDir, loadCorpus } from '../corpus.js';
import { parseAssignment } from '../options.js';
import { makeScenario } from '../scenarios.js';
import { startServer } from '../server.js';
import { summarize } from '../stats.js';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'native-models/gliner-tiny' },
    requests: { type: 'string', default: '400' },
    warmup: { type: 'string', default: '50' },
    'server-env': { type: 'string', multiple: true },
    json: { type: 'string' },
  },
});

const ms = (span: ReceivedSpan | undefined): number => (span === undefined ? NaN : Number(span.endNs - span.startNs) / 1e6);

const receiver = await startOtlpReceiver();
const extraEnv = Object.fromEntries((values['server-env'] ?? []).map((kv) => parseAssignment(kv, '--server-env')));
const server = await startServer(path.join(PACKAGE_ROOT, 'dist/src/cli.js'), {
  env: {
    MODEL: values.model, CACHE_MAX_BYTES: '0', MAX_QUEUE_WAIT_MS: '0',
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SERVICE_NAME: 'lone-gap', OTEL_BSP_SCHEDULE_DELAY: '200',
    ...extraEnv,
  },
  nodeArgs: [],
  readyTimeoutMs: 600_000,
});

interface Sample { readonly traceId: string; readonly clientMs: number }
const scenario = makeScenario('short', loadCorpus(defaultDatasetsDir(PACKAGE_ROOT), 1, PACKAGE_ROOT));
const samples: Sample[] = [];
try {
  const total = Number(values.warmup) + Number(values.requests);
  for (let k = 0; k < total; k++) {
    const input = scenario.request(k);
    const t0 = performance.now();
    const response = await fetch(`${server.url}/api/v1/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${server.apiKey}` },
      body: JSON.stringify({ text: input.texts[0], labels: input.labels }),
    });
    await response.arrayBuffer();
    const clientMs = performance.now() - t0;
    const traceId = /^00-([0-9a-f]{32})-/.exec(response.headers.get('traceparent') ?? '')?.[1];
    if (response.status !== 200 || traceId === undefined) throw new Error(`request ${k}: status ${response.status}, traceparent ${response.headers.get('traceparent')}`);
    if (k >= Number(values.warmup)) samples.push({ traceId, clientMs });
  }
  // Every request span and its batch's worker stages have arrived.
  const wanted = new Set(samples.map((s) => s.traceId));
  await receiver.waitFor((spans) => spans.filter((s) => wanted.has(s.traceId) && s.parentSpanId === undefined).length >= wanted.size && spans.filter((s) => s.name === SPAN.postprocess).length >= wanted.size, 60_000);
} finally {
  await server.stop();
}

const rows: Record<string, number>[] = [];
for (const sample of samples) {
  const trace = receiver.trace(sample.traceId);
  const request = trace.find((s) => s.kind === 2);
  const rowsSpan = trace.find((s) => s.name === SPAN.rows);
  const batch = rowsSpan?.links.map((l) => receiver.trace(l.traceId).find((s) => s.spanId === l.spanId)).find((s) => s?.name === SPAN.batch);
  if (request === undefined || batch === undefined) continue;
  const stages = receiver.children(batch);
  const stage = (name: string): number => ms(stages.find((s) => s.name === name));
  const worker = stage(SPAN.preprocess) + stage(SPAN.inference) + stage(SPAN.postprocess);
  rows.push({
    client: sample.clientMs,
    'client − request span': sample.clientMs - ms(request),
    'request − batch (HTTP thread)': ms(request) - ms(batch),
    'of which queue': ms(trace.find((s) => s.name === SPAN.queue)),
    'batch − worker stages (hand-offs)': ms(batch) - worker,
    preprocess: stage(SPAN.preprocess),
    inference: stage(SPAN.inference),
    postprocess: stage(SPAN.postprocess),
    solo: batch.attributes[ATTR.solo] === true ? 1 : 0,
  });
}

const keys = Object.keys(rows[0] ?? {});
console.log(`${values.model}; ${rows.length} lone requests (short scenario, one at a time, after ${values.warmup} warm-up); ms\n`);
console.log('| part | p50 | p90 | mean |');
console.log('| --- | ---: | ---: | ---: |');
for (const key of keys.filter((k) => k !== 'solo')) {
  const { p50, p90, mean } = summarize(rows.map((r) => r[key] as number));
  console.log(`| ${key} | ${p50.toFixed(3)} | ${p90.toFixed(3)} | ${mean.toFixed(3)} |`);
}
console.log(`\n${rows.filter((r) => r.solo === 1).length} of ${rows.length} ran on the solo session.`);
if (values.json !== undefined) writeFileSync(values.json, `${JSON.stringify({ model: values.model, env: extraEnv, rows }, null, 2)}\n`);
await receiver.close();
