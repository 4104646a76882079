// The decoder as it was before the O(n log n) rewrite — a line-by-line transcription of GLiNER's
// greedy_search (every candidate checked against every accepted span) — kept as the reference for
// the differential tests in test/inference/decode.test.ts.
import type { DecodeOptions, SpanCandidate } from '../../src/inference/decode.js';

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

function compatible(a: SpanCandidate, b: SpanCandidate, options: DecodeOptions): boolean {
  if (options.flatNer) {
    if (options.multiLabel) return sameSpan(a, b) ? a.label !== b.label : !overlaps(a, b);
    return !overlaps(a, b);
  }
  if (options.multiLabel) return sameSpan(a, b) ? a.label !== b.label : nestedOrDisjoint(a, b);
  return !sameSpan(a, b) && nestedOrDisjoint(a, b);
}

export function greedySearchReference(candidates: readonly SpanCandidate[], options: DecodeOptions): SpanCandidate[] {
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
