// The OpenTelemetry tracing settings: the standard OTEL_* variables this server reads, under the
// names and meanings the OpenTelemetry specification gives them (so an operator, or the OpenTelemetry
// Operator's injection, sets them as for any other service). They are not in SETTINGS (schema.ts):
// they have no flags, their defaults and formats are the specification's, not ours, and several
// come in pairs (a signal-specific variable over a general one). They are read here once, from the
// same environment and .env file as the typed configuration, validated with every problem listed
// (CONFIG_INVALID), and handed to the SDK explicitly (the OTLP exporter still reads its TLS and
// compression variables from process.env by itself; docs/configuration.md says so).
// docs/configuration.md carries otelMarkdown() and .env.example its lines; a test checks both.
import { GlinerError } from '../errors.js';

export const SAMPLERS = ['parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio', 'always_on', 'always_off', 'traceidratio'] as const;
export type SamplerName = (typeof SAMPLERS)[number];
export const OTLP_PROTOCOLS = ['http/protobuf', 'http/json'] as const;
export type OtlpProtocol = (typeof OTLP_PROTOCOLS)[number];

export interface TracingSettings {
  /** False: no SDK is loaded and every tracing call is a shared no-op. */
  readonly enabled: boolean;
  /** The full OTLP/HTTP traces URL (…/v1/traces). */
  readonly tracesUrl: string;
  readonly protocol: OtlpProtocol;
  /** Sent with every export (a collector's or vendor's auth); secret: never logged. */
  readonly headers: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  readonly serviceName: string;
  readonly resourceAttributes: Readonly<Record<string, string>>;
  readonly sampler: SamplerName;
  /** Ratio of new traces kept by the *traceidratio samplers (0..1). */
  readonly samplerRatio: number;
}

interface OtelVariable {
  readonly env: string;
  /** As the docs show it. */
  readonly shown: string;
  readonly doc: string;
}

const DEFAULT_ENDPOINT = 'http://localhost:4318';
const DEFAULT_SERVICE_NAME = 'gliner-serve';
const DEFAULT_TIMEOUT_MS = 10_000;

