// What a worker does with each kind of task, independent of the thread it runs on: pool workers
// call it, and so do the in-process paths (tests over a fake runner). Batches: split each row's
// text slice into words, run the model, then either decode and answer (a row that is a whole text)
// or hand back the row's spans for the merge. Plans: split long texts into windows. Merges: one
// greedy pass over a long text's rows, answered as JSON. Relations (relation-extraction requests)
// follow their row: attached to the answer's entities, or kept for the merge.
import { performance } from 'node:perf_hooks';
import { decodeSpans } from '../inference/decode.js';
import { entitiesOf, mergeRows, type Entity } from '../inference/merge.js';
import { planText } from '../inference/plan.js';
import { attachRelations, EntityIndex, keepDecodedEnds, type Relation, type RelationList } from '../inference/relations.js';
import { bestLabelPerSpan, topSpans } from '../inference/spans.js';
import { splitWords, type Word } from '../inference/words.js';
import type { BatchResult, BatchTask, MergeTask, PlanResult, PlanTask, RowResult, RowTask, TextAnswer } from './messages.js';
import type { ModelRunner, RunnerRow } from './onnx-runner.js';

export function answerOf(entities: readonly Entity[], truncated: boolean, relations?: readonly Relation[]): TextAnswer {
  const answer = { json: JSON.stringify(entities), count: entities.length, truncated };
  return relations === undefined ? answer : { ...answer, relations: { json: JSON.stringify(relations), count: relations.length } };
}

/** The decoded entities' word spans, in answer order, as an index for attaching relations. */
function decodedIndex(row: RunnerRow, kept: Int32Array): EntityIndex {
  return new EntityIndex(Array.from(kept, (i) => row.spans.start[i] ?? 0), Array.from(kept, (i) => row.spans.end[i] ?? 0));
}

function finishRow(task: RowTask, words: readonly Word[], row: RunnerRow): RowResult {
  const { finish } = task;
  const outcome = task.relations === undefined ? undefined : row.relations;
  const refused = outcome !== undefined && 'refused' in outcome ? { relationsRefused: outcome.refused } : {};
  const candidates = outcome !== undefined && 'relations' in outcome ? outcome.relations : undefined;
  if (finish.kind === 'answer') {
    const { kept, truncated } = decodeSpans(row.spans, finish.options, finish.maxEntities);
    const entities = entitiesOf(task.text, words, task.labels, row.spans, kept, task.codePoint);
    const relations = candidates === undefined || task.relations === undefined ? undefined : attachRelations(candidates, decodedIndex(row, kept), entities, task.relations.labels);
    return { kind: 'answer', tokens: row.tokens, answer: answerOf(entities, truncated, relations), ...refused };
  }
  let relations: RelationList | undefined;
  if (candidates !== undefined) {
    if (finish.options === undefined) throw new Error('a window row asked for relations without its decoding options: this is a bug');
    relations = keepDecodedEnds(candidates, decodedIndex(row, decodeSpans(row.spans, finish.options).kept));
  }
  const reduced = finish.bestLabelOnly ? bestLabelPerSpan(row.spans) : row.spans;
  const spans = topSpans(reduced, finish.maxSpans);
  return { kind: 'spans', tokens: row.tokens, spans, clipped: spans.length < reduced.length, ...(relations === undefined ? {} : { relations }), ...refused };
}

export async function runBatch(runner: ModelRunner, task: BatchTask, workerId: number): Promise<BatchResult> {
  const t0 = performance.now();
  const words = task.rows.map((row) => splitWords(row.text));
  const t1 = performance.now();
  const output = await runner.run(task.rows.map((row, i) => ({
    words: (words[i] ?? []).map((w) => w.text),
    labels: row.labels,
    threshold: row.threshold,
    ...(row.relations === undefined ? {} : { relations: row.relations }),
  })));
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
  const { entities, truncated, relations } = mergeRows(task.text, words, task.labels, task.rows, task.options, task.maxEntities, task.segment, task.relationLabels);
  return answerOf(entities, truncated, relations);
}
