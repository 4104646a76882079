import { describe, expect, it } from 'vitest';
import { loadConfig, redactedConfig } from '../../src/config/load.js';
import { GlinerError } from '../../src/errors.js';

const load = (env: Record<string, string>, overrides = {}) => loadConfig({ env, overrides, envFile: false });

describe('configuration', () => {
  it('has documented defaults', () => {
    const config = load({});
    expect(config.port).toBe(8000);
    expect(config.model).toBe('native-models/gliner-tiny');
    expect(config.maxBatchRows).toBe(0); // auto: the measured default per execution provider
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('ADMIN_HOST follows HOST (env or flag) unless it is set itself', () => {
    expect(load({}).adminHost).toBe('0.0.0.0');
    expect(load({ HOST: '127.0.0.1' }).adminHost).toBe('127.0.0.1');
    expect(load({}, { host: '::1' }).adminHost).toBe('::1');
    expect(load({ HOST: '127.0.0.1', ADMIN_HOST: '0.0.0.0' }).adminHost).toBe('0.0.0.0');
    expect(load({ HOST: '127.0.0.1', ADMIN_HOST: '' }).adminHost).toBe('127.0.0.1');
  });

  it('parses environment strings into typed values, flags winning over env', () => {
    const config = load({ PORT: '9000', API_KEYS: 'a, b ,,c', PLAYGROUND: 'false', RATE_LIMIT_PER_SECOND: '2.5' }, { port: '9100' });
    expect(config.port).toBe(9100);
    expect(config.apiKeys).toEqual(['a', 'b', 'c']);
    expect(config.playground).toBe(false);
    expect(config.rateLimitPerSecond).toBe(2.5);
  });

  it('reports every violation together, naming the variables', () => {
    let error: unknown;
    try {
      load({ PORT: 'eighty', MAX_BATCH_ROWS: '-1', EXECUTION_PROVIDER: 'tpu' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(GlinerError);
    expect((error as GlinerError).code).toBe('CONFIG_INVALID');
    for (const name of ['PORT', 'MAX_BATCH_ROWS', 'EXECUTION_PROVIDER']) expect((error as GlinerError).message).toContain(name);
  });

  it('checks settings that go together', () => {
    expect(() => load({ TLS_CERT_FILE: '/x.pem' })).toThrow(/TLS_CERT_FILE and TLS_KEY_FILE/);
    expect(() => load({ PORT: '8000', ADMIN_PORT: '8000' })).toThrow(/must differ/);
  });

  it('NODE_ENV=production switches production mode on', () => {
    expect(load({ NODE_ENV: 'production' }).production).toBe(true);
  });

  it('redacts secrets for logging', () => {
    const shown = JSON.stringify(redactedConfig(load({ API_KEYS: 'super-secret-key', HF_TOKEN: 'hf_secret', TLS_PASSPHRASE: 'pw' })));
    expect(shown).not.toContain('super-secret-key');
    expect(shown).not.toContain('hf_secret');
    expect(shown).not.toMatch(/"pw"/);
  });
});

describe('derived engine settings', () => {
  const model = { kind: 'UniEncoderSpan' as const, modelName: 'm', spanMode: 'markerV0', maxWidth: 12, maxLen: 384, entToken: '<<ENT>>', sepToken: '<<SEP>>', maxTypes: 25 };

  it('MAX_BATCH_ROWS=0 picks the measured default per execution provider', async () => {
    const { batchRows } = await import('../../src/inference-stack.js');
    expect(batchRows(load({}))).toBe(1);
    expect(batchRows(load({ EXECUTION_PROVIDER: 'cuda' }))).toBe(32);
    expect(batchRows(load({ MAX_BATCH_ROWS: '3' }))).toBe(3);
  });

  it('threads: on CPU at least two sessions splitting the cores, and a solo session with the threads of all of them; one session on CUDA', async () => {
    const { resolveThreads } = await import('../../src/pool/pool.js');
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
    const { planLimits } = await import('../../src/inference-stack.js');
    expect(planLimits(load({}), model)).toEqual({ windowWords: 384, overlapWords: 32, labelsPerRow: 25, promptLabels: true });
    expect(planLimits(load({ WINDOW_WORDS: '1000', LABELS_PER_PASS: '5' }), model)).toEqual({ windowWords: 384, overlapWords: 32, labelsPerRow: 5, promptLabels: true });
    expect(() => planLimits(load({ WINDOW_OVERLAP_WORDS: '12' }), model)).toThrow(GlinerError);
    // A bi-encoder takes all of a request's labels in one pass (up to MAX_LABELS), unless LABELS_PER_PASS says otherwise.
    expect(planLimits(load({}), { ...model, kind: 'BiEncoderSpan' })).toEqual({ windowWords: 384, overlapWords: 32, labelsPerRow: 100, promptLabels: false });
    expect(planLimits(load({ LABELS_PER_PASS: '7' }), { ...model, kind: 'BiEncoderSpan' }).labelsPerRow).toBe(7);
  });
});