/** Every OTEL_* variable the server reads, in the order the docs list them. */
export const OTEL_VARIABLES: readonly OtelVariable[] = [
  { env: 'OTEL_SDK_DISABLED', shown: '`false`', doc: '`true` turns tracing off whatever else is set.' },
  { env: 'OTEL_TRACES_EXPORTER', shown: '`otlp` when an endpoint below is set, else `none`', doc: '`otlp` sends traces to the OTLP/HTTP endpoint; `none` turns tracing off (no SDK is loaded, no cost). Unlike the specification\'s default (`otlp`), the server exports nothing until told where. Other exporters (`console`, `zipkin`) are refused.' },
  { env: 'OTEL_EXPORTER_OTLP_ENDPOINT', shown: `\`${DEFAULT_ENDPOINT}\``, doc: 'Base URL of the OTLP/HTTP receiver (a collector, Jaeger, Tempo); traces go to its `/v1/traces`. Setting it turns tracing on.' },
  { env: 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', shown: '—', doc: 'Full URL for traces, used as is; wins over OTEL_EXPORTER_OTLP_ENDPOINT. Setting it turns tracing on.' },
  { env: 'OTEL_EXPORTER_OTLP_PROTOCOL', shown: '`http/protobuf`', doc: '`http/protobuf` or `http/json`. `grpc` is refused: the server ships only the OTLP/HTTP exporters (port 4318, not 4317).' },
  { env: 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', shown: '—', doc: 'The same, for traces only; wins over OTEL_EXPORTER_OTLP_PROTOCOL.' },
  { env: 'OTEL_EXPORTER_OTLP_HEADERS', shown: '—', doc: 'Headers sent with every export, `key=value` pairs separated by commas, values percent-encoded (a vendor\'s API token). Secret: never logged.' },
  { env: 'OTEL_EXPORTER_OTLP_TRACES_HEADERS', shown: '—', doc: 'The same, for traces only; its keys win over OTEL_EXPORTER_OTLP_HEADERS.' },
  { env: 'OTEL_EXPORTER_OTLP_TIMEOUT', shown: `\`${DEFAULT_TIMEOUT_MS}\``, doc: 'Milliseconds one export may take.' },
  { env: 'OTEL_EXPORTER_OTLP_TRACES_TIMEOUT', shown: '—', doc: 'The same, for traces only; wins over OTEL_EXPORTER_OTLP_TIMEOUT.' },
  { env: 'OTEL_SERVICE_NAME', shown: `\`${DEFAULT_SERVICE_NAME}\``, doc: 'The `service.name` resource attribute; wins over one in OTEL_RESOURCE_ATTRIBUTES.' },
  { env: 'OTEL_RESOURCE_ATTRIBUTES', shown: '—', doc: 'More resource attributes, `key=value` pairs separated by commas, values percent-encoded (`deployment.environment.name=prod,k8s.pod.name=…`).' },
  { env: 'OTEL_TRACES_SAMPLER', shown: '`parentbased_always_on`', doc: `Which requests are traced: ${SAMPLERS.map((s) => `\`${s}\``).join(', ')}. The parentbased_ ones follow the caller's \`traceparent\` sampled flag when there is one. A model batch is recorded when any request it ran is.` },
  { env: 'OTEL_TRACES_SAMPLER_ARG', shown: '`1.0`', doc: 'For the traceidratio samplers, the share of new traces kept, 0 to 1 (`0.01` = 1 %).' },
];

/** Spec's `key=value,key=value` lists with percent-encoded values; problems name the variable. */
function keyValueList(name: string, raw: string | undefined, problems: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  if (raw === undefined || raw.trim() === '') return out;
  for (const part of raw.split(',')) {
    if (part.trim() === '') continue;
    const eq = part.indexOf('=');
    const key = eq < 0 ? '' : part.slice(0, eq).trim();
    if (key === '') {
      problems.push(`${name}: expected key=value pairs separated by commas; got an entry without a key`);
      continue;
    }
    try {
      out[key] = decodeURIComponent(part.slice(eq + 1).trim());
    } catch {
      problems.push(`${name}: the value of "${key}" is not valid percent-encoding`);
    }
  }
  return out;
}

function oneOf<T extends string>(name: string, raw: string, allowed: readonly T[], problems: string[], hint = ''): T | undefined {
  const value = raw.trim().toLowerCase();
  if ((allowed as readonly string[]).includes(value)) return value as T;
  problems.push(`${name}: must be one of ${allowed.join(', ')}${hint}; got ${JSON.stringify(raw)}`);
  return undefined;
}

function httpUrl(name: string, raw: string, problems: string[]): string {
  try {
    const url = new URL(raw.trim());
    if (url.protocol === 'http:' || url.protocol === 'https:') return url.toString();
  } catch {
    // reported below
  }
  problems.push(`${name}: must be an http:// or https:// URL; got ${JSON.stringify(raw)}`);
  return raw;
}

/** The tracing settings from an environment (variables over .env lines, as loadConfig reads them). */
export function tracingSettings(env: Readonly<Record<string, string | undefined>>): TracingSettings {
  const get = (name: string): string | undefined => {
    const value = env[name];
    return value === undefined || value.trim() === '' ? undefined : value;
  };
  const problems: string[] = [];

  const disabledRaw = get('OTEL_SDK_DISABLED');
  const disabled = disabledRaw === undefined ? false : oneOf('OTEL_SDK_DISABLED', disabledRaw, ['true', 'false'], problems) === 'true';
  const tracesEndpoint = get('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
  const baseEndpoint = get('OTEL_EXPORTER_OTLP_ENDPOINT');
  const exporterRaw = get('OTEL_TRACES_EXPORTER');
  const exporter = exporterRaw === undefined
    ? (tracesEndpoint ?? baseEndpoint) === undefined ? 'none' : 'otlp'
    : oneOf('OTEL_TRACES_EXPORTER', exporterRaw, ['otlp', 'none'] as const, problems);

  const tracesUrl = tracesEndpoint !== undefined
    ? httpUrl('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', tracesEndpoint, problems)
    : `${httpUrl('OTEL_EXPORTER_OTLP_ENDPOINT', baseEndpoint ?? DEFAULT_ENDPOINT, problems).replace(/\/+$/, '')}/v1/traces`;

  const protocolVar = get('OTEL_EXPORTER_OTLP_TRACES_PROTOCOL') !== undefined ? 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL' : 'OTEL_EXPORTER_OTLP_PROTOCOL';
  const protocolRaw = get(protocolVar);
  const protocol = protocolRaw === undefined
    ? 'http/protobuf'
    : oneOf(protocolVar, protocolRaw, OTLP_PROTOCOLS, problems, ' (grpc is not supported: use the OTLP/HTTP port, 4318)') ?? 'http/protobuf';

  const headers = { ...keyValueList('OTEL_EXPORTER_OTLP_HEADERS', get('OTEL_EXPORTER_OTLP_HEADERS'), problems), ...keyValueList('OTEL_EXPORTER_OTLP_TRACES_HEADERS', get('OTEL_EXPORTER_OTLP_TRACES_HEADERS'), problems) };

  const timeoutVar = get('OTEL_EXPORTER_OTLP_TRACES_TIMEOUT') !== undefined ? 'OTEL_EXPORTER_OTLP_TRACES_TIMEOUT' : 'OTEL_EXPORTER_OTLP_TIMEOUT';
  const timeoutRaw = get(timeoutVar);
  const timeoutMs = timeoutRaw === undefined ? DEFAULT_TIMEOUT_MS : Number(timeoutRaw);
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1) problems.push(`${timeoutVar}: must be a whole number of milliseconds above 0; got ${JSON.stringify(timeoutRaw)}`);

  const resourceAttributes = keyValueList('OTEL_RESOURCE_ATTRIBUTES', get('OTEL_RESOURCE_ATTRIBUTES'), problems);
  const serviceName = get('OTEL_SERVICE_NAME')?.trim() ?? resourceAttributes['service.name'] ?? DEFAULT_SERVICE_NAME;

  const samplerRaw = get('OTEL_TRACES_SAMPLER');
  const sampler = samplerRaw === undefined ? 'parentbased_always_on' : oneOf('OTEL_TRACES_SAMPLER', samplerRaw, SAMPLERS, problems) ?? 'parentbased_always_on';
  const ratioRaw = get('OTEL_TRACES_SAMPLER_ARG');
  const samplerRatio = ratioRaw === undefined || !sampler.endsWith('traceidratio') ? 1 : Number(ratioRaw);
  if (!(samplerRatio >= 0 && samplerRatio <= 1)) problems.push(`OTEL_TRACES_SAMPLER_ARG: must be a number from 0 to 1 for ${sampler}; got ${JSON.stringify(ratioRaw)}`);

  if (problems.length > 0) throw new GlinerError('CONFIG_INVALID', `Invalid configuration:\n  - ${problems.join('\n  - ')}`);
  return Object.freeze({
    enabled: !disabled && exporter === 'otlp',
    tracesUrl,
    protocol,
    headers: Object.freeze(headers),
    timeoutMs,
    serviceName,
    resourceAttributes: Object.freeze(resourceAttributes),
    sampler,
    samplerRatio,
  });
}

/** The tracing settings for the start-up log line: headers' values redacted. */
export function redactedTracing(settings: TracingSettings): Record<string, unknown> {
  return { ...settings, headers: Object.fromEntries(Object.keys(settings.headers).map((key) => [key, '[redacted]'])) };
}

/** The OTEL_* table of docs/configuration.md. */
export function otelMarkdown(): string {
  return ['| Variable | Default | Meaning |', '| --- | --- | --- |', ...OTEL_VARIABLES.map((v) => `| \`${v.env}\` | ${v.shown} | ${v.doc} |`)].join('\n');
}

/** The OTEL_* lines of .env.example, commented out. */
export function otelEnvExample(): string[] {
  const lines = ['# --- Tracing (OpenTelemetry): the standard OTEL_* variables; see docs/configuration.md.', ''];
  for (const v of OTEL_VARIABLES) lines.push(`# ${v.doc.replace(/`/g, '')}`, `# ${v.env}=`, '');
  return lines;
}
