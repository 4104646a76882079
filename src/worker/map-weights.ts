// Entry of the short-lived thread that writes the mapped copy of a model (model/mapped-weights.ts).
// ONNX Runtime loads the whole model to write it, which blocks its thread for seconds: never the
// thread that serves HTTP (/health/live must keep answering while a pod starts).
import { mapWeights, type MapOptions } from '../model/mapped-weights.js';

export interface MapTask {
  readonly onnxPath: string;
  readonly root: string;
  readonly options: MapOptions;
}

export default function handle(task: MapTask): Promise<string> {
  return mapWeights(task.onnxPath, task.root, task.options);
}
