// The GLiNER2 runner: rows (a text or a chunk of one, each with its own schema) in, upstream's
// formatted results out. Owns the five ONNX Runtime sessions of a GLiNER2 export and its tokenizer
// (layout: native-models/README.md). One batch of rows, from any requests, runs as
//
//   1. encoder       every row at once (padded): the cost, and where batching pays
//   2. count_pred    the [P] marker of every extractive task of every row → instance counts
//      classifier    the [L] markers of every classification → label logits
//   3. count_embed   the field markers of every task with a count → per-instance field vectors
//   4. span_scores   the rows with a count (padded), each with all its queries → span logits
//   5. decode + format per row (inference/gliner2), as upstream's extract
//
// Like OnnxRunner it runs inside each pool worker and in process (the parity test).
import * as ort from 'onnxruntime-node';
import { performance } from 'node:perf_hooks';
import { loadTokenizer } from '../inference/tokenizer.js';
import { argmax, decodeRow, queriesOf, type Flags, type RowScores } from '../inference/gliner2/decode.js';
import { formatResults } from '../inference/gliner2/format.js';
import { compileSchema, Gliner2PromptEncoder, type CompiledSchema, type EncodedGliner2Row } from '../inference/gliner2/prompt.js';
import type { PyDict } from '../inference/gliner2/py.js';
import type { ExtractSchema } from '../inference/gliner2/schema.js';
import { readGliner2Dir, GLINER2_GRAPHS, type Gliner2Config, type Gliner2Graph } from '../model/gliner2-files.js';
import { openSession, type ExecutionProvider, type SessionSettings } from '../model/session.js';
import { LruCache } from './lru.js';
import type { BatchTimings } from './messages.js';

export interface Gliner2RunnerSettings extends SessionSettings {
  readonly modelDir: string;
}

/** One row: a text (or a chunk of one) with its schema and options. */
export interface Gliner2Row {
  readonly text: string;
  readonly schema: ExtractSchema;
  readonly threshold: number;
  /** Keep this many words at most (upstream's max_len; its long-text path passes the chunk size). */
  readonly maxWords?: number;
  /** Format as the request asked (a whole text), or with confidences and spans (a chunk, for the merge). */
  readonly flags: Flags;
}

export interface Gliner2RowOutput {
  readonly result: PyDict;
  /** Tokens of the row (schema prompt and text). */
  readonly tokens: number;
}

export interface Gliner2RunOutput {
  readonly rows: Gliner2RowOutput[];
  readonly timings: BatchTimings;
  /** rows × longest row. */
  readonly paddedTokens: number;
}

const SCHEMA_CACHE = 256;

type Sessions = Readonly<Record<Gliner2Graph, ort.InferenceSession>>;
/** The warm-up's schema: every task type, so every graph runs. */
const WARMUP_SCHEMA: ExtractSchema = {
  entities: ['person', 'location'],
  classifications: [{ task: 'topic', labels: ['history', 'sport'] }],
  relations: ['born_in'],
  structures: [{ name: 'person', fields: [{ name: 'name', dtype: 'str' }] }],
};

/** count_embed graphs by the instances they compute, fewest first. */
type CountEmbeds = readonly { readonly steps: number; readonly session: ort.InferenceSession }[];

export class Gliner2Runner {
  private readonly schemas = new LruCache<CompiledSchema>(SCHEMA_CACHE);
  private inference = 0;

  private constructor(
    private readonly sessions: Sessions,
    private readonly countEmbeds: CountEmbeds,
    private readonly prompts: Gliner2PromptEncoder,
    readonly config: Gliner2Config,
    readonly executionProvider: ExecutionProvider,
    readonly fallbackReason: string | undefined,
    /** The encoder graph (as files.graphs names it), reported as the model's ONNX file. */
    readonly onnxPath: string,
  ) {}

