// The batcher with a fake dispatch (no workers, no model) and a fake clock: batching, fairness,
// deadlines, admission.
import { describe, expect, it } from 'vitest';
import { Batcher, RequestRows, type BatcherSettings, type QueuedRow, type Ticket } from '../../src/engine/batcher.js';
import type { GlinerError } from '../../src/errors.js';
import type { BatchResult, RowTask } from '../../src/worker/messages.js';

const settings: BatcherSettings = { maxBatchRows: 4, maxBatchTokens: 400, maxBatchPadding: 1, maxQueueRows: 10, maxQueueRowsPerKey: 0, maxQueueWaitSeconds: 0, lookahead: 100, maxInflight: 1 };

interface Pending {
  rows: readonly RowTask[];
  solo: boolean;
  finish(): void;
  fail(error: Error): void;
}

function harness(overrides: Partial<BatcherSettings> = {}) {
  let clock = 0;
  const dispatched: Pending[] = [];
  const dropped: string[] = [];
  const batcher = new Batcher(
    { ...settings, ...overrides },
    (_id, rows, solo) => new Promise<BatchResult>((resolve, reject) => {
      dispatched.push({
        rows,
        solo,
        finish: () => resolve({ rows: rows.map(() => ({ kind: 'answer', tokens: 1, answer: { json: '[]', count: 0, truncated: false } })), timings: { preprocessSeconds: 0, inferenceSeconds: 0.001, postprocessSeconds: 0 }, paddedTokens: rows.length, workerId: 1 }),
        fail: reject,
      });
    }),
    { dropped: (reason, n) => dropped.push(`${reason}:${n}`) },
    () => clock,
  );
  const results: string[] = [];
  const row = (name: string, tokens: number): QueuedRow => ({
    task: { text: name, codePoint: 0, labels: ['x'], threshold: 0.5, finish: { kind: 'spans', bestLabelOnly: true, maxSpans: 10 } },
    tokens,
    enqueuedAt: 0,
    resolve: () => results.push(`ok:${name}`),
    reject: (error: GlinerError) => results.push(`${error.code}:${name}`),
  });
  /** Queue one request of rows `[name, tokens]`. */
  const request = (rows: [string, number][], options: { tenant?: string; ticket?: Ticket } = {}): RequestRows => {
    const queue = new RequestRows(options.tenant ?? 't', options.ticket ?? { deadline: Infinity, cancelled: undefined });
    batcher.enqueue(queue, rows.map(([name, tokens]) => row(name, tokens)));
    return queue;
  };
  /** One request per row. */
  const each = (names: string[], tokens = 10, tenant = 't') => names.forEach((name) => request([[name, tokens]], { tenant }));
  const names = (p: Pending | undefined): string[] => (p?.rows ?? []).map((r) => r.text);
  const tick = (ms: number) => { clock += ms; };
  const settle = () => new Promise((resolve) => setImmediate(resolve));
  /** Finish the newest batch and let the next one leave. */
  const next = async () => {
    dispatched.at(-1)?.finish();
    await settle();
  };
  return { batcher, dispatched, dropped, results, request, each, names, tick, settle, next };
}

