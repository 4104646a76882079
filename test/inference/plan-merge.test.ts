import { describe, expect, it } from 'vitest';
import { mergeRows, type RowSpans } from '../../src/inference/merge.js';
import { dedupeLabels, labelGroups, planText, windowStarts } from '../../src/inference/plan.js';
import { spanListOf } from '../../src/inference/spans.js';
import { splitWords } from '../../src/inference/words.js';
import type { SpanCandidate } from '../../src/inference/decode.js';

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

  it('cuts a text into windows whose slices split into exactly the window\'s words', () => {
    const text = ' ' + Array.from({ length: 25 }, (_, i) => (i % 3 === 0 ? `wörd-${i}😀` : `w${i},`)).join('  ') + ' ';
    const plan = planText(text, limits);
    const words = splitWords(text);
    expect(plan.totalWords).toBe(words.length);
    expect(plan.windows.map((w) => w.wordOffset)).toEqual(windowStarts(words.length, 10, 4));
    for (const window of plan.windows) {
      const slice = text.slice(window.utf16Start, window.utf16End);
      expect(splitWords(slice).map((w) => w.text)).toEqual(words.slice(window.wordOffset, window.wordOffset + window.wordCount).map((w) => w.text));
      expect(window.codePoint).toBe(words[window.wordOffset]?.start);
    }
  });

  it('groups labels for rows', () => {
    expect(labelGroups(['a', 'b', 'c'], 2).map((g) => [g.offset, g.labels])).toEqual([[0, ['a', 'b']], [2, ['c']]]);
  });

  it('labels cost a row tokens in a prompt (uni-encoders), none beside it (bi-encoders)', () => {
    expect(labelGroups(['person', 'location'], 25)[0]?.tokens).toBeGreaterThan(2);
    expect(labelGroups(['person', 'location'], 25, false)[0]?.tokens).toBe(0);
  });

  it('plans nothing for blank texts', () => {
    expect(planText('  \n\t', limits).windows).toEqual([]);
  });
});

describe('merging rows', () => {
  const text = Array.from({ length: 25 }, (_, i) => `w${i}`).join(' ');
  const words = splitWords(text);
  const row = (wordOffset: number, labelOffset: number, spans: SpanCandidate[]): RowSpans => ({ wordOffset, wordCount: 10, labelOffset, spans: spanListOf(spans) });

  it('maps window-local spans and group-local labels to the text, with code-point offsets', () => {
    const got = mergeRows(text, words, ['a', 'b', 'c'], [row(12, 2, [{ start: 2, end: 3, label: 0, score: 0.9 }])], flat);
    expect(got.entities).toEqual([{ text: 'w14 w15', start: words[14]?.start, end: words[15]?.end, entity_type: 'c', score: Math.fround(0.9) }]);
  });

  it('drops spans touching an inner window edge and keeps the best score of duplicates', () => {
    const got = mergeRows(text, words, ['a', 'b', 'c'], [
      row(0, 0, [{ start: 8, end: 9, label: 0, score: 0.99 }, { start: 7, end: 8, label: 1, score: 0.6 }]), // (8,9) touches the right edge of [0,9]
      row(6, 0, [{ start: 1, end: 2, label: 1, score: 0.7 }, { start: 5, end: 6, label: 0, score: 0.8 }]), // (7,8) again with 0.7; (11,12)
    ], flat);
    expect(got.entities.map((e) => [e.text, e.entity_type, e.score])).toEqual([['w7 w8', 'b', Math.fround(0.7)], ['w11 w12', 'a', Math.fround(0.8)]]);
  });

  it('runs one greedy pass over all rows so a single window decodes as Python would', () => {
    const short = 'Ada met Bob';
    const got = mergeRows(short, splitWords(short), ['person'], [{ wordOffset: 0, wordCount: 3, labelOffset: 0, spans: spanListOf([{ start: 0, end: 0, label: 0, score: 0.9 }, { start: 0, end: 1, label: 0, score: 0.6 }, { start: 2, end: 2, label: 0, score: 0.8 }]) }], flat);
    expect(got.entities.map((e) => [e.text, e.start, e.end])).toEqual([['Ada', 0, 3], ['Bob', 8, 11]]);
  });

  it('merges one window of a longer text in that window\'s own coordinates (streaming updates)', () => {
    const window = text.slice(words[12]?.start ?? 0, words[21]?.end ?? 0);
    const got = mergeRows(window, splitWords(window), ['a', 'b', 'c'], [row(12, 0, [{ start: 2, end: 3, label: 1, score: 0.9 }])], flat, Infinity, { word: 12, codePoint: words[12]?.start ?? 0, totalWords: 25 });
    expect(got.entities).toEqual([{ text: 'w14 w15', start: words[14]?.start, end: words[15]?.end, entity_type: 'b', score: Math.fround(0.9) }]);
  });
});
