// What batching rows of different requests buys a GLiNER2 model, measured below the engine: the
// same rows run through Gliner2Runner one at a time, 4 and 8 to a batch, interleaved round by round
// so machine noise hits every setting alike; reports the median milliseconds per row and the
// share of it spent in ONNX Runtime. Rows: CrossNER sentences joined to about `--words` words, with
// the realistic schema (4 entity types, one classification, one relation, one structure of
// 3 fields). The bench's `extract` scenario measures the server's own path; this one isolates the
// runner, interleaved, which the noisy server-level comparison cannot (docs/gliner2.md).
//
//   npx tsx bench/gliner2-batching.ts --model DIR [--words 40] [--rounds 5] [--threads 1]
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import type { ExtractSchema } from '../src/inference/gliner2/schema.js';
import { Gliner2Runner, type Gliner2Row } from '../src/worker/gliner2-runner.js';

const SCHEMA: ExtractSchema = {
  entities: ['person', 'organization', 'location', { name: 'date', description: 'Dates and years' }],
  classifications: [{ task: 'topic', labels: ['politics', 'science', 'music', 'literature', 'technology'] }],
  relations: ['works_for'],
  structures: [{ name: 'event', fields: [{ name: 'name', dtype: 'str' }, { name: 'participants', dtype: 'list' }, { name: 'kind', dtype: 'str', choices: ['election', 'meeting', 'war', 'concert'] }] }],
};

function sentences(datasets: string): string[] {
  const out: string[] = [];
  for (const domain of readdirSync(path.join(datasets, 'crossner'))) {
    let words: string[] = [];
    const file = path.join(datasets, 'crossner', domain, 'test.txt');
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n')) {
      const word = line.split('\t')[0]?.trim() ?? '';
      if (word === '') {
        if (words.length > 0) out.push(words.join(' '));
        words = [];
      } else words.push(word);
    }
  }
  return out;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { model: { type: 'string' }, words: { type: 'string', default: '40' }, rounds: { type: 'string', default: '5' }, threads: { type: 'string', default: '1' }, datasets: { type: 'string', default: 'datasets' } } });
  if (values.model === undefined) throw new Error('--model DIR (a GLiNER2 export, native-models/export_gliner2.py)');
  const runner = await Gliner2Runner.load({ modelDir: values.model, executionProvider: 'cpu', cudaFallback: 'fail', cudaDeviceId: 0, intraOpThreads: Number(values.threads), interOpThreads: 1, graphOptimization: 'all', intraOpSpinning: false });
  const pool = sentences(values.datasets);
  const target = Number(values.words);
  const texts: string[] = [];
  for (let i = 0; texts.length < 8; ) {
    let text = '';
    while (text.split(' ').length < target) text = `${text} ${pool[i++ % pool.length] ?? ''}`.trim();
    texts.push(text);
  }
  const rows: Gliner2Row[] = texts.map((text) => ({ text, schema: SCHEMA, threshold: 0.5, flags: { includeConfidence: true, includeSpans: true } }));
  await runner.run(rows.slice(0, 2)); // warm-up
  const sizes = [1, 4, 8];
  const perRow = new Map<number, number[]>(sizes.map((s) => [s, []]));
  const inferenceShare = new Map<number, number[]>(sizes.map((s) => [s, []]));
  for (let round = 0; round < Number(values.rounds); round++) {
    for (const size of sizes) {
      let inference = 0;
      const t0 = performance.now();
      for (let first = 0; first < rows.length; first += size) inference += (await runner.run(rows.slice(first, first + size))).timings.inferenceSeconds * 1000;
      const total = performance.now() - t0;
      perRow.get(size)?.push(total / rows.length);
      inferenceShare.get(size)?.push(inference / total);
    }
  }
  const base = median(perRow.get(1) ?? []);
  console.log(`model ${values.model}, ${rows.length} rows of ~${target} words, ${values.rounds} interleaved rounds, ${values.threads} intra-op thread(s)`);
  for (const size of sizes) {
    const ms = median(perRow.get(size) ?? []);
    console.log(`rows per batch ${size}: ${ms.toFixed(2)} ms/row (×${(base / ms).toFixed(2)} the throughput of 1), ${(100 * median(inferenceShare.get(size) ?? [])).toFixed(0)} % in ONNX Runtime`);
  }
  await runner.close();
}

// Run only as a script (the build compiles bench/ too; importing this file does nothing).
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) await main();
