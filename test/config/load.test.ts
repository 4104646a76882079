import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, redactedConfig, settingWarnings } from '../../src/config/load.js';
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

  it('an invalid enum value names the allowed values', () => {
    expect(() => load({ LOG_LEVEL: 'verbose' })).toThrow('LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent (got "verbose")');
    expect(() => load({ EXECUTION_PROVIDER: 'gpu' })).toThrow('EXECUTION_PROVIDER: must be one of cpu, cuda (got "gpu")');
  });

  it('refuses a .env key that is not a setting, with a hint (a near miss, or a request option)', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'gliner-env-'));
    try {
      const file = path.join(dir, '.env');
      writeFileSync(file, 'WORKER=4\nTHRESHOLD=0.3\nNODE_ENV=development\nPORT=8100\n');
      let message = '';
      try {
        loadConfig({ env: {}, envFile: file });
      } catch (error) {
        message = (error as GlinerError).message;
      }
      expect(message).toContain(`WORKER in ${file}: not a setting (did you mean WORKERS?)`);
      expect(message).toContain(`THRESHOLD in ${file}: not a setting (\`threshold\` is an option of each request`);
      expect(message).not.toContain('NODE_ENV');
      writeFileSync(file, 'WORKERS=4\nNODE_ENV=development\n');
      expect(loadConfig({ env: {}, envFile: file }).workers).toBe(4);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('warns about environment variables that look like a mistyped setting or a request option, and only those', () => {
    const others = { HOME: '/root', PATH: '/bin', HOSTNAME: 'x', npm_config_port: '1', WORKERS: '2', KUBERNETES_SERVICE_PORT: '443', MODE: 'test', SSL_CERT_FILE: '/etc/ssl/cert.pem', TERM: 'xterm', CI: 'true', PWD: '/' };
    const warnings = settingWarnings({ WORKER: '4', THRESHOLD: '0.3', MAX_BATCH_ROW: '8', LOGLEVEL: 'debug', BATCH_MAX_ROWS: '2', ...others });
    expect(warnings).toEqual([
      'environment variable WORKER is not a setting and is ignored (did you mean WORKERS?)',
      'environment variable THRESHOLD is not a setting and is ignored (`threshold` is an option of each request, in its JSON body)',
      'environment variable MAX_BATCH_ROW is not a setting and is ignored (did you mean MAX_BATCH_ROWS?)',
      'environment variable LOGLEVEL is not a setting and is ignored (did you mean LOG_LEVEL?)',
      'environment variable BATCH_MAX_ROWS is not a setting and is ignored (did you mean MAX_BATCH_ROWS?)',
    ]);
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