describe('Batcher', () => {
  it('is work-conserving: a lone row is dispatched at once, without waiting for company', () => {
    const h = harness();
    h.each(['a']);
    expect(h.dispatched).toHaveLength(1);
    expect(h.names(h.dispatched[0])).toEqual(['a']);
  });

  it('batches what queued up while the worker was busy, up to the row cap', async () => {
    const h = harness();
    h.each(['a']);
    h.each(['b', 'c', 'd', 'e', 'f']);
    expect(h.dispatched).toHaveLength(1);
    await h.next();
    expect(h.names(h.dispatched[1])).toEqual(['b', 'c', 'd', 'e']);
    await h.next();
    expect(h.names(h.dispatched[2])).toEqual(['f']);
    await h.next();
    expect(h.results.sort()).toEqual(['ok:a', 'ok:b', 'ok:c', 'ok:d', 'ok:e', 'ok:f']);
  });

  it('closes a batch on the token budget, counting padding', async () => {
    const h = harness();
    h.each(['busy']);
    // Budget 400: the shortest row (20) anchors, then the closest lengths: 90, 100; 110 would make
    // 4 × 110 > 400 and 300 would make 3 × 300 > 400.
    for (const [name, tokens] of [['r100', 100], ['r300', 300], ['r90', 90], ['r110', 110], ['r20', 20]] as const) h.request([[name, tokens]]);
    await h.next();
    const batch = h.names(h.dispatched[1]);
    expect(batch).toEqual(['r20', 'r90', 'r100']);
    const longest = Math.max(...batch.map((n) => Number(n.slice(1))));
    expect(longest * batch.length).toBeLessThanOrEqual(400);
  });

  it('keeps padding under the configured share: a much shorter row gets a batch of its own, first', async () => {
    const h = harness({ maxBatchPadding: 0.25, maxBatchTokens: 10_000 });
    h.each(['busy']);
    for (const [name, tokens] of [['r100', 100], ['r90', 90], ['r20', 20], ['r95', 95]] as const) h.request([[name, tokens]]);
    await h.next();
    // The shortest row anchors; 20 padded to 100 would be 80 % padding: it leaves alone, at once.
    expect(h.names(h.dispatched[1])).toEqual(['r20']);
    await h.next();
    // 90, 100 and 95 padded to 3 × 100: 15 of 300 tokens are padding (5 %).
    expect(h.names(h.dispatched[2]).sort()).toEqual(['r100', 'r90', 'r95']);
    // Under a 100 % cap everything fits one batch.
    const g = harness({ maxBatchPadding: 1, maxBatchTokens: 10_000 });
    g.each(['busy']);
    for (const [name, tokens] of [['r100', 100], ['r90', 90], ['r20', 20], ['r95', 95]] as const) g.request([[name, tokens]]);
    await g.next();
    expect(g.names(g.dispatched[1]).sort()).toEqual(['r100', 'r20', 'r90', 'r95']);
  });

  it('a request not served for a while anchors the next batch, even if it is long', async () => {
    const h = harness({ maxBatchRows: 1, maxQueueRows: 100 });
    h.each(['busy']);
    h.request([['long0', 100], ['long1', 100]]);
    h.tick(10);
    h.each(['s1', 's2', 's3'], 10);
    await h.next();
    // Shortest first while nobody is old.
    expect(h.names(h.dispatched[1])).toEqual(['s1']);
    h.tick(5000);
    await h.next();
    // long waited past the age limit (a second before any batch time is measured): it goes next.
    expect(h.names(h.dispatched[2])).toEqual(['long0']);
    await h.next();
    expect(h.names(h.dispatched[3])).toEqual(['s2']);
  });

  it('with a row cap of 1, dispatches rows one by one in arrival order (batching off)', async () => {
    const h = harness({ maxBatchRows: 1 });
    h.request([['a', 10], ['b', 500], ['c', 10]]);
    await h.next();
    await h.next();
    expect(h.dispatched.map((p) => h.names(p))).toEqual([['a'], ['b'], ['c']]);
  });

  it('interleaves requests: a short request is not queued behind every row of a long one', async () => {
    const h = harness({ maxBatchRows: 2, maxQueueRows: 100 });
    h.each(['busy']);
    h.request(Array.from({ length: 20 }, (_, i): [string, number] => [`long${i}`, 10]));
    h.request([['short', 10]]);
    await h.next();
    // Round-robin over requests: the long document's first window, then the short request.
    expect(h.names(h.dispatched[1])).toEqual(['long0', 'short']);
    await h.next();
    expect(h.names(h.dispatched[2])).toEqual(['long1', 'long2']);
  });

  it('is fair between keys: a key with many requests waiting shares each batch with one that has a single request', async () => {
    const h = harness({ maxBatchRows: 2, maxQueueRows: 100 });
    h.each(['busy']);
    h.each(Array.from({ length: 10 }, (_, i) => `bulk${i}`), 10, 'batch-job');
    h.each(['interactive'], 10, 'web');
    await h.next();
    expect(h.names(h.dispatched[1])).toEqual(['bulk0', 'interactive']);
    await h.next();
    expect(h.names(h.dispatched[2])).toEqual(['bulk1', 'bulk2']);
  });

  it('runs helper jobs (planning, merging) on the next free worker, ahead of waiting batches', async () => {
    const h = harness();
    h.each(['busy']);
    h.each(['queued']);
    const order: string[] = [];
    const job = h.batcher.helper(() => {
      order.push(`helper after ${h.dispatched.length} batches`);
      return Promise.resolve(42);
    });
    await h.next();
    expect(await job).toBe(42);
    await h.settle();
    expect(order).toEqual(['helper after 1 batches']);
    expect(h.names(h.dispatched[1])).toEqual(['queued']);
  });

  it('drops a request whose deadline passed before dispatch, answering DEADLINE_EXCEEDED, never running it', async () => {
    const h = harness();
    h.each(['busy']);
    h.request([['late', 10], ['late2', 10]], { ticket: { deadline: 50, cancelled: undefined } });
    h.each(['fine']);
    h.tick(100);
    await h.next();
    expect(h.names(h.dispatched[1])).toEqual(['fine']);
    expect(h.results).toEqual(expect.arrayContaining(['DEADLINE_EXCEEDED:late', 'DEADLINE_EXCEEDED:late2']));
    // Counted once per request, with its rows.
    expect(h.dropped).toEqual(['deadline:2']);
  });

  it('withdraws a request at once (client gone), counting the drop once with its unrun rows', () => {
    const h = harness();
    h.each(['busy']);
    const ticket: Ticket = { deadline: Infinity, cancelled: undefined };
    const gone = h.request([['gone1', 10], ['gone2', 10]], { ticket });
    h.each(['stay']);
    ticket.cancelled = 'disconnect';
    h.batcher.withdraw(gone, 'disconnect');
    h.batcher.withdraw(gone, 'disconnect');
    expect(h.batcher.depth).toBe(1);
    expect(h.dropped).toEqual(['disconnect:2']);
  });

  it('fails every row of a batch whose dispatch failed, and keeps serving', async () => {
    const h = harness();
    h.each(['a']);
    h.each(['b']);
    h.dispatched[0]?.fail(new Error('worker died'));
    await h.settle();
    expect(h.results).toContain('INTERNAL:a');
    await h.next();
    expect(h.results).toContain('ok:b');
  });

  it('idle() resolves once queue and workers are empty', async () => {
    const h = harness();
    h.request([['a', 10], ['b', 10]]);
    let idle = false;
    void h.batcher.idle().then(() => { idle = true; });
    await h.settle();
    expect(idle).toBe(false);
    await h.next();
    await h.settle();
    expect(idle).toBe(true);
  });

  it('runs as many batches at once as it has workers', () => {
    const h = harness({ maxInflight: 2, maxBatchRows: 1 });
    h.request([['a', 10], ['b', 10], ['c', 10]]);
    expect(h.dispatched).toHaveLength(2);
  });

  it('spreads waiting rows over the free workers instead of filling one batch', () => {
    const h = harness({ maxInflight: 3, maxBatchRows: 8 });
    h.each(['a']);
    h.request([['b', 10], ['c', 10], ['d', 10], ['e', 10], ['f', 10], ['g', 10]]);
    // 'a' left alone on one worker; with two more free, the six that arrived together go three and three.
    expect(h.dispatched.map((p) => p.rows.length)).toEqual([1, 3, 3]);
  });

  it('sends a lone row to the solo session, and nothing else', async () => {
    const h = harness({ maxInflight: 2, maxBatchRows: 8, solo: true });
    h.each(['lone']);
    expect(h.dispatched.map((p) => p.solo)).toEqual([true]);
    // Work that arrives while the solo batch runs goes to a shared session.
    h.each(['second']);
    expect(h.dispatched.map((p) => p.solo)).toEqual([true, false]);
    await h.next();
    h.dispatched[0]?.finish();
    await h.settle();
    // Two rows arriving together (one request) are spread over the shared sessions, one each.
    h.request([['x', 10], ['y', 10]]);
    expect(h.dispatched.slice(2).map((p) => [h.names(p), p.solo])).toEqual([[['x'], false], [['y'], false]]);
  });

  it('never uses a solo session it was not given', () => {
    const h = harness({ maxInflight: 2 });
    h.each(['lone']);
    expect(h.dispatched.map((p) => p.solo)).toEqual([false]);
  });
});

