// The extract engine (GLiNER2) around the batcher, over a dispatch we hold in the hand: rows of
// several requests share a batch, a long text is one row per chunk merged with each chunk's global
// offset, a long text over INLINE_PLAN_CHARS is planned by a worker job, the deadline answers 504
// and drops unrun rows, a client that leaves has its rows dropped, and admission refuses at once.
import { describe, expect, it } from 'vitest';
import { Batcher, type AnyRowTask } from '../../src/engine/batcher.js';
import { INLINE_PLAN_CHARS } from '../../src/engine/admitted.js';
import { ExtractEngine, type ExtractJob } from '../../src/engine/extract-engine.js';
import { GlinerError } from '../../src/errors.js';
import type { ExtractBatchResult, ExtractMergeTask, ExtractRowTask } from '../../src/worker/gliner2-messages.js';
import { runExtractPlan } from '../../src/worker/gliner2-tasks.js';
import { TEST_BATCHER } from '../support/fake-runner.js';

const JOB: ExtractJob = { schema: { entities: ['person'] }, schemaJson: '{"entities":["person"]}', threshold: 0.5, includeConfidence: false, includeSpans: false };
const timings = { preprocessSeconds: 0, inferenceSeconds: 0.001, postprocessSeconds: 0 };

interface Held { readonly rows: readonly ExtractRowTask[]; finish(): void }

function harness(settings: { maxQueueRows?: number; chunkWords?: number } = {}) {
  const held: Held[] = [];
  const merges: ExtractMergeTask[] = [];
  const plans: number[] = [];
  // A row's answer names its text, so the test sees which row answered what.
  const batcher = new Batcher<AnyRowTask>({ ...TEST_BATCHER, maxQueueRows: settings.maxQueueRows ?? 1000 }, (_id, rows) => new Promise<ExtractBatchResult>((resolve) => {
    const extract = rows as readonly ExtractRowTask[];
    held.push({
      rows: extract,
      finish: () => resolve({ rows: extract.map((row) => ({ kind: 'extract', json: JSON.stringify({ row: row.text, finish: row.finish.kind }), tokens: 3 })), timings, paddedTokens: 3 * rows.length, workerId: 1 }),
    });
  }));
  const engine = new ExtractEngine(batcher, { chunking: { chunkWords: settings.chunkWords ?? 10, overlapWords: 2 } }, {
    plan: (task) => {
      plans.push(task.texts.length);
      return Promise.resolve(runExtractPlan(task));
    },
    merge: (task) => {
      merges.push(task);
      return Promise.resolve({ json: JSON.stringify({ merged: task.chunks.map((c) => c.startChar) }) });
    },
  });
  /** Let every batch out until nothing is held (rows dispatched later included). */
  const drain = async (): Promise<void> => {
    for (let rounds = 0; rounds < 100; rounds++) {
      const next = held.shift();
      if (next === undefined) {
        await new Promise((resolve) => setImmediate(resolve));
        if (held.length === 0) return;
        continue;
      }
      next.finish();
      await new Promise((resolve) => setImmediate(resolve));
    }
  };
  return { engine, held, merges, plans, drain, batcher };
}

const submit = (engine: ExtractEngine, text: string, timeoutMs = 10_000, tenant = 'a') =>
  engine.submit({ texts: [text], labels: [], options: { threshold: 0.5, flatNer: true, multiLabel: false }, extract: JOB }, { timeoutMs, tenant });

describe('ExtractEngine', () => {
  it('answers a short text with its row\'s JSON, and rows of waiting requests share a batch', async () => {
    const h = harness();
    const first = submit(h.engine, 'Ada Lovelace wrote.');
    // The first row left alone (a free worker); the next two wait and leave together.
    const second = submit(h.engine, 'Grace Hopper.');
    const third = submit(h.engine, 'Alan Turing.', 10_000, 'b');
    expect(h.held.map((b) => b.rows.length)).toEqual([1]);
    await h.drain();
    const answers = await Promise.all([first.result, second.result, third.result]);
    expect(answers.map((a) => JSON.parse(a.texts[0]?.json ?? '') as unknown)).toEqual([
      { row: 'Ada Lovelace wrote.', finish: 'answer' }, { row: 'Grace Hopper.', finish: 'answer' }, { row: 'Alan Turing.', finish: 'answer' },
    ]);
    expect(answers[1]?.batchIds).toEqual(answers[2]?.batchIds);
  });

  it('a text over EXTRACT_CHUNK_WORDS is one row per chunk, merged by a worker job with each chunk\'s global offset', async () => {
    const h = harness();
    const text = Array.from({ length: 25 }, (_, i) => `w${i}`).join(' ');
    const submission = submit(h.engine, text);
    await h.drain();
    const result = await submission.result;
    const chunks = runExtractPlan({ kind: 'extract-plan', texts: [text], chunking: { chunkWords: 10, overlapWords: 2 } }).plans[0]?.chunks ?? [];
    expect(chunks.length).toBe(3);
    expect(h.merges).toHaveLength(1);
    expect(h.merges[0]?.chunks.map((c) => c.startChar)).toEqual(chunks.map((c) => c.startChar));
    expect(h.merges[0]?.chunks.map((c) => (JSON.parse(c.json) as { row: string; finish: string }))).toEqual(chunks.map((c) => ({ row: text.slice(c.utf16Start, c.utf16End), finish: 'chunk' })));
    expect(JSON.parse(result.texts[0]?.json ?? '')).toEqual({ merged: chunks.map((c) => c.startChar) });
  });

  it('plans a text over INLINE_PLAN_CHARS in a worker job, not on the HTTP thread', async () => {
    const h = harness({ chunkWords: 400 });
    const text = Array.from({ length: 500 }, () => 'word').join(' ');
    expect(text.length).toBeGreaterThan(INLINE_PLAN_CHARS);
    const submission = submit(h.engine, text);
    await h.drain();
    await submission.result;
    expect(h.plans).toEqual([1]);
  });

  it('at the deadline answers DEADLINE_EXCEEDED and drops its rows that have not run', async () => {
    const h = harness();
    const busy = submit(h.engine, 'Holds the worker.');
    const late = submit(h.engine, 'Never runs.', 20);
    await expect(late.result).rejects.toMatchObject({ code: 'DEADLINE_EXCEEDED' });
    expect(h.batcher.depth).toBe(0);
    await h.drain();
    await busy.result;
    expect(h.held).toEqual([]);
  });

  it('a client that leaves has its waiting rows dropped', async () => {
    const h = harness();
    const busy = submit(h.engine, 'Holds the worker.');
    const gone = submit(h.engine, 'Leaves.');
    expect(h.batcher.depth).toBe(1);
    gone.cancel();
    expect(h.batcher.depth).toBe(0);
    await expect(gone.result).rejects.toBeInstanceOf(GlinerError);
    await h.drain();
    await busy.result;
  });

  it('admission refuses at once when the queue is full (OVERLOADED)', () => {
    const h = harness({ maxQueueRows: 1 });
    submit(h.engine, 'Runs.');
    submit(h.engine, 'Waits.');
    expect(() => submit(h.engine, 'Refused.')).toThrow(expect.objectContaining({ code: 'OVERLOADED' }) as Error);
  });
});
