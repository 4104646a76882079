// Merging: the spans found in each row of a text → the text's entities, in original offsets.
//
// Rows of one window with different label groups simply add up. Windows overlap, so a span near a
// window's inner edge may be a cut-off piece of a longer entity: spans touching an inner edge are
// dropped (the neighbouring window, which overlaps by more than the widest span, sees them whole).
// The same span found twice keeps its best score. Then GLiNER's greedy filter runs once over
// everything, so a single-row text decodes exactly as Python would.
import { greedySearch, type DecodeOptions, type SpanCandidate } from './decode.js';
import type { RowSpec } from './plan.js';
import { CodePointIndex, type Word } from './words.js';

export interface Entity {
  /** The entity as it appears in the original text. */
  text: string;
  /** Code-point offsets into the original text, end exclusive. */
  start: number;
  end: number;
  label: string;
  score: number;
}

export interface RowSpans {
  readonly row: Pick<RowSpec, 'wordOffset' | 'labelOffset' | 'words'>;
  /** Spans in the row's own coordinates (word index within the window, label index within the group). */
  readonly spans: readonly SpanCandidate[];
}

export function mergeRows(
  text: string,
  words: readonly Word[],
  labels: readonly string[],
  rows: readonly RowSpans[],
  options: DecodeOptions,
): Entity[] {
  const best = new Map<string, SpanCandidate>();
  for (const { row, spans } of rows) {
    const windowStart = row.wordOffset;
    const windowEnd = row.wordOffset + row.words.length - 1;
    const innerLeft = windowStart > 0;
    const innerRight = windowEnd < words.length - 1;
    for (const span of spans) {
      const start = span.start + windowStart;
      const end = span.end + windowStart;
      if ((innerLeft && start === windowStart) || (innerRight && end === windowEnd)) continue;
      const global: SpanCandidate = { start, end, label: span.label + row.labelOffset, score: span.score };
      const key = `${start}:${end}:${global.label}`;
      const seen = best.get(key);
      if (seen === undefined || seen.score < global.score) best.set(key, global);
    }
  }
  // Row-major (start, width, label) order is the order Python's candidates come in; ties in the
  // greedy pass break on it.
  const candidates = [...best.values()].sort((a, b) => a.start - b.start || a.end - b.end || a.label - b.label);
  const index = new CodePointIndex(text);
  return greedySearch(candidates, options).map((span) => {
    const first = words[span.start];
    const last = words[span.end];
    if (first === undefined || last === undefined) throw new Error(`span ${span.start}-${span.end} outside the text: this is a bug`);
    return {
      text: index.slice(first.start, last.end),
      start: first.start,
      end: last.end,
      label: labels[span.label] ?? '',
      score: span.score,
    };
  });
}
