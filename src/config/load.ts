// Configuration loading: defaults < .env file < environment < flags, validated once and frozen.
import { existsSync, readFileSync } from 'node:fs';
import { parse as parseDotenv } from 'dotenv';
import { Value } from '@sinclair/typebox/value';
import { GlinerError } from '../errors.js';
import { OTEL_VARIABLES, otelEnvExample } from './otel.js';
import { allowedValues, ConfigSchema, describeSetting, isSwitch, SETTINGS, type Config, type SettingKey } from './schema.js';

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
  const env = sources.env ?? process.env;
  const envFile = sources.envFile ?? '.env';
  const fileValues: Record<string, string> = envFile !== false && existsSync(envFile) ? parseDotenv(readFileSync(envFile)) : {};
  // A .env file holds our settings only: a key that is not one is a mistake (a typo, or a request
  // option such as THRESHOLD), refused rather than silently ignored.
  const unknownInFile = Object.keys(fileValues).filter((name) => !KNOWN.has(name)).map((name) => `${name} in ${String(envFile)}: not a setting${hintFor(name)}`);
  const candidate: Record<string, unknown> = {};
  for (const key of KEYS) {
    const name = SETTINGS[key].env;
    const override = sources.overrides?.[key];
    const raw = override ?? env[name] ?? fileValues[name];
    if (raw === undefined || raw === '') continue;
    candidate[key] = typeof raw === 'string' ? fromString(key, raw) : raw;
  }
  for (const key of KEYS) {
    const follows = followed(key);
    if (candidate[key] === undefined && follows !== undefined && candidate[follows] !== undefined) candidate[key] = candidate[follows];
  }
  if ((env.NODE_ENV ?? fileValues.NODE_ENV) === 'production') candidate.production = true;
  const withDefaults = Value.Default(ConfigSchema, candidate);
  const problems = [...Value.Errors(ConfigSchema, withDefaults)].map((error) => {
    const key = error.path.split('/')[1] as SettingKey | undefined;
    const name = key && key in SETTINGS ? SETTINGS[key].env : error.path;
    const allowed = key && key in SETTINGS ? allowedValues(key) : undefined;
    const message = allowed === undefined ? error.message : `must be one of ${allowed.join(', ')}`;
    return `${name}: ${message}${error.value === undefined ? '' : ` (got ${JSON.stringify(redactValue(key, error.value))})`}`;
  });
  problems.push(...unknownInFile);
  const config = withDefaults as Config;
  if (problems.length === 0) problems.push(...crossChecks(config));
  if (problems.length > 0) throw new GlinerError('CONFIG_INVALID', `Invalid configuration:\n  - ${problems.join('\n  - ')}`);
  return Object.freeze(config);
}

/** Variable names the configuration reads: every setting's, NODE_ENV, and the OTEL_* ones (config/otel.ts). */
const KNOWN = new Set<string>([...KEYS.map((key) => SETTINGS[key].env), 'NODE_ENV', ...OTEL_VARIABLES.map((variable) => variable.env)]);
/** Request options people set as variables by mistake, and where they belong. */
const REQUEST_OPTIONS: Record<string, string> = { THRESHOLD: 'threshold', FLAT_NER: 'flat_ner', MULTI_LABEL: 'multi_label', LABELS: 'labels' };

/** Edit distance (insertions, deletions, substitutions, adjacent swaps) between two names. */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const row = d[i] as number[];
      const up = d[i - 1] as number[];
      row[j] = Math.min((up[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (up[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) row[j] = Math.min(row[j] ?? 0, ((d[i - 2] as number[])[j - 2] ?? 0) + 1);
    }
  }
  return (d[a.length] as number[])[b.length] ?? Infinity;
}

const words = (name: string): string => name.split('_').sort().join('_');

/**
 * The known setting `name` is probably a typo of, if any: a plural or singular of it (WORKER,
 * API_KEY), its words in another order (BATCH_MAX_ROWS), or one character off in a name of six or
 * more (LOGLEVEL, MAX_BATCH_ROWZ). Looser rules would catch everyone's variables (MODE, SSL_CERT_FILE).
 */
function nearMiss(name: string): string | undefined {
  for (const env of KNOWN) {
    if (`${name}S` === env || name === `${env}S` || words(name) === words(env)) return env;
  }
  return name.length >= 6 ? [...KNOWN].find((env) => distance(name, env) === 1) : undefined;
}

/** ": did you mean X?" or where a request option goes, or ''. */
function hintFor(name: string): string {
  const option = REQUEST_OPTIONS[name];
  if (option !== undefined) return ` (\`${option}\` is an option of each request, in its JSON body)`;
  const near = nearMiss(name);
  return near === undefined ? '' : ` (did you mean ${near}?)`;
}

/**
 * Environment variables that look like a mistyped setting (WORKER for WORKERS) or a request option
 * set as a variable (THRESHOLD): one warning each. The environment holds everyone's variables, so
 * only upper-case names within a typo of ours, or those request options, are mentioned.
 */
export function settingWarnings(env: Readonly<Record<string, string | undefined>> = process.env): string[] {
  return Object.keys(env)
    .filter((name) => /^[A-Z][A-Z0-9_]*$/.test(name) && !KNOWN.has(name) && (REQUEST_OPTIONS[name] !== undefined || nearMiss(name) !== undefined))
    .map((name) => `environment variable ${name} is not a setting and is ignored${hintFor(name)}`);
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
    const flag = key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
    return `| \`${setting.env}\` | ${isSwitch(key) ? `\`--${flag}\` / \`--no-${flag}\`` : `\`--${flag}\``} | ${defaultText(key)} | ${describeSetting(key)} |`;
  });
  return ['| Variable | Flag | Default | Meaning |', '| --- | --- | --- | --- |', ...rows].join('\n');
}

/** .env.example: every variable, commented out at its default, with its meaning. */
export function envExample(): string {
  const lines = ['# gliner-serve settings. Copy to .env (read at start-up; real environment variables win).', '# Generated by `gliner-serve config --env-example`; every variable is optional.', ''];
  for (const key of KEYS) {
    const setting = SETTINGS[key];
    const value = followed(key) === undefined ? (setting.schema as { default?: unknown }).default : undefined; // empty = follow
    lines.push(`# ${describeSetting(key)}`);
    lines.push(`# ${setting.env}=${value === undefined ? '' : Array.isArray(value) ? value.join(',') : JSON.stringify(value).replace(/^"|"$/g, '')}`);
    lines.push('');
  }
  lines.push(...otelEnvExample());
  return lines.join('\n');
}
