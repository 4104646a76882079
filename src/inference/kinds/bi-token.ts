// BiEncoderToken (a config with `labels_encoder` and span_mode "token_level"): upstream's
// BiEncoderTokenGLiNER. The text alone in the four text inputs, the labels as `labels_embeddings`
// [C, D] from the label encoder (as bi-span.ts); output and decoding are the token model's: logits
// [B, W, C, 3], upstream's TokenDecoder (uni-token.ts).
import { LABELS_EMBEDDINGS } from './bi-span.js';
import type { ModelKind } from './types.js';
import { uniEncoderToken } from './uni-token.js';

export const biEncoderToken: ModelKind = {
  name: 'BiEncoderToken',
  inputs: [...uniEncoderToken.inputs, LABELS_EMBEDDINGS],
  outputs: ['logits'],
  promptLabels: false,
  labelsInput: LABELS_EMBEDDINGS,
  feeds: (rows, config) => uniEncoderToken.feeds(rows, config),
  spans: (logits, b, row, threshold) => uniEncoderToken.spans(logits, b, row, threshold),
};
