// A least-recently-used cache of string keys, per worker: the bi-encoder's label embeddings
// (label-embedder.ts) and GLiNER2's compiled schemas (gliner2-runner.ts), with hit and miss counts.
/** A least-recently-used map of string keys (a bi-encoder's labels, GLiNER2's schemas). Capacity 0 keeps nothing. */
export class LruCache<V> {
  private readonly entries = new Map<string, V>();
  hits = 0;
  misses = 0;

  constructor(readonly capacity: number) {}

  get size(): number {
    return this.entries.size;
  }

  get(key: string): V | undefined {
    const value = this.entries.get(key);
    if (value === undefined) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    this.entries.delete(key);
    this.entries.set(key, value);
    return value;
  }

  set(key: string, value: V): void {
    if (this.capacity <= 0) return;
    this.entries.delete(key);
    this.entries.set(key, value);
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
