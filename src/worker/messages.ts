// The typed messages between the engine (main thread) and the inference workers. Three kinds of
// work cross: batches of model rows, planning a long text, and merging a long text's rows (each kind
// paired with its result in protocol.ts). Results are numbers, typed arrays and ready-made JSON
// strings, so receiving them costs the HTTP thread a copy, never a walk over objects.
import type { DecodeOptions } from '../inference/decode.js';
import type { RowSpans, Segment } from '../inference/merge.js';
import type { PlanLimits, TextPlan } from '../inference/plan.js';
import type { RelationList } from '../inference/relations.js';
import type { SpanList } from '../inference/spans.js';
import type { ExecutionProvider } from '../model/session.js';

/**
 * Relations asked of a row (relation-extraction models only). The row then carries all of the
 * request's entity labels (relations pair the entities of one row) and these relation labels.
 */
export interface RelationTask {
  /** The relation labels, de-duplicated, in order; at least one. */
  readonly labels: readonly string[];
  /** relation_threshold: a relation is kept when its probability is strictly above it. */
  readonly threshold: number;
}

/** One model row as the runner sees it: a window's words with a group of labels. */
export interface ModelRow {
  readonly words: readonly string[];
  readonly labels: readonly string[];
  readonly threshold: number;
  readonly relations?: RelationTask;
}

/**
 * A row whose relations were not computed because a limit would have been passed (its entities are
 * still there): the request is refused with this code and message (400).
 */
export interface RelationsRefused {
  readonly code: 'LIMIT_EXCEEDED';
  readonly message: string;
}

/** What the worker does with a row's spans once the model has run. */
export type RowFinish =
  /** The row is the whole text with all its labels: decode and answer in the worker. */
  | { readonly kind: 'answer'; readonly options: DecodeOptions; readonly maxEntities: number }
  /**
   * One of several rows of a text: return the spans for the merge (best label per span when
   * `bestLabelOnly`). With relations, `options` too: the window's own greedy pass decides which of
   * its entities may carry relations, as upstream decides on a text of that window's length.
   */
  | { readonly kind: 'spans'; readonly bestLabelOnly: boolean; readonly maxSpans: number; readonly options?: DecodeOptions };

/** One row of a batch: a window of a text (as a slice of it) with a group of labels. */
export interface RowTask {
  readonly text: string;
  /** Code-point offset of `text` in the request's text. */
  readonly codePoint: number;
  readonly labels: readonly string[];
  readonly threshold: number;
  readonly finish: RowFinish;
  readonly relations?: RelationTask;
}

export interface BatchTask {
  readonly kind: 'batch';
  readonly batchId: number;
  readonly rows: readonly RowTask[];
}

export interface PlanTask {
  readonly kind: 'plan';
  readonly texts: readonly string[];
  readonly limits: PlanLimits;
}

export interface MergeTask {
  readonly kind: 'merge';
  /** The segment's own text: the whole text, or one window of it. */
  readonly text: string;
  readonly labels: readonly string[];
  readonly rows: readonly RowSpans[];
  readonly segment: Segment;
  readonly options: DecodeOptions;
  readonly maxEntities: number;
  /** With relations: the relation labels (rows then carry their window's relation candidates). */
  readonly relationLabels?: readonly string[];
}

export interface InfoTask {
  readonly kind: 'info';
}

/** A text's entities (and relations, when asked), serialised in the worker. */
export interface TextAnswer {
  /** JSON array of {text, start, end, entity_type, score}. */
  readonly json: string;
  readonly count: number;
  /** The entity cap was reached. */
  readonly truncated: boolean;
  /**
   * Relation-extraction requests: JSON array of {head, tail, relation, score}, head and tail being
   * {entity (index into the entities), text, start, end, entity_type} (inference/relations.ts).
   */
  readonly relations?: { readonly json: string; readonly count: number };
}

export type RowResult = {
  /** Real (unpadded) token count of the row. */
  readonly tokens: number;
  /** The row asked for relations and a limit refused them (the request gets this error). */
  readonly relationsRefused?: RelationsRefused;
} & (
  | { readonly kind: 'answer'; readonly answer: TextAnswer }
  | {
      readonly kind: 'spans';
      readonly spans: SpanList;
      readonly clipped: boolean;
      /** With relations: the window's relation candidates whose ends its own greedy pass kept (row words). */
      readonly relations?: RelationList;
    }
);

export interface BatchTimings {
  /** Splitting, tokenisation and tensor building. */
  readonly preprocessSeconds: number;
  /** ONNX Runtime's run() alone. */
  readonly inferenceSeconds: number;
  /** Sigmoid, threshold, span extraction, decoding and the answer's JSON. */
  readonly postprocessSeconds: number;
}

export interface BatchResult {
  readonly rows: readonly RowResult[];
  readonly timings: BatchTimings;
  /** rows × longest row: what the batch cost, padding included. */
  readonly paddedTokens: number;
  readonly workerId: number;
  /** Bi-encoders: label-cache lookups in this batch. */
  readonly labelCache?: { readonly hits: number; readonly misses: number };
}

export interface PlanResult {
  readonly plans: readonly TextPlan[];
}

export interface WorkerInfo {
  readonly workerId: number;
  readonly executionProvider: ExecutionProvider;
  readonly fallbackReason?: string;
  readonly onnxPath: string;
  readonly quantization: string;
  readonly warmupSeconds: number;
}
