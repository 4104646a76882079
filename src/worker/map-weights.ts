// Entry of the short-lived thread that writes the mapped copies of a model (model/mapped-weights.ts):
// it reads the model directory (the tokenizer's JSON included, megabytes for DeBERTa) and has ONNX
// Runtime load the whole model to write it, which blocks its thread for seconds: never the thread
// that serves HTTP (/health/live must keep answering while a pod starts).
import { readModelDir, type Quantization } from '../model/files.js';
import { mapWeights, type MapOptions } from '../model/mapped-weights.js';

export interface MapTask {
  readonly modelDir: string;
  readonly quantization: Quantization;
  readonly root: string;
  readonly options: MapOptions;
}

export interface MapResult {
  readonly onnxPath: string;
  /** A bi-encoder's label encoder. */
  readonly labelsOnnxPath?: string;
}

export default async function handle(task: MapTask): Promise<MapResult> {
  const files = readModelDir(task.modelDir, task.quantization);
  // One at a time: each write holds a whole model in memory while ONNX Runtime optimises it.
  const onnxPath = await mapWeights(files.onnxPath, task.root, task.options);
  if (files.labelsEncoder === undefined) return { onnxPath };
  return { onnxPath, labelsOnnxPath: await mapWeights(files.labelsEncoder.onnxPath, task.root, task.options) };
}
