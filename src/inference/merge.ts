// Merging: the spans found in each row of a text → the text's entities, in original offsets.
//
// Rows of one window with different label groups simply add up. Windows overlap, so a span near a
// window's inner edge may be a cut-off piece of a longer entity: spans touching an inner edge are
// dropped (the neighbouring window, which overlaps by more than the widest span, sees them whole).
// The same span found twice keeps its best score. Then GLiNER's greedy filter runs once over
// everything, so a single-row text decodes exactly as Python would. Runs in a worker: a long text at
// a low threshold has millions of spans. Relations (relation-extraction requests) are found inside a
// window and attach to the merged entities (relations.ts mergeRelations).
import { decodeSpans, type DecodeOptions } from './decode.js';
import { mergeRelations, type Relation, type RelationList } from './relations.js';
import { byPosition, SpanListBuilder, type SpanList } from './spans.js';
import { CodePointIndex, type Word } from './words.js';

/** An entity as the API returns it. */
export interface Entity {
  /** The entity as it appears in the original text. */
  text: string;
  /** Code-point offsets into the original text, end exclusive. */
  start: number;
  end: number;
  entity_type: string;
  score: number;
}

export interface Entities {
  readonly entities: Entity[];
  /** The entity cap was reached: more entities would have been returned. */
  readonly truncated: boolean;
  /** Relation-extraction requests: relations between `entities` (indices into it). */
  readonly relations?: Relation[];
}

export interface RowSpans {
  /** Index of the row's first word in the text. */
  readonly wordOffset: number;
  readonly wordCount: number;
  /** Index of the row's first label in the request's label list. */
  readonly labelOffset: number;
  /** Spans in the row's own coordinates (word index within the window, label index within the group). */
  readonly spans: SpanList;
  /** Relation-extraction requests: the window's relation candidates, in the row's word coordinates. */
  readonly relations?: RelationList;
}

/** Where `words` sit in the whole text: a window's words start at word `word`, code point `codePoint`. */
export interface Segment {
  readonly word: number;
  readonly codePoint: number;
  /** Words in the whole text (to tell inner window edges from the text's own ends). */
  readonly totalWords: number;
}

/**
 * The rows' spans in the segment's word coordinates: inner-edge spans dropped, duplicates keeping
 * their best score, in row-major (start, end, label) order.
 */
export function collectSpans(rows: readonly RowSpans[], segment: Segment): SpanList {
  const all = new SpanListBuilder();
  for (const { wordOffset, wordCount, labelOffset, spans } of rows) {
    const innerLeft = wordOffset > 0;
    const innerRight = wordOffset + wordCount < segment.totalWords;
    const shift = wordOffset - segment.word;
    for (let i = 0; i < spans.length; i++) {
      const start = spans.start[i] ?? 0;
      const end = spans.end[i] ?? 0;
      if ((innerLeft && start === 0) || (innerRight && end === wordCount - 1)) continue;
      all.push(start + shift, end + shift, (spans.label[i] ?? 0) + labelOffset, spans.score[i] ?? 0);
    }
  }
  const list = all.build();
  if (rows.length <= 1) return list;
  // Equal spans end up next to each other (in input order): keep the best score of each.
  const order = byPosition(list);
  const out = new SpanListBuilder(Math.max(1, list.length));
  let r = 0;
  while (r < order.length) {
    const first = order[r] ?? 0;
    let best = first;
    let next = r + 1;
    for (; next < order.length; next++) {
      const i = order[next] ?? 0;
      if (list.start[i] !== list.start[first] || list.end[i] !== list.end[first] || list.label[i] !== list.label[first]) break;
      if ((list.score[i] ?? 0) > (list.score[best] ?? 0)) best = i;
    }
    out.push(list.start[best] ?? 0, list.end[best] ?? 0, list.label[best] ?? 0, list.score[best] ?? 0);
    r = next;
  }
  return out.build();
}

/** The kept spans of `list` as entities of `text` (the segment's own text and words). */
export function entitiesOf(text: string, words: readonly Word[], labels: readonly string[], list: SpanList, kept: Int32Array, codePointBase = 0): Entity[] {
  const index = new CodePointIndex(text);
  return Array.from(kept, (i) => {
    const first = words[list.start[i] ?? -1];
    const last = words[list.end[i] ?? -1];
    if (first === undefined || last === undefined) throw new Error(`span ${list.start[i]}-${list.end[i]} outside the text: this is a bug`);
    return {
      text: index.slice(first.start, last.end),
      start: first.start + codePointBase,
      end: last.end + codePointBase,
      entity_type: labels[list.label[i] ?? -1] ?? '',
      score: list.score[i] ?? 0,
    };
  });
}

/**
 * Merge a text's (or one window's) rows into at most `limit` entities; with `relationLabels`, also
 * the rows' relations between those entities.
 */
export function mergeRows(
  text: string,
  words: readonly Word[],
  labels: readonly string[],
  rows: readonly RowSpans[],
  options: DecodeOptions,
  limit = Infinity,
  segment: Segment = { word: 0, codePoint: 0, totalWords: words.length },
  relationLabels?: readonly string[],
): Entities {
  const list = collectSpans(rows, segment);
  const { kept, truncated } = decodeSpans(list, options, limit);
  const entities = entitiesOf(text, words, labels, list, kept, segment.codePoint);
  if (relationLabels === undefined) return { entities, truncated };
  const starts = Array.from(kept, (i) => list.start[i] ?? 0);
  const ends = Array.from(kept, (i) => list.end[i] ?? 0);
  const windows = rows.flatMap((row) => (row.relations === undefined ? [] : [{ shift: row.wordOffset - segment.word, relations: row.relations }]));
  return { entities, truncated, relations: mergeRelations(windows, starts, ends, entities, relationLabels) };
}
