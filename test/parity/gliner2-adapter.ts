// The one place the GLiNER2 parity suite touches our pipeline: (text, schema, options) → answer JSON,
// through the workers' own task code (runExtractPlan, runExtractBatch, runExtractMerge), in process,
// with rows of different requests batched together (8 rows a batch, in order) as the engine will
// batch them. The served path (engine, batcher, pool) is checked against the same fixture over
// real sockets by test/server/extract.test.ts.
import type { ExtractSchema } from '../../src/inference/gliner2/schema.js';
import { fromJson, isDict, isList, type PyValue } from '../../src/inference/gliner2/py.js';
import type { Gliner2Runner } from '../../src/worker/gliner2-runner.js';
import type { ExtractChunking, ExtractRowTask } from '../../src/worker/gliner2-messages.js';
import { runExtractBatch, runExtractMerge, runExtractPlan } from '../../src/worker/gliner2-tasks.js';
import { SCORE_TOLERANCE } from './tolerance.js';

/**
 * Scores (confidences) may differ from upstream PyTorch's by this much: ONNX Runtime and PyTorch
 * sum in different orders, and CPUs differ (AVX2 vs AVX-512). The project's one measured float32
 * tolerance (tolerance.ts, issue 23).
 */
export const GLINER2_SCORE_TOLERANCE = SCORE_TOLERANCE;

export interface ExtractCase {
  readonly text: string;
  readonly schema: ExtractSchema;
  readonly threshold: number;
  readonly includeConfidence: boolean;
  readonly includeSpans: boolean;
  readonly chunking: ExtractChunking;
}

export async function extractAll(runner: Gliner2Runner, cases: readonly ExtractCase[], rowsPerBatch = 8): Promise<string[]> {
  const plans = cases.map((c) => runExtractPlan({ kind: 'extract-plan', texts: [c.text], chunking: c.chunking }).plans[0]);
  const rows: { readonly caseIndex: number; readonly task: ExtractRowTask; readonly startChar: number }[] = [];
  cases.forEach((c, i) => {
    const plan = plans[i];
    if (plan === undefined) throw new Error('no plan');
    for (const chunk of plan.chunks) {
      rows.push({
        caseIndex: i,
        startChar: chunk.startChar,
        task: {
          text: c.text.slice(chunk.utf16Start, chunk.utf16End),
          schema: c.schema,
          threshold: c.threshold,
          finish: plan.long ? { kind: 'chunk', maxWords: c.chunking.chunkWords } : { kind: 'answer', includeConfidence: c.includeConfidence, includeSpans: c.includeSpans },
        },
      });
    }
  });
  const answers: string[] = [];
  for (let first = 0; first < rows.length; first += rowsPerBatch) {
    const batch = rows.slice(first, first + rowsPerBatch);
    const result = await runExtractBatch(runner, { kind: 'extract-batch', batchId: first, rows: batch.map((r) => r.task) }, 0);
    result.rows.forEach((r) => answers.push(r.json));
  }
  return cases.map((c, i) => {
    const own = rows.flatMap((r, j) => (r.caseIndex === i ? [{ startChar: r.startChar, json: answers[j] ?? '' }] : []));
    if (!plans[i]?.long) return own[0]?.json ?? '';
    return runExtractMerge({ kind: 'extract-merge', text: c.text, chunks: own, includeConfidence: c.includeConfidence, includeSpans: c.includeSpans }).json;
  });
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
