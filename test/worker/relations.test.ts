// The worker's side of relation extraction on the committed micro relex model: rows that ask for
// relations next to rows that do not, in one batch; the pair bound refusing one row and not its batch
// neighbours; and a long text whose windows' relations attach to the merged entities. (Parity with
// upstream's decoding is test/parity/relex-model.test.ts.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planText } from '../../src/inference/plan.js';
import type { RowTask } from '../../src/worker/messages.js';
import { OnnxRunner, type RunnerSettings } from '../../src/worker/onnx-runner.js';
import { runBatch } from '../../src/worker/tasks.js';
import { extract } from '../parity/adapter.js';
import { relexMicroDir } from '../support/relex-micro.js';

const ADA = 'Ada Lovelace worked with Charles Babbage in London on the Analytical Engine for years.';
const LABELS = ['person', 'organization', 'location', 'date'];
const RELATIONS = { labels: ['works with', 'located in', 'born in'], threshold: 0.5 };
const options = { threshold: 0.5, flatNer: true, multiLabel: false };

const micro = relexMicroDir('span');
const settings = (maxRelationPairs: number): RunnerSettings => ({ modelDir: micro.dir, quantization: 'auto', executionProvider: 'cpu', cudaFallback: 'fail', cudaDeviceId: 0, intraOpThreads: 1, interOpThreads: 1, graphOptimization: 'all', intraOpSpinning: false, maxRelationPairs });
let runner: OnnxRunner;
let tight: OnnxRunner;

beforeAll(async () => {
  runner = await OnnxRunner.load(settings(1_000_000));
  tight = await OnnxRunner.load(settings(2));
});
afterAll(async () => {
  await runner?.close();
  await tight?.close();
  micro.remove();
});

const row = (text: string, relations = true): RowTask => ({
  text, codePoint: 0, labels: LABELS, threshold: 0.5, finish: { kind: 'answer', options, maxEntities: 1000 }, ...(relations ? { relations: RELATIONS } : {}),
});

describe('relations in the worker', () => {
  it('answers relations for the rows that ask, in a batch with rows that do not', async () => {
    const { rows } = await runBatch(runner, { kind: 'batch', batchId: 1, rows: [row(ADA), row(ADA, false), row('Paris')] }, 0);
    const [asked, plain, one] = rows;
    if (asked?.kind !== 'answer' || plain?.kind !== 'answer' || one?.kind !== 'answer') throw new Error('rows came back as spans');
    expect(asked.answer.relations?.count).toBeGreaterThan(0);
    const relations = JSON.parse(asked.answer.relations?.json ?? '[]') as { head: { entity: number } }[];
    expect(relations.every((r) => r.head.entity < asked.answer.count)).toBe(true);
    expect(plain.answer.relations).toBeUndefined();
    expect(one.answer.relations?.json).toBe('[]');
    expect([asked, plain, one].every((r) => r.relationsRefused === undefined)).toBe(true);
  });

  it('refuses the relations of a row past MAX_RELATION_PAIRS, keeps its entities, and leaves its batch neighbours alone', async () => {
    const { rows } = await runBatch(tight, { kind: 'batch', batchId: 2, rows: [row(ADA), row('Paris'), row(ADA, false)] }, 0);
    const [refused, one, plain] = rows;
    expect(refused?.relationsRefused?.code).toBe('LIMIT_EXCEEDED');
    expect(refused?.relationsRefused?.message).toMatch(/a text window of 15 words: \d+ entities above threshold 0.5 make [\d,]+ candidate pairs for relations; the most is MAX_RELATION_PAIRS \(2\)/);
    expect(refused?.kind === 'answer' && refused.answer.count).toBeGreaterThan(0);
    expect(refused?.kind === 'answer' && refused.answer.relations).toBeUndefined();
    expect(one?.relationsRefused).toBeUndefined();
    expect(plain?.relationsRefused).toBeUndefined();
  });

  it('a long text: relations found inside a window, on the merged entities, none across windows', async () => {
    const text = Array.from({ length: 12 }, () => ADA).join(' '); // 168 words
    const [answer] = await extract(runner, { texts: [text], labels: LABELS, threshold: 0.9, options: { ...options, threshold: 0.9 }, relations: { ...RELATIONS, threshold: 0.9 }, windowWords: 40, overlapWords: 14 });
    const windows = planText(text, { windowWords: 40, overlapWords: 14, labelsPerRow: 25 }).windows;
    expect(windows.length).toBeGreaterThan(4);
    const relations = answer?.relations ?? [];
    const entities = answer?.entities ?? [];
    expect(relations.length).toBeGreaterThan(10);
    const seen = new Set<string>();
    for (const r of relations) {
      for (const end of [r.head, r.tail]) expect(entities[end.entity]).toMatchObject({ text: end.text, start: end.start, end: end.end, entity_type: end.entity_type });
      // Both ends inside one window (code points of the window's first and last word).
      const lo = Math.min(r.head.start, r.tail.start);
      const hi = Math.max(r.head.end, r.tail.end);
      expect(windows.some((w) => w.codePoint <= lo && hi <= endOf(text, w.utf16End))).toBe(true);
      const key = `${r.head.entity}>${r.tail.entity}:${r.relation}`;
      expect(seen.has(key)).toBe(false);
      seen.add(key);
    }
  });
});

/** Code-point offset of a UTF-16 offset (the text here is ASCII: the same). */
function endOf(text: string, utf16: number): number {
  return [...text.slice(0, utf16)].length;
}
