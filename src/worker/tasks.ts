// What a worker does with each kind of task, independent of the thread it runs on: pool workers
// call it, and so do the in-process paths (tests over a fake runner). Batches: split each row's
// text slice into words, run the model, then either decode and answer (a row that is a whole text)
// or hand back the row's spans for the merge. Plans: split long texts into windows. Merges: one
// greedy pass over a long text's rows, answered as JSON.
import { performance } from 'node:perf_hooks';
import { decodeSpans } from '../inference/decode.js';
import { entitiesOf, mergeRows, type Entity } from '../inference/merge.js';
import { planText } from '../inference/plan.js';
import { bestLabelPerSpan, topSpans } from '../inference/spans.js';
import { splitWords, type Word } from '../inference/words.js';
import type { BatchResult, BatchTask, MergeTask, PlanResult, PlanTask, RowResult, RowTask, TextAnswer } from './messages.js';
import type { ModelRunner, RunnerRow } from './onnx-runner.js';

export function answerOf(entities: readonly Entity[], truncated: boolean): TextAnswer {
  return { json: JSON.stringify(entities), count: entities.length, truncated };
}

function finishRow(task: RowTask, words: readonly Word[], row: RunnerRow): RowResult {
  const { finish } = task;
  if (finish.kind === 'answer') {
    const { kept, truncated } = decodeSpans(row.spans, finish.options, finish.maxEntities);
    return { kind: 'answer', tokens: row.tokens, answer: answerOf(entitiesOf(task.text, words, task.labels, row.spans, kept, task.codePoint), truncated) };
  }
  const reduced = finish.bestLabelOnly ? bestLabelPerSpan(row.spans) : row.spans;
  const spans = topSpans(reduced, finish.maxSpans);
  return { kind: 'spans', tokens: row.tokens, spans, clipped: spans.length < reduced.length };
}

export async function runBatch(runner: ModelRunner, task: BatchTask, workerId: number): Promise<BatchResult> {
  const t0 = performance.now();
  const words = task.rows.map((row) => splitWords(row.text));
  const t1 = performance.now();
  const output = await runner.run(task.rows.map((row, i) => ({ words: (words[i] ?? []).map((w) => w.text), labels: row.labels, threshold: row.threshold })));
  const t2 = performance.now();
  const rows = task.rows.map((row, i) => {
    const result = output.rows[i];
    if (result === undefined) throw new Error('the runner returned fewer rows than it was given: this is a bug');
    return finishRow(row, words[i] ?? [], result);
  });
  const t3 = performance.now();
  const { timings } = output;
  return {
    rows,
    paddedTokens: output.paddedTokens,
    workerId,
    ...(output.labelCache === undefined ? {} : { labelCache: output.labelCache }),
    timings: {
      preprocessSeconds: timings.preprocessSeconds + (t1 - t0) / 1000,
      inferenceSeconds: timings.inferenceSeconds,
      postprocessSeconds: timings.postprocessSeconds + (t3 - t2) / 1000,
    },
  };
}

export function runPlan(task: PlanTask): PlanResult {
  return { plans: task.texts.map((text) => planText(text, task.limits)) };
}

export function runMerge(task: MergeTask): TextAnswer {
  const words = splitWords(task.text);
  const { entities, truncated } = mergeRows(task.text, words, task.labels, task.rows, task.options, task.maxEntities, task.segment);
  return answerOf(entities, truncated);
}
