// The engine (planning, admission, batching, merging, streaming, deadlines) over a fake model runner.
import { describe, expect, it } from 'vitest';
import { INLINE_PLAN_CHARS } from '../../src/engine/admitted.js';
import type { PredictResult, WindowUpdate } from '../../src/engine/engine.js';
import { GlinerError } from '../../src/errors.js';
import type { Entity } from '../../src/inference/merge.js';
import { windowStarts } from '../../src/inference/plan.js';
import { FakeRunner, inProcess } from '../support/fake-runner.js';

function engine(overrides: { maxQueueRows?: number; windowWords?: number; maxEntities?: number } = {}) {
  const runner = new FakeRunner();
  const { engine: e, batcher } = inProcess(runner, { limits: { windowWords: overrides.windowWords ?? 20, overlapWords: 13, labelsPerRow: 2 }, maxEntities: overrides.maxEntities ?? 1000 }, { maxQueueRows: overrides.maxQueueRows ?? 1000 });
  return { e, runner, batcher };
}
const opts = { threshold: 0.5, flatNer: true, multiLabel: false };
const entities = (result: PredictResult, i = 0): Entity[] => JSON.parse(result.texts[i]?.json ?? 'null') as Entity[];

describe('Engine', () => {
  it('maps entities of a long, windowed text back to the original offsets, each once', async () => {
    const { e } = engine();
    const words = Array.from({ length: 100 }, (_, i) => (i % 25 === 7 ? 'Zed' : 'word'));
    const text = words.join(' ');
    const result = await e.submit({ texts: [text], labels: ['person'], options: opts }, { timeoutMs: 10_000 }).result;
    const found = entities(result);
    const starts = [...text.matchAll(/Zed/g)].map((m) => m.index);
    expect(starts).toHaveLength(4);
    expect(found.map((x) => x.start)).toEqual(starts);
    for (const entity of found) expect(text.slice(entity.start, entity.end)).toBe('Zed');
  });

  it('plans texts longer than INLINE_PLAN_CHARS in a worker, with the same answer', async () => {
    const { e } = engine();
    const text = Array.from({ length: 1200 }, (_, i) => (i % 97 === 5 ? 'Zed' : 'word')).join(' ');
    expect(text.length).toBeGreaterThan(INLINE_PLAN_CHARS);
    const result = await e.submit({ texts: [text], labels: ['person'], options: opts }, { timeoutMs: 10_000 }).result;
    expect(entities(result).map((x) => x.start)).toEqual([...text.matchAll(/Zed/g)].map((m) => m.index));
  });

  it('splits long label lists into groups and merges them (a label beyond the first group still answers)', async () => {
    const { e } = engine();
    const result = await e.submit({ texts: ['Ada Lovelace'], labels: ['x', 'y', 'person', 'pair'], options: opts }, { timeoutMs: 10_000 }).result;
    // FakeRunner tags with each group's first label (x, person) and second label (y, pair) for pairs.
    expect(entities(result).map((x) => [x.text, x.entity_type])).toEqual([['Ada Lovelace', 'y']]);
  });

  it('de-duplicates labels before planning: the model sees each label once, in one row', async () => {
    const { e, runner } = engine();
    await e.submit({ texts: ['Ada'], labels: ['person', 'person', 'person'], options: opts }, { timeoutMs: 10_000 }).result;
    expect(runner.seen.map((row) => row.labels)).toEqual([['person']]);
  });

  it('relations asked: all entity labels in one row per window (past labelsPerRow), the rows carry the de-duplicated relation labels; an empty text answers empty relations', async () => {
    const { e, runner } = engine();
    const relations = { labels: ['knows', 'knows', 'met'], threshold: 0.4 };
    const result = await e.submit({ texts: ['Ada Lovelace', ''], labels: ['x', 'y', 'person'], options: opts, relations }, { timeoutMs: 10_000 }).result;
    expect(runner.seen.map((row) => [row.labels, row.relations])).toEqual([[['x', 'y', 'person'], { labels: ['knows', 'met'], threshold: 0.4 }]]);
    expect(result.texts[1]).toEqual({ json: '[]', count: 0, truncated: false, relations: { json: '[]', count: 0 } });
    runner.seen.length = 0;
    await e.submit({ texts: ['Ada Lovelace'], labels: ['x', 'y', 'person'], options: opts }, { timeoutMs: 10_000 }).result;
    expect(runner.seen.map((row) => row.labels)).toEqual([['x', 'y'], ['person']]);
  });

  it('reports each window as it finishes when streaming, then the merged result', async () => {
    const { e } = engine();
    const updates: WindowUpdate[] = [];
    const text = Array.from({ length: 60 }, (_, i) => (i === 50 ? 'Zed' : 'w')).join(' ');
    const result = await e.submit({ texts: [text], labels: ['person'], options: opts }, { timeoutMs: 10_000, onWindow: (u) => updates.push(u) }).result;
    await new Promise((resolve) => setImmediate(resolve));
    expect(updates.length).toBeGreaterThan(1);
    expect(new Set(updates.map((u) => u.window)).size).toBe(updates[0]?.windows);
    expect(updates.flatMap((u) => (JSON.parse(u.answer.json) as Entity[]).map((x) => x.start))).toContain(100);
    expect(entities(result).map((x) => x.start)).toEqual([100]);
  });

  it('sends every window update before the merged result, even when the final merge finishes first', async () => {
    // Two workers: a window's merge and the final merge run side by side; window merges are slow here.
    const runner = new FakeRunner();
    const { runMerge } = await import('../../src/worker/tasks.js');
    const { engine: e } = inProcess(runner, { limits: { windowWords: 20, overlapWords: 13, labelsPerRow: 2 }, maxEntities: 1000 }, { maxInflight: 2 }, undefined, {}, {
      plan: () => Promise.reject(new Error('not used')),
      merge: (task) => new Promise((resolve) => setTimeout(() => resolve(runMerge(task)), task.segment.word === 0 && task.segment.totalWords === task.text.split(' ').length ? 0 : 30)),
    });
    const updates: WindowUpdate[] = [];
    const text = Array.from({ length: 60 }, (_, i) => (i === 50 ? 'Zed' : 'w')).join(' ');
    const result = await e.submit({ texts: [text], labels: ['person'], options: opts }, { timeoutMs: 10_000, onWindow: (u) => updates.push(u) }).result;
    // No setImmediate here: by the time the answer resolves, every window has been reported.
    expect(updates.length).toBeGreaterThan(1);
    expect(updates).toHaveLength(updates[0]?.windows ?? -1);
    expect(entities(result).map((x) => x.start)).toEqual([100]);
  });

  it('caps the entities of a text and says so', async () => {
    const { e } = engine({ maxEntities: 3 });
    const text = 'Ann Bob Cy Dee Eve and Fay';
    const one = await e.submit({ texts: [text], labels: ['person'], options: opts }, { timeoutMs: 10_000 }).result;
    expect(one.texts[0]?.count).toBe(3);
    expect(one.texts[0]?.truncated).toBe(true);
    // The three kept are the first the decoder accepts (all score 0.9: ties keep text order).
    expect(entities(one).map((x) => x.text)).toEqual(['Ann', 'Bob', 'Cy']);
    const under = await e.submit({ texts: ['Ann and Bob'], labels: ['person'], options: opts }, { timeoutMs: 10_000 }).result;
    expect(under.texts[0]).toMatchObject({ count: 2, truncated: false });
  });

  it('refuses at once with OVERLOADED when the rows do not fit the queue', () => {
    const { e } = engine({ maxQueueRows: 3 });
    const long = Array.from({ length: 200 }, () => 'w').join(' ');
    let error: unknown;
    try {
      e.submit({ texts: [long], labels: ['person'], options: opts }, { timeoutMs: 10_000 });
    } catch (caught) {
      error = caught;
    }
    expect((error as GlinerError).code).toBe('OVERLOADED');
    expect((error as GlinerError).extra.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    // The reason rides on the error: gliner_requests_dropped_total{reason} counts it (metrics/hooks.ts).
    expect((error as GlinerError).extra.reason).toBe('overload');
  });

  it('answers 504 at the deadline itself, dropping the rows that have not run', async () => {
    const runner = new FakeRunner();
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => { release = resolve; });
    const slow = { config: runner.config, close: () => runner.close(), run: async (rows: Parameters<FakeRunner['run']>[0]) => { await gate; return runner.run(rows); } };
    const dropped: string[] = [];
    const { engine: e, batcher } = inProcess(slow, { limits: { windowWords: 20, overlapWords: 13, labelsPerRow: 2 }, maxEntities: 100 }, { maxBatchRows: 1 }, undefined, { dropped: (reason, rows) => dropped.push(`${reason}:${rows}`) });
    const busy = e.submit({ texts: ['Ann'], labels: ['person'], options: opts }, { timeoutMs: 60_000 }).result;
    const long = Array.from({ length: 100 }, () => 'w').join(' ');
    const started = Date.now();
    const late = e.submit({ texts: [long], labels: ['person'], options: opts }, { timeoutMs: 50 }).result;
    await expect(late).rejects.toMatchObject({ code: 'DEADLINE_EXCEEDED' });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(batcher.depth).toBe(0);
    expect(dropped).toEqual([`deadline:${windowStarts(100, 20, 13).length}`]);
    release();
    await busy;
  });

  it('drains: admitted work finishes, new work is refused with DRAINING', async () => {
    const { e } = engine();
    const pending = e.submit({ texts: ['Ada', 'Bob'], labels: ['person'], options: opts }, { timeoutMs: 10_000 }).result;
    const drained = e.drain();
    expect(() => e.submit({ texts: ['Cy'], labels: ['person'], options: opts }, { timeoutMs: 10_000 })).toThrow(GlinerError);
    await drained;
    const result = await pending;
    expect([0, 1].map((i) => entities(result, i).map((x) => x.text))).toEqual([['Ada'], ['Bob']]);
  });

  it('answers blank texts with no entities and without running the model', async () => {
    const { e, runner } = engine();
    const result = await e.submit({ texts: ['   '], labels: ['person'], options: opts }, { timeoutMs: 10_000 }).result;
    expect(result.texts.map((t) => t.json)).toEqual(['[]']);
    expect(runner.calls).toBe(0);
  });
});
