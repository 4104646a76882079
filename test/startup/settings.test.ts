// Start-up in one pass: every "0 = auto" resolved once, from the configuration, the model and the
// machine (src/startup/settings.ts), and the final settings the stack is built with.
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { GlinerError } from '../../src/errors.js';
import { resolveSettings } from '../../src/startup/settings.js';

const load = (env: Record<string, string>, overrides = {}) => loadConfig({ env, overrides, envFile: false });

describe('derived engine settings', () => {
  const model = { kind: 'UniEncoderSpan' as const, modelName: 'm', spanMode: 'markerV0', maxWidth: 12, maxLen: 384, entToken: '<<ENT>>', sepToken: '<<SEP>>', maxTypes: 25 };

  it('MAX_BATCH_ROWS=0 picks the measured default per execution provider', async () => {
    const { batchBudget } = await import('../../src/startup/settings.js');
    const batchRows = (config: ReturnType<typeof load>): number => batchBudget(config).rows;
    expect(batchRows(load({}))).toBe(1);
    expect(batchRows(load({ EXECUTION_PROVIDER: 'cuda' }))).toBe(32);
    expect(batchRows(load({ MAX_BATCH_ROWS: '3' }))).toBe(3);
  });

  it('threads: on CPU at least two sessions splitting the cores, and a solo session with the threads of all of them; one session on CUDA', async () => {
    const { resolveThreads: byConfig } = await import('../../src/startup/settings.js');
    const resolveThreads = (config: Parameters<typeof byConfig>[0], cores: number) => byConfig(config, { cores });
    const cpu = { workers: 0, intraOpThreads: 0, executionProvider: 'cpu' as const };
    expect(resolveThreads(cpu, 2)).toEqual({ workers: 2, intraOpThreads: 1, soloThreads: 2 });
    expect(resolveThreads(cpu, 8)).toEqual({ workers: 4, intraOpThreads: 2, soloThreads: 8 });
    expect(resolveThreads(cpu, 1)).toEqual({ workers: 1, intraOpThreads: 1, soloThreads: 0 });
    // Wide sessions already have every core: a solo session would add nothing.
    expect(resolveThreads({ ...cpu, workers: 1 }, 2)).toEqual({ workers: 1, intraOpThreads: 2, soloThreads: 0 });
    expect(resolveThreads({ ...cpu, soloSession: 'off' }, 2)).toEqual({ workers: 2, intraOpThreads: 1, soloThreads: 0 });
    expect(resolveThreads({ ...cpu, workers: 1, soloSession: 'on' }, 2)).toEqual({ workers: 1, intraOpThreads: 2, soloThreads: 2 });
    expect(resolveThreads({ ...cpu, executionProvider: 'cuda', soloSession: 'on' }, 8)).toEqual({ workers: 1, intraOpThreads: 8, soloThreads: 0 });
    // Set threads on a big host (a container sees the host's cores): the solo session stays within WORKERS × INTRA_OP_THREADS.
    expect(resolveThreads({ ...cpu, workers: 2, intraOpThreads: 2 }, 64)).toEqual({ workers: 2, intraOpThreads: 2, soloThreads: 4 });
    expect(resolveThreads({ ...cpu, workers: 1, intraOpThreads: 2 }, 64)).toEqual({ workers: 1, intraOpThreads: 2, soloThreads: 0 });
  });

  it('windows follow the model\'s max_len, and the overlap must exceed its max span width', async () => {
    const { planLimits } = await import('../../src/startup/settings.js');
    expect(planLimits(load({}), model)).toEqual({ windowWords: 384, overlapWords: 32, labelsPerRow: 25, promptLabels: true });
    expect(planLimits(load({ WINDOW_WORDS: '1000', LABELS_PER_PASS: '5' }), model)).toEqual({ windowWords: 384, overlapWords: 32, labelsPerRow: 5, promptLabels: true });
    expect(() => planLimits(load({ WINDOW_OVERLAP_WORDS: '12' }), model)).toThrow(GlinerError);
    // A bi-encoder takes all of a request's labels in one pass (up to MAX_LABELS), unless LABELS_PER_PASS says otherwise.
    expect(planLimits(load({}), { ...model, kind: 'BiEncoderSpan' })).toEqual({ windowWords: 384, overlapWords: 32, labelsPerRow: 100, promptLabels: false });
    expect(planLimits(load({ LABELS_PER_PASS: '7' }), { ...model, kind: 'BiEncoderSpan' }).labelsPerRow).toBe(7);
  });

  it('GLiNER2 chunks: the overlap must be below EXTRACT_CHUNK_WORDS', async () => {
    const { extractSettings } = await import('../../src/startup/settings.js');
    expect(extractSettings(load({ EXTRACT_CHUNK_WORDS: '100', EXTRACT_CHUNK_OVERLAP_WORDS: '10' })).chunking).toEqual({ chunkWords: 100, overlapWords: 10 });
    expect(() => extractSettings(load({ EXTRACT_CHUNK_WORDS: '64', EXTRACT_CHUNK_OVERLAP_WORDS: '64' }))).toThrow(/EXTRACT_CHUNK_OVERLAP_WORDS must be below EXTRACT_CHUNK_WORDS \(64\)/);
  });
});

