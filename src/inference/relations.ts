// Relation extraction below the model: which entities the relation head sees, which pairs it scores,
// which relations pass, and how they attach to a text's decoded entities. Pure: the worker runs the
// graphs (worker/relation-head.ts), this file decides, as upstream's relex models do (urchade/GLiNER
// c2bb58d: UniEncoderSpanRelexModel.forward / select_span_target_embedding, extract_spans_from_tokens,
// build_entity_pairs / build_all_entity_pairs, SpanRelexDecoder / TokenRelexDecoder._decode_relations).
//
// 1. Entities: every span whose best label is above the (entity) threshold, in the model's order —
//    span models: by (start, width); token models: upstream's start × end matching, duplicates kept.
//    Not only the decoded ones: the relations layer sees them all (a graph layer mixes them).
// 2. Pairs: every ordered (head, tail) of two of them, head ≠ tail, row-major, whose adjacency is above
//    the same threshold (relations_layer "none": every such pair).
// 3. Relations: each pair × each relation label whose probability is above relation_threshold, in
//    pair order then label order; kept when both ends are decoded entities of the text, each end being
//    the first decoded entity at that span (the greedy pass may keep a span with several labels).
import { sigmoidF32 } from './sigmoid.js';
import type { OutputTensor } from './kinds/types.js';
import type { SpanList } from './spans.js';

/** Candidate relations in word coordinates (`end` inclusive); `label` indexes the relation labels. */
export interface RelationList {
  readonly length: number;
  readonly headStart: Int32Array;
  readonly headEnd: Int32Array;
  readonly tailStart: Int32Array;
  readonly tailEnd: Int32Array;
  readonly label: Int32Array;
  readonly score: Float32Array;
}

const FIELDS = ['headStart', 'headEnd', 'tailStart', 'tailEnd', 'label'] as const;

export class RelationListBuilder {
  length = 0;
  private ints: Int32Array[];
  private scores: Float32Array;

  constructor(capacity = 16) {
    this.ints = FIELDS.map(() => new Int32Array(capacity));
    this.scores = new Float32Array(capacity);
  }

  push(headStart: number, headEnd: number, tailStart: number, tailEnd: number, label: number, score: number): void {
    if (this.length === this.scores.length) {
      const size = this.scores.length * 2;
      this.ints = this.ints.map((a) => {
        const b = new Int32Array(size);
        b.set(a);
        return b;
      });
      const scores = new Float32Array(size);
      scores.set(this.scores);
      this.scores = scores;
    }
    const i = this.length++;
    [headStart, headEnd, tailStart, tailEnd, label].forEach((value, f) => {
      (this.ints[f] as Int32Array)[i] = value;
    });
    this.scores[i] = score;
  }

  build(): RelationList {
    const n = this.length;
    const [headStart, headEnd, tailStart, tailEnd, label] = this.ints.map((a) => a.slice(0, n)) as [Int32Array, Int32Array, Int32Array, Int32Array, Int32Array];
    return { length: n, headStart, headEnd, tailStart, tailEnd, label, score: this.scores.slice(0, n) };
  }
}

/** The buffers of a relation list, for a transfer list. */
export function relationBuffers(list: RelationList): ArrayBuffer[] {
  return [list.headStart, list.headEnd, list.tailStart, list.tailEnd, list.label, list.score].map((a) => a.buffer as ArrayBuffer);
}

/**
 * Span models: the positions of a row's candidate spans (kinds' `spans`, row-major (start, width,
 * label)), each once, in that order: upstream keeps a span for the relation head when its best label
 * is above the threshold, which is when any of its labels is. Flat [start0, end0, start1, end1, …].
 */
export function spanEntityPositions(spans: SpanList): Int32Array {
  const out: number[] = [];
  for (let i = 0; i < spans.length; i++) {
    const start = spans.start[i] ?? 0;
    const end = spans.end[i] ?? 0;
    const n = out.length;
    if (n > 0 && out[n - 2] === start && out[n - 1] === end) continue;
    out.push(start, end);
  }
  return Int32Array.from(out);
}

/**
 * Token models: upstream's extract_spans_from_tokens for row `b` of logits [B, W, C, 3] (start, end,
 * inside): every (start word, label) whose start probability is above the threshold, in row-major
 * order, with every end word from there on (ascending) whose end probability for that label is above
 * it, while every inside probability from start to end is above it. The same span found for two
 * labels is listed twice, as upstream lists it. Comparisons in float32 (a float32 tensor against the
 * threshold). Only the row's own words and labels are read (what Python gives the text alone).
 */
