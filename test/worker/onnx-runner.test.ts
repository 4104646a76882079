// The model runner with the real embedded model: rows with different texts and different label
// sets share a batch, and each row gets what it would get alone.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { candidatesFrom, type SpanList } from '../../src/inference/spans.js';
import { splitWords } from '../../src/inference/words.js';
import { OnnxRunner } from '../../src/worker/onnx-runner.js';
import type { ModelRow } from '../../src/worker/messages.js';
import { TEST_MODEL } from '../support/model.js';

let runner: OnnxRunner;
beforeAll(async () => {
  runner = await OnnxRunner.load({ modelDir: TEST_MODEL, quantization: 'auto', executionProvider: 'cpu', cudaFallback: 'fail', cudaDeviceId: 0, intraOpThreads: 1, interOpThreads: 1, graphOptimization: 'all', intraOpSpinning: false });
});
afterAll(async () => {
  await runner.close();
});

const row = (text: string, labels: string[]): ModelRow => ({ words: splitWords(text).map((w) => w.text), labels, threshold: 0.3 });
const rounded = (spans: SpanList | undefined) => candidatesFrom(spans ?? { length: 0, start: new Int32Array(0), end: new Int32Array(0), label: new Int32Array(0), score: new Float32Array(0) }).map((s) => ({ ...s, score: Math.round(s.score * 1e3) / 1e3 }));

describe('OnnxRunner', () => {
  it('reads the model config', () => {
    expect(runner.config.maxWidth).toBe(12);
    expect(runner.executionProvider).toBe('cpu');
  });

  it('gives each row of a mixed batch (lengths and label counts differ) what it gets alone', async () => {
    const rows = [
      row('I work at Microsoft based in Seattle, Washington.', ['organization']),
      row('Ada Lovelace worked with Charles Babbage in London on the Analytical Engine for years.', ['person', 'location', 'organization']),
      row('Paris', ['location', 'person']),
    ];
    const together = await runner.run(rows);
    expect(together.rows).toHaveLength(3);
    // The loops below check every span; first make sure there are spans to check (a model that returns
    // nothing must fail here): Microsoft (word 3) as organization, London (word 8) as location.
    const found = (i: number) => rounded(together.rows[i]?.spans).map((s) => [rows[i]!.words.slice(s.start, s.end + 1).join(' '), rows[i]!.labels[s.label]]);
    expect(found(0)).toContainEqual(['Microsoft', 'organization']);
    expect(found(1)).toContainEqual(['London', 'location']);
    expect(together.paddedTokens).toBe(3 * Math.max(...together.rows.map((r) => r.tokens)));
    for (let i = 0; i < rows.length; i++) {
      const alone = await runner.run([rows[i] as ModelRow]);
      const mixed = rounded(together.rows[i]?.spans);
      expect(mixed).toEqual(rounded(alone.rows[0]?.spans));
      // Never a class beyond the row's own labels, never a span past its own words.
      for (const span of mixed) {
        expect(span.label).toBeLessThan(rows[i]?.labels.length ?? 0);
        expect(span.end).toBeLessThan(rows[i]?.words.length ?? 0);
      }
    }
    expect(together.timings.inferenceSeconds).toBeGreaterThan(0);
  });
});
