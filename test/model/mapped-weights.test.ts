// The mapped copy of a model (one copy of the weights per process): it answers exactly as the model
// it was made from, it is made once and reused, a failed write leaves nothing behind, and sessions
// opened on it map its data file instead of loading the weights onto their heaps.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAPPED_DATA_FILE, mappedDir, mapWeights } from '../../src/model/mapped-weights.js';
import { splitWords } from '../../src/inference/words.js';
import { shareWeights } from '../../src/pool/memory.js';
import type { ModelRow } from '../../src/worker/messages.js';
import { OnnxRunner, type RunnerSettings } from '../../src/worker/onnx-runner.js';
import { TEST_MODEL } from '../support/model.js';

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

  it('falls back to per-session copies, saying why, when the directory cannot be written', async () => {
    const blocker = path.join(root, 'a-file');
    writeFileSync(blocker, '');
    const shared = await shareWeights(settings, { shareWeights: 'auto', mappedDir: path.join(blocker, 'mapped') });
    expect(shared.runner).toEqual(settings);
    expect(shared.fallbackReason).toMatch(/ENOTDIR|EEXIST|not a directory/i);
  });

  it('is not used when off, or on CUDA', async () => {
    expect(await shareWeights(settings, { shareWeights: 'off', mappedDir: root })).toEqual({ runner: settings });
    expect(await shareWeights({ ...settings, executionProvider: 'cuda' }, { shareWeights: 'auto', mappedDir: root })).toEqual({ runner: { ...settings, executionProvider: 'cuda' } });
  });
});

describe('CPU_MEM_ARENA', () => {
  it('auto turns the arena off exactly when glibc gives freed blocks back (a fixed mmap threshold)', async () => {
    const { cpuArenaOn } = await import('../../src/pool/memory.js');
    expect(cpuArenaOn('auto', {})).toBe(true);
    expect(cpuArenaOn('auto', { MALLOC_MMAP_THRESHOLD_: '8388608' })).toBe(false);
    expect(cpuArenaOn('auto', { GLIBC_TUNABLES: 'glibc.malloc.arena_max=2:glibc.malloc.mmap_threshold=8388608' })).toBe(false);
    expect(cpuArenaOn('auto', { GLIBC_TUNABLES: 'glibc.malloc.arena_max=2' })).toBe(true);
    expect(cpuArenaOn('on', { MALLOC_MMAP_THRESHOLD_: '8388608' })).toBe(true);
    expect(cpuArenaOn('off', {})).toBe(false);
  });
});
