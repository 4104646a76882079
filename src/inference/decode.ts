// Span decoding, as GLiNER's Python decoder does it: sigmoid, strict threshold, then a greedy pass
// that keeps the best-scoring spans first and drops those that conflict with an accepted one.
//
// Python compares every candidate with every accepted span (quadratic: a long text at a threshold
// near 0 has millions of candidates). Here each check looks only at what can conflict: in flat mode
// the words the span covers (an occupancy array), in nested mode the accepted spans starting within
// the longest span's width to its left or inside it. That is O(n log n) for the sort plus O(n · w²)
// for n candidates no wider than w words (GLiNER's max_width, 12): the same result, decided the same
// way, ties included (differential test in test/inference/decode.test.ts).
import { sigmoidF32 } from './sigmoid.js';
import { byScore, SpanListBuilder, type SpanList } from './spans.js';

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
): SpanList {
  const [, W, K, C] = logits.dims;
  const data = logits.data;
  const out = new SpanListBuilder();
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
        if (p > thr) out.push(i, i + k, c, p);
      }
    }
  }
  return out.build();
}

export interface Decoded {
  /** Indices into the input of the kept spans, sorted by start (ties: the order they were kept). */
  readonly kept: Int32Array;
  /** More spans would have been kept than the limit allowed. */
  readonly truncated: boolean;
}

/**
 * What has been accepted so far, indexed for the two conflict checks. A span position (start, end)
 * is accepted once; with multi_label further labels of an accepted position may be added.
 */
class Accepted {
  /** Flat mode: words covered by an accepted span. */
  private readonly covered: Uint8Array;
  /** Accepted ends, per start word (nested mode). */
  private readonly endsAt = new Map<number, number[]>();
  /** Labels accepted per position "start:end". */
  private readonly labelsAt = new Map<number, Set<number>>();

  constructor(
    private readonly options: DecodeOptions,
    words: number,
    private readonly widest: number,
  ) {
    this.covered = new Uint8Array(options.flatNer ? words : 0);
  }

  private key(start: number, end: number): number {
    return start * (this.widest + 1) + (end - start);
  }

  /** Whether (start, end, label) is compatible with everything accepted (GLiNER's four rules). */
  allows(start: number, end: number, label: number): boolean {
    const labels = this.labelsAt.get(this.key(start, end));
    // The same position again: only multi_label allows it, with another label. Every position
    // accepted since is compatible with this one, so nothing else needs checking.
    if (labels !== undefined) return this.options.multiLabel && !labels.has(label);
    if (this.options.flatNer) {
      for (let w = start; w <= end; w++) if (this.covered[w] === 1) return false;
      return true;
    }
    // Nested: refuse a partial overlap. An accepted span crossing [start, end] either starts left of
    // it (at most `widest - 1` words left) and ends inside, or starts inside and ends right of it.
    for (let s = Math.max(0, start - this.widest + 1); s <= end; s++) {
      if (s === start) continue;
      const ends = this.endsAt.get(s);
      if (ends === undefined) continue;
      for (const e of ends) {
        if (s < start ? e >= start && e < end : e > end) return false;
      }
    }
    return true;
  }

  add(start: number, end: number, label: number): void {
    const key = this.key(start, end);
    const labels = this.labelsAt.get(key);
    if (labels !== undefined) {
      labels.add(label);
      return;
    }
    this.labelsAt.set(key, new Set([label]));
    if (this.options.flatNer) this.covered.fill(1, start, end + 1);
    else {
      const ends = this.endsAt.get(start);
      if (ends === undefined) this.endsAt.set(start, [end]);
      else ends.push(end);
    }
  }
}

/**
 * GLiNER's greedy_search over a span list: stable sort by score descending (ties keep input order),
 * accept a span iff it is compatible with every span accepted so far, then stable sort by start.
 * The input must be in row-major (start, width, label) order for ties to break as Python's do.
 * Stops after `limit` spans (the best-scoring ones that Python would keep first) and says whether
 * any further span would have been kept.
 */
export function decodeSpans(list: SpanList, options: DecodeOptions, limit = Infinity): Decoded {
  const n = list.length;
  let words = 0;
  let widest = 1;
  for (let i = 0; i < n; i++) {
    const start = list.start[i] ?? 0;
    const end = list.end[i] ?? 0;
    if (end + 1 > words) words = end + 1;
    if (end - start + 1 > widest) widest = end - start + 1;
  }
  const order = byScore(list);
  const accepted = new Accepted(options, words, widest);
  const kept: number[] = [];
  let truncated = false;
  for (let r = 0; r < n; r++) {
    const i = order[r] ?? 0;
    const start = list.start[i] ?? 0;
    const end = list.end[i] ?? 0;
    const label = list.label[i] ?? 0;
    if (!accepted.allows(start, end, label)) continue;
    if (kept.length >= limit) {
      truncated = true;
      break;
    }
    accepted.add(start, end, label);
    kept.push(i);
  }
  const rank = new Map<number, number>();
  kept.forEach((i, r) => rank.set(i, r));
  kept.sort((a, b) => (list.start[a] ?? 0) - (list.start[b] ?? 0) || (rank.get(a) ?? 0) - (rank.get(b) ?? 0));
  return { kept: Int32Array.from(kept), truncated };
}

/** decodeSpans over candidate objects (tests and small callers). */
export function greedySearch(candidates: readonly SpanCandidate[], options: DecodeOptions): SpanCandidate[] {
  const builder = new SpanListBuilder(Math.max(1, candidates.length));
  for (const c of candidates) builder.push(c.start, c.end, c.label, c.score);
  const { kept } = decodeSpans(builder.build(), options);
  return Array.from(kept, (i) => candidates[i] as SpanCandidate);
}