describe('resolveSettings', () => {
  const model = { dir: '/models/m', config: { kind: 'UniEncoderSpan' as const, modelName: 'm', spanMode: 'markerV0', maxWidth: 12, maxLen: 384, entToken: '<<ENT>>', sepToken: '<<SEP>>', maxTypes: 25 } };

  it('gives the pool, batcher, engine, service and cache their final values, the same threads everywhere', () => {
    const settings = resolveSettings(load({}), model, { cores: 4 });
    expect(settings.threads).toEqual({ workers: 2, intraOpThreads: 2, soloThreads: 4 });
    expect(settings.pool).toMatchObject({ workers: 2, runner: { modelDir: '/models/m', intraOpThreads: 2 }, solo: { intraOpThreads: 4, intraOpSpinning: true, forceSpinningStop: true } });
    expect(settings.batcher).toMatchObject({ maxInflight: 2, solo: true, maxBatchRows: 1, maxBatchTokens: 2048, maxQueueRows: 4096, maxQueueWaitSeconds: 3 });
    expect(settings.engine).toEqual({ limits: { windowWords: 384, overlapWords: 32, labelsPerRow: 25, promptLabels: true }, maxEntities: 5000 });
    expect(settings.service).toEqual({ maxTextChars: 100000, maxLabels: 100, maxLabelChars: 100, maxBatchTexts: 64, maxRelationLabels: 25, requestTimeoutMs: 30000, extract: settings.extract.limits });
    // GLiNER2 extract: the documented defaults, names and labels bounded by MAX_LABEL_CHARS.
    expect(settings.extract).toEqual({
      limits: { maxEntityTypes: 50, maxClassifications: 10, maxLabels: 50, maxRelations: 20, maxStructures: 10, maxFields: 20, maxChoices: 20, maxSchemaItems: 200, maxNameChars: 100, maxDescriptionChars: 500 },
      chunking: { chunkWords: 384, overlapWords: 64 },
    });
    expect(settings.cache).toEqual({ maxBytes: 67108864, ttlSeconds: 300, sharedAcrossKeys: false, maxEntities: 5000 });
  });

  it('no solo session, no cache, CUDA batches: as configured', () => {
    const settings = resolveSettings(load({ SOLO_SESSION: 'off', CACHE_MAX_BYTES: '0', EXECUTION_PROVIDER: 'cuda' }), model, { cores: 8 });
    expect(settings.pool.solo).toBeUndefined();
    expect(settings.batcher).toMatchObject({ maxInflight: 1, solo: false, maxBatchRows: 32, maxBatchTokens: 16384 });
    expect(settings.cache).toBeUndefined();
  });

  it('the offline profile (eval) has no admission budget or quota and a queue deep enough for its chunks', () => {
    const settings = resolveSettings(load({ MAX_QUEUE_ROWS: '10' }), model, { cores: 2 }, { queueRows: 1024 });
    expect(settings.batcher).toMatchObject({ maxQueueRows: 1024, maxQueueRowsPerKey: 0, maxQueueWaitSeconds: 0 });
  });
});
