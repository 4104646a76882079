// Golden decoding tests: for fixed logits, the entities GLiNER's Python decoder would return,
// worked out by hand from its source (decoding/decoder.py greedy_search and utils.py).
import { describe, expect, it } from 'vitest';
import { candidatesOf, decodeSpans, greedySearch, type DecodeOptions, type SpanCandidate } from '../../src/inference/decode.js';
import { bestLabelPerSpan, candidatesFrom, spanListOf, topSpans } from '../../src/inference/spans.js';
import { greedySearchReference } from '../support/greedy-reference.js';
// A seeded generator (the bench's mulberry32), so a failure names its case.
import { rng } from '../../bench/corpus.js';

const logit = (p: number): number => Math.log(p / (1 - p));

/** Build logits [1, W, K, C] from a sparse list of (i, k, c, p); everything else very negative. */
function logits(W: number, K: number, C: number, cells: [number, number, number, number][]): { data: Float32Array; dims: [number, number, number, number] } {
  const data = new Float32Array(W * K * C).fill(-20);
  for (const [i, k, c, p] of cells) data[(i * K + k) * C + c] = logit(p);
  return { data, dims: [1, W, K, C] };
}

const spans = (list: SpanCandidate[]): [number, number, number, number][] => list.map((s) => [s.start, s.end, s.label, Number(s.score.toFixed(3))]);
const flat = { threshold: 0.5, flatNer: true, multiLabel: false };

describe('candidatesOf', () => {
  it('keeps p > threshold (strict), inside the row, inside the row\'s labels, in row-major order', () => {
    const view = logits(5, 3, 3, [[0, 0, 0, 0.9], [0, 1, 2, 0.7], [1, 0, 1, 0.6], [3, 2, 0, 0.95], [2, 0, 2, 0.8], [4, 0, 0, 0.5]]);
    // text length 4: (3,2) ends at word 5 > 3 → out; label 2 is beyond numLabels=2 → out; 0.5 is not > 0.5.
    const got = candidatesFrom(candidatesOf(view, 0, 4, 2, 0.5));
    expect(spans(got)).toEqual([[0, 0, 0, 0.9], [1, 1, 1, 0.6]]);
  });

  it('compares in float32 like torch', () => {
    const view = (x: number): { data: Float32Array; dims: [number, number, number, number] } => ({ data: Float32Array.of(x), dims: [1, 1, 1, 1] });
    // sigmoid(1e-9) is 0.5000000002 in float64 but exactly 0.5 in float32: not strictly above 0.5.
    expect(candidatesOf(view(1e-9), 0, 1, 1, 0.5).length).toBe(0);
    // sigmoid(1e-6) is 0.50000025, a float32 above 0.5: kept.
    expect(candidatesOf(view(1e-6), 0, 1, 1, 0.5).length).toBe(1);
  });
});

describe('greedySearch (GLiNER greedy_search)', () => {
  const c = (start: number, end: number, label: number, score: number): SpanCandidate => ({ start, end, label, score });

  it('flat: best score first, overlapping spans dropped, result sorted by start', () => {
    // The spec's example where gline-rs differs: Python keeps (2,4) and (0,0).
    const got = greedySearch([c(0, 0, 0, 0.5), c(0, 2, 0, 0.8), c(2, 4, 0, 0.9)], flat);
    expect(spans(got)).toEqual([[0, 0, 0, 0.5], [2, 4, 0, 0.9]]);
  });

  it('flat: adjacent spans (touching, no shared word) both survive', () => {
    expect(spans(greedySearch([c(0, 1, 0, 0.9), c(2, 3, 1, 0.8)], flat))).toEqual([[0, 1, 0, 0.9], [2, 3, 1, 0.8]]);
  });

  it('flat: the same span with two labels keeps only the better one', () => {
    expect(spans(greedySearch([c(1, 2, 0, 0.7), c(1, 2, 1, 0.9)], flat))).toEqual([[1, 2, 1, 0.9]]);
  });

  it('ties keep input (row-major) order: the earlier candidate wins', () => {
    expect(spans(greedySearch([c(0, 1, 0, 0.8), c(1, 2, 0, 0.8)], flat))).toEqual([[0, 1, 0, 0.8]]);
    expect(spans(greedySearch([c(1, 2, 0, 0.8), c(0, 1, 0, 0.8)], flat))).toEqual([[1, 2, 0, 0.8]]);
  });

  it('flat + multi_label: identical spans may carry several labels, overlaps still conflict', () => {
    const got = greedySearch([c(1, 2, 0, 0.7), c(1, 2, 1, 0.9), c(2, 3, 0, 0.8)], { ...flat, multiLabel: true });
    expect(spans(got)).toEqual([[1, 2, 1, 0.9], [1, 2, 0, 0.7]]);
  });

  it('nested: contained spans allowed, partial overlaps and duplicate spans dropped', () => {
    const got = greedySearch([c(0, 3, 0, 0.9), c(1, 2, 1, 0.8), c(2, 4, 0, 0.85), c(0, 3, 1, 0.7)], { ...flat, flatNer: false });
    // (2,4) partially overlaps (0,3) → dropped; (0,3) label 1 duplicates the accepted span → dropped.
    expect(spans(got)).toEqual([[0, 3, 0, 0.9], [1, 2, 1, 0.8]]);
  });

  it('nested + multi_label: identical spans with other labels allowed', () => {
    const got = greedySearch([c(0, 3, 0, 0.9), c(0, 3, 1, 0.7), c(2, 4, 0, 0.85)], { threshold: 0.5, flatNer: false, multiLabel: true });
    expect(spans(got)).toEqual([[0, 3, 0, 0.9], [0, 3, 1, 0.7]]);
  });

  it('stable sort by start keeps same-start spans in score order', () => {
    const got = greedySearch([c(0, 0, 0, 0.6), c(0, 2, 0, 0.9)], { threshold: 0.5, flatNer: false, multiLabel: false });
    expect(spans(got)).toEqual([[0, 2, 0, 0.9], [0, 0, 0, 0.6]]);
  });
});

