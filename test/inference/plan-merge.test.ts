import { describe, expect, it } from 'vitest';
import type { SpanCandidate } from '../../src/inference/decode.js';
import { mergeRows } from '../../src/inference/merge.js';
import { dedupeLabels, planText, windowStarts } from '../../src/inference/plan.js';

const limits = { windowWords: 10, overlapWords: 4, labelsPerRow: 2 };
const flat = { threshold: 0.5, flatNer: true, multiLabel: false };

describe('planning', () => {
  it('de-duplicates labels keeping the first, verbatim', () => {
    expect(dedupeLabels(['person', 'Person', 'person', 'org'])).toEqual(['person', 'Person', 'org']);
  });

  it('windows cover every word with the configured overlap, the last aligned to the end', () => {
    expect(windowStarts(5, 10, 4)).toEqual([0]);
    expect(windowStarts(25, 10, 4)).toEqual([0, 6, 12, 15]);
    for (const [count, size, overlap] of [[25, 10, 4], [1000, 384, 32], [385, 384, 32]] as const) {
      const starts = windowStarts(count, size, overlap);
      expect(starts[0]).toBe(0);
      expect((starts.at(-1) ?? 0) + size).toBe(count);
      for (let i = 1; i < starts.length; i++) expect((starts[i - 1] ?? 0) + size - (starts[i] ?? 0)).toBeGreaterThanOrEqual(overlap);
    }
  });

  it('makes one row per (window, label group)', () => {
    const text = Array.from({ length: 25 }, (_, i) => `w${i}`).join(' ');
    const plan = planText(text, ['a', 'b', 'c'], limits);
    expect(plan.windows).toBe(4);
    expect(plan.rows).toHaveLength(8);
    expect(plan.rows.map((r) => [r.wordOffset, r.labelOffset, r.labels.join(',')])).toContainEqual([15, 2, 'c']);
    expect(plan.rows.every((r) => r.words.length === 10)).toBe(true);
  });

  it('plans nothing for blank texts', () => {
    expect(planText('  \n\t', ['a'], limits).rows).toEqual([]);
  });
});

describe('merging rows', () => {
  const text = Array.from({ length: 25 }, (_, i) => `w${i}`).join(' ');
  const plan = planText(text, ['a', 'b', 'c'], limits);
  const row = (wordOffset: number, labelOffset: number, spans: SpanCandidate[]) => ({ row: { wordOffset, labelOffset, words: plan.words.slice(wordOffset, wordOffset + 10).map((w) => w.text) }, spans });

  it('maps window-local spans and group-local labels to the text, with code-point offsets', () => {
    const got = mergeRows(text, plan.words, ['a', 'b', 'c'], [row(12, 2, [{ start: 2, end: 3, label: 0, score: 0.9 }])], flat);
    expect(got).toEqual([{ text: 'w14 w15', start: plan.words[14]?.start, end: plan.words[15]?.end, label: 'c', score: 0.9 }]);
  });

  it('drops spans touching an inner window edge and keeps the best score of duplicates', () => {
    const got = mergeRows(text, plan.words, ['a', 'b', 'c'], [
      row(0, 0, [{ start: 8, end: 9, label: 0, score: 0.99 }, { start: 7, end: 8, label: 1, score: 0.6 }]), // (8,9) touches the right edge of [0,9]
      row(6, 0, [{ start: 1, end: 2, label: 1, score: 0.7 }, { start: 5, end: 6, label: 0, score: 0.8 }]), // (7,8) again with 0.7; (11,12)
    ], flat);
    expect(got.map((e) => [e.text, e.label, e.score])).toEqual([['w7 w8', 'b', 0.7], ['w11 w12', 'a', 0.8]]);
  });

  it('runs one greedy pass over all rows so a single window decodes as Python would', () => {
    const short = 'Ada met Bob';
    const p = planText(short, ['person'], limits);
    const got = mergeRows(short, p.words, ['person'], [{ row: { wordOffset: 0, labelOffset: 0, words: ['Ada', 'met', 'Bob'] }, spans: [{ start: 0, end: 0, label: 0, score: 0.9 }, { start: 0, end: 1, label: 0, score: 0.6 }, { start: 2, end: 2, label: 0, score: 0.8 }] }], flat);
    expect(got.map((e) => [e.text, e.start, e.end])).toEqual([['Ada', 0, 3], ['Bob', 8, 11]]);
  });
});
