// The mapped copy of a model (one copy of the weights per process): it answers exactly as the model
// it was made from, it is made once and reused, a failed write leaves nothing behind, and sessions
// opened on it map its data file instead of loading the weights onto their heaps; the pool's
// sessions (the shared ones and the solo one) all open the one copy; the settings that turn it and
// the arena on or off.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAPPED_DATA_FILE, mappedDir, mapWeights } from '../../src/model/mapped-weights.js';
import { splitWords } from '../../src/inference/words.js';
import { loadConfig } from '../../src/config/load.js';
import { readModelDir } from '../../src/model/files.js';
import { shareWeights } from '../../src/pool/memory.js';
import { InferencePool } from '../../src/pool/pool.js';
import { allocatorOf, libraryLoaded, resolveArena, resolveSettings, resolveWeights, soloRunner, thisMachine } from '../../src/startup/settings.js';
import type { ModelRow } from '../../src/worker/messages.js';
import { OnnxRunner, type RunnerSettings } from '../../src/worker/onnx-runner.js';
import { TEST_MODEL } from '../support/model.js';
import { relexMicroDir } from '../support/relex-micro.js';

const settings: RunnerSettings = {
  modelDir: TEST_MODEL, quantization: 'auto', executionProvider: 'cpu', cudaFallback: 'fail', cudaDeviceId: 0,
  intraOpThreads: 1, interOpThreads: 1, graphOptimization: 'all', intraOpSpinning: false,
};
const onnx = path.join(TEST_MODEL, 'model.onnx');
let root: string;
beforeAll(() => {
  root = mkdtempSync(path.join(tmpdir(), 'gliner-mapped-'));
});
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

const rows: ModelRow[] = [
  'Ada Lovelace worked with Charles Babbage in London on the Analytical Engine.',
  'I work at Microsoft based in Seattle, Washington.',
].map((text) => ({ words: splitWords(text).map((w) => w.text), labels: ['person', 'location', 'organization'], threshold: 0.05 }));

describe('mapped weights', () => {
  it('answers exactly as the model it was made from (packed weights included)', async () => {
    const file = await mapWeights(onnx, root, { graphOptimization: 'all', prepacked: true });
    expect(statSync(path.join(path.dirname(file), MAPPED_DATA_FILE)).size).toBeGreaterThan(1e6);
    const heap = await OnnxRunner.load(settings);
    const mapped = await OnnxRunner.load({ ...settings, graphOptimization: 'disabled', mapped: { onnxPath: file } });
    try {
      const a = await heap.run(rows);
      const b = await mapped.run(rows);
      // Spans to compare, at a threshold low enough that every row has many.
      expect(a.rows.every((row) => row.spans.length > 3)).toBe(true);
      // The same optimised graph and the same packed weights: the same floating-point sums.
      a.rows.forEach((row, i) => {
        const other = b.rows[i];
        expect(Array.from(other?.spans.start ?? [])).toEqual(Array.from(row.spans.start));
        expect(Array.from(other?.spans.label ?? [])).toEqual(Array.from(row.spans.label));
        expect(Array.from(other?.spans.score ?? [])).toEqual(Array.from(row.spans.score));
      });
    } finally {
      await Promise.all([heap.close(), mapped.close()]);
    }
  });

  it('maps the data file instead of loading the weights onto the heap', async () => {
    const file = await mapWeights(onnx, root, { graphOptimization: 'all', prepacked: true });
    const data = path.join(path.dirname(file), MAPPED_DATA_FILE);
    const mappings = (): number => readFileSync('/proc/self/maps', 'utf8').split('\n').filter((line) => line.endsWith(data)).length;
    const before = mappings();
    const runner = await OnnxRunner.load({ ...settings, graphOptimization: 'disabled', mapped: { onnxPath: file } });
    try {
      expect(mappings()).toBeGreaterThan(before);
    } finally {
      await runner.close();
    }
  });

  it('is made once and reused; other options get another copy', async () => {
    const file = await mapWeights(onnx, root, { graphOptimization: 'all', prepacked: true });
    const written = statSync(file).mtimeMs;
    expect(await mapWeights(onnx, root, { graphOptimization: 'all', prepacked: true })).toBe(file);
    expect(statSync(file).mtimeMs).toBe(written);
    expect(mappedDir(root, onnx, { graphOptimization: 'basic', prepacked: true })).not.toBe(path.dirname(file));
    expect(mappedDir(root, onnx, { graphOptimization: 'all', prepacked: false })).not.toBe(path.dirname(file));
  });

  it('leaves nothing behind when the model cannot be written', async () => {
    const bad = path.join(root, 'broken.onnx');
    writeFileSync(bad, 'not a model');
    const into = path.join(root, 'broken-copies');
    await expect(mapWeights(bad, into, { graphOptimization: 'all', prepacked: true })).rejects.toThrow();
    expect(existsSync(into) ? readdirSync(into) : []).toEqual([]);
  });

  it('refuses a copy ONNX Runtime cannot load back (a relation model\'s If subgraphs): nothing left, the pool falls back to per-session copies saying why', async () => {
    const relex = relexMicroDir('span');
    try {
      const into = path.join(root, 'relex-copies');
      await expect(mapWeights(path.join(relex.dir, 'model.onnx'), into, { graphOptimization: 'all', prepacked: true })).rejects.toThrow(/cannot load back/);
      expect(existsSync(into) ? readdirSync(into) : []).toEqual([]);
      const shared = await shareWeights({ ...settings, modelDir: relex.dir }, { mappedDir: into });
      expect(shared.mapped).toBeUndefined();
      expect(shared.fallbackReason).toMatch(/cannot load back/);
    } finally {
      relex.remove();
    }
  });

  it('falls back to per-session copies, saying why, when the directory cannot be written', async () => {
    const blocker = path.join(root, 'a-file');
    writeFileSync(blocker, '');
    const shared = await shareWeights(settings, { mappedDir: path.join(blocker, 'mapped') });
    expect(shared.mapped).toBeUndefined();
    expect(shared.fallbackReason).toMatch(/ENOTDIR|EEXIST|not a directory/i);
  });

  it('is opened by every session of the pool, the solo session included', async () => {
    const into = path.join(root, 'pool');
    const pool = await InferencePool.start({ runner: settings, workers: 2, solo: soloRunner(settings, 2), weights: { mappedDir: into } });
    try {
      const file = pool.mappedOnnxPath;
      expect(file).toBeDefined();
      expect(path.dirname(path.dirname(file ?? ''))).toBe(into);
      expect(pool.sharingFallback).toBeUndefined();
      // The pool's threads are this process's: each of the three sessions maps the one data file
      // as a runner opened here on its own does.
      const data = path.join(path.dirname(file ?? ''), MAPPED_DATA_FILE);
      const mappings = (): number => readFileSync('/proc/self/maps', 'utf8').split('\n').filter((line) => line.endsWith(data)).length;
      const byPool = mappings();
      const one = await OnnxRunner.load({ ...settings, graphOptimization: 'disabled', mapped: { onnxPath: file ?? '' } });
      const perSession = mappings() - byPool;
      await one.close();
      expect(perSession).toBeGreaterThan(0);
      expect(byPool).toBe(3 * perSession);
    } finally {
      await pool.close();
    }
  });
});