export function tokenEntityPositions(logits: OutputTensor, b: number, textLength: number, numLabels: number, threshold: number): Int32Array {
  const [, W = 0, C = 0] = logits.dims;
  const thr = Math.fround(threshold);
  const L = Math.min(textLength, W);
  const above = (i: number, c: number, which: number): boolean => sigmoidF32(logits.data[((b * W + i) * C + c) * 3 + which] ?? -Infinity) > thr;
  const out: number[] = [];
  for (let start = 0; start < L; start++) {
    for (let c = 0; c < numLabels; c++) {
      if (!above(start, c, 0)) continue;
      for (let end = start; end < L && above(end, c, 2); end++) {
        if (above(end, c, 1)) out.push(start, end);
      }
    }
  }
  return Int32Array.from(out);
}

/**
 * The (head, tail) entity index pairs the relation head scores, flat [h0, t0, h1, t1, …]: every
 * ordered pair of distinct entities, row-major, kept when its adjacency is above the threshold
 * (float32), or every one when the model has no adjacency (relations_layer "none").
 * `adjacency` is the row's [E, E] block (row-major, stride `stride` ≥ E).
 */
export function entityPairs(entities: number, threshold: number, adjacency?: { readonly data: Float32Array; readonly offset: number; readonly stride: number }): Int32Array {
  const out: number[] = [];
  const thr = Math.fround(threshold);
  for (let h = 0; h < entities; h++) {
    for (let t = 0; t < entities; t++) {
      if (h === t) continue;
      if (adjacency !== undefined && !((adjacency.data[adjacency.offset + h * adjacency.stride + t] ?? 0) > thr)) continue;
      out.push(h, t);
    }
  }
  return out.length === 0 ? new Int32Array(0) : Int32Array.from(out);
}

/**
 * Every pair × relation label whose probability is above `threshold`, in pair order then label order.
 * `logits` is the row's [P, R] block (row-major, stride `stride` ≥ numRelations) of relation logits;
 * the probability is torch's float32 sigmoid, compared with the threshold as Python floats (doubles).
 */
export function relationCandidates(
  positions: Int32Array,
  pairs: Int32Array,
  logits: { readonly data: Float32Array; readonly offset: number; readonly stride: number },
  numRelations: number,
  threshold: number,
): RelationList {
  const out = new RelationListBuilder();
  for (let p = 0; p < pairs.length / 2; p++) {
    const h = pairs[2 * p] ?? 0;
    const t = pairs[2 * p + 1] ?? 0;
    for (let c = 0; c < numRelations; c++) {
      const prob = sigmoidF32(logits.data[logits.offset + p * logits.stride + c] ?? -Infinity);
      if (prob > threshold) out.push(positions[2 * h] ?? 0, positions[2 * h + 1] ?? 0, positions[2 * t] ?? 0, positions[2 * t + 1] ?? 0, c, prob);
    }
  }
  return out.build();
}

/** Word positions → the row's word indices (where the normaliser deleted a word, see prompt.ts). */
export function mapRelationWords(list: RelationList, map: readonly number[] | undefined): RelationList {
  if (map === undefined) return list;
  for (const field of [list.headStart, list.headEnd, list.tailStart, list.tailEnd]) {
    for (let i = 0; i < list.length; i++) field[i] = map[field[i] ?? 0] ?? field[i] ?? 0;
  }
  return list;
}

/** A relation as the API returns it: head and tail are entities of the same answer. */
export interface RelationEnd {
  /** Index into the answer's `entities`. */
  entity: number;
  text: string;
  start: number;
  end: number;
  entity_type: string;
}

export interface Relation {
  head: RelationEnd;
  tail: RelationEnd;
  relation: string;
  score: number;
}

/** What a relation end needs from an entity of the answer. */
export interface AnswerEntity {
  readonly text: string;
  readonly start: number;
  readonly end: number;
  readonly entity_type: string;
}

/** Word position → index of the first decoded entity there (upstream's mapping from model entities). */
export class EntityIndex {
  private readonly first = new Map<number, number>();

  /** `starts[i]`, `ends[i]`: the word span of answer entity i, in the candidates' word coordinates. */
  constructor(starts: ArrayLike<number>, ends: ArrayLike<number>) {
    for (let i = 0; i < starts.length; i++) {
      const key = EntityIndex.key(starts[i] ?? 0, ends[i] ?? 0);
      if (!this.first.has(key)) this.first.set(key, i);
    }
  }

  private static key(start: number, end: number): number {
    return start * 0x100000 + end;
  }

