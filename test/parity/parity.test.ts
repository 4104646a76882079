// Parity with GLiNER's own Python code (urchade/GLiNER at the commit in the fixture), on the
// embedded model: test/fixtures/gliner-parity.json, written by test/parity/generate.py.
// Spans, labels and texts must be identical, scores within SCORE_TOLERANCE (tolerance.ts: what it
// allows near the threshold and at ties). The deliberate deviations are groups marked `deviation`,
// each checked for exactly the documented difference.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Entity } from '../../src/inference/merge.js';
import { PromptEncoder } from '../../src/inference/prompt.js';
import { splitWords } from '../../src/inference/words.js';
import type { OnnxRunner } from '../../src/worker/onnx-runner.js';
import { post } from '../support/http.js';
import { ROOT } from '../support/paths.js';
import { startServer, type RunningServer } from '../support/server.js';
import { asScored, recognise } from './adapter.js';
import { openSuite, readFixture, type OpenSuite } from './suites.js';
import { compareEntities, SCORE_TOLERANCE, type ScoredEntity } from './tolerance.js';

type PyEntity = ScoredEntity;
interface Group {
  id: string;
  deviation: null | 'per-row-labels' | 'deleted-word' | 'truncation' | 'empty-label' | 'invisible-label' | 'label-groups';
  flat_ner: boolean;
  multi_label: boolean;
  threshold: number;
  labels: string[] | string[][];
  texts: string[];
  expected: PyEntity[][];
}
interface Fixture {
  upstream: { repo: string; commit: string; version: string };
  model: string;
  cases: number;
  groups: Group[];
}

const fixture = readFixture<Fixture>('span');
const MODEL = path.join(ROOT, fixture.model);

/** Differences between two entity lists that SCORE_TOLERANCE does not explain (tolerance.ts). */
function compare(ours: readonly PyEntity[], python: readonly PyEntity[], group: Group): string[] {
  return compareEntities(ours, python, { threshold: group.threshold, flatNer: group.flat_ner, multiLabel: group.multi_label }).problems;
}

const asPy = asScored;

let suite: OpenSuite;
let runner: OnnxRunner;
beforeAll(async () => {
  suite = await openSuite('span');
  runner = suite.runner;
});
afterAll(async () => {
  await suite?.close();
});

async function ours(group: Group, labelsPerRow?: number): Promise<Entity[][]> {
  const options = { threshold: group.threshold, flatNer: group.flat_ner, multiLabel: group.multi_label };
  return recognise(runner, { texts: group.texts, labels: group.labels, threshold: group.threshold, options, ...(labelsPerRow === undefined ? {} : { labelsPerRow }) });
}

function groupOf(deviation: Group['deviation']): Group {
  const group = fixture.groups.find((g) => g.deviation === deviation);
  if (group === undefined) throw new Error(`fixture lacks the ${deviation} group`);
  return group;
}

const allProblems = (got: Entity[][], group: Group): string[] => group.texts.flatMap((_, i) => compare((got[i] ?? []).map(asPy), group.expected[i] ?? [], group));

