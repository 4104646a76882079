// The one place the GLiNER2 parity suite touches our pipeline: (text, schema, options) → answer JSON,
// through the extract engine and the batcher the server uses (every case one request, all submitted
// at once, rows of different requests batched together, up to 8 a batch), with the workers' own
// task code (runExtractPlan, runExtractBatch, runExtractMerge) run in process. The served path (engine, batcher, pool) is checked against the same fixture over
// real sockets by test/server/extract.test.ts.
import type { ExtractSchema } from '../../src/inference/gliner2/schema.js';
import { fromJson, isDict, isList, type PyValue } from '../../src/inference/gliner2/py.js';
import type { Gliner2Runner } from '../../src/worker/gliner2-runner.js';
import { Batcher, type AnyRowTask } from '../../src/engine/batcher.js';
import { ExtractEngine } from '../../src/engine/extract-engine.js';
import type { ExtractChunking, ExtractRowTask } from '../../src/worker/gliner2-messages.js';
import { runExtractBatch, runExtractMerge, runExtractPlan } from '../../src/worker/gliner2-tasks.js';
import { SCORE_TOLERANCE } from './tolerance.js';

/**
 * Scores (confidences) may differ from upstream PyTorch's by this much: ONNX Runtime and PyTorch
 * sum in different orders, and CPUs differ (AVX2 vs AVX-512). The project's one measured float32
 * tolerance (tolerance.ts, issue 23).
 */
export const GLINER2_SCORE_TOLERANCE = SCORE_TOLERANCE;

/** One case of test/fixtures/gliner2-parity.json.gz, as gliner2_fixture.py writes it (the parity suite and the server suite read it). */
export interface FixtureCase {
  id: string;
  group: string;
  text: string;
  schema: ExtractSchema;
  threshold: number;
  include_confidence: boolean;
  include_spans: boolean;
  mode: 'extract' | 'long';
  chunk_size?: number;
  chunk_overlap?: number;
  deviation?: string;
  expected: string;
  prompt?: { input_ids: number[]; schema_tokens: string[][]; text_tokens: string[] };
  declaration_order_expected?: string;
  declaration_order_prompt?: { input_ids: number[]; schema_tokens: string[][] };
}

export interface ExtractCase {
  readonly text: string;
  readonly schema: ExtractSchema;
  readonly threshold: number;
  readonly includeConfidence: boolean;
  readonly includeSpans: boolean;
  readonly chunking: ExtractChunking;
}

export async function extractAll(runner: Gliner2Runner, cases: readonly ExtractCase[], rowsPerBatch = 8): Promise<string[]> {
  // One engine per chunking (the server has one; the fixture's small-chunk groups use others),
  // each on its own batcher whose batches run in process as a pool worker would run them.
  const engines = new Map<string, ExtractEngine>();
  const engineFor = (chunking: ExtractChunking): ExtractEngine => {
    const key = `${chunking.chunkWords}/${chunking.overlapWords}`;
    let engine = engines.get(key);
    if (engine === undefined) {
      const batcher = new Batcher<AnyRowTask>(
        { maxBatchRows: rowsPerBatch, maxBatchTokens: 1_000_000, maxBatchPadding: 1, maxQueueRows: 100_000, maxQueueRowsPerKey: 0, maxQueueWaitSeconds: 0, lookahead: 64, maxInflight: 1 },
        (batchId, rows) => runExtractBatch(runner, { kind: 'extract-batch', batchId, rows: rows as readonly ExtractRowTask[] }, 0),
      );
      engine = new ExtractEngine(batcher, { chunking }, { plan: (task) => Promise.resolve(runExtractPlan(task)), merge: (task) => Promise.resolve(runExtractMerge(task)) });
      engines.set(key, engine);
    }
    return engine;
  };
  const submissions = cases.map((c) => engineFor(c.chunking).submit(
    {
      texts: [c.text],
      labels: [],
      options: { threshold: c.threshold, flatNer: true, multiLabel: false },
      extract: { schema: c.schema, schemaJson: JSON.stringify(c.schema), threshold: c.threshold, includeConfidence: c.includeConfidence, includeSpans: c.includeSpans },
    },
    { timeoutMs: 600_000, tenant: 'parity' },
  ));
  const results = await Promise.all(submissions.map((s) => s.result));
  return results.map((result) => result.texts[0]?.json ?? '');
}

/**
 * Where two answers differ: the same keys in the same order, the same lists, texts and offsets
 * exactly; numbers under a "confidence" key (and the score of a bare (label, score) pair) within
 * the tolerance. Returns the first few differences, with their paths.
 */
export function answerDifferences(ours: string, upstream: string, tolerance = GLINER2_SCORE_TOLERANCE): string[] {
  const problems: string[] = [];
  const walk = (a: PyValue | undefined, b: PyValue | undefined, path: string, scored: boolean): void => {
    if (problems.length >= 5) return;
    if (isDict(b)) {
      if (!isDict(a)) return void problems.push(`${path}: ours ${JSON.stringify(a)}, upstream an object`);
      const ka = [...a.keys()];
      const kb = [...b.keys()];
      if (ka.join('\u0000') !== kb.join('\u0000')) return void problems.push(`${path}: keys ${JSON.stringify(ka)}, upstream ${JSON.stringify(kb)}`);
      for (const key of kb) walk(a.get(key), b.get(key), `${path}.${key}`, key === 'confidence');
      return;
    }
    if (isList(b)) {
      if (!isList(a) || a.length !== b.length) return void problems.push(`${path}: ${isList(a) ? `${a.length} items` : JSON.stringify(a)}, upstream ${b.length} items ${JSON.stringify(b).slice(0, 200)}`);
      // A two-item [label, score] pair (a classification without include_confidence never has one).
      b.forEach((item, i) => walk(a[i], item, `${path}[${i}]`, scored));
      return;
    }
    if (typeof b === 'number' && typeof a === 'number' && scored) {
      if (!(Math.abs(a - b) <= tolerance)) problems.push(`${path}: ${a}, upstream ${b} (|Δ| ${Math.abs(a - b).toExponential(2)})`);
      return;
    }
    if (a !== b) problems.push(`${path}: ${JSON.stringify(a)}, upstream ${JSON.stringify(b)}`);
  };
  walk(fromJson(ours), fromJson(upstream), '$', false);
  return problems;
}