  static async load(settings: Gliner2RunnerSettings): Promise<Gliner2Runner> {
    const files = readGliner2Dir(settings.modelDir);
    const prompts = new Gliner2PromptEncoder(loadTokenizer(files.tokenizerJson, files.tokenizerConfig));
    const opened: Partial<Record<Gliner2Graph, ort.InferenceSession>> = {};
    const countEmbeds: { steps: number; session: ort.InferenceSession }[] = [];
    let provider: ExecutionProvider = settings.executionProvider;
    let fallbackReason: string | undefined;
    const open = async (file: string): Promise<ort.InferenceSession> => {
      const session = await openSession(file, settings);
      provider = session.executionProvider;
      fallbackReason ??= session.fallbackReason;
      return session.session;
    };
    try {
      for (const name of GLINER2_GRAPHS) opened[name] = await open(files.graphs[name]);
      for (const v of files.countEmbedVariants) countEmbeds.push({ steps: v.steps, session: v.file === files.graphs.count_embed ? (opened.count_embed as ort.InferenceSession) : await open(v.file) });
    } catch (error) {
      await Promise.all([...new Set([...Object.values(opened), ...countEmbeds.map((c) => c.session)])].map((s) => s.release()));
      throw error;
    }
    return new Gliner2Runner(opened as Sessions, countEmbeds, prompts, files.config, provider, fallbackReason, files.graphs.encoder);
  }

  /** One small row through every graph, so the first request does not pay the sessions' first run; seconds taken. */
  async warmUp(): Promise<number> {
    const started = performance.now();
    await this.run([{ text: 'Ada Lovelace wrote the first program in London.', schema: WARMUP_SCHEMA, threshold: 0.5, flags: { includeConfidence: false, includeSpans: false } }]);
    return (performance.now() - started) / 1000;
  }

  /** The schema compiled once per distinct schema (a small LRU: requests repeat schemas). */
  compiled(schema: ExtractSchema): CompiledSchema {
    const key = JSON.stringify(schema);
    const hit = this.schemas.get(key);
    if (hit !== undefined) return hit;
    const compiled = compileSchema(schema);
    this.schemas.set(key, compiled);
    return compiled;
  }

  private async graph(name: Gliner2Graph | ort.InferenceSession, feeds: Record<string, ort.Tensor>): Promise<Float32Array> {
    const t0 = performance.now();
    const output = await (typeof name === 'string' ? this.sessions[name] : name).run(feeds);
    this.inference += performance.now() - t0;
    const tensor = Object.values(output)[0];
    if (tensor === undefined) throw new Error('a GLiNER2 graph returned nothing: this is a bug in the export');
    const data = tensor.data as Float32Array;
    tensor.dispose();
    return data;
  }

