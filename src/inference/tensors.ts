// Batch tensors: encoded rows → the four text inputs every kind takes, and the six span-mode ONNX
// inputs, padded and masked per row.
//
// Rows may have different lengths and different label sets: tokens are right-padded to the longest
// row, W is the most words in any row, and span_mask marks the spans inside each row. The classes
// axis C of the output is the largest label count; rows with fewer labels ignore the extra classes
// when decoding (see decode.ts).
import type { EncodedRow } from './prompt.js';

export interface BatchTensors extends TextTensors {
  readonly maxWidth: number;
  readonly spanIdx: BigInt64Array;
  /** bool tensor, one byte per span. */
  readonly spanMask: Uint8Array;
}

// int64 tensors are filled through an Int32 view of their buffer (low word = value, high word = 0
// for the non-negative values here): converting hundreds of thousands of numbers to BigInt one by
// one costs more than the tiny model's inference on long batches. Little-endian only, checked here.
const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

/** Writes non-negative int32 values into a BigInt64Array. */
class Int64Writer {
  private readonly low: Int32Array | undefined;
  constructor(readonly array: BigInt64Array) {
    this.low = LITTLE_ENDIAN ? new Int32Array(array.buffer, array.byteOffset, array.length * 2) : undefined;
  }
  set(index: number, value: number): void {
    if (this.low !== undefined) this.low[2 * index] = value;
    else this.array[index] = BigInt(value);
  }
}

/** The four text inputs every GLiNER kind takes: input_ids, attention_mask, words_mask, text_lengths. */
export interface TextTensors {
  readonly batchSize: number;
  /** T: tokens per row after padding. */
  readonly tokens: number;
  /** W: words per row after padding (max text length). */
  readonly words: number;
  readonly inputIds: BigInt64Array;
  readonly attentionMask: BigInt64Array;
  readonly wordsMask: BigInt64Array;
  readonly textLengths: BigInt64Array;
}

export function buildTextBatch(rows: readonly EncodedRow[]): TextTensors {
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
  const ids = new Int64Writer(inputIds);
  const attention = new Int64Writer(attentionMask);
  const mask = new Int64Writer(wordsMask);
  const lengths = new Int64Writer(textLengths);
  rows.forEach((row, b) => {
    const base = b * tokens;
    row.inputIds.forEach((id, t) => {
      ids.set(base + t, id);
      attention.set(base + t, 1);
    });
    row.wordsMask.forEach((w, t) => {
      if (w !== 0) mask.set(base + t, w);
    });
    lengths.set(b, row.textLength);
  });
  return { batchSize, tokens, words, inputIds, attentionMask, wordsMask, textLengths };
}

export function buildBatch(rows: readonly EncodedRow[], maxWidth: number): BatchTensors {
  const text = buildTextBatch(rows);
  const { batchSize, words } = text;
  const spans = words * maxWidth;
  const spanIdx = new BigInt64Array(batchSize * spans * 2);
  const spanMask = new Uint8Array(batchSize * spans);
  const pairs = new Int64Writer(spanIdx);
  rows.forEach((row, b) => {
    // Flat span index i*K + k holds the word pair (i, i+k); valid while i+k < L. Masked entries stay
    // (0, 0): the model multiplies span_idx by span_mask before gathering, so any in-range value works.
    const spanBase = b * spans;
    for (let i = 0; i < row.textLength; i++) {
      for (let k = 0; k < maxWidth && i + k < row.textLength; k++) {
        const s = spanBase + i * maxWidth + k;
        pairs.set(2 * s, i);
        pairs.set(2 * s + 1, i + k);
        spanMask[s] = 1;
      }
    }
  });
  return { ...text, maxWidth, spanIdx, spanMask };
}

/** Padded token count of a batch: what the batch actually costs the model. */
export function paddedTokens(rows: readonly EncodedRow[]): number {
  let longest = 0;
  for (const row of rows) longest = Math.max(longest, row.inputIds.length);
  return longest * rows.length;
}
