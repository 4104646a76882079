// BiEncoderSpan (a config with `labels_encoder`, span mode): upstream's BiEncoderSpanGLiNER. The text
// goes in alone ([CLS] words [SEP], no label prompt); the labels are encoded separately, once per
// distinct label, by the label encoder (worker/label-embedder.ts) and fed as `labels_embeddings`
// [C, D], the input upstream's export names when it is exported `from_labels_embeddings`
// (BaseBiEncoderGLiNER._prepare_onnx_batch, gliner/model.py at c2bb58d). That tensor is one label
// set for the whole batch, so the runner groups rows by label list. Output and decoding are the span
// model's: logits [B, W, K, C], upstream's SpanDecoder.
import { uniEncoderSpan } from './uni-span.js';
import type { ModelKind } from './types.js';

export const LABELS_EMBEDDINGS = 'labels_embeddings';

export const biEncoderSpan: ModelKind = {
  name: 'BiEncoderSpan',
  inputs: [...uniEncoderSpan.inputs, LABELS_EMBEDDINGS],
  outputs: ['logits'],
  promptLabels: false,
  labelsInput: LABELS_EMBEDDINGS,
  feeds: (rows, config) => uniEncoderSpan.feeds(rows, config),
  spans: (logits, b, row, threshold) => uniEncoderSpan.spans(logits, b, row, threshold),
};
