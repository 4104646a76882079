// The engine (planning, admission, batching, merging, streaming) over a fake model runner.
import { describe, expect, it } from 'vitest';
import { Batcher } from '../../src/engine/batcher.js';
import { Engine, type WindowUpdate } from '../../src/engine/engine.js';
import { GlinerError } from '../../src/errors.js';
import { FakeRunner } from '../support/fake-runner.js';

function engine(overrides: { maxQueueRows?: number; windowWords?: number } = {}) {
  const runner = new FakeRunner();
  const rejected: string[] = [];
  const batcher = new Batcher(
    { maxBatchRows: 8, maxBatchTokens: 100_000, maxBatchPadding: 1, maxQueueRows: overrides.maxQueueRows ?? 1000, lookahead: 64, maxInflight: 1 },
    async (_id, rows) => ({ ...(await runner.run(rows)), workerId: 1 }),
  );
  const e = new Engine(batcher, { windowWords: overrides.windowWords ?? 20, overlapWords: 13, labelsPerRow: 2 }, (reason) => rejected.push(reason));
  return { e, runner, rejected, batcher };
}
const opts = { threshold: 0.5, flatNer: true, multiLabel: false };

describe('Engine', () => {
  it('maps entities of a long, windowed text back to the original offsets, each once', async () => {
    const { e } = engine();
    const words = Array.from({ length: 100 }, (_, i) => (i % 25 === 7 ? 'Zed' : 'word'));
    const text = words.join(' ');
    const result = await e.submit({ texts: [text], labels: ['person'], options: opts }, { timeoutMs: 10_000 }).result;
    const found = result.entities[0] ?? [];
    const starts = [...text.matchAll(/Zed/g)].map((m) => m.index);
    expect(starts).toHaveLength(4);
    expect(found.map((x) => x.start)).toEqual(starts);
    for (const entity of found) expect(text.slice(entity.start, entity.end)).toBe('Zed');
  });

  it('splits long label lists into groups and merges them (a label beyond the first group still answers)', async () => {
    const { e } = engine();
    const result = await e.submit({ texts: ['Ada Lovelace'], labels: ['x', 'y', 'person', 'pair'], options: opts }, { timeoutMs: 10_000 }).result;
    // FakeRunner tags with each group's first label (x, person) and second label (y, pair) for pairs.
    expect(result.entities[0]?.map((x) => [x.text, x.label])).toEqual([['Ada Lovelace', 'y']]);
  });

  it('de-duplicates labels before planning', async () => {
    const { e, runner } = engine();
    await e.submit({ texts: ['Ada'], labels: ['person', 'person', 'person'], options: opts }, { timeoutMs: 10_000 }).result;
    expect(runner.calls).toBe(1);
  });

  it('reports each window as it finishes when streaming, then the merged result', async () => {
    const { e } = engine();
    const updates: WindowUpdate[] = [];
    const text = Array.from({ length: 60 }, (_, i) => (i === 50 ? 'Zed' : 'w')).join(' ');
    const result = await e.submit({ texts: [text], labels: ['person'], options: opts }, { timeoutMs: 10_000, onWindow: (u) => updates.push(u) }).result;
    expect(updates.length).toBeGreaterThan(1);
    expect(new Set(updates.map((u) => u.window)).size).toBe(updates[0]?.windows);
    expect(updates.flatMap((u) => u.entities.map((x) => x.start))).toContain(100);
    expect(result.entities[0]?.map((x) => x.start)).toEqual([100]);
  });

  it('refuses at once with OVERLOADED when the rows do not fit the queue', () => {
    const { e, rejected } = engine({ maxQueueRows: 3 });
    const long = Array.from({ length: 200 }, () => 'w').join(' ');
    let error: unknown;
    try {
      e.submit({ texts: [long], labels: ['person'], options: opts }, { timeoutMs: 10_000 });
    } catch (caught) {
      error = caught;
    }
    expect((error as GlinerError).code).toBe('OVERLOADED');
    expect((error as GlinerError).extra.retryAfterSeconds).toBe(1);
    expect(rejected).toEqual(['overload']);
  });

  it('drains: admitted work finishes, new work is refused with DRAINING', async () => {
    const { e } = engine();
    const pending = e.submit({ texts: ['Ada', 'Bob'], labels: ['person'], options: opts }, { timeoutMs: 10_000 }).result;
    const drained = e.drain();
    expect(() => e.submit({ texts: ['Cy'], labels: ['person'], options: opts }, { timeoutMs: 10_000 })).toThrow(GlinerError);
    await drained;
    expect((await pending).entities.map((list) => list.map((x) => x.text))).toEqual([['Ada'], ['Bob']]);
  });

  it('answers blank texts with no entities and without running the model', async () => {
    const { e, runner } = engine();
    const result = await e.submit({ texts: ['   '], labels: ['person'], options: opts }, { timeoutMs: 10_000 }).result;
    expect(result.entities).toEqual([[]]);
    expect(runner.calls).toBe(0);
  });
});