  async run(rows: readonly Gliner2Row[]): Promise<Gliner2RunOutput> {
    if (rows.length === 0) return { rows: [], paddedTokens: 0, timings: { preprocessSeconds: 0, inferenceSeconds: 0, postprocessSeconds: 0 } };
    const t0 = performance.now();
    this.inference = 0;
    const schemas = rows.map((row) => this.compiled(row.schema));
    const encoded = rows.map((row, i) => this.prompts.encode(schemas[i] as CompiledSchema, row.text, row.maxWords));
    const D = this.config.hiddenSize;
    const T = Math.max(1, ...encoded.map((e) => e.inputIds.length));
    const B = rows.length;

    // 1. The encoder, every row at once.
    const ids = new BigInt64Array(B * T);
    const mask = new BigInt64Array(B * T);
    encoded.forEach((e, b) => e.inputIds.forEach((id, j) => {
      ids[b * T + j] = BigInt(id);
      mask[b * T + j] = 1n;
    }));
    const hidden = await this.graph('encoder', { input_ids: new ort.Tensor('int64', ids, [B, T]), attention_mask: new ort.Tensor('int64', mask, [B, T]) });
    const vector = (b: number, position: number): Float32Array =>
      position < T ? hidden.subarray((b * T + position) * D, (b * T + position + 1) * D) : new Float32Array(D);

    // 2. Instance counts and classification logits, for every task of every row.
    const prompts: { b: number; t: number }[] = [];
    const labels: { b: number; t: number; n: number }[] = [];
    schemas.forEach((s, b) => s.tasks.forEach((task, t) => {
      if (task.kind === 'classification') labels.push({ b, t, n: task.labels.length });
      else prompts.push({ b, t });
    }));
    const counts = schemas.map((s) => new Array<number>(s.tasks.length).fill(0));
    const classLogits = schemas.map((s) => new Array<Float32Array | undefined>(s.tasks.length));
    const markerOf = (b: number, t: number): readonly number[] => encoded[b]?.markers[t] ?? [];
    if (prompts.length > 0) {
      const input = stack(prompts.map(({ b, t }) => vector(b, markerOf(b, t)[0] ?? 0)), D);
      const logits = await this.graph('count_pred', { prompt_embs: new ort.Tensor('float32', input, [prompts.length, D]) });
      const classes = logits.length / prompts.length;
      prompts.forEach(({ b, t }, n) => ((counts[b] as number[])[t] = argmax(logits.subarray(n * classes, (n + 1) * classes))));
    }
    if (labels.length > 0) {
      const input = stack(labels.flatMap(({ b, t }) => markerOf(b, t).slice(1).map((p) => vector(b, p))), D);
      const logits = await this.graph('classifier', { label_embs: new ort.Tensor('float32', input, [input.length / D, D]) });
      let at = 0;
      for (const { b, t, n } of labels) {
        (classLogits[b] as (Float32Array | undefined)[])[t] = logits.slice(at, at + n);
        at += n;
      }
    }

    // 3. Per-instance field vectors of every task with a count.
    const withCount = prompts.filter(({ b, t }) => ((counts[b] as number[])[t] ?? 0) > 0);
    // Instances needed: the count, or 1 for entities (upstream reads instance 0 only).
    const steps = Math.max(0, ...withCount.map(({ b, t }) => ((schemas[b] as CompiledSchema).tasks[t]?.kind === 'entities' ? 1 : ((counts[b] as number[])[t] ?? 0))));
    const fieldVectors = await this.countEmbed(withCount.map(({ b, t }) => markerOf(b, t).slice(1).map((p) => vector(b, p))), steps);

    // 4. Span logits: the rows with a count, each with all its queries.
    const queryBase = schemas.map((s) => new Array<number>(s.tasks.length).fill(-1));
    const rowQueries = schemas.map(() => [] as Float32Array[]);
    withCount.forEach(({ b, t }, i) => {
      const task = (schemas[b] as CompiledSchema).tasks[t];
      const count = (counts[b] as number[])[t] ?? 0;
      if (task === undefined) return;
      const own = fieldVectors[i] as Float32Array[][];
      const fields = own[0]?.length ?? 0;
      const instances = task.kind === 'entities' ? 1 : count;
      (queryBase[b] as number[])[t] = (rowQueries[b] as Float32Array[]).length;
      for (let inst = 0; inst < instances; inst++) for (let f = 0; f < fields; f++) (rowQueries[b] as Float32Array[]).push((own[inst] as Float32Array[])[f] as Float32Array);
      if ((rowQueries[b] as Float32Array[]).length - ((queryBase[b] as number[])[t] ?? 0) !== queriesOf(task, count)) throw new Error('GLiNER2 query count mismatch: this is a bug');
    });
    const spanRows = rowQueries.flatMap((q, b) => (q.length > 0 ? [b] : []));
    const spans = await this.spanScores(spanRows, encoded, rowQueries, vector);

    // 5. Decode and format each row.
    const t4 = performance.now();
    const out = rows.map((row, b): Gliner2RowOutput => {
      const schema = schemas[b] as CompiledSchema;
      const e = encoded[b] as EncodedGliner2Row;
      const scores: RowScores = { counts: counts[b] ?? [], classLogits: classLogits[b] ?? [], queryBase: queryBase[b] ?? [], ...(spans.get(b) === undefined ? {} : { spans: spans.get(b) }) };
      const raw = decodeRow(schema, e, scores, row.threshold, row.flags);
      return { result: formatResults(raw, schema, row.flags.includeConfidence), tokens: e.inputIds.length };
    });
    const t5 = performance.now();
    const total = t5 - t0;
    return {
      rows: out,
      paddedTokens: B * T,
      timings: { preprocessSeconds: (total - (t5 - t4) - this.inference) / 1000, inferenceSeconds: this.inference / 1000, postprocessSeconds: (t5 - t4) / 1000 },
    };
  }