describe('SHARE_WEIGHTS and CPU_MEM_ARENA (startup/settings.ts)', () => {
  const config = (env: Record<string, string>) => loadConfig({ env: { MODEL: TEST_MODEL, ...env } });

  it('shares the weights on CPU unless off; never on CUDA; under MODEL_CACHE_DIR/mapped unless MAPPED_WEIGHTS_DIR', () => {
    expect(resolveWeights(config({ MODEL_CACHE_DIR: '/var/cache/m' }))).toEqual({ mappedDir: '/var/cache/m/mapped' });
    expect(resolveWeights(config({ MAPPED_WEIGHTS_DIR: '/tmp/w' }))).toEqual({ mappedDir: '/tmp/w' });
    expect(resolveWeights(config({ SHARE_WEIGHTS: 'off' }))).toBeUndefined();
    expect(resolveWeights(config({ EXECUTION_PROVIDER: 'cuda' }))).toBeUndefined();
  });

  it('auto turns the arena off exactly when the allocator gives freed memory back (jemalloc, or glibc with a fixed mmap threshold)', () => {
    const arena = (value: 'auto' | 'on' | 'off', env: NodeJS.ProcessEnv, jemalloc = false): boolean => resolveArena({ cpuMemArena: value }, thisMachine(env, jemalloc));
    expect(arena('auto', {})).toBe(true);
    // Set but empty is set: glibc reads it as 0, every block mapped and unmapped (checked with strace).
    expect(arena('auto', { MALLOC_MMAP_THRESHOLD_: '' })).toBe(false);
    expect(arena('auto', { MALLOC_MMAP_THRESHOLD_: '8388608' })).toBe(false);
    expect(arena('auto', { GLIBC_TUNABLES: 'glibc.malloc.arena_max=2:glibc.malloc.mmap_threshold=8388608' })).toBe(false);
    expect(arena('auto', { GLIBC_TUNABLES: 'glibc.malloc.arena_max=2' })).toBe(true);
    expect(arena('auto', {}, true)).toBe(false);
    expect(arena('on', {}, true)).toBe(true);
    expect(arena('on', { MALLOC_MMAP_THRESHOLD_: '8388608' })).toBe(true);
    expect(arena('off', {})).toBe(false);
  });

  it('knows jemalloc is loaded from the mapped libraries, by file name', () => {
    const maps = (...files: string[]) => () => files.map((f, i) => `7f${i}000-7f${i}fff r-xp 00000000 08:01 ${100 + i}    ${f}`).join('\n');
    expect(libraryLoaded('libjemalloc.so', maps('/usr/bin/node', '/usr/local/lib/libjemalloc.so.2'))).toBe(true);
    expect(libraryLoaded('libjemalloc.so', maps('/usr/bin/node', '/usr/lib/x86_64-linux-gnu/libc.so.6', '/srv/not-libjemalloc.so.2'))).toBe(false);
    expect(libraryLoaded('libjemalloc.so', () => { throw new Error('no /proc'); })).toBe(false);
    expect(allocatorOf({ cores: 2, jemalloc: true, mmapThresholdFixed: true })).toBe('jemalloc');
    expect(allocatorOf({ cores: 2, mmapThresholdFixed: true })).toBe('glibc (fixed mmap threshold)');
  });

  it('gives every session of the pool the arena setting and a warm-up no larger than a batch', () => {
    const model = { dir: TEST_MODEL, config: readModelDir(TEST_MODEL, 'auto').config };
    const settings = resolveSettings(config({ SOLO_SESSION: 'on' }), model, { cores: 2, mmapThresholdFixed: true });
    expect([settings.pool.runner.cpuArena, settings.pool.solo?.cpuArena]).toEqual([false, false]);
    expect(settings.pool.runner.warmupRows).toBe(1);
    expect(settings.pool.weights).toBeDefined();
    // Every worker thread's young generation: 3 MB unless WORKER_YOUNG_GENERATION_MB says otherwise; 0 = V8's default.
    expect(settings.pool.youngGenerationMb).toBe(3);
    expect(resolveSettings(config({ WORKER_YOUNG_GENERATION_MB: '0' }), model, { cores: 2 }).pool.youngGenerationMb).toBeUndefined();
  });
});
