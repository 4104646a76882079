// The batcher with a fake dispatch (no workers, no model) and a fake clock.
import { describe, expect, it } from 'vitest';
import { Batcher, type BatcherSettings, type QueuedRow, type Ticket } from '../../src/engine/batcher.js';
import type { GlinerError } from '../../src/errors.js';
import type { BatchResult, RowTask } from '../../src/worker/messages.js';

const settings: BatcherSettings = { maxBatchRows: 4, maxBatchTokens: 400, maxBatchPadding: 1, maxQueueRows: 10, lookahead: 100, maxInflight: 1 };

interface Pending {
  rows: readonly RowTask[];
  finish(): void;
  fail(error: Error): void;
}

function harness(overrides: Partial<BatcherSettings> = {}) {
  let clock = 0;
  const dispatched: Pending[] = [];
  const dropped: string[] = [];
  const batcher = new Batcher(
    { ...settings, ...overrides },
    (_id, rows) => new Promise<BatchResult>((resolve, reject) => {
      dispatched.push({
        rows,
        finish: () => resolve({ rows: rows.map(() => ({ spans: [], tokens: 1 })), timings: { preprocessSeconds: 0, inferenceSeconds: 0.001, postprocessSeconds: 0 }, paddedTokens: rows.length, workerId: 1 }),
        fail: reject,
      });
    }),
    { dropped: (reason, n) => dropped.push(`${reason}:${n}`) },
    () => clock,
  );
  const results: string[] = [];
  const row = (name: string, tokens: number, ticket: Ticket = { deadline: Infinity, cancelled: undefined }): QueuedRow => ({
    task: { words: [name], labels: ['x'], threshold: 0.5 },
    tokens,
    ticket,
    enqueuedAt: 0,
    resolve: () => results.push(`ok:${name}`),
    reject: (error: GlinerError) => results.push(`${error.code}:${name}`),
  });
  const names = (p: Pending | undefined): string[] => (p?.rows ?? []).map((r) => r.words[0] ?? '');
  const tick = (ms: number) => { clock += ms; };
  const settle = () => new Promise((resolve) => setImmediate(resolve));
  return { batcher, dispatched, dropped, results, row, names, tick, settle };
}