  /**
   * count_embed: per task, [instance][field] vectors for the first `steps` instances (the smallest
   * graph that computes them; fields of all tasks in one call when the model allows).
   */
  private async countEmbed(tasks: readonly Float32Array[][], steps: number): Promise<Float32Array[][][]> {
    const D = this.config.hiddenSize;
    const variant = this.countEmbeds.find((c) => c.steps >= steps) ?? this.countEmbeds[this.countEmbeds.length - 1];
    if (variant === undefined) throw new Error('no count_embed graph: this is a bug');
    const S = Math.min(steps, variant.steps);
    const run = async (fields: readonly Float32Array[]): Promise<(m: number, inst: number) => Float32Array> => {
      const data = await this.graph(variant.session, { field_embs: new ort.Tensor('float32', stack(fields, D), [fields.length, D]) });
      return (m, inst) => data.subarray((inst * fields.length + m) * D, (inst * fields.length + m + 1) * D);
    };
    const split = (at: (m: number, inst: number) => Float32Array, offset: number, fields: number): Float32Array[][] =>
      Array.from({ length: S }, (_, inst) => Array.from({ length: fields }, (_, f) => at(offset + f, inst)));
    if (tasks.length === 0) return [];
    if (this.config.countEmbedBatching === 'task') return Promise.all(tasks.map(async (fields) => split(await run(fields), 0, fields.length)));
    const at = await run(tasks.flat());
    let offset = 0;
    return tasks.map((fields) => {
      const own = split(at, offset, fields.length);
      offset += fields.length;
      return own;
    });
  }

  private async spanScores(
    spanRows: readonly number[],
    encoded: readonly EncodedGliner2Row[],
    rowQueries: readonly Float32Array[][],
    vector: (b: number, position: number) => Float32Array,
  ): Promise<Map<number, NonNullable<RowScores['spans']>>> {
    const result = new Map<number, NonNullable<RowScores['spans']>>();
    if (spanRows.length === 0) return result;
    const D = this.config.hiddenSize;
    const K = this.config.maxWidth;
    const n = spanRows.length;
    const W = Math.max(...spanRows.map((b) => (encoded[b] as EncodedGliner2Row).wordPositions.length));
    const Q = Math.max(...spanRows.map((b) => (rowQueries[b] as Float32Array[]).length));
    const words = new Float32Array(n * W * D);
    const lengths = new BigInt64Array(n);
    const queries = new Float32Array(n * Q * D);
    spanRows.forEach((b, r) => {
      const positions = (encoded[b] as EncodedGliner2Row).wordPositions;
      positions.forEach((p, w) => words.set(vector(b, p), (r * W + w) * D));
      lengths[r] = BigInt(positions.length);
      (rowQueries[b] as Float32Array[]).forEach((q, j) => queries.set(q, (r * Q + j) * D));
    });
    const logits = await this.graph('span_scores', {
      token_embs: new ort.Tensor('float32', words, [n, W, D]),
      text_lengths: new ort.Tensor('int64', lengths, [n]),
      queries: new ort.Tensor('float32', queries, [n, Q, D]),
    });
    spanRows.forEach((b, r) => result.set(b, { data: logits, offset: r * Q * W * K, words: W, width: K }));
    return result;
  }

  async close(): Promise<void> {
    await Promise.all([...new Set([...Object.values(this.sessions), ...this.countEmbeds.map((c) => c.session)])].map((s) => s.release()));
  }
}

function stack(vectors: readonly Float32Array[], d: number): Float32Array {
  const out = new Float32Array(vectors.length * d);
  vectors.forEach((v, i) => out.set(v, i * d));
  return out;
}
