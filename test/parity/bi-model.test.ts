// Parity with GLiNER's own Python code for a span bi-encoder, end to end: upstream's
// BiEncoderSpanGLiNER.inference (text without label prompt, labels through the labels tokenizer,
// BiEncoderSpanORTModel, SpanDecoder, offsets) on the committed micro bi-encoder, in
// test/fixtures/bi-model-parity.json (written by test/parity/bi_model_fixture.py). Texts one at a
// time, all four decoding modes, thresholds 0.3 / 0.5 / 0.7. Spans, labels and texts identical, in
// order; scores within SCORE_TOLERANCE (tolerance.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OnnxRunner } from '../../src/worker/onnx-runner.js';
import { groupProblems, recognise } from './adapter.js';
import { openSuite, readFixture, type OpenSuite } from './suites.js';
import { SCORE_TOLERANCE } from './tolerance.js';

const fixture = readFixture('bi');
let suite: OpenSuite;
let runner: OnnxRunner;

beforeAll(async () => {
  // The micro model's files with the embedded model's tokenizer (as the generator used): suites.ts.
  suite = await openSuite('bi');
  runner = suite.runner;
});
afterAll(async () => {
  await suite?.close();
});

describe('span bi-encoder: parity with upstream BiEncoderSpanGLiNER.inference', () => {
  it('the fixture is upstream\'s, on this kind, with entities in almost every group', () => {
    expect(fixture.upstream.commit).toBe('c2bb58ddf569480ef7a9de03bef653723a42f5c2');
    expect(runner.kind.name).toBe('BiEncoderSpan');
    // (the second label set finds nothing at 0.7 with these random weights: 4 of 24 groups are empty)
    expect(fixture.groups.filter((group) => group.expected.flat().length > 0).length).toBeGreaterThanOrEqual(20);
  });

  it.each(fixture.groups.map((g) => [g.id, g] as const))(`%s: same entities, scores within ${SCORE_TOLERANCE}`, async (_id, group) => {
    const problems = await groupProblems(runner, group);
    expect(problems).toEqual([]);
  });

  it('computed each distinct label once (the label cache served the rest)', async () => {
    const texts = fixture.groups[0]?.texts ?? [];
    const labels = (fixture.groups[0]?.labels ?? []) as string[];
    await recognise(runner, { texts, labels, threshold: 0.5, options: { threshold: 0.5, flatNer: true, multiLabel: false } });
    const output = await runner.run([{ words: ['Paris'], labels, threshold: 0.5 }]);
    expect(output.labelCache).toEqual({ hits: labels.length, misses: 0 });
  });
});
