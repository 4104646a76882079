// UniEncoderSpan (span_mode markerV0 and the other span modes): upstream's UniEncoderSpanGLiNER.
// Inputs input_ids, attention_mask, words_mask, text_lengths, span_idx, span_mask; output logits
// [B, W, K, C]; decoded as upstream's SpanDecoder lists candidates (decode.ts candidatesOf).
import { candidatesOf } from '../decode.js';
import { buildBatch } from '../tensors.js';
import type { ModelKind } from './types.js';

export const uniEncoderSpan: ModelKind = {
  name: 'UniEncoderSpan',
  promptLabels: true,
  outputs: ['logits'],
  inputs: ['input_ids', 'attention_mask', 'words_mask', 'text_lengths', 'span_idx', 'span_mask'],
  feeds(rows, config) {
    const batch = buildBatch(rows, config.maxWidth);
    const { batchSize: b, tokens: t } = batch;
    const spans = batch.words * batch.maxWidth;
    return {
      input_ids: { type: 'int64', data: batch.inputIds, dims: [b, t] },
      attention_mask: { type: 'int64', data: batch.attentionMask, dims: [b, t] },
      words_mask: { type: 'int64', data: batch.wordsMask, dims: [b, t] },
      text_lengths: { type: 'int64', data: batch.textLengths, dims: [b, 1] },
      span_idx: { type: 'int64', data: batch.spanIdx, dims: [b, spans, 2] },
      span_mask: { type: 'bool', data: batch.spanMask, dims: [b, spans] },
    };
  },
  spans(logits, b, row, threshold) {
    const [B = 0, W = 0, K = 0, C = 0] = logits.dims;
    if (logits.dims.length !== 4) throw new Error(`UniEncoderSpan: logits of shape [${logits.dims.join(', ')}], expected [B, W, K, C]`);
    return candidatesOf({ data: logits.data, dims: [B, W, K, C] }, b, row.textLength, row.numLabels, threshold);
  },
};
