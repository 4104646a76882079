// The one place the parity suite touches our pipeline: (texts, labels, options) → entities per text.
// It plans, runs and merges the way the engine does — planText, then the workers' own task code
// (runBatch: split, tokenise, run, decode a one-row text; runMerge for longer ones) — in process and
// without the batcher, with GLiNER's batch composition (8 texts a batch, in order).
// When the engine's internals change, repoint this function; parity.test.ts stays as it is.
// Relation-extraction requests (`relations`) keep all labels in one row, as the engine must.
import type { DecodeOptions } from '../../src/inference/decode.js';
import type { Entity, RowSpans } from '../../src/inference/merge.js';
import { dedupeLabels, labelGroups, planText, type PlanLimits } from '../../src/inference/plan.js';
import type { Relation } from '../../src/inference/relations.js';
import type { RelationTask, RelationsRefused, RowResult, RowTask, TextAnswer } from '../../src/worker/messages.js';
import type { OnnxRunner } from '../../src/worker/onnx-runner.js';
import { runBatch, runMerge } from '../../src/worker/tasks.js';
import { compareEntities, type Comparison, type ScoredEntity } from './tolerance.js';

export interface ParityRequest {
  readonly texts: readonly string[];
  /** One label list for all texts, or one per text. */
  readonly labels: readonly string[] | readonly (readonly string[])[];
  readonly threshold: number;
  readonly options: DecodeOptions;
  /** Labels per model row; default the server's (the model's max_types). */
  readonly labelsPerRow?: number;
  /** Relation-extraction models: the relation labels and relation_threshold. */
  readonly relations?: RelationTask;
  /** Python's DataLoader batch size (GLiNER.inference's batch_size); default 8. */
  readonly batchTexts?: number;
  /** Window size and overlap in words; default the server's (max_len, 32). */
  readonly windowWords?: number;
  readonly overlapWords?: number;
}

/** One text's answer: its entities, and with relations asked, its relations or why there are none. */
export interface ParityAnswer {
  readonly entities: Entity[];
  readonly relations?: Relation[];
  readonly refused?: RelationsRefused;
}

/** Python's DataLoader batch size in GLiNER.inference. */
const BATCH_TEXTS = 8;
const MAX_ENTITIES = 1_000_000;

export async function recognise(runner: OnnxRunner, request: ParityRequest): Promise<Entity[][]> {
  return (await extract(runner, request)).map((answer) => answer.entities);
}

function parsed(answer: TextAnswer, rows: readonly (RowResult | undefined)[]): ParityAnswer {
  const refused = rows.find((row) => row?.relationsRefused !== undefined)?.relationsRefused;
  return {
    entities: JSON.parse(answer.json) as Entity[],
    ...(answer.relations === undefined ? {} : { relations: JSON.parse(answer.relations.json) as Relation[] }),
    ...(refused === undefined ? {} : { refused }),
  };
}

export async function extract(runner: OnnxRunner, request: ParityRequest): Promise<ParityAnswer[]> {
  // Server defaults: windows of the model's max_len with 32 words of overlap, max_types labels a row.
  const limits: PlanLimits = { windowWords: request.windowWords ?? runner.config.maxLen, overlapWords: request.overlapWords ?? 32, labelsPerRow: request.labelsPerRow ?? runner.config.maxTypes };
  const labelsOf = (i: number): string[] => {
    const labels = request.labels;
    const own = typeof labels[0] === 'string' ? (labels as readonly string[]) : ((labels as readonly (readonly string[])[])[i] ?? []);
    return dedupeLabels(own);
  };
  const options = { ...request.options, threshold: request.threshold };
  const { relations } = request;
  const batchTexts = request.batchTexts ?? BATCH_TEXTS;
  const results: ParityAnswer[] = [];
  for (let first = 0; first < request.texts.length; first += batchTexts) {
    const texts = request.texts.slice(first, first + batchTexts).map((text, i) => {
      const labels = labelsOf(first + i);
      const plan = planText(text, limits);
      const groups = labelGroups(labels, relations === undefined ? limits.labelsPerRow : Math.max(1, labels.length));
      const solo = plan.windows.length === 1 && groups.length === 1;
      const rows = plan.windows.flatMap((window) => groups.map((group): { task: RowTask; spans: Omit<RowSpans, 'spans'> } => ({
        task: {
          text: text.slice(window.utf16Start, window.utf16End),
          codePoint: window.codePoint,
          labels: group.labels,
          threshold: request.threshold,
          finish: solo ? { kind: 'answer', options, maxEntities: MAX_ENTITIES } : { kind: 'spans', bestLabelOnly: !options.multiLabel, maxSpans: MAX_ENTITIES, options },
          ...(relations === undefined ? {} : { relations }),
        },
        spans: { wordOffset: window.wordOffset, wordCount: window.wordCount, labelOffset: group.offset },
      })));
      return { text, labels, plan, rows };
    });
    const tasks = texts.flatMap((t) => t.rows.map((row) => row.task));
    const output = tasks.length > 0 ? await runBatch(runner, { kind: 'batch', batchId: first, rows: tasks }, 0) : { rows: [] };
    let next = 0;
    for (const { text, labels, plan, rows } of texts) {
      const results_ = rows.map(() => output.rows[next++]);
      const only = results_[0];
      if (rows.length === 0) results.push({ entities: [], ...(relations === undefined ? {} : { relations: [] }) });
      else if (rows.length === 1 && only?.kind === 'answer') results.push(parsed(only.answer, results_));
      else {
        const spans = rows.map((row, i): RowSpans => {
          const result = results_[i];
          if (result?.kind !== 'spans') throw new Error('a row of a longer text came back decoded');
          return { ...row.spans, spans: result.spans, ...(result.relations === undefined ? {} : { relations: result.relations }) };
        });
        const answer = runMerge({
          kind: 'merge', text, labels, rows: spans, segment: { word: 0, codePoint: 0, totalWords: plan.totalWords }, options, maxEntities: MAX_ENTITIES,
          ...(relations === undefined ? {} : { relationLabels: relations.labels }),
        });
        results.push(parsed(answer, results_));
      }
    }
  }
  return results;
}

