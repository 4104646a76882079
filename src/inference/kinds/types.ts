// The contract every GLiNER model kind implements: which ONNX inputs it takes, how a batch of
// encoded rows becomes those inputs, and how the model's output becomes each row's SpanList. What
// comes after (window merge, greedy decode, entity cap, JSON) only sees SpanLists, so it is the same
// for every kind. Tensors here are plain typed arrays with dims; worker/feeds.ts wraps them for
// onnxruntime, so everything in this folder is pure and testable without a session.
import type { GlinerConfig, GlinerKindName } from '../../model/gliner-config.js';
import type { EncodedRow } from '../prompt.js';
import type { SpanList } from '../spans.js';

export interface TensorData {
  readonly type: 'int64' | 'bool' | 'float32';
  readonly data: BigInt64Array | Uint8Array | Float32Array;
  readonly dims: readonly number[];
}

/** The model's float output, as onnxruntime returns it. */
export interface OutputTensor {
  readonly data: Float32Array;
  readonly dims: readonly number[];
}

/**
 * Relation-extraction kinds (upstream's UniEncoder*RelexGLiNER, exported by
 * native-models/export_relex.py): what the runner needs beyond the entity logits.
 */
export interface RelexSpec {
  /**
   * The entities the relation head sees for row `b`, flat [start0, end0, start1, end1, …] in model
   * word positions and in upstream's order; `spans` is the row's `spans()` at the same threshold.
   */
  entityPositions(logits: OutputTensor, b: number, row: EncodedRow, threshold: number, spans: SpanList): Int32Array;
}

export interface ModelKind {
  readonly name: GlinerKindName;
  /** The ONNX inputs this kind feeds, in the order upstream's export names them. */
  readonly inputs: readonly string[];
  /** The outputs the ONNX file must have (the runner reads `logits`; relex kinds more). */
  readonly outputs: readonly string[];
  /** Whether the labels lead the text in the prompt (uni-encoders) or go to a label encoder (bi-encoders). */
  readonly promptLabels: boolean;
  /**
   * Bi-encoders: the input that takes the label embeddings [C, D], one label set for the whole batch
   * (the runner fills it, from the label encoder, and groups rows by label list).
   */
  readonly labelsInput?: string;
  /** The inputs for a batch of rows (padded to the longest row, masked per row). */
  feeds(rows: readonly EncodedRow[], config: GlinerConfig): Record<string, TensorData>;
  /**
   * Row `b`'s spans with probability above `threshold`, in its own word coordinates (`end`
   * inclusive) and in the order upstream's decoder lists them before its greedy pass, so that
   * ties between equal scores break as they do in Python.
   */
  spans(logits: OutputTensor, b: number, row: EncodedRow, threshold: number): SpanList;
  /** Relation-extraction kinds: the relation labels go in the prompt and the relation head runs. */
  readonly relex?: RelexSpec;
}
