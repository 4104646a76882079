// The six span-mode ONNX inputs as onnxruntime tensors, from a built batch.
import * as ort from 'onnxruntime-node';
import type { BatchTensors } from '../inference/tensors.js';

export function feedsOf(batch: BatchTensors): Record<string, ort.Tensor> {
  const spans = batch.words * batch.maxWidth;
  return {
    input_ids: new ort.Tensor('int64', batch.inputIds, [batch.batchSize, batch.tokens]),
    attention_mask: new ort.Tensor('int64', batch.attentionMask, [batch.batchSize, batch.tokens]),
    words_mask: new ort.Tensor('int64', batch.wordsMask, [batch.batchSize, batch.tokens]),
    text_lengths: new ort.Tensor('int64', batch.textLengths, [batch.batchSize, 1]),
    span_idx: new ort.Tensor('int64', batch.spanIdx, [batch.batchSize, spans, 2]),
    span_mask: new ort.Tensor('bool', batch.spanMask, [batch.batchSize, spans]),
  };
}
