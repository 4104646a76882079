// The bi-encoder label cache: least recently used first out, counts of hits and misses, capacity 0 keeps nothing.
import { describe, expect, it } from 'vitest';
import { LabelCache } from '../../src/worker/label-embedder.js';

const v = (x: number): Float32Array => Float32Array.of(x);

describe('LabelCache', () => {
  it('evicts the least recently used label, counting hits and misses', () => {
    const cache = new LabelCache(2);
    expect(cache.get('a')).toBeUndefined();
    cache.set('a', v(1));
    cache.set('b', v(2));
    expect(cache.get('a')?.[0]).toBe(1); // a is now the most recent
    cache.set('c', v(3)); // evicts b
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')?.[0]).toBe(1);
    expect(cache.get('c')?.[0]).toBe(3);
    expect(cache.size).toBe(2);
    expect(cache.take()).toEqual({ hits: 3, misses: 2 });
    expect(cache.take()).toEqual({ hits: 0, misses: 0 });
  });

  it('capacity 0 keeps nothing: every lookup is a miss', () => {
    const cache = new LabelCache(0);
    cache.set('a', v(1));
    expect(cache.get('a')).toBeUndefined();
    expect(cache.take()).toEqual({ hits: 0, misses: 1 });
  });
});
