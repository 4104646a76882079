// The model runner: rows in, spans out. Owns one ONNX Runtime session, the tokenizer and the model
// kind (inference/kinds: its feeds and how its output becomes spans); the engine never sees tensors.
// Relation-extraction models add their relation head (relation-head.ts): rows that ask for relations
// come back with relation candidates too. The same class runs inside each pool worker and in-process
// for the eval command and the raw benchmark.
import * as ort from 'onnxruntime-node';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { GlinerError } from '../errors.js';
import { loadTokenizer } from '../inference/tokenizer.js';
import { modelKind, type ModelKind } from '../inference/kinds/index.js';
import { PromptEncoder, type EncodedRow } from '../inference/prompt.js';
import { paddedTokens } from '../inference/tensors.js';
import type { GlinerConfig } from '../model/gliner-config.js';
import { readModelDir, type Quantization } from '../model/files.js';
import { openSession, type ExecutionProvider, type SessionSettings } from '../model/session.js';
import { mapRelationWords, RELATION_DEFAULTS } from '../inference/relations.js';
import type { SpanList } from '../inference/spans.js';
import { feedsOf } from './feeds.js';
import { LabelEmbedder } from './label-embedder.js';
import type { BatchTimings, ModelRow } from './messages.js';
import { RelationHead, type RelationOutcome, type RelationRow } from './relation-head.js';

export interface RunnerSettings extends SessionSettings {
  readonly modelDir: string;
  readonly quantization: Quantization;
  /** Bi-encoders: label embeddings kept per worker (LABEL_CACHE_SIZE); default 10,000. */
  readonly labelCacheSize?: number;
  /** Relation-extraction models: most candidate entity pairs per row (MAX_RELATION_PAIRS); default 10,000. */
  readonly maxRelationPairs?: number;
  /** Rows of the warm-up pass: the most rows a batch will have (default 4). A session's arena keeps what its largest run took. */
  readonly warmupRows?: number;
  /** Open these files instead of the directory's (the mapped copies, model/mapped-weights.ts). */
  readonly mapped?: { readonly onnxPath: string; readonly labelsOnnxPath?: string };
}

export interface RunnerRow {
  /** Spans above threshold in the row's own coordinates, in row-major (start, end, label) order. */
  readonly spans: SpanList;
  /** Real (unpadded) token count of the row. */
  readonly tokens: number;
  /** Rows that asked for relations: their candidates (row words, as `spans`) or why there are none. */
  readonly relations?: RelationOutcome;
}

