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
