// UniEncoderToken (span_mode "token_level"): upstream's UniEncoderTokenGLiNER. Inputs input_ids,
// attention_mask, words_mask, text_lengths; output logits [B, W, C, 3] (start, end, inside per word
// and label: gliner/modeling/scorers.py Scorer). Decoded as upstream's TokenDecoder does
// (gliner/decoding/decoder.py, urchade/GLiNER c2bb58d), into the same SpanList as span models.
import { sigmoidF32 } from '../sigmoid.js';
import { SpanListBuilder, type SpanList } from '../spans.js';
import { buildTextBatch } from '../tensors.js';
import type { ModelKind, OutputTensor } from './types.js';

/**
 * TokenDecoder's spans for row `b`, before its greedy pass. Upstream: every (word, label) whose start
 * probability is above the threshold, in row-major order, paired with every later-or-same word whose
 * end probability for that label is above it (ascending), kept when no inside probability from start
 * to end is below the threshold; the score is the least of the inside, start and end probabilities.
 * There is no width limit. Only the row's own words (i < textLength) and labels (c < numLabels) are
 * read, which is what Python gives the text alone (its W is then the text's length).
 *
 * Comparisons as in Python: start/end `probs > threshold` is a float32 tensor against the threshold
 * (cast to float32); the inside check `score < threshold` compares Python floats (doubles).
 */
export function tokenSpansOf(logits: OutputTensor, b: number, textLength: number, numLabels: number, threshold: number): SpanList {
  const [, W = 0, C = 0, three = 0] = logits.dims;
  if (logits.dims.length !== 4 || three !== 3) throw new Error(`UniEncoderToken: logits of shape [${logits.dims.join(', ')}], expected [B, W, C, 3]`);
  const data = logits.data;
  const thr = Math.fround(threshold);
  const L = Math.min(textLength, W);
  const at = (i: number, c: number, which: 0 | 1 | 2): number => data[((b * W + i) * C + c) * 3 + which] ?? -Infinity;
  // Probabilities per (word, label) of the row, computed once.
  const start = new Float32Array(L * numLabels);
  const end = new Float32Array(L * numLabels);
  const inside = new Float32Array(L * numLabels);
  for (let i = 0; i < L; i++) {
    for (let c = 0; c < numLabels; c++) {
      start[i * numLabels + c] = sigmoidF32(at(i, c, 0));
      end[i * numLabels + c] = sigmoidF32(at(i, c, 1));
      inside[i * numLabels + c] = sigmoidF32(at(i, c, 2));
    }
  }
  const out = new SpanListBuilder();
  for (let st = 0; st < L; st++) {
    for (let c = 0; c < numLabels; c++) {
      const ps = start[st * numLabels + c] ?? 0;
      if (!(ps > thr)) continue;
      // Ends ascending; an inside probability below the threshold at word `ed` rules out every end
      // from `ed` on, so the walk stops there.
      let least = ps;
      for (let ed = st; ed < L; ed++) {
        const pin = inside[ed * numLabels + c] ?? 0;
        if (pin < threshold) break;
        if (pin < least) least = pin;
        const pe = end[ed * numLabels + c] ?? 0;
        if (pe > thr) out.push(st, ed, c, Math.min(least, pe));
      }
    }
  }
  return out.build();
}

export const uniEncoderToken: ModelKind = {
  name: 'UniEncoderToken',
  promptLabels: true,
  outputs: ['logits'],
  inputs: ['input_ids', 'attention_mask', 'words_mask', 'text_lengths'],
  feeds(rows) {
    const batch = buildTextBatch(rows);
    const { batchSize: b, tokens: t } = batch;
    return {
      input_ids: { type: 'int64', data: batch.inputIds, dims: [b, t] },
      attention_mask: { type: 'int64', data: batch.attentionMask, dims: [b, t] },
      words_mask: { type: 'int64', data: batch.wordsMask, dims: [b, t] },
      text_lengths: { type: 'int64', data: batch.textLengths, dims: [b, 1] },
    };
  },
  spans(logits, b, row, threshold) {
    return tokenSpansOf(logits, b, row.textLength, row.numLabels, threshold);
  },
};