export interface RunOutput {
  readonly rows: RunnerRow[];
  readonly timings: BatchTimings;
  readonly paddedTokens: number;
  /** Bi-encoders: label-cache lookups in this batch. */
  readonly labelCache?: { readonly hits: number; readonly misses: number };
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
    private readonly labels: LabelEmbedder | undefined,
    private readonly relationHead: RelationHead | undefined,
  ) {}

  static async load(settings: RunnerSettings): Promise<OnnxRunner> {
    const files = readModelDir(settings.modelDir, settings.quantization);
    const opened = await openSession(settings.mapped?.onnxPath ?? files.onnxPath, settings);
    let kind: ModelKind;
    let encoder: PromptEncoder;
    let labels: LabelEmbedder | undefined;
    let relationHead: RelationHead | undefined;
    try {
      kind = modelKind(files.config, opened.session.inputNames, files.onnxPath, opened.session.outputNames);
      encoder = PromptEncoder.fromJson(files.tokenizerJson, files.tokenizerConfig, files.config.entToken, files.config.sepToken, kind.relex === undefined ? undefined : (files.config.relToken ?? '<<REL>>'));
      if (kind.labelsInput !== undefined) {
        if (files.labelsEncoder === undefined) {
          throw new GlinerError('MODEL_UNSUPPORTED', `${settings.modelDir}: a ${kind.name} GLiNER needs its label encoder as labels_encoder.onnx (inputs input_ids, attention_mask; output labels_embeddings), next to ${path.basename(files.onnxPath)}; there is none.`);
        }
        const labelSession = await openSession(settings.mapped?.labelsOnnxPath ?? files.labelsEncoder.onnxPath, settings);
        labels = new LabelEmbedder(labelSession.session, loadTokenizer(files.labelsEncoder.tokenizerJson, undefined), settings.labelCacheSize ?? 10_000);
      }
      if (kind.relex !== undefined) {
        if (files.relexHeads === undefined) {
          throw new GlinerError('MODEL_UNSUPPORTED', `${settings.modelDir}: a ${kind.name} GLiNER needs its relation head as relex_entities.onnx and relex_pairs.onnx next to ${path.basename(files.onnxPath)} (native-models/export_relex.py writes them); they are missing.`);
        }
        relationHead = await RelationHead.open(files.relexHeads, settings, files.config.relationsLayer, settings.maxRelationPairs ?? RELATION_DEFAULTS.maxRelationPairs);
      }
    } catch (error) {
      await opened.session.release();
      throw error;
    }
    return new OnnxRunner(opened.session, encoder, kind, files.config, opened.executionProvider, opened.fallbackReason, files.onnxPath, files.quantization, labels, relationHead);
  }

  /** A full-size pass so the first real request does not pay for allocation and kernel selection. */
  async warmUp(rows = 4): Promise<number> {
    const started = performance.now();
    const words = Array.from({ length: Math.min(this.config.maxLen, 64) }, (_, i) => (i % 7 === 0 ? 'Paris' : 'word'));
    // Relation-extraction models warm their relation head too.
    const task: ModelRow = { words, labels: ['person', 'organization', 'location'], threshold: 0.5, ...(this.relationHead === undefined ? {} : { relations: { labels: ['works for', 'located in'], threshold: 0.5 } }) };
    await this.run(Array.from({ length: rows }, () => task));
    this.labels?.cache.take();
    return (performance.now() - started) / 1000;
  }

  async run(rows: readonly ModelRow[]): Promise<RunOutput> {
    const t0 = performance.now();
    // Relation-extraction models always carry the relation section (empty when no relations are asked).
    const encoded = rows.map((row) => this.encoder.encode(row.labels, row.words, this.kind.promptLabels, this.kind.relex === undefined ? undefined : (row.relations?.labels ?? [])));
    const results: RunnerRow[] = new Array<RunnerRow>(rows.length);
    let inference = 0;
    let postprocess = 0;
    // A bi-encoder's label embeddings are one label set per run: rows are grouped by label list.
    for (const group of this.groups(rows)) {
      const groupRows = group.map((i) => encoded[i] as EncodedRow);
      const feeds = feedsOf(this.kind.feeds(groupRows, this.config));
      if (this.labels !== undefined && this.kind.labelsInput !== undefined) {
        const embedded = await this.labels.embed(rows[group[0] ?? 0]?.labels ?? []);
        feeds[this.kind.labelsInput] = new ort.Tensor('float32', embedded.data, embedded.dims);
      }
      // Relations only where the model has a relation head (the engine refuses them for other models).
      const asking = this.relationHead === undefined ? [] : group.filter((i) => (rows[i]?.relations?.labels.length ?? 0) > 0);
      const t1 = performance.now();
      const output = await this.session.run(feeds, asking.length > 0 ? [...this.kind.outputs] : ['logits']);
      const t2 = performance.now();
      const logits = output.logits;
      if (logits === undefined) throw new Error('the model has no "logits" output: this is a bug in the export');
      const view = { data: logits.data as Float32Array, dims: logits.dims };
      const spans = groupRows.map((row, b) => this.kind.spans(view, b, row, rows[group[b] ?? 0]?.threshold ?? 0.5));
      const { outcomes: relations, runMs: relationsMs } = asking.length > 0 ? await this.relationsOf(output, view, rows, group, groupRows, spans) : { outcomes: new Map<number, RelationOutcome>(), runMs: 0 };
      groupRows.forEach((row, b) => {
        const i = group[b] ?? 0;
        const outcome = relations.get(i);
        const mapped = outcome !== undefined && 'relations' in outcome ? { relations: mapRelationWords(outcome.relations, row.wordIndexMap) } : outcome;
        results[i] = { spans: mapWords(spans[b] as SpanList, row), tokens: row.inputIds.length, ...(mapped === undefined ? {} : { relations: mapped }) };
      });
      logits.dispose();
      inference += t2 - t1 + relationsMs;
      postprocess += performance.now() - t2 - relationsMs;
    }
    const total = performance.now() - t0;
    return {
      rows: results,
      paddedTokens: paddedTokens(encoded),
      timings: { preprocessSeconds: (total - inference - postprocess) / 1000, inferenceSeconds: inference / 1000, postprocessSeconds: postprocess / 1000 },
      ...(this.labels === undefined ? {} : { labelCache: this.labels.cache.take() }),
    };
  }

  /**
   * The relation head over the group's rows that asked for relations: each row's entities (its kind's
   * choice, from the logits at the row's threshold), by row index in `rows`.
   */
  private async relationsOf(
    output: ort.InferenceSession.OnnxValueMapType,
    logits: { data: Float32Array; dims: readonly number[] },
    rows: readonly ModelRow[],
    group: readonly number[],
    encoded: readonly EncodedRow[],
    spans: readonly SpanList[],
  ): Promise<{ outcomes: Map<number, RelationOutcome>; runMs: number }> {
    const relex = this.kind.relex;
    const words = output.words_embedding;
    const relations = output.relation_embeddings;
    if (relex === undefined || this.relationHead === undefined || words === undefined || relations === undefined) {
      throw new Error('relations asked of a model without a relation head: this is a bug');
    }
    const asked: RelationRow[] = [];
    const index: number[] = [];
    group.forEach((i, b) => {
      const row = rows[i];
      const row_ = encoded[b];
      if (row?.relations === undefined || row.relations.labels.length === 0 || row_ === undefined) return;
      asked.push({
        b,
        positions: relex.entityPositions(logits, b, row_, row.threshold, spans[b] as SpanList),
        threshold: row.threshold,
        relationThreshold: row.relations.threshold,
        numRelations: row.relations.labels.length,
        where: `a text window of ${row.words.length} words`,
      });
      index.push(i);
    });
    const { outcomes, runMs } = await this.relationHead.run({ words, relations }, asked);
    words.dispose();
    relations.dispose();
    return { outcomes: new Map(index.map((i, r) => [i, outcomes[r] as RelationOutcome])), runMs };
  }

  /** Row indices to run together: all at once, or for a bi-encoder one group per label list. */
  private groups(rows: readonly ModelRow[]): number[][] {
    if (this.labels === undefined) return [rows.map((_, i) => i)];
    const byLabels = new Map<string, number[]>();
    rows.forEach((row, i) => {
      const key = JSON.stringify(row.labels);
      const group = byLabels.get(key);
      if (group === undefined) byLabels.set(key, [i]);
      else group.push(i);
    });
    return [...byLabels.values()];
  }

  async close(): Promise<void> {
    await this.session.release();
    await this.labels?.close();
    await this.relationHead?.close();
  }
}
