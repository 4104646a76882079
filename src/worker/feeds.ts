// A kind's input tensors (plain typed arrays with dims) as onnxruntime tensors.
import * as ort from 'onnxruntime-node';
import type { TensorData } from '../inference/kinds/index.js';

export function feedsOf(inputs: Record<string, TensorData>): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = {};
  for (const [name, tensor] of Object.entries(inputs)) feeds[name] = new ort.Tensor(tensor.type, tensor.data, [...tensor.dims]);
  return feeds;
}
