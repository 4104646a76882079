// The one place the parity suite touches our pipeline: (texts, labels, options) → entities per text.
// It plans, runs and merges the way the engine does (planText → OnnxRunner.run → mergeRows), in
// process and without the batcher, with GLiNER's batch composition (8 texts a batch, in order).
// When the engine's internals change, repoint this function; parity.test.ts stays as it is.
import type { DecodeOptions } from '../../src/inference/decode.js';
import { mergeRows, type Entity, type RowSpans } from '../../src/inference/merge.js';
import { dedupeLabels, planText, type PlanLimits } from '../../src/inference/plan.js';
import type { OnnxRunner } from '../../src/worker/onnx-runner.js';

export interface ParityRequest {
  readonly texts: readonly string[];
  /** One label list for all texts, or one per text. */
  readonly labels: readonly string[] | readonly (readonly string[])[];
  readonly threshold: number;
  readonly options: DecodeOptions;
  /** Labels per model row; default the server's (the model's max_types). */
  readonly labelsPerRow?: number;
}

/** Python's DataLoader batch size in GLiNER.inference. */
const BATCH_TEXTS = 8;

export async function recognise(runner: OnnxRunner, request: ParityRequest): Promise<Entity[][]> {
  // Server defaults: windows of the model's max_len with 32 words of overlap, max_types labels a row.
  const limits: PlanLimits = { windowWords: runner.config.maxLen, overlapWords: 32, labelsPerRow: request.labelsPerRow ?? runner.config.maxTypes };
  const labelsOf = (i: number): string[] => {
    const labels = request.labels;
    const own = typeof labels[0] === 'string' ? (labels as readonly string[]) : ((labels as readonly (readonly string[])[])[i] ?? []);
    return dedupeLabels(own);
  };
  const results: Entity[][] = [];
  for (let first = 0; first < request.texts.length; first += BATCH_TEXTS) {
    const texts = request.texts.slice(first, first + BATCH_TEXTS);
    const plans = texts.map((text, i) => ({ text, labels: labelsOf(first + i), plan: planText(text, labelsOf(first + i), limits) }));
    const rows = plans.flatMap(({ plan }) => plan.rows);
    const output = rows.length > 0 ? await runner.run(rows.map((row) => ({ words: row.words, labels: row.labels, threshold: request.threshold }))) : { rows: [] };
    let next = 0;
    for (const { text, labels, plan } of plans) {
      const spans: RowSpans[] = plan.rows.map((row) => ({ row, spans: output.rows[next++]?.spans ?? [] }));
      results.push(plan.rows.length === 0 ? [] : mergeRows(text, plan.words, labels, spans, request.options));
    }
  }
  return results;
}
