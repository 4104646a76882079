// The worker protocol: a task's own error crosses the thread boundary as {code, message} data and
// comes back as the same coded error (same HTTP status); only a thread that really exits is
// WORKER_CRASHED. The first half runs the protocol's two ends in-process; the second a real pool.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GlinerError } from '../../src/errors.js';
import { InferencePool } from '../../src/pool/pool.js';
import type { RowTask } from '../../src/worker/messages.js';
import { answering, unwrap, type Handlers } from '../../src/worker/protocol.js';
import { TEST_MODEL } from '../support/model.js';

const never = () => Promise.reject(new Error('not used'));

describe('protocol', () => {
  const handlers: Handlers = {
    info: never,
    plan: () => {
      throw new GlinerError('LIMIT_EXCEEDED', 'too many words');
    },
    merge: () => {
      throw new TypeError('a bug');
    },
    batch: () => ({ rows: [], timings: { preprocessSeconds: 0, inferenceSeconds: 0, postprocessSeconds: 0 }, paddedTokens: 0, workerId: 7 }),
    'extract-plan': never,
    'extract-batch': never,
    'extract-merge': never,
  };
  const handle = answering(handlers);

  it('answers a result as data, typed by the task kind', async () => {
    const reply = await handle({ kind: 'batch', batchId: 1, rows: [] });
    expect(reply).toEqual({ ok: true, value: expect.objectContaining({ workerId: 7 }) as unknown });
  });

  it('sends a coded error as {code, message} and restores it with its code and status', async () => {
    const reply = await handle({ kind: 'plan', texts: ['x'], limits: { windowWords: 10, overlapWords: 2, labelsPerRow: 1 } });
    expect(reply).toEqual({ ok: false, error: { code: 'LIMIT_EXCEEDED', message: 'too many words' } });
    // Structured clone across threads keeps plain data only: the reply survives it unchanged.
    const crossed = structuredClone(reply);
    let thrown: unknown;
    try {
      unwrap(crossed);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(GlinerError);
    expect([(thrown as GlinerError).code, (thrown as GlinerError).status, (thrown as GlinerError).message]).toEqual(['LIMIT_EXCEEDED', 400, 'too many words']);
  });

  it('sends anything else as INTERNAL with a generic message, the stack kept for the log only', async () => {
    const reply = await handle({ kind: 'merge', text: '', labels: [], rows: [], segment: { word: 0, codePoint: 0, totalWords: 0 }, options: { threshold: 0.5, flatNer: true, multiLabel: false }, maxEntities: 1 });
    expect(reply.ok).toBe(false);
    const error = reply.ok ? undefined : reply.error;
    expect([error?.code, error?.message]).toEqual(['INTERNAL', 'Internal error in an inference worker.']);
    expect(error?.detail).toContain('a bug');
  });
});

describe('a real pool', () => {
  let pool: InferencePool;
  let exits = 0;
  const row = (text: string): RowTask => ({ text, codePoint: 0, labels: ['person'], threshold: 0.5, finish: { kind: 'answer', options: { threshold: 0.5, flatNer: true, multiLabel: false }, maxEntities: 10 } });
  const batch = (text: string) => ({ kind: 'batch', batchId: 1, rows: [row(text)] }) as const;

  beforeAll(async () => {
    pool = await InferencePool.start(
      { runner: { modelDir: TEST_MODEL, quantization: 'auto', executionProvider: 'cpu', cudaFallback: 'fail', cudaDeviceId: 0, intraOpThreads: 1, interOpThreads: 1, graphOptimization: 'all', intraOpSpinning: false }, workers: 1, youngGenerationMb: 3, faults: { exitWord: 'crashtoken', failWord: 'failtoken' } },
      () => exits++,
    );
  });
  afterAll(async () => {
    await pool.close();
  });

  it('a task that fails in a living worker fails with its own code, and no worker is replaced', async () => {
    await expect(pool.run(batch('please failtoken now'))).rejects.toMatchObject({ code: 'INTERNAL', status: 500, message: 'A fault was injected into this batch (test only).' });
    expect(exits).toBe(0);
    const ok = await pool.run(batch('Ada Lovelace'));
    expect(ok.rows).toHaveLength(1);
  });

  it('a thread that exits under its task is WORKER_CRASHED, and the next task runs on its replacement', async () => {
    await expect(pool.run(batch('please crashtoken now'))).rejects.toMatchObject({ code: 'WORKER_CRASHED', status: 500 });
    expect(exits).toBe(1);
    const ok = await pool.run(batch('Ada Lovelace'));
    expect(ok.rows[0]?.kind).toBe('answer');
    // The replacement runs under the same limits.
    expect(pool.threads.map((t) => t.resourceLimits?.maxYoungGenerationSizeMb)).toEqual([3]);
  });

  it('every worker thread runs with the young generation it was given (WORKER_YOUNG_GENERATION_MB)', () => {
    expect(pool.threads.map((t) => t.resourceLimits?.maxYoungGenerationSizeMb)).toEqual([3]);
  });
});
