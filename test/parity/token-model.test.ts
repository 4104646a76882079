// Parity with GLiNER's own Python code for a token-level model, end to end: upstream's
// UniEncoderTokenGLiNER.inference (word splitter, prompt, collator, UniEncoderTokenORTModel,
// TokenDecoder, offsets) on the committed micro token model, in test/fixtures/token-model-parity.json
// (written by test/parity/token_model_fixture.py). Texts one at a time, all four decoding modes,
// thresholds 0.3 / 0.5 / 0.7. Spans, labels and texts identical, in order; scores within SCORE_TOLERANCE (tolerance.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OnnxRunner } from '../../src/worker/onnx-runner.js';
import { groupProblems } from './adapter.js';
import { openSuite, readFixture, type OpenSuite } from './suites.js';
import { SCORE_TOLERANCE } from './tolerance.js';

const fixture = readFixture('token');
let suite: OpenSuite;
let runner: OnnxRunner;

beforeAll(async () => {
  // The micro model's files with the embedded model's tokenizer (as the generator used): suites.ts.
  suite = await openSuite('token');
  runner = suite.runner;
});
afterAll(async () => {
  await suite?.close();
});

describe('token-level model: parity with upstream UniEncoderTokenGLiNER.inference', () => {
  it('the fixture is upstream\'s, on this kind, with entities in every group', () => {
    expect(fixture.upstream.commit).toBe('c2bb58ddf569480ef7a9de03bef653723a42f5c2');
    expect(runner.kind.name).toBe('UniEncoderToken');
    for (const group of fixture.groups) expect(group.expected.flat().length).toBeGreaterThan(0);
  });

  it.each(fixture.groups.map((g) => [g.id, g] as const))(`%s: same entities, scores within ${SCORE_TOLERANCE}`, async (_id, group) => {
    const problems = await groupProblems(runner, group);
    expect(problems).toEqual([]);
  });
});
