import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parseConll } from '../../src/eval/conll.js';
import { Scorer } from '../../src/eval/score.js';
import { CLI, ROOT } from '../support/server.js';
import { SHARED } from '../support/paths.js';
import { TEST_MODEL } from '../support/model.js';

const run = promisify(execFile);

describe('CoNLL reader', () => {
  it('turns IOB2 tags into code-point spans over the space-joined sentence', () => {
    const [sentence] = parseConll('Ada\tB-person\nLovelace\tI-person\nvisited\tO\nSão\tB-location\nPaulo\tI-location\n.\tO\n\n');
    expect(sentence?.text).toBe('Ada Lovelace visited São Paulo .');
    expect(sentence?.entities).toEqual([{ start: 0, end: 12, label: 'person' }, { start: 21, end: 30, label: 'location' }]);
  });

  it('treats a stray I- as the start of an entity and skips -DOCSTART-', () => {
    const sentences = parseConll('-DOCSTART-\tO\n\nx\tI-misc\ny\tI-misc\nz\tO\n');
    expect(sentences).toHaveLength(1);
    expect(sentences[0]?.entities).toEqual([{ start: 0, end: 3, label: 'misc' }]);
  });
});

describe('entity-level scoring', () => {
  it('counts exact matches only, per label and micro', () => {
    const scorer = new Scorer(['person', 'location']);
    scorer.add([{ start: 0, end: 3, label: 'person' }, { start: 10, end: 15, label: 'location' }], [{ start: 0, end: 3, label: 'person' }, { start: 10, end: 14, label: 'location' }, { start: 20, end: 22, label: 'person' }]);
    const report = scorer.report();
    expect(report.labels.person).toEqual(expect.objectContaining({ precision: 0.5, recall: 1, correct: 1, support: 1 }));
    expect(report.labels.location?.f1).toBe(0);
    expect(report.micro.precision).toBeCloseTo(1 / 3);
    expect(report.micro.recall).toBeCloseTo(1 / 2);
  });
});

const CONLL_TEST = path.join(SHARED, 'datasets/crossner/conll2003/test.txt');

describe.skipIf(!existsSync(CONLL_TEST))('npm run eval end to end (../shared/datasets)', () => {
  it('scores the embedded model on CoNLL-2003 test through the serving engine: micro F1 >= 0.75', async () => {
    const { stdout } = await run(process.execPath, [CLI, 'eval', '--data', CONLL_TEST, '--labels', 'person,organisation,location,misc', '--json', '--model', TEST_MODEL], { cwd: ROOT, maxBuffer: 1 << 24 });
    const report = JSON.parse(stdout) as { micro: { precision: number; recall: number; f1: number }; labels: Record<string, { f1: number }>; sentences: number };
    expect(report.sentences).toBe(3453);
    expect(Object.keys(report.labels)).toEqual(['person', 'organisation', 'location', 'misc']);
    for (const value of Object.values(report.micro)) expect(value).toBeGreaterThanOrEqual(0);
    expect(report.micro.f1).toBeGreaterThanOrEqual(0.75);
  }, 300_000);

  it('prints a table without --json', async () => {
    const { stdout } = await run(process.execPath, [CLI, 'eval', '--data', CONLL_TEST, '--labels', 'person,location', '--limit', '50', '--model', TEST_MODEL], { cwd: ROOT });
    expect(stdout).toMatch(/\| label \| precision \| recall \| F1 \| support \|/);
    expect(stdout).toMatch(/\| \*\*micro\*\* \|/);
    expect(stdout).toContain('50 sentences');
  }, 120_000);
});
