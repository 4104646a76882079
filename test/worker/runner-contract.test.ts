// One contract for every ModelRunner: the ONNX runner with the real model and the fake one used
// by engine tests must agree on the shape of what they return.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { splitWords } from '../../src/inference/words.js';
import { OnnxRunner, type ModelRunner } from '../../src/worker/onnx-runner.js';
import type { ModelRow } from '../../src/worker/messages.js';
import { candidatesFrom } from '../../src/inference/spans.js';
import { FakeRunner } from '../support/fake-runner.js';
import { TEST_MODEL } from '../support/model.js';

const implementations: [string, () => Promise<ModelRunner>][] = [
  ['OnnxRunner', () => OnnxRunner.load({ modelDir: TEST_MODEL, quantization: 'auto', executionProvider: 'cpu', cudaFallback: 'fail', cudaDeviceId: 0, intraOpThreads: 1, interOpThreads: 1, graphOptimization: 'all', intraOpSpinning: false })],
  ['FakeRunner', () => Promise.resolve(new FakeRunner())],
];

describe.each(implementations)('ModelRunner contract: %s', (_name, create) => {
  let runner: ModelRunner;
  beforeAll(async () => {
    runner = await create();
  });
  afterAll(async () => {
    await runner.close();
  });

  const row = (text: string, labels: string[], threshold = 0.3): ModelRow => ({ words: splitWords(text).map((w) => w.text), labels, threshold });

  it('answers one result per row, in order, spans inside the row and its labels, row-major, above threshold', async () => {
    const rows = [row('Ada Lovelace met Charles Babbage in London.', ['person', 'location']), row('nothing here', ['person']), row('Paris', ['location', 'person', 'organization'])];
    const out = await runner.run(rows);
    expect(out.rows).toHaveLength(rows.length);
    // The checks below loop over spans: a runner that returns nothing must fail here instead of passing.
    expect(out.rows[0]?.spans.length, 'spans for a sentence full of names').toBeGreaterThan(0);
    expect(out.rows[1]?.spans.length, 'no spans for "nothing here"').toBe(0);
    out.rows.forEach((result, i) => {
      const task = rows[i] as ModelRow;
      expect(result.tokens).toBeGreaterThan(0);
      let previous: number[] = [-1, -1, -1];
      for (const span of candidatesFrom(result.spans)) {
        expect(span.start).toBeGreaterThanOrEqual(0);
        expect(span.end).toBeGreaterThanOrEqual(span.start);
        expect(span.end).toBeLessThan(task.words.length);
        expect(span.end - span.start).toBeLessThan(runner.config.maxWidth);
        expect(span.label).toBeLessThan(task.labels.length);
        expect(span.score).toBeGreaterThan(task.threshold);
        const key = [span.start, span.end - span.start, span.label];
        const order = key.map((v, j) => v - (previous[j] ?? 0)).find((d) => d !== 0) ?? 0;
        expect(order, 'spans come in row-major (start, width, label) order').toBeGreaterThan(0);
        previous = key;
      }
    });
    expect(out.paddedTokens).toBeGreaterThanOrEqual(Math.max(...out.rows.map((r) => r.tokens)) * rows.length);
  });

  it('returns nothing above a threshold of 1 (for a row that has spans at 0.3)', async () => {
    const text = 'Ada Lovelace met Charles Babbage in London.';
    expect((await runner.run([row(text, ['person'], 0.3)])).rows[0]?.spans.length).toBeGreaterThan(0);
    const out = await runner.run([row(text, ['person'], 1)]);
    expect(out.rows[0]?.spans.length).toBe(0);
  });
});