/** One fixture group: texts with its labels (one list, or one per text) and decoding options. */
export interface PyGroup { id: string; flat_ner: boolean; multi_label: boolean; threshold: number; labels: string[] | string[][]; texts: string[]; expected: ScoredEntity[][] }

/**
 * How a group's texts are put into batches: `alone` one text a batch (the kind fixtures' generators
 * ran them so), `gliner` 8 texts a batch in order (GLiNER.inference's DataLoader), `beside` each text
 * in a batch with `companion` (a longer text) ahead of it, so its row is padded.
 */
export type Composition = 'alone' | 'gliner' | 'beside';

export const asScored = (e: Entity): ScoredEntity => ({ start: e.start, end: e.end, text: e.text, label: e.entity_type, score: e.score });

/** Our answers for a group's texts, batched as `composition` says. */
export async function answersOf(runner: OnnxRunner, group: PyGroup, composition: Composition = 'alone', companion = ''): Promise<ScoredEntity[][]> {
  const options = { threshold: group.threshold, flatNer: group.flat_ner, multiLabel: group.multi_label };
  const labelsOf = (i: number): string[] => (typeof group.labels[0] === 'string' ? (group.labels as string[]) : ((group.labels as string[][])[i] ?? []));
  const run = async (texts: string[], labels: string[][]): Promise<Entity[][]> => recognise(runner, { texts, labels, threshold: group.threshold, options });
  if (composition === 'gliner') return (await run(group.texts, group.texts.map((_, i) => labelsOf(i)))).map((list) => list.map(asScored));
  const out: ScoredEntity[][] = [];
  for (let i = 0; i < group.texts.length; i++) {
    const text = group.texts[i] ?? '';
    const got = composition === 'alone' ? await run([text], [labelsOf(i)]) : (await run([companion, text], [labelsOf(i), labelsOf(i)])).slice(1);
    out.push((got[0] ?? []).map(asScored));
  }
  return out;
}

/** Each text's comparison with Python's answer (spans and labels exactly, scores within SCORE_TOLERANCE). */
export async function groupComparisons(runner: OnnxRunner, group: PyGroup, composition: Composition = 'alone', companion = ''): Promise<Comparison[]> {
  const mode = { threshold: group.threshold, flatNer: group.flat_ner, multiLabel: group.multi_label };
  const got = await answersOf(runner, group, composition, companion);
  return group.texts.map((_, i) => compareEntities(got[i] ?? [], group.expected[i] ?? [], mode));
}

/** Where our answers for a group differ from Python's, beyond what the tolerance explains. */
export async function groupProblems(runner: OnnxRunner, group: PyGroup, composition: Composition = 'alone'): Promise<string[]> {
  const comparisons = await groupComparisons(runner, group, composition);
  return comparisons.flatMap((c, i) => c.problems.map((p) => `text ${i} ${JSON.stringify((group.texts[i] ?? '').slice(0, 60))}: ${p}`));
}
