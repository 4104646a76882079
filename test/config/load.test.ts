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
