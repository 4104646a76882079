// The typed messages between the engine (main thread) and the inference workers.
import type { SpanCandidate } from '../inference/decode.js';
import type { ExecutionProvider } from '../model/session.js';

/** One model row: a window of words with a group of labels. */
export interface RowTask {
  readonly words: readonly string[];
  readonly labels: readonly string[];
  readonly threshold: number;
}

export interface BatchTask {
  readonly kind: 'batch';
  readonly batchId: number;
  readonly rows: readonly RowTask[];
}

export interface InfoTask {
  readonly kind: 'info';
}

export type WorkerTask = BatchTask | InfoTask;

export interface RowResult {
  /** Spans above threshold in the row's own coordinates, in row-major order. */
  readonly spans: readonly SpanCandidate[];
  /** Real (unpadded) token count of the row. */
  readonly tokens: number;
}

export interface BatchTimings {
  /** Tokenisation and tensor building. */
  readonly preprocessSeconds: number;
  /** ONNX Runtime's run() alone. */
  readonly inferenceSeconds: number;
  /** Sigmoid, threshold and span extraction. */
  readonly postprocessSeconds: number;
}

export interface BatchResult {
  readonly rows: readonly RowResult[];
  readonly timings: BatchTimings;
  /** rows × longest row: what the batch cost, padding included. */
  readonly paddedTokens: number;
  readonly workerId: number;
}

export interface WorkerInfo {
  readonly workerId: number;
  readonly executionProvider: ExecutionProvider;
  readonly fallbackReason?: string;
  readonly onnxPath: string;
  readonly quantization: string;
  readonly warmupSeconds: number;
}