const MODES: DecodeOptions[] = [false, true].flatMap((flatNer) => [false, true].map((multiLabel) => ({ threshold: 0.5, flatNer, multiLabel })));

/** Random candidates in row-major order, as rows yield them: scores from a few values, so ties are common. */
function randomCandidates(random: () => number, words: number, maxWidth: number, labels: number, density: number): SpanCandidate[] {
  const out: SpanCandidate[] = [];
  const scores = [0.51, 0.6, 0.6, 0.75, 0.9, 0.9, 0.99].map(Math.fround); // float32, as rows carry them
  for (let start = 0; start < words; start++) {
    for (let end = start; end < Math.min(words, start + maxWidth); end++) {
      for (let label = 0; label < labels; label++) {
        if (random() < density) out.push({ start, end, label, score: scores[Math.floor(random() * scores.length)] ?? 0.5 });
      }
    }
  }
  return out;
}

describe('decodeSpans: the same result as the quadratic reference decoder', () => {
  it.each(MODES)('on 400 random candidate sets, ties included (flat %o)', (mode) => {
    const random = rng(mode.flatNer ? (mode.multiLabel ? 1 : 2) : mode.multiLabel ? 3 : 4);
    for (let round = 0; round < 400; round++) {
      const candidates = randomCandidates(random, 1 + Math.floor(random() * 30), 1 + Math.floor(random() * 6), 1 + Math.floor(random() * 4), random() * 0.6);
      expect(greedySearch(candidates, mode), `round ${round}`).toEqual(greedySearchReference(candidates, mode));
    }
  });

  // Every pass asserts: the two modes without multi_label must give the same answer from the reduced
  // list, and the reduction must really have dropped labels (else the equality would prove nothing).
  it.each(MODES.filter((mode) => !mode.multiLabel))('keeping only the best label of each span changes nothing without multi_label (flat %o)', (mode) => {
    const random = rng(9);
    let reduced = 0;
    for (let round = 0; round < 200; round++) {
      const candidates = randomCandidates(random, 20, 5, 4, 0.4);
      const best = candidatesFrom(bestLabelPerSpan(spanListOf(candidates)));
      if (best.length < candidates.length) reduced++;
      expect(greedySearch(best, mode), `round ${round}`).toEqual(greedySearchReference(candidates, mode));
    }
    expect(reduced).toBeGreaterThan(150);
  });

  it.each(MODES.filter((mode) => mode.multiLabel))('with multi_label the reduction would lose entities, so it is never made then (flat %o)', (mode) => {
    const random = rng(9);
    let lost = 0;
    for (let round = 0; round < 200; round++) {
      const candidates = randomCandidates(random, 20, 5, 4, 0.4);
      const reference = greedySearchReference(candidates, mode);
      if (greedySearch(candidatesFrom(bestLabelPerSpan(spanListOf(candidates))), mode).length < reference.length) lost++;
    }
    expect(lost).toBeGreaterThan(0);
  });

  it('with a limit, keeps the first spans the decoder accepts and says more were there', () => {
    const random = rng(5);
    for (const mode of MODES) {
      const candidates = randomCandidates(random, 40, 4, 3, 0.5);
      const full = greedySearchReference(candidates, mode);
      const { kept, truncated } = decodeSpans(spanListOf(candidates), mode, 5);
      expect(kept).toHaveLength(5);
      expect(truncated).toBe(full.length > 5);
      const best = [...full].sort((a, b) => b.score - a.score).slice(0, 5).map((c) => c.score);
      expect(Array.from(kept, (i) => candidates[i]?.score).sort().reverse()).toEqual(best.sort().reverse());
      expect(decodeSpans(spanListOf(candidates), mode, full.length).truncated).toBe(false);
    }
  });

  it('decodes 200,000 nested multi-label candidates in well under a second (the reference takes minutes)', () => {
    const candidates = randomCandidates(rng(11), 4000, 12, 5, 0.85);
    expect(candidates.length).toBeGreaterThan(150_000);
    const started = performance.now();
    decodeSpans(spanListOf(candidates), { threshold: 0, flatNer: false, multiLabel: true });
    // Generous: a quadratic pass over this set would take minutes.
    expect(performance.now() - started).toBeLessThan(10_000);
  });

  it('topSpans keeps the best spans by score, in input order', () => {
    const list = spanListOf([{ start: 0, end: 0, label: 0, score: 0.6 }, { start: 1, end: 1, label: 0, score: 0.9 }, { start: 2, end: 2, label: 0, score: 0.7 }]);
    expect(candidatesFrom(topSpans(list, 2)).map((c) => c.start)).toEqual([1, 2]);
  });
});
