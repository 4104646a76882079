// Span decoding, as GLiNER's Python decoder does it: sigmoid, strict threshold, then a greedy pass
// that keeps the best-scoring spans first and drops those that conflict with an accepted one.
import { sigmoidF32 } from './sigmoid.js';

/** A scored span in word coordinates: `start`/`end` are word indices, `end` inclusive. */
export interface SpanCandidate {
  start: number;
  end: number;
  /** Index into the row's label list. */
  label: number;
  score: number;
}

export interface DecodeOptions {
  /** Keep spans with probability strictly above this (GLiNER default 0.5). */
  threshold: number;
  /** true: no overlapping spans at all. false: nested spans allowed, partial overlaps are not. */
  flatNer: boolean;
  /** Allow the same span to carry several labels. */
  multiLabel: boolean;
}

export interface LogitsView {
  readonly data: Float32Array;
  /** Dimensions [B, W, K, C]. */
  readonly dims: readonly [number, number, number, number];
}

/**
 * Every (i, k, c) of row `b` with sigmoid(logit) > threshold, inside the row (i + k < textLength)
 * and inside the row's own label set (c < numLabels), in row-major order as torch.where yields them.
 */
export function candidatesOf(
  logits: LogitsView,
  b: number,
  textLength: number,
  numLabels: number,
  threshold: number,
): SpanCandidate[] {
  const [, W, K, C] = logits.dims;
  const data = logits.data;
  const out: SpanCandidate[] = [];
  // Python compares float32 probabilities against the threshold cast to float32.
  const thr = Math.fround(threshold);
  // sigmoid is monotonic: skip cells whose logit is clearly below the threshold's logit.
  const cut = threshold <= 0 ? -Infinity : threshold >= 1 ? Infinity : Math.log(threshold / (1 - threshold)) - 1e-3;
  const rowBase = b * W * K * C;
  for (let i = 0; i < textLength; i++) {
    for (let k = 0; k < K && i + k < textLength; k++) {
      const cellBase = rowBase + (i * K + k) * C;
      for (let c = 0; c < numLabels; c++) {
        const x = data[cellBase + c] ?? -Infinity;
        if (x < cut) continue;
        const p = sigmoidF32(x);
        if (p > thr) out.push({ start: i, end: i + k, label: c, score: p });
      }
    }
  }
  return out;
}

function overlaps(a: SpanCandidate, b: SpanCandidate): boolean {
  return !(a.start > b.end || b.start > a.end);
}

function nestedOrDisjoint(a: SpanCandidate, b: SpanCandidate): boolean {
  if (!overlaps(a, b)) return true;
  return (a.start <= b.start && a.end >= b.end) || (b.start <= a.start && b.end >= a.end);
}

function sameSpan(a: SpanCandidate, b: SpanCandidate): boolean {
  return a.start === b.start && a.end === b.end;
}

/** Whether `a` and `b` may both be kept, per GLiNER's four (flat_ner, multi_label) rules. */
function compatible(a: SpanCandidate, b: SpanCandidate, options: DecodeOptions): boolean {
  if (options.flatNer) {
    if (options.multiLabel) return sameSpan(a, b) ? a.label !== b.label : !overlaps(a, b);
    return !overlaps(a, b);
  }
  if (options.multiLabel) return sameSpan(a, b) ? a.label !== b.label : nestedOrDisjoint(a, b);
  return !sameSpan(a, b) && nestedOrDisjoint(a, b);
}

/**
 * GLiNER's greedy_search: stable sort by score descending (ties keep input order), accept a span
 * iff it is compatible with every span accepted so far, then stable sort by start.
 * The input must be in row-major (start, width, label) order for ties to break as Python's do.
 */
export function greedySearch(candidates: readonly SpanCandidate[], options: DecodeOptions): SpanCandidate[] {
  const order = candidates.map((candidate, index) => ({ candidate, index }));
  order.sort((x, y) => y.candidate.score - x.candidate.score || x.index - y.index);
  const accepted: SpanCandidate[] = [];
  for (const { candidate } of order) {
    if (accepted.every((kept) => compatible(candidate, kept, options))) accepted.push(candidate);
  }
  return accepted
    .map((candidate, index) => ({ candidate, index }))
    .sort((x, y) => x.candidate.start - y.candidate.start || x.index - y.index)
    .map(({ candidate }) => candidate);
}
