// Planning: one (text, labels) task → the model rows that cover it.
//
// GLiNER's Python silently truncates a text at max_len words. We never truncate: a long text is cut
// into overlapping windows of words, and a label list longer than one pass allows is cut into
// groups; every (window, group) pair is one row. A row carries its window as a slice of the text
// (the worker splits it again into the same words), so planning a long text yields a handful of
// numbers per window. merge.ts puts the rows' spans back together.
import { splitWords } from './words.js';

export interface PlanLimits {
  /** Words per window (≤ the model's max_len). */
  readonly windowWords: number;
  /** Words shared by neighbouring windows; must exceed the model's max span width. */
  readonly overlapWords: number;
  /** Labels per row. */
  readonly labelsPerRow: number;
  /** Whether labels take tokens in the row (uni-encoders' prompt); false for bi-encoders. Default true. */
  readonly promptLabels?: boolean;
}

/** One window of a text: a run of words, where it sits in the text, and its rough token count. */
export interface WindowSpec {
  /** Index of the window's first word in the text's word list. */
  readonly wordOffset: number;
  readonly wordCount: number;
  /** UTF-16 range of the window in the text: from its first word's start to its last word's end. */
  readonly utf16Start: number;
  readonly utf16End: number;
  /** Code-point offset of the window's first word. */
  readonly codePoint: number;
  /** Rough token count of the window's words (the batcher's budget; real tokenisation is in the worker). */
  readonly tokens: number;
}

export interface TextPlan {
  readonly totalWords: number;
  readonly windows: readonly WindowSpec[];
}

/** A group of labels that share one row. */
export interface LabelGroup {
  /** Index of the group's first label in the request's label list. */
  readonly offset: number;
  readonly labels: readonly string[];
  /** Rough prompt tokens of the group. */
  readonly tokens: number;
}

/** Labels are de-duplicated keeping the first occurrence, verbatim (no case change), as Python does. */
export function dedupeLabels(labels: readonly string[]): string[] {
  return [...new Set(labels)];
}

/** Cheap stand-in for a word's sub-token count: ~5 characters a piece, at least one. */
export function estimateTokens(word: string): number {
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

/** The label groups of a request's (de-duplicated) labels under `limits`: the kind decides whether labels cost tokens. */
export function labelGroupsFor(labels: readonly string[], limits: PlanLimits): LabelGroup[] {
  return labelGroups(labels, limits.labelsPerRow, limits.promptLabels ?? true);
}

/** `promptLabels` false (bi-encoders): the labels cost the row no tokens, they are embeddings beside it. */
export function labelGroups(labels: readonly string[], labelsPerRow: number, promptLabels = true): LabelGroup[] {
  const groups: LabelGroup[] = [];
  for (let offset = 0; offset < labels.length; offset += labelsPerRow) {
    const group = labels.slice(offset, offset + labelsPerRow);
    groups.push({ offset, labels: group, tokens: promptLabels ? group.reduce((sum, label) => sum + 1 + estimateTokens(label), 0) : 0 });
  }
  return groups;
}

/** Split a text into words and cut it into windows. Linear in the text: runs in a worker for long texts. */
export function planText(text: string, limits: PlanLimits): TextPlan {
  const words = splitWords(text);
  if (words.length === 0) return { totalWords: 0, windows: [] };
  const windows = windowStarts(words.length, limits.windowWords, limits.overlapWords).map((start): WindowSpec => {
    const count = Math.min(limits.windowWords, words.length - start);
    const first = words[start];
    const last = words[start + count - 1];
    if (first === undefined || last === undefined) throw new Error('window outside the text: this is a bug');
    let tokens = 0;
    for (let w = start; w < start + count; w++) tokens += estimateTokens(words[w]?.text ?? '');
    return { wordOffset: start, wordCount: count, utf16Start: first.utf16, utf16End: last.utf16 + last.text.length, codePoint: first.start, tokens };
  });
  return { totalWords: words.length, windows };
}


/** One model row of a text: a window of it (as a slice) with a group of labels, and its rough token count. */
export interface PlannedRow {
  /** The window's slice of the text; the worker splits it into the same words again. */
  readonly text: string;
  /** Code-point offset of `text` in the whole text. */
  readonly codePoint: number;
  readonly labels: readonly string[];
  /** The batcher's budget: the special tokens, the labels' prompt and the window's words. */
  readonly tokens: number;
}

/** The rows of one planned text, by window then label group: what the engine queues and the raw bench runs. */
export function textRows(text: string, plan: TextPlan, groups: readonly LabelGroup[]): PlannedRow[][] {
  return plan.windows.map((window) => {
    const slice = text.slice(window.utf16Start, window.utf16End);
    return groups.map((group) => ({ text: slice, codePoint: window.codePoint, labels: group.labels, tokens: 3 + group.tokens + window.tokens }));
  });
}
