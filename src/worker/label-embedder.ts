// Bi-encoder label embeddings: each distinct label is run through the model's label encoder once and
// kept in an LRU cache (LABEL_CACHE_SIZE entries per worker), so a request with 60 labels costs the
// label encoder nothing once its labels have been seen. One embedder per worker, for that worker's
// one model: the key is the label text. Upstream's BiEncoder.encode_labels (gliner/modeling/encoder.py
// at c2bb58d) is the label encoder, then mean pooling over the attention mask; the labels are
// tokenised with the label encoder's own tokenizer, special tokens included, as its labels_tokenizer
// call does. Misses in one batch are encoded together (right-padded, masked).
import * as ort from 'onnxruntime-node';
import type { HfTokenizer } from '../inference/tokenizer.js';
import { LruCache } from './lru.js';

/** The label → embedding cache. */
export class LabelCache extends LruCache<Float32Array> {}

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
