// The model runner: rows in, spans out. Owns one ONNX Runtime session, the tokenizer and the model
// kind (inference/kinds: its feeds and how its output becomes spans); the engine never sees tensors. The same class runs inside each pool worker
// and in-process for the eval command and the raw benchmark.
import * as ort from 'onnxruntime-node';
import { performance } from 'node:perf_hooks';
import { modelKind, type ModelKind } from '../inference/kinds/index.js';
import { PromptEncoder, type EncodedRow } from '../inference/prompt.js';
import { paddedTokens } from '../inference/tensors.js';
import type { GlinerConfig } from '../model/gliner-config.js';
import { readModelDir, type Quantization } from '../model/files.js';
import { openSession, type ExecutionProvider, type SessionSettings } from '../model/session.js';
import type { SpanList } from '../inference/spans.js';
import { feedsOf } from './feeds.js';
import type { BatchTimings, ModelRow } from './messages.js';

export interface RunnerSettings extends SessionSettings {
  readonly modelDir: string;
  readonly quantization: Quantization;
}

export interface RunnerRow {
  /** Spans above threshold in the row's own coordinates, in row-major (start, end, label) order. */
  readonly spans: SpanList;
  /** Real (unpadded) token count of the row. */
  readonly tokens: number;
}

export interface RunOutput {
  readonly rows: RunnerRow[];
  readonly timings: BatchTimings;
  readonly paddedTokens: number;
}

/** The narrow model interface the engine's workers depend on. */
export interface ModelRunner {
  readonly config: GlinerConfig;
  run(rows: readonly ModelRow[]): Promise<RunOutput>;
  close(): Promise<void>;
}

/** Model word positions → the row's word indices, where the normaliser deleted a word (see prompt.ts). */
function mapWords(spans: SpanList, row: EncodedRow): SpanList {
  const map = row.wordIndexMap;
  if (map === undefined) return spans;
  for (let i = 0; i < spans.length; i++) {
    spans.start[i] = map[spans.start[i] ?? 0] ?? spans.start[i] ?? 0;
    spans.end[i] = map[spans.end[i] ?? 0] ?? spans.end[i] ?? 0;
  }
  return spans;
}

export class OnnxRunner implements ModelRunner {
  private constructor(
    private readonly session: ort.InferenceSession,
    private readonly encoder: PromptEncoder,
    readonly kind: ModelKind,
    readonly config: GlinerConfig,
    readonly executionProvider: ExecutionProvider,
    readonly fallbackReason: string | undefined,
    readonly onnxPath: string,
    readonly quantization: string,
  ) {}

  static async load(settings: RunnerSettings): Promise<OnnxRunner> {
    const files = readModelDir(settings.modelDir, settings.quantization);
    const encoder = PromptEncoder.fromJson(files.tokenizerJson, files.tokenizerConfig, files.config.entToken, files.config.sepToken);
    const opened = await openSession(files.onnxPath, settings);
    let kind: ModelKind;
    try {
      kind = modelKind(files.config, opened.session.inputNames, files.onnxPath);
    } catch (error) {
      await opened.session.release();
      throw error;
    }
    return new OnnxRunner(opened.session, encoder, kind, files.config, opened.executionProvider, opened.fallbackReason, files.onnxPath, files.quantization);
  }

  /** A full-size pass so the first real request does not pay for allocation and kernel selection. */
  async warmUp(rows = 4): Promise<number> {
    const started = performance.now();
    const words = Array.from({ length: Math.min(this.config.maxLen, 64) }, (_, i) => (i % 7 === 0 ? 'Paris' : 'word'));
    const task: ModelRow = { words, labels: ['person', 'organization', 'location'], threshold: 0.5 };
    await this.run(Array.from({ length: rows }, () => task));
    return (performance.now() - started) / 1000;
  }

  async run(rows: readonly ModelRow[]): Promise<RunOutput> {
    const t0 = performance.now();
    const encoded = rows.map((row) => this.encoder.encode(row.labels, row.words));
    const feeds = feedsOf(this.kind.feeds(encoded, this.config));
    const t1 = performance.now();
    const output = await this.session.run(feeds);
    const t2 = performance.now();
    const logits = output.logits;
    if (logits === undefined) throw new Error('the model has no "logits" output: this is a bug in the export');
    const view = { data: logits.data as Float32Array, dims: logits.dims };
    const results = encoded.map((row, b): RunnerRow => ({
      spans: mapWords(this.kind.spans(view, b, row, rows[b]?.threshold ?? 0.5), row),
      tokens: row.inputIds.length,
    }));
    logits.dispose();
    const t3 = performance.now();
    return {
      rows: results,
      paddedTokens: paddedTokens(encoded),
      timings: { preprocessSeconds: (t1 - t0) / 1000, inferenceSeconds: (t2 - t1) / 1000, postprocessSeconds: (t3 - t2) / 1000 },
    };
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}
