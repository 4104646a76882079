// What the predict service takes and gives, whatever the transport: a typed request (an operation
// and its inputs), who is asking (the caller), and a typed answer per text. Transports parse their
// wire format into a ServiceRequest and render the ServiceAnswer in theirs; nothing between knows
// about HTTP, WebSocket or the Open Inference Protocol.
import type { CacheStatus } from '../engine/cached-engine.js';
import type { StageTimings, WindowUpdate } from '../engine/engine.js';
import type { DecodeOptions } from '../inference/decode.js';
import type { ExtractSchema } from '../inference/gliner2/schema.js';
import type { RelationTask, TextAnswer } from '../worker/messages.js';

/** The loaded model as answers, readiness and metrics name it. */
export interface ModelSummary {
  readonly id: string;
  /** 'gliner2': a GLiNER2 export, served by POST /api/v1/extract; absent or 'gliner': POST /api/v1/predict. */
  readonly kind?: 'gliner' | 'gliner2';
  readonly revision: string;
  readonly executionProvider: string;
  readonly requestedProvider: string;
  readonly quantization: string;
  readonly fallbackReason?: string;
  readonly workers: number;
  /** ONNX Runtime threads of each worker's session. */
  readonly intraOpThreads: number;
  /** Threads of the solo session (SOLO_SESSION); 0 = none. */
  readonly soloThreads: number;
  /** The model has a relation head (a relex kind): requests may ask for `relations`. */
  readonly relations?: boolean;
}

/** Texts and labels, and how to decode: the inputs of `predict`. */
export interface PredictInputs {
  readonly texts: readonly string[];
  readonly labels: readonly string[];
  readonly options: DecodeOptions;
  /** Relation-extraction models: the relation labels asked for and their threshold (docs/relations.md). */
  readonly relations?: RelationTask;
}

/** How the transport names what the client sent, so that a limit error names the client's own field. */
export interface FieldNames {
  /** Text `i`: "text", "texts.3", "text.3". */
  text(i: number): string;
  /** Where the labels came from: "labels", "entity_type". */
  readonly labels: string;
  /** The list of texts, as the subject of a sentence: `Field "texts"`, `Input "text"`. */
  readonly texts: string;
}

/**
 * One request to the service. `operation` says what to run; a new operation (GLiNER2's `extract`)
 * joins this union with its own inputs, and the service dispatches on it.
 */
export interface PredictRequest {
  readonly operation: 'predict';
  readonly inputs: PredictInputs;
  readonly fields: FieldNames;
  /** A long text's windows as they finish (the WebSocket's partial answers); answers from the cache have none. */
  readonly onPartial?: (update: WindowUpdate) => void;
}

/** A text and a GLiNER2 schema, and extract's options: the inputs of `extract`. */
export interface ExtractInputs {
  readonly text: string;
  readonly schema: ExtractSchema;
  readonly threshold: number;
  readonly includeConfidence: boolean;
  readonly includeSpans: boolean;
}

/** Schema extraction on a GLiNER2 model (docs/gliner2.md); answered as one TextAnswer whose JSON is upstream's result. */
export interface ExtractRequest {
  readonly operation: 'extract';
  readonly inputs: ExtractInputs;
  /** How the transport names the text and the schema ("text", "schema"; OIP: 'Input "text"'). */
  readonly fields: { readonly text: string; readonly schema: string };
}

export type ServiceRequest = PredictRequest | ExtractRequest;

/** Who is asking, and on what terms. */
export interface Caller {
  /** The API key's name ("anonymous" when keys are off): the unit of fairness, quotas and cache scope. */
  readonly tenant: string;
  /** The request's id (X-Request-Id, the WebSocket connection's id): logs and, later, traces. */
  readonly requestId: string;
  /** Do not answer from the cache or from an identical text in flight (Cache-Control: no-cache). */
  readonly noCache: boolean;
  /**
   * Calls `cancel` when the client goes away (at once if it already has), so that the request's rows
   * not yet run are dropped; returns a function that forgets `cancel`. The part of an AbortSignal the
   * service needs: an AbortController per request costs the HTTP thread ~10 µs, this a closure.
   */
  readonly onLeave?: (cancel: () => void) => () => void;
  /** The deadline, in milliseconds from now; default REQUEST_TIMEOUT_MS. */
  readonly timeoutMs?: number;
  /** Fields the service adds to the transport's log line (never text, never keys). */
  readonly log?: Record<string, unknown>;
  /**
   * An observer's context for this request (a trace span), set by whoever listens to the service's
   * events: it rides with the request to the engine's and batcher's events (a batch names every
   * request it served), so a trace can follow it without the engine knowing about traces.
   */
  readonly context?: unknown;
  /** W3C trace context in and out (docs/tracing.md); absent where the transport has none. */
  readonly trace?: TraceCarrier;
}

/**
 * What a transport hands the tracing observer, and where the observer leaves the request's trace
 * for the answer: the `traceparent` response header or WebSocket field, the log line's ids, the
 * latency histogram's exemplar. Off, `handle` stays undefined.
 */
export interface TraceCarrier {
  /** The request span's name, a constant per route: "POST /api/v1/predict", "WS /api/v1/stream". */
  readonly name: string;
  readonly transport: 'rest' | 'batch' | 'websocket' | 'oip';
  /** The caller's `traceparent` / `tracestate` (header, or WebSocket message field). */
  readonly traceparent: string | undefined;
  readonly tracestate: string | undefined;
  /** performance.now() when the request arrived (before its body was read): the request span starts there. */
  readonly receivedAt?: number;
  handle?: TraceHandle;
}

/** The request's trace as the transport sees it (tracing/api.ts RequestTrace is one). */
export interface TraceHandle {
  traceparent(): string | undefined;
  exemplar(): { readonly trace_id: string } | undefined;
}

/** The service's answer: one TextAnswer per text, in order, and how it was made. */
export interface ServiceAnswer {
  readonly texts: readonly TextAnswer[];
  readonly timings: StageTimings;
  readonly batchIds: readonly number[];
  /** Per text; absent when the cache is off. */
  readonly cache?: readonly CacheStatus[];
  readonly model: ModelSummary;
}
