// Batch tensors: encoded rows → the six span-mode ONNX inputs, padded and masked per row.
//
// Rows may have different lengths and different label sets: tokens are right-padded to the longest
// row, W is the most words in any row, and span_mask marks the spans inside each row. The classes
// axis C of the output is the largest label count; rows with fewer labels ignore the extra classes
// when decoding (see decode.ts).
import type { EncodedRow } from './prompt.js';

export interface BatchTensors {
  readonly batchSize: number;
  /** T: tokens per row after padding. */
  readonly tokens: number;
  /** W: words per row after padding (max text length). */
  readonly words: number;
  readonly maxWidth: number;
  readonly inputIds: BigInt64Array;
  readonly attentionMask: BigInt64Array;
  readonly wordsMask: BigInt64Array;
  readonly textLengths: BigInt64Array;
  readonly spanIdx: BigInt64Array;
  /** bool tensor, one byte per span. */
  readonly spanMask: Uint8Array;
}

export function buildBatch(rows: readonly EncodedRow[], maxWidth: number): BatchTensors {
  const batchSize = rows.length;
  let tokens = 1;
  let words = 1;
  for (const row of rows) {
    tokens = Math.max(tokens, row.inputIds.length);
    words = Math.max(words, row.textLength);
  }
  const inputIds = new BigInt64Array(batchSize * tokens);
  const attentionMask = new BigInt64Array(batchSize * tokens);
  const wordsMask = new BigInt64Array(batchSize * tokens);
  const textLengths = new BigInt64Array(batchSize);
  const spans = words * maxWidth;
  const spanIdx = new BigInt64Array(batchSize * spans * 2);
  const spanMask = new Uint8Array(batchSize * spans);

  rows.forEach((row, b) => {
    const base = b * tokens;
    row.inputIds.forEach((id, t) => {
      inputIds[base + t] = BigInt(id);
      attentionMask[base + t] = 1n;
    });
    row.wordsMask.forEach((w, t) => {
      if (w !== 0) wordsMask[base + t] = BigInt(w);
    });
    textLengths[b] = BigInt(row.textLength);
    // Flat span index i*K + k holds the word pair (i, i+k); valid while i+k < L. Masked entries stay
    // (0, 0): the model multiplies span_idx by span_mask before gathering, so any in-range value works.
    const spanBase = b * spans;
    for (let i = 0; i < row.textLength; i++) {
      for (let k = 0; k < maxWidth && i + k < row.textLength; k++) {
        const s = spanBase + i * maxWidth + k;
        spanIdx[2 * s] = BigInt(i);
        spanIdx[2 * s + 1] = BigInt(i + k);
        spanMask[s] = 1;
      }
    }
  });

  return { batchSize, tokens, words, maxWidth, inputIds, attentionMask, wordsMask, textLengths, spanIdx, spanMask };
}

/** Padded token count of a batch: what the batch actually costs the model. */
export function paddedTokens(rows: readonly EncodedRow[]): number {
  let longest = 0;
  for (const row of rows) longest = Math.max(longest, row.inputIds.length);
  return longest * rows.length;
}
