// The OTEL_* variables (src/config/otel.ts): tracing is off unless an exporter endpoint is named,
// the signal-specific variables win, and bad values fail start-up with every problem named.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readEnvironment } from '../../src/config/load.js';
import { redactedTracing, tracingSettings } from '../../src/config/otel.js';
import { GlinerError } from '../../src/errors.js';

function problemsOf(env: Record<string, string>): string {
  try {
    tracingSettings(env);
  } catch (error) {
    expect(error).toBeInstanceOf(GlinerError);
    expect((error as GlinerError).code).toBe('CONFIG_INVALID');
    return (error as GlinerError).message;
  }
  throw new Error('expected CONFIG_INVALID');
}

describe('OTEL_* settings', () => {
  it('are off by default, with the specification\'s defaults otherwise', () => {
    const s = tracingSettings({});
    expect(s.enabled).toBe(false);
    expect(s).toMatchObject({ tracesUrl: 'http://localhost:4318/v1/traces', protocol: 'http/protobuf', sampler: 'parentbased_always_on', samplerRatio: 1, serviceName: 'gliner-serve', timeoutMs: 10_000 });
  });

  it('turn on when an endpoint is set or OTEL_TRACES_EXPORTER=otlp, and off for none or OTEL_SDK_DISABLED=true', () => {
    expect(tracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }).enabled).toBe(true);
    expect(tracingSettings({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' }).enabled).toBe(true);
    expect(tracingSettings({ OTEL_TRACES_EXPORTER: 'otlp' }).enabled).toBe(true);
    expect(tracingSettings({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' }).enabled).toBe(false);
    expect(tracingSettings({ OTEL_SDK_DISABLED: 'true', OTEL_TRACES_EXPORTER: 'otlp' }).enabled).toBe(false);
    expect(tracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: '' }).enabled).toBe(false); // set but empty = unset
  });

  it('append /v1/traces to the base endpoint and take the traces endpoint as it is', () => {
    expect(tracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318/' }).tracesUrl).toBe('http://c:4318/v1/traces');
    expect(tracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'https://c.example/otlp' }).tracesUrl).toBe('https://c.example/otlp/v1/traces');
    expect(tracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://b:9999/custom' }).tracesUrl).toBe('http://b:9999/custom');
  });

  it('let the traces-only variables win over the general ones', () => {
    const s = tracingSettings({
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json',
      OTEL_EXPORTER_OTLP_TIMEOUT: '5000', OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: '2500',
      OTEL_EXPORTER_OTLP_HEADERS: 'a=1,b=2', OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'b=3',
    });
    expect(s).toMatchObject({ protocol: 'http/json', timeoutMs: 2500, headers: { a: '1', b: '3' } });
  });

  it('decode key=value lists and take service.name from OTEL_SERVICE_NAME first', () => {
    const s = tracingSettings({ OTEL_RESOURCE_ATTRIBUTES: 'service.name=from-attrs, deployment.environment.name=prod,team=ner%20core', OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20abc' });
    expect(s.resourceAttributes).toEqual({ 'service.name': 'from-attrs', 'deployment.environment.name': 'prod', team: 'ner core' });
    expect(s.serviceName).toBe('from-attrs');
    expect(s.headers).toEqual({ authorization: 'Bearer abc' });
    expect(tracingSettings({ OTEL_SERVICE_NAME: 'ner-eu', OTEL_RESOURCE_ATTRIBUTES: 'service.name=x' }).serviceName).toBe('ner-eu');
  });

  it('read the sampler ratio for the traceidratio samplers only', () => {
    expect(tracingSettings({ OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.01' })).toMatchObject({ sampler: 'parentbased_traceidratio', samplerRatio: 0.01 });
    expect(tracingSettings({ OTEL_TRACES_SAMPLER: 'traceidratio' }).samplerRatio).toBe(1);
    expect(tracingSettings({ OTEL_TRACES_SAMPLER: 'always_on', OTEL_TRACES_SAMPLER_ARG: 'ignored' }).samplerRatio).toBe(1);
  });

  it('report every bad value together, naming each variable', () => {
    const message = problemsOf({
      OTEL_SDK_DISABLED: 'yes', OTEL_TRACES_EXPORTER: 'console', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4317',
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '1.5', OTEL_EXPORTER_OTLP_TIMEOUT: '-1', OTEL_RESOURCE_ATTRIBUTES: '=x',
    });
    for (const name of ['OTEL_SDK_DISABLED', 'OTEL_TRACES_EXPORTER', 'OTEL_EXPORTER_OTLP_PROTOCOL', 'OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_TRACES_SAMPLER_ARG', 'OTEL_EXPORTER_OTLP_TIMEOUT', 'OTEL_RESOURCE_ATTRIBUTES']) {
      expect(message).toContain(`${name}:`);
    }
    expect(message).toContain('grpc is not supported');
    expect(problemsOf({ OTEL_TRACES_SAMPLER: 'jaeger_remote' })).toContain('OTEL_TRACES_SAMPLER: must be one of');
  });

  it('never show the export headers\' values in the redacted form', () => {
    const shown = JSON.stringify(redactedTracing(tracingSettings({ OTEL_EXPORTER_OTLP_HEADERS: 'x-api-token=s3cr3t' })));
    expect(shown).not.toContain('s3cr3t');
    expect(shown).toContain('x-api-token');
  });

  it('are read from the .env file under the environment, like every other setting', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'gliner-otel-'));
    try {
      const file = path.join(dir, '.env');
      writeFileSync(file, 'OTEL_EXPORTER_OTLP_ENDPOINT=http://from-file:4318\nOTEL_SERVICE_NAME=from-file\n');
      const s = tracingSettings(readEnvironment({ env: { OTEL_SERVICE_NAME: 'from-env' }, envFile: file }));
      expect(s).toMatchObject({ enabled: true, tracesUrl: 'http://from-file:4318/v1/traces', serviceName: 'from-env' });
      expect(tracingSettings(readEnvironment({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: '' }, envFile: file })).enabled).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