describe('Batcher admission', () => {
  it('bounds the queue (queue_full)', () => {
    const h = harness();
    expect(h.batcher.admit('t', 10)).toBeUndefined();
    expect(h.batcher.admit('t', 11)?.reason).toBe('queue_full');
  });

  it('holds each key to its quota of waiting rows (key_quota), leaving room for other keys', () => {
    const h = harness({ maxQueueRows: 100, maxQueueRowsPerKey: 5 });
    h.each(['busy']);
    h.each(['a', 'b', 'c', 'd'], 10, 'team-a');
    expect(h.batcher.admit('team-a', 1)).toBeUndefined();
    expect(h.batcher.admit('team-a', 2)?.reason).toBe('key_quota');
    expect(h.batcher.admit('team-b', 5)).toBeUndefined();
  });

  it('refuses by expected wait once throughput is measured, with Retry-After from the estimate', async () => {
    const h = harness({ maxQueueRows: 1000, maxBatchRows: 1, maxQueueWaitSeconds: 2 });
    // Not measured yet: nothing is refused for waiting.
    h.each(Array.from({ length: 40 }, (_, i) => `r${i}`));
    expect(h.batcher.admit('t', 1)).toBeUndefined();
    // One row takes 100 ms of the only worker.
    h.tick(100);
    await h.next();
    // 38 rows wait (one is running): 3.8 s before a new row would leave, over the 2 s budget.
    const refusal = h.batcher.admit('t', 1);
    expect(refusal?.reason).toBe('queue_wait');
    expect(refusal?.expectedWaitSeconds).toBeCloseTo(3.8, 5);
    expect(refusal?.retryAfterSeconds).toBe(2);
    // Another key is served round-robin against this one's rows: one row ahead, well in budget.
    expect(h.batcher.admit('other', 1)).toBeUndefined();
    expect(h.batcher.expectedWait('other', 1)).toBeCloseTo(0.1, 5);
  });
});
