// Configuration loading: defaults < .env file < environment < flags, validated once and frozen.
import { existsSync, readFileSync } from 'node:fs';
import { parse as parseDotenv } from 'dotenv';
import { Value } from '@sinclair/typebox/value';
import { GlinerError } from '../errors.js';
import { otelEnvExample } from './otel.js';
import { ConfigSchema, SETTINGS, type Config, type SettingKey } from './schema.js';

export interface ConfigSources {
  /** Already-typed or string values by setting key (from CLI flags or tests). */
  readonly overrides?: Partial<Record<SettingKey, unknown>>;
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Path of a .env file; false to skip. Defaults to ./.env when it exists. */
  readonly envFile?: string | false;
}

const KEYS = Object.keys(SETTINGS) as SettingKey[];

function fromString(key: SettingKey, raw: string): unknown {
  const setting = SETTINGS[key];
  if ('list' in setting && setting.list) return raw.split(',').map((item) => item.trim()).filter((item) => item.length > 0);
  return Value.Convert(setting.schema, raw);
}

/**
 * The variables the server reads: the environment over the .env file's lines. loadConfig reads its
 * settings from it, and the tracing module its OTEL_* variables (src/config/otel.ts).
 */
export function readEnvironment(sources: Pick<ConfigSources, 'env' | 'envFile'> = {}): Readonly<Record<string, string | undefined>> {
  const env = sources.env ?? process.env;
  const envFile = sources.envFile ?? '.env';
  const fileValues: Record<string, string> = envFile !== false && existsSync(envFile) ? parseDotenv(readFileSync(envFile)) : {};
  const merged: Record<string, string | undefined> = { ...fileValues };
  for (const [name, value] of Object.entries(env)) if (value !== undefined) merged[name] = value; // set but empty still hides the file's line
  return merged;
}

export function loadConfig(sources: ConfigSources = {}): Config {
  const env = readEnvironment(sources);
  const candidate: Record<string, unknown> = {};
  for (const key of KEYS) {
    const name = SETTINGS[key].env;
    const override = sources.overrides?.[key];
    const raw = override ?? env[name];
    if (raw === undefined || raw === '') continue;
    candidate[key] = typeof raw === 'string' ? fromString(key, raw) : raw;
  }
  for (const key of KEYS) {
    const follows = followed(key);
    if (candidate[key] === undefined && follows !== undefined && candidate[follows] !== undefined) candidate[key] = candidate[follows];
  }
  if (env.NODE_ENV === 'production') candidate.production = true;
  const withDefaults = Value.Default(ConfigSchema, candidate);
  const problems = [...Value.Errors(ConfigSchema, withDefaults)].map((error) => {
    const key = error.path.split('/')[1] as SettingKey | undefined;
    const name = key && key in SETTINGS ? SETTINGS[key].env : error.path;
    return `${name}: ${error.message}${error.value === undefined ? '' : ` (got ${JSON.stringify(redactValue(key, error.value))})`}`;
  });
  const config = withDefaults as Config;
  if (problems.length === 0) problems.push(...crossChecks(config));
  if (problems.length > 0) throw new GlinerError('CONFIG_INVALID', `Invalid configuration:\n  - ${problems.join('\n  - ')}`);
  return Object.freeze(config);
}

/** The setting whose value `key` takes when unset (SETTINGS[key].follows), if any. */
function followed(key: SettingKey): SettingKey | undefined {
  const setting = SETTINGS[key];
  return 'follows' in setting && setting.follows !== undefined ? (setting.follows as SettingKey) : undefined;
}

/** How a default is written in the docs: `0.0.0.0`, — (none), or "`HOST`" for a setting that follows another. */
function defaultText(key: SettingKey): string {
  const follows = followed(key);
  if (follows !== undefined) return `\`${SETTINGS[follows].env}\``;
  const value = (SETTINGS[key].schema as { default?: unknown }).default;
  return value === undefined ? '—' : `\`${Array.isArray(value) ? value.join(',') : JSON.stringify(value).replace(/^"|"$/g, '')}\``;
}

function crossChecks(config: Config): string[] {
  const problems: string[] = [];
  if ((config.tlsCertFile === undefined) !== (config.tlsKeyFile === undefined)) {
    problems.push('TLS_CERT_FILE and TLS_KEY_FILE must be set together');
  }
  if (config.port !== 0 && config.port === config.adminPort) problems.push('PORT and ADMIN_PORT must differ');
  return problems;
}

function redactValue(key: SettingKey | undefined, value: unknown): unknown {
  if (key === undefined || !(key in SETTINGS)) return value;
  const setting = SETTINGS[key];
  return 'secret' in setting && setting.secret ? '[redacted]' : value;
}

/** The config with every secret replaced, for the start-up log line. */
export function redactedConfig(config: Config): Record<string, unknown> {
  return Object.fromEntries(KEYS.map((key) => {
    const value = config[key];
    const setting = SETTINGS[key];
    if ('secret' in setting && setting.secret && value !== undefined) {
      return [key, Array.isArray(value) ? `[${value.length} redacted]` : '[redacted]'];
    }
    return [key, value];
  }));
}

/** Markdown table of every setting (docs/configuration.md and the README are generated from it). */
export function configMarkdown(): string {
  const rows = KEYS.map((key) => {
    const setting = SETTINGS[key];
    return `| \`${setting.env}\` | \`--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}\` | ${defaultText(key)} | ${setting.doc} |`;
  });
  return ['| Variable | Flag | Default | Meaning |', '| --- | --- | --- | --- |', ...rows].join('\n');
}

/** .env.example: every variable, commented out at its default, with its meaning. */
export function envExample(): string {
  const lines = ['# gliner-serve settings. Copy to .env (read at start-up; real environment variables win).', '# Generated by `gliner-serve config --env-example`; every variable is optional.', ''];
  for (const key of KEYS) {
    const setting = SETTINGS[key];
    const value = followed(key) === undefined ? (setting.schema as { default?: unknown }).default : undefined; // empty = follow
    lines.push(`# ${setting.doc}`);
    lines.push(`# ${setting.env}=${value === undefined ? '' : Array.isArray(value) ? value.join(',') : JSON.stringify(value).replace(/^"|"$/g, '')}`);
    lines.push('');
  }
  lines.push(...otelEnvExample());
  return lines.join('\n');
}
