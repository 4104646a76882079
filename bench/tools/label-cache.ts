// Label-cache probe: 60 labels per text on a bi-encoder with its label cache cold (LABEL_CACHE_SIZE
// 0: every label through the label encoder on every text) and warm, against the uni-encoder of the
// same encoder size (labels in the prompt, LABELS_PER_PASS 25: three passes per text). In process,
// one ONNX session thread, one text at a time; run from the repository root after
// native-models/build-kinds.sh:
//
//   npx tsx bench/tools/label-cache.ts [--texts 40] [--threads 1]
//
// Prints mean and p50 milliseconds per text for each configuration.
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { loadConfig } from '../../src/config/load.js';
import { labelGroupsFor } from '../../src/inference/plan.js';
import { loadModel } from '../../src/startup/model.js';
import { resolveSettings } from '../../src/startup/settings.js';
import { OnnxRunner } from '../../src/worker/onnx-runner.js';
import { modelRows } from '../raw.js';
import { summarize } from '../stats.js';

const { values } = parseArgs({ options: { texts: { type: 'string', default: '40' }, threads: { type: 'string', default: '1' } } });
const count = Number(values.texts);
const subjects = ['Angela Merkel', 'The European Commission', 'Microsoft', 'A committee in Geneva', 'Dr. Ada Lovelace', 'The river authority'];
const verbs = ['met officials from', 'signed an agreement with', 'criticised', 'visited the headquarters of', 'announced a study with'];
const objects = ['the University of Oxford in England on Tuesday', 'Siemens and Bosch near Munich last year', 'the World Health Organization about a new vaccine', 'two startups from Lagos and Nairobi during the summit'];
const texts = Array.from({ length: count }, (_, i) => `${subjects[i % subjects.length]} ${verbs[i % verbs.length]} ${objects[i % objects.length]} , according to report number ${i} .`);
const labels = Array.from({ length: 60 }, (_, i) => ['person', 'organization', 'location', 'date', 'event', 'product'][i % 6] + (i < 6 ? '' : ` type ${i}`));

/** The server's settings for `modelDir` (LABELS_PER_PASS at its default: the model's max_types, or every label for a bi-encoder). */
async function settingsFor(modelDir: string, labelCacheSize: number) {
  const config = loadConfig({ env: { MODEL: modelDir, WORKERS: '1', INTRA_OP_THREADS: values.threads, SOLO_SESSION: 'off', EXECUTION_PROVIDER: 'cpu', LABEL_CACHE_SIZE: String(labelCacheSize) }, envFile: false });
  return resolveSettings(config, await loadModel(config));
}

async function measure(name: string, modelDir: string, labelCacheSize: number): Promise<void> {
  const settings = await settingsFor(modelDir, labelCacheSize);
  const runner = await OnnxRunner.load(settings.pool.runner);
  const run = async (text: string): Promise<void> => {
    await runner.run(modelRows(text, labels, settings.engine.limits));
  };
  const groups = labelGroupsFor(labels, settings.engine.limits);
  for (const text of texts.slice(0, 3)) await run(text);
  const ms: number[] = [];
  for (const text of texts) {
    const t0 = performance.now();
    await run(text);
    ms.push(performance.now() - t0);
  }
  await runner.close();
  const s = summarize(ms);
  process.stdout.write(`${JSON.stringify({ name, passesPerText: groups.length, texts: ms.length, meanMs: Number(s.mean.toFixed(2)), p50Ms: Number(s.p50.toFixed(2)), p99Ms: Number(s.p99.toFixed(2)) })}\n`);
}

await measure('uni-encoder span (gliner-tiny), 60 labels in 25-label passes', 'native-models/gliner-tiny', 0);
await measure('bi-encoder span, label cache cold (LABEL_CACHE_SIZE=0)', 'native-models/.cache/random-bi-span', 0);
await measure('bi-encoder span, label cache warm', 'native-models/.cache/random-bi-span', 10_000);
