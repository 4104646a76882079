// The worker tasks of schema extraction (GLiNER2), and their results: what the engine sends a pool
// worker and gets back. Three kinds, as for NER: plan (split long texts into chunks), batch (run
// rows, from any requests, through the model), merge (one long text's chunk answers into one).
// Results are JSON strings, so the HTTP thread only forwards them.
import type { ExtractSchema } from '../inference/gliner2/schema.js';
import type { TextChunk } from '../inference/gliner2/words.js';
import type { BatchTimings } from './messages.js';

/** Chunking of long texts: upstream's extract_long chunk_size / chunk_overlap. */
export interface ExtractChunking {
  /** EXTRACT_CHUNK_WORDS: a text of more words is answered chunk by chunk. */
  readonly chunkWords: number;
  /** EXTRACT_CHUNK_OVERLAP_WORDS */
  readonly overlapWords: number;
}

export interface ExtractPlanTask {
  readonly kind: 'extract-plan';
  readonly texts: readonly string[];
  readonly chunking: ExtractChunking;
}

/** A text's plan: `long` false → one row, the whole text; true → one row per chunk, then a merge. */
export interface ExtractPlan {
  readonly long: boolean;
  readonly chunks: readonly TextChunk[];
}

export interface ExtractPlanResult {
  readonly plans: readonly ExtractPlan[];
}

/** One row: a whole text, or one chunk of a long text (its slice). */
export interface ExtractRowTask {
  readonly text: string;
  readonly schema: ExtractSchema;
  readonly threshold: number;
  /**
   * 'answer': a whole text, answered as upstream's extract with the request's flags.
   * 'chunk': one chunk of a long text, answered with confidences and spans and at most `maxWords`
   * words (upstream's extract_long passes max_len = chunk size), for the merge.
   */
  readonly finish:
    | { readonly kind: 'answer'; readonly includeConfidence: boolean; readonly includeSpans: boolean }
    | { readonly kind: 'chunk'; readonly maxWords: number };
}

export interface ExtractBatchTask {
  readonly kind: 'extract-batch';
  readonly batchId: number;
  readonly rows: readonly ExtractRowTask[];
}

export interface ExtractRowResult {
  /** Tells it apart from a GLiNER row's result in the batcher (one batcher serves either kind). */
  readonly kind: 'extract';
  /** The row's answer (or chunk answer) as JSON, keys in upstream's order. */
  readonly json: string;
  /** Prompt and text tokens of the row. */
  readonly tokens: number;
}

export interface ExtractBatchResult {
  readonly rows: readonly ExtractRowResult[];
  readonly timings: BatchTimings;
  /** rows × longest row: what the batch cost, padding included. */
  readonly paddedTokens: number;
  readonly workerId: number;
}

export interface ExtractMergeTask {
  readonly kind: 'extract-merge';
  /** The whole text. */
  readonly text: string;
  /** Each chunk's code-point start and its row's JSON, in chunk order. */
  readonly chunks: readonly { readonly startChar: number; readonly json: string }[];
  readonly includeConfidence: boolean;
  readonly includeSpans: boolean;
}

export interface ExtractAnswerResult {
  readonly json: string;
}
