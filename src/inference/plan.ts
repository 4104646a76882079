// Planning: one (text, labels) task → the model rows that cover it.
//
// GLiNER's Python silently truncates a text at max_len words. We never truncate: a long text is cut
// into overlapping windows of words, and a label list longer than one pass allows is cut into
// groups; every (window, group) pair is one row. merge.ts puts the rows' spans back together.
import { splitWords, type Word } from './words.js';

export interface PlanLimits {
  /** Words per window (≤ the model's max_len). */
  readonly windowWords: number;
  /** Words shared by neighbouring windows; must exceed the model's max span width. */
  readonly overlapWords: number;
  /** Labels per row. */
  readonly labelsPerRow: number;
}

/** One row of model work: a window of a text's words with a group of its labels. */
export interface RowSpec {
  readonly words: readonly string[];
  readonly labels: readonly string[];
  /** Index of this window's first word in the text's word list. */
  readonly wordOffset: number;
  /** Index of this group's first label in the task's label list. */
  readonly labelOffset: number;
  readonly window: number;
  /** Rough token count (for the batcher's budget; real tokenisation happens in the worker). */
  readonly estimatedTokens: number;
}

export interface TextPlan {
  readonly words: readonly Word[];
  readonly windows: number;
  readonly rows: readonly RowSpec[];
}

/** Labels are de-duplicated keeping the first occurrence, verbatim (no case change), as Python does. */
export function dedupeLabels(labels: readonly string[]): string[] {
  return [...new Set(labels)];
}

/** Cheap stand-in for a word's sub-token count: ~5 characters a piece, at least one. */
function estimateTokens(word: string): number {
  return Math.max(1, Math.ceil(word.length / 5));
}

/** Window start offsets covering `count` words; the last window is aligned to the end. */
export function windowStarts(count: number, size: number, overlap: number): number[] {
  if (count <= size) return [0];
  const stride = size - overlap;
  const starts: number[] = [];
  for (let start = 0; start + size < count; start += stride) starts.push(start);
  starts.push(count - size);
  return starts;
}

export function planText(text: string, labels: readonly string[], limits: PlanLimits): TextPlan {
  const words = splitWords(text);
  if (words.length === 0 || labels.length === 0) return { words, windows: 0, rows: [] };
  const groups: { offset: number; labels: readonly string[]; tokens: number }[] = [];
  for (let offset = 0; offset < labels.length; offset += limits.labelsPerRow) {
    const group = labels.slice(offset, offset + limits.labelsPerRow);
    groups.push({ offset, labels: group, tokens: group.reduce((sum, label) => sum + 1 + estimateTokens(label), 0) });
  }
  const starts = windowStarts(words.length, limits.windowWords, limits.overlapWords);
  const rows: RowSpec[] = [];
  starts.forEach((start, window) => {
    const slice = words.slice(start, start + limits.windowWords).map((word) => word.text);
    const wordTokens = slice.reduce((sum, word) => sum + estimateTokens(word), 0);
    for (const group of groups) {
      rows.push({
        words: slice,
        labels: group.labels,
        wordOffset: start,
        labelOffset: group.offset,
        window,
        estimatedTokens: 3 + group.tokens + wordTokens,
      });
    }
  });
  return { words, windows: starts.length, rows };
}
