// Parity with GLiNER's own Python code for a token-level model, end to end: upstream's
// UniEncoderTokenGLiNER.inference (word splitter, prompt, collator, UniEncoderTokenORTModel,
// TokenDecoder, offsets) on the committed micro token model, in test/fixtures/bi-model-parity.json
// (written by test/parity/token_model_fixture.py). Texts one at a time, all four decoding modes,
// thresholds 0.3 / 0.5 / 0.7. Spans, labels and texts identical, in order; scores within 1e-6.
import { mkdtempSync, rmSync, symlinkSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OnnxRunner } from '../../src/worker/onnx-runner.js';
import { EMBEDDED_MODEL, ROOT } from '../support/paths.js';
import { groupProblems, recognise, type PyGroup } from './adapter.js';

interface Fixture { upstream: { commit: string }; groups: PyGroup[] }

const fixture = JSON.parse(readFileSync(path.join(ROOT, 'test/fixtures/bi-model-parity.json'), 'utf8')) as Fixture;
let dir: string;
let runner: OnnxRunner;

beforeAll(async () => {
  // The micro bi-encoder's two graphs and config, with the embedded model's tokenizer for text and labels.
  dir = mkdtempSync(path.join(tmpdir(), 'gliner-bi-micro-'));
  for (const file of ['model.onnx', 'labels_encoder.onnx', 'gliner_config.json']) symlinkSync(path.join(ROOT, 'test/fixtures/bi-span-micro', file), path.join(dir, file));
  for (const file of ['tokenizer.json', 'tokenizer_config.json']) symlinkSync(path.join(EMBEDDED_MODEL, file), path.join(dir, file));
  runner = await OnnxRunner.load({ modelDir: dir, quantization: 'auto', executionProvider: 'cpu', cudaFallback: 'fail', cudaDeviceId: 0, intraOpThreads: 1, interOpThreads: 1, graphOptimization: 'all', intraOpSpinning: false });
});
afterAll(async () => {
  await runner?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('span bi-encoder: parity with upstream BiEncoderSpanGLiNER.inference', () => {
  it('the fixture is upstream\'s, on this kind, with entities in almost every group', () => {
    expect(fixture.upstream.commit).toBe('c2bb58ddf569480ef7a9de03bef653723a42f5c2');
    expect(runner.kind.name).toBe('BiEncoderSpan');
    // (the second label set finds nothing at 0.7 with these random weights: 4 of 24 groups are empty)
    expect(fixture.groups.filter((group) => group.expected.flat().length > 0).length).toBeGreaterThanOrEqual(20);
  });

  it.each(fixture.groups.map((g) => [g.id, g] as const))('%s: same entities, scores within 1e-6', async (_id, group) => {
    const problems = await groupProblems(runner, group);
    expect(problems).toEqual([]);
  });

  it('computed each distinct label once (the label cache served the rest)', async () => {
    const texts = fixture.groups[0]?.texts ?? [];
    const labels = fixture.groups[0]?.labels ?? [];
    await recognise(runner, { texts, labels, threshold: 0.5, options: { threshold: 0.5, flatNer: true, multiLabel: false } });
    const output = await runner.run([{ words: ['Paris'], labels, threshold: 0.5 }]);
    expect(output.labelCache).toEqual({ hits: labels.length, misses: 0 });
  });
});