  get(start: number, end: number): number | undefined {
    return this.first.get(EntityIndex.key(start, end));
  }
}

/**
 * The candidates whose two ends are entities of the answer, as API relations, in the candidates'
 * order; `shift` moves candidate word positions into the index's coordinates.
 */
export function attachRelations(list: RelationList, index: EntityIndex, entities: readonly AnswerEntity[], labels: readonly string[], shift = 0): Relation[] {
  const out: Relation[] = [];
  const end = (i: number): RelationEnd => {
    const e = entities[i] as AnswerEntity;
    return { entity: i, text: e.text, start: e.start, end: e.end, entity_type: e.entity_type };
  };
  for (let r = 0; r < list.length; r++) {
    const head = index.get((list.headStart[r] ?? 0) + shift, (list.headEnd[r] ?? 0) + shift);
    const tail = index.get((list.tailStart[r] ?? 0) + shift, (list.tailEnd[r] ?? 0) + shift);
    if (head === undefined || tail === undefined || entities[head] === undefined || entities[tail] === undefined) continue;
    out.push({ head: end(head), tail: end(tail), relation: labels[list.label[r] ?? -1] ?? '', score: list.score[r] ?? 0 });
  }
  return out;
}

/** The candidates whose two ends are both among `positions` (a window's own decoded entities). */
export function keepDecodedEnds(list: RelationList, index: EntityIndex): RelationList {
  const out = new RelationListBuilder(Math.max(1, list.length));
  for (let r = 0; r < list.length; r++) {
    const hs = list.headStart[r] ?? 0;
    const he = list.headEnd[r] ?? 0;
    const ts = list.tailStart[r] ?? 0;
    const te = list.tailEnd[r] ?? 0;
    if (index.get(hs, he) === undefined || index.get(ts, te) === undefined) continue;
    out.push(hs, he, ts, te, list.label[r] ?? 0, list.score[r] ?? 0);
  }
  return out.build();
}

/** One row's relation candidates for a merge: `shift` moves its word positions into the text's. */
export interface RowRelations {
  readonly shift: number;
  readonly relations: RelationList;
}

/**
 * A long text's relations: each window's candidates (already limited to the window's own decoded
 * entities) attached to the merged answer's entities; the same (head, tail, relation) found by two
 * overlapping windows keeps its best score. A pair is only ever one window's: none is invented across
 * windows. Ordered by head span, tail span, then relation label — upstream's order within one window.
 */
export function mergeRelations(rows: readonly RowRelations[], starts: ArrayLike<number>, ends: ArrayLike<number>, entities: readonly AnswerEntity[], labels: readonly string[]): Relation[] {
  const index = new EntityIndex(starts, ends);
  const best = new Map<string, { head: number; tail: number; label: number; score: number }>();
  for (const { shift, relations } of rows) {
    for (let r = 0; r < relations.length; r++) {
      const head = index.get((relations.headStart[r] ?? 0) + shift, (relations.headEnd[r] ?? 0) + shift);
      const tail = index.get((relations.tailStart[r] ?? 0) + shift, (relations.tailEnd[r] ?? 0) + shift);
      if (head === undefined || tail === undefined) continue;
      const label = relations.label[r] ?? 0;
      const score = relations.score[r] ?? 0;
      const key = `${head}:${tail}:${label}`;
      const seen = best.get(key);
      if (seen === undefined || score > seen.score) best.set(key, { head, tail, label, score });
    }
  }
  const order = (i: number): [number, number] => [starts[i] ?? 0, ends[i] ?? 0];
  const sorted = [...best.values()].sort((a, b) => {
    const [ah, ahe] = order(a.head);
    const [bh, bhe] = order(b.head);
    const [at, ate] = order(a.tail);
    const [bt, bte] = order(b.tail);
    return ah - bh || ahe - bhe || at - bt || ate - bte || a.label - b.label;
  });
  const list = new RelationListBuilder(Math.max(1, sorted.length));
  for (const r of sorted) list.push(...order(r.head), ...order(r.tail), r.label, r.score);
  return attachRelations(list.build(), index, entities, labels);
}

/**
 * Defaults of the relation limits. The most relation labels in one request (a prompt carries them
 * beside the entity labels, as upstream trains with at most max_types of each), and the most
 * candidate entity pairs per row: E × (E − 1) for the E entities above the threshold, what the
 * adjacency layer and, at worst, the pair scorer cost. Config names: MAX_RELATION_LABELS,
 * MAX_RELATION_PAIRS.
 */
export const RELATION_DEFAULTS = { maxRelationLabels: 25, maxRelationPairs: 10_000 } as const;