describe('Batcher', () => {
  it('is work-conserving: a lone row is dispatched at once, without waiting for company', () => {
    const h = harness();
    h.batcher.enqueue([h.row('a', 10)]);
    expect(h.dispatched).toHaveLength(1);
    expect(h.names(h.dispatched[0])).toEqual(['a']);
  });

  it('batches what queued up while the worker was busy, up to the row cap', async () => {
    const h = harness();
    h.batcher.enqueue([h.row('a', 10)]);
    h.batcher.enqueue(['b', 'c', 'd', 'e', 'f'].map((n) => h.row(n, 10)));
    expect(h.dispatched).toHaveLength(1);
    h.dispatched[0]?.finish();
    await h.settle();
    expect(h.names(h.dispatched[1])).toEqual(['b', 'c', 'd', 'e']);
    h.dispatched[1]?.finish();
    await h.settle();
    expect(h.names(h.dispatched[2])).toEqual(['f']);
    h.dispatched[2]?.finish();
    await h.settle();
    expect(h.results.sort()).toEqual(['ok:a', 'ok:b', 'ok:c', 'ok:d', 'ok:e', 'ok:f']);
  });

  it('closes a batch on the token budget, counting padding, and groups similar lengths', async () => {
    const h = harness();
    h.batcher.enqueue([h.row('busy', 10)]);
    // Budget 400: the oldest row (100) anchors; 90 and 110 are nearest; 300 would make 4×300 > 400.
    h.batcher.enqueue([h.row('r100', 100), h.row('r300', 300), h.row('r90', 90), h.row('r110', 110), h.row('r20', 20)]);
    h.dispatched[0]?.finish();
    await h.settle();
    const batch = h.names(h.dispatched[1]);
    expect(batch[0]).toBe('r100');
    expect(batch).toEqual(expect.arrayContaining(['r100', 'r90', 'r110']));
    expect(batch).not.toContain('r300');
    // rows × longest row stays within the budget
    const longest = Math.max(...batch.map((n) => Number(n.slice(1))));
    expect(longest * batch.length).toBeLessThanOrEqual(400);
  });

  it('keeps padding under the configured share: a much shorter row waits for a batch of its own', async () => {
    const h = harness({ maxBatchPadding: 0.25, maxBatchTokens: 10_000 });
    h.batcher.enqueue([h.row('busy', 10)]);
    h.batcher.enqueue([h.row('r100', 100), h.row('r90', 90), h.row('r20', 20), h.row('r95', 95)]);
    h.dispatched[0]?.finish();
    await h.settle();
    // 100, 95, 90 and 20 padded to 4 × 100: 95 of 400 tokens are padding (23.75 %), under 25 %.
    expect(h.names(h.dispatched[1]).sort()).toEqual(['r100', 'r20', 'r90', 'r95'].sort());
    // Under a 20 % cap the short row waits for the next batch.
    const g = harness({ maxBatchPadding: 0.2, maxBatchTokens: 10_000 });
    g.batcher.enqueue([g.row('busy', 10)]);
    g.batcher.enqueue([g.row('r100', 100), g.row('r90', 90), g.row('r20', 20), g.row('r95', 95)]);
    g.dispatched[0]?.finish();
    await g.settle();
    expect(g.names(g.dispatched[1]).sort()).toEqual(['r100', 'r90', 'r95']);
    g.dispatched[1]?.finish();
    await g.settle();
    expect(g.names(g.dispatched[2])).toEqual(['r20']);
  });

  it('with a row cap of 1, dispatches rows one by one in arrival order (batching off)', async () => {
    const h = harness({ maxBatchRows: 1 });
    h.batcher.enqueue([h.row('a', 10), h.row('b', 500), h.row('c', 10)]);
    for (let i = 0; i < 3; i++) {
      h.dispatched[i]?.finish();
      await h.settle();
    }
    expect(h.dispatched.map((p) => h.names(p))).toEqual([['a'], ['b'], ['c']]);
  });

  it('bounds the queue', () => {
    const h = harness();
    expect(h.batcher.hasRoom(10)).toBe(true);
    expect(h.batcher.hasRoom(11)).toBe(false);
  });

  it('drops rows whose deadline passed before dispatch, answering DEADLINE_EXCEEDED, never running them', async () => {
    const h = harness();
    h.batcher.enqueue([h.row('busy', 10)]);
    h.batcher.enqueue([h.row('late', 10, { deadline: 50, cancelled: undefined }), h.row('fine', 10)]);
    h.tick(100);
    h.dispatched[0]?.finish();
    await h.settle();
    expect(h.names(h.dispatched[1])).toEqual(['fine']);
    expect(h.results).toContain('DEADLINE_EXCEEDED:late');
    expect(h.dropped).toEqual(['deadline:1']);
  });

  it('drops rows of a request whose client disconnected, counting them', async () => {
    const h = harness();
    const ticket: Ticket = { deadline: Infinity, cancelled: undefined };
    h.batcher.enqueue([h.row('busy', 10)]);
    h.batcher.enqueue([h.row('gone1', 10, ticket), h.row('gone2', 10, ticket), h.row('stay', 10)]);
    ticket.cancelled = 'disconnect';
    h.dispatched[0]?.finish();
    await h.settle();
    expect(h.dispatched.flatMap((p) => h.names(p))).toEqual(['busy', 'stay']);
    // Counted once per request, not per row.
    expect(h.dropped).toEqual(['disconnect:1']);
  });

  it('fails every row of a batch whose dispatch failed, and keeps serving', async () => {
    const h = harness();
    h.batcher.enqueue([h.row('a', 10)]);
    h.batcher.enqueue([h.row('b', 10)]);
    h.dispatched[0]?.fail(new Error('worker died'));
    await h.settle();
    expect(h.results).toContain('INTERNAL:a');
    h.dispatched[1]?.finish();
    await h.settle();
    expect(h.results).toContain('ok:b');
  });

  it('idle() resolves once queue and workers are empty', async () => {
    const h = harness();
    h.batcher.enqueue([h.row('a', 10), h.row('b', 10)]);
    let idle = false;
    void h.batcher.idle().then(() => { idle = true; });
    await h.settle();
    expect(idle).toBe(false);
    h.dispatched[0]?.finish();
    await h.settle();
    await h.settle();
    expect(idle).toBe(true);
  });

  it('runs as many batches at once as it has workers', () => {
    const h = harness({ maxInflight: 2, maxBatchRows: 1 });
    h.batcher.enqueue([h.row('a', 10), h.row('b', 10), h.row('c', 10)]);
    expect(h.dispatched).toHaveLength(2);
  });
});