describe(`parity with GLiNER's Python (${fixture.upstream.repo}@${fixture.upstream.commit.slice(0, 7)}, ${fixture.cases} cases)`, () => {
  it('the fixture covers every decoding mode and thresholds 0, 0.1, 0.5, 0.9, texts up to 384 words', () => {
    const modes = new Set(fixture.groups.map((g) => `${g.flat_ner}/${g.multi_label}`));
    const thresholds = new Set(fixture.groups.map((g) => g.threshold));
    expect(modes.size).toBe(4);
    for (const t of [0, 0.1, 0.5, 0.9]) expect(thresholds).toContain(t);
    expect(Math.max(...fixture.groups.filter((g) => g.deviation === null).flatMap((g) => g.texts.map((t) => splitWords(t).length)))).toBe(384);
    expect(fixture.cases).toBeGreaterThanOrEqual(300);
  });

  const plain = fixture.groups.filter((g) => g.deviation === null || g.deviation === 'per-row-labels');
  it.each(plain.map((g) => [g.id, g] as const))(`%s: identical to Python (scores within ${SCORE_TOLERANCE})`, async (_id, group) => {
    const got = await ours(group);
    const problems = group.texts.flatMap((text, i) => compare((got[i] ?? []).map(asPy), group.expected[i] ?? [], group).map((p) => `text ${i} ${JSON.stringify(text.slice(0, 60))}: ${p}`));
    expect(problems).toEqual([]);
  });

  it('deviation "deleted-word": same spans, labels and scores; Python shifts offsets after a word the normaliser deletes, we do not', async () => {
    const group = fixture.groups.find((g) => g.deviation === 'deleted-word');
    if (group === undefined) throw new Error('fixture lacks the deleted-word group');
    const encoder = PromptEncoder.fromJson(JSON.parse(readFileSync(path.join(MODEL, 'tokenizer.json'), 'utf8')), JSON.parse(readFileSync(path.join(MODEL, 'tokenizer_config.json'), 'utf8')), '<<ENT>>', '<<SEP>>');
    const got = await ours(group);
    let shifted = 0;
    group.texts.forEach((text, i) => {
      const words = splitWords(text);
      const kept = words.flatMap((w, index) => (encoder.pieces(w.text).length > 0 ? [index] : []));
      expect(kept.length).toBeLessThan(words.length);
      // Python's span i..j is over the kept words, but it reads offsets from the full word list.
      const corrected = (group.expected[i] ?? []).map((e) => {
        const first = words[kept[words.findIndex((w) => w.start === e.start)] ?? -1];
        const last = words[kept[words.findIndex((w) => w.end === e.end)] ?? -1];
        if (first === undefined || last === undefined) throw new Error(`cannot place ${JSON.stringify(e)}`);
        if (first.start !== e.start || last.end !== e.end) shifted++;
        return { ...e, start: first.start, end: last.end, text: [...text].slice(first.start, last.end).join('') };
      });
      expect(compare((got[i] ?? []).map(asPy), corrected, group)).toEqual([]);
    });
    expect(shifted).toBeGreaterThan(0);
  });

  it('deviation "label-groups": more labels than max_types are split into groups (differs); in one group we equal Python', async () => {
    const group = groupOf('label-groups');
    expect(group.labels.length).toBeGreaterThan(runner.config.maxTypes);
    expect(allProblems(await ours(group, group.labels.length), group)).toEqual([]);
    expect(allProblems(await ours(group), group).length).toBeGreaterThan(0);
  });

  it('deviation "invisible-label": a label that tokenises to nothing shifts Python\'s words as an empty label does; ours differs', async () => {
    const group = groupOf('invisible-label');
    const empty = groupOf('empty-label');
    // Python gives the same answers as with an empty label in that place.
    expect(group.expected.slice(0, empty.texts.length)).toEqual(empty.expected);
    expect(allProblems(await ours(group), group).length).toBeGreaterThan(0);
  });

  it('deviation "truncation": Python stops at 384 words; we window, and agree before the overlap', async () => {
    const group = fixture.groups.find((g) => g.deviation === 'truncation');
    if (group === undefined) throw new Error('fixture lacks the truncation group');
    const text = group.texts[0] ?? '';
    const words = splitWords(text);
    expect(words.length).toBeGreaterThan(runner.config.maxLen);
    const got = ((await ours(group))[0] ?? []).map(asPy);
    const python = group.expected[0] ?? [];
    // Words before the second window's start are seen by the first window only, as in Python.
    const secondWindow = words.length - runner.config.maxLen;
    const before = (list: PyEntity[]): PyEntity[] => list.filter((e) => e.end <= (words[secondWindow - runner.config.maxWidth]?.start ?? 0));
    expect(before(python).length).toBeGreaterThan(0);
    expect(compare(before(got), before(python), group)).toEqual([]);
    const cut = words[runner.config.maxLen]?.start ?? Infinity;
    expect(python.filter((e) => e.start >= cut)).toEqual([]);
    expect(got.filter((e) => e.start >= cut).length).toBeGreaterThan(0);
  });
});

describe('parity through the real server (POST /api/v1/predict), 20 cases', () => {
  const KEY = 'parity-key';
  let srv: RunningServer;
  beforeAll(async () => {
    srv = await startServer({ env: { MODEL, API_KEYS: KEY, RATE_LIMIT_PER_SECOND: '0', MAX_LABELS: '30', MAX_BODY_BYTES: '1048576' } });
  });
  afterAll(async () => {
    expect(await srv.stop()).toBe(0);
  });

  // Two texts from each of ten groups spanning the four modes, four thresholds, Unicode and long texts.
  const picked = ['crossner-conll2003-0', 'crossner-ai-1', 'crossner-literature-2', 'crossner-music-0', 'crossner-politics-3', 'unicode-0', 'unicode-1', 'unicode-3', 'long-flat', 'labels-duplicated']
    .map((id) => fixture.groups.find((g) => g.id === id))
    .filter((g): g is Group => g !== undefined);
  const cases = picked.flatMap((g) => [0, g.texts.length - 1].map((i) => [`${g.id} #${i}`, g, i] as const));

  it('picks 20 cases', () => {
    expect(cases).toHaveLength(20);
  });

  it.each(cases)('%s', async (_name, group, i) => {
    const answer = await post(`${srv.url}/api/v1/predict`, { text: group.texts[i], labels: group.labels, threshold: group.threshold, flat_ner: group.flat_ner, multi_label: group.multi_label }, { 'x-api-key': KEY });
    expect(answer.status).toBe(200);
    const entities = (answer.body.entities as { start: number; end: number; text: string; entity_type: string; score: number }[]).map((e) => ({ start: e.start, end: e.end, text: e.text, label: e.entity_type, score: e.score }));
    expect(compare(entities, group.expected[i] ?? [], group)).toEqual([]);
  });

  it('deviation "empty-label": Python silently shifts words; we answer 400', async () => {
    const group = fixture.groups.find((g) => g.deviation === 'empty-label');
    if (group === undefined) throw new Error('fixture lacks the empty-label group');
    const answer = await post(`${srv.url}/api/v1/predict`, { text: group.texts[0], labels: group.labels }, { 'x-api-key': KEY });
    expect(answer.status).toBe(400);
    expect((answer.body.error as { code: string }).code).toBe('VALIDATION_FAILED');
  });
});
