// Bi-encoder label embeddings: each distinct label is run through the model's label encoder once and
// kept in an LRU cache (LABEL_CACHE_SIZE entries per worker), so a request with 60 labels costs the
// label encoder nothing once its labels have been seen. One embedder per worker, for that worker's
// one model: the key is the label text. Upstream's BiEncoder.encode_labels (gliner/modeling/encoder.py
// at c2bb58d) is the label encoder, then mean pooling over the attention mask; the labels are
// tokenised with the label encoder's own tokenizer, special tokens included, as its labels_tokenizer
// call does. Misses in one batch are encoded together (right-padded, masked).
import * as ort from 'onnxruntime-node';
import type { HfTokenizer } from '../inference/tokenizer.js';

/** A least-recently-used map of label → embedding. Capacity 0 keeps nothing. */
export class LabelCache {
  private readonly entries = new Map<string, Float32Array>();
  hits = 0;
  misses = 0;

  constructor(readonly capacity: number) {}

  get size(): number {
    return this.entries.size;
  }

  get(label: string): Float32Array | undefined {
    const value = this.entries.get(label);
    if (value === undefined) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    this.entries.delete(label);
    this.entries.set(label, value);
    return value;
  }

  set(label: string, value: Float32Array): void {
    if (this.capacity <= 0) return;
    this.entries.delete(label);
    this.entries.set(label, value);
    while (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }

  /** Hits and misses since the last call (for the metrics), then reset. */
  take(): { hits: number; misses: number } {
    const counts = { hits: this.hits, misses: this.misses };
    this.hits = 0;
    this.misses = 0;
    return counts;
  }
}

export class LabelEmbedder {
  readonly cache: LabelCache;

  constructor(
    private readonly session: ort.InferenceSession,
    private readonly tokenizer: HfTokenizer,
    capacity: number,
  ) {
    this.cache = new LabelCache(capacity);
  }

  /** Embeddings of `labels`, in order, as one [C, D] tensor's data. */
  async embed(labels: readonly string[]): Promise<{ data: Float32Array; dims: [number, number] }> {
    const found = labels.map((label) => this.cache.get(label));
    const missing = [...new Set(labels.filter((_, i) => found[i] === undefined))];
    const fresh = new Map<string, Float32Array>();
    if (missing.length > 0) {
      const ids = missing.map((label) => this.tokenizer.encode(label, { add_special_tokens: true }).ids);
      const length = Math.max(1, ...ids.map((row) => row.length));
      const inputIds = new BigInt64Array(missing.length * length);
      const mask = new BigInt64Array(missing.length * length);
      ids.forEach((row, r) => row.forEach((id, t) => {
        inputIds[r * length + t] = BigInt(id);
        mask[r * length + t] = 1n;
      }));
      const out = await this.session.run({
        input_ids: new ort.Tensor('int64', inputIds, [missing.length, length]),
        attention_mask: new ort.Tensor('int64', mask, [missing.length, length]),
      });
      const embeddings = out.labels_embeddings;
      if (embeddings === undefined) throw new Error('the label encoder has no "labels_embeddings" output');
      const dim = embeddings.dims[1] ?? 0;
      const data = embeddings.data as Float32Array;
      missing.forEach((label, r) => {
        const vector = data.slice(r * dim, (r + 1) * dim);
        fresh.set(label, vector);
        this.cache.set(label, vector);
      });
      embeddings.dispose();
    }
    const vectors = labels.map((label, i) => found[i] ?? fresh.get(label) ?? new Float32Array(0));
    const dim = vectors[0]?.length ?? 0;
    const data = new Float32Array(labels.length * dim);
    vectors.forEach((vector, i) => data.set(vector, i * dim));
    return { data, dims: [labels.length, dim] };
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}
