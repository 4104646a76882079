// A real OTLP/HTTP trace receiver for tests: a local HTTP server that takes what an OpenTelemetry
// exporter sends to POST /v1/traces — protobuf (application/x-protobuf, decoded with protobufjs
// and otlp-trace.proto) or JSON (application/json) — gzip or not, answers as a collector does, and
// keeps every span in one normalised shape (hex ids, attributes as plain values, nanosecond
// bigints) for assertions on the tree, the links and the ids. `strings()` lists every string the
// exports carried, for "no text, label or key leaked" checks. Waiting is event-driven: a promise
// that settles when an export arrives that satisfies a predicate, or fails after a timeout.
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import protobuf from 'protobufjs';

export type AttributeValue = string | number | boolean | null | AttributeValue[] | { [key: string]: AttributeValue };
export type Attributes = Record<string, AttributeValue>;

export interface ReceivedLink {
  readonly traceId: string;
  readonly spanId: string;
  readonly traceState: string | undefined;
  readonly attributes: Attributes;
}

export interface ReceivedSpan {
  readonly traceId: string;
  readonly spanId: string;
  /** Undefined for a root span (of this process: it may still continue a caller's trace). */
  readonly parentSpanId: string | undefined;
  readonly traceState: string | undefined;
  readonly name: string;
  /** OTLP SpanKind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  readonly kind: number;
  readonly startNs: bigint;
  readonly endNs: bigint;
  readonly attributes: Attributes;
  readonly links: readonly ReceivedLink[];
  readonly events: readonly { readonly name: string; readonly timeNs: bigint; readonly attributes: Attributes }[];
  /** OTLP StatusCode: 0 unset, 1 ok, 2 error. */
  readonly status: { readonly code: number; readonly message: string | undefined };
  readonly resource: Attributes;
  readonly scope: { readonly name: string; readonly version: string | undefined };
}

export interface ReceivedExport {
  readonly protocol: 'http/protobuf' | 'http/json';
  readonly path: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly spans: readonly ReceivedSpan[];
}

export interface OtlpReceiver {
  /** Base URL (OTEL_EXPORTER_OTLP_ENDPOINT). */
  readonly url: string;
  /** `${url}/v1/traces` (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT). */
  readonly tracesUrl: string;
  readonly exports: readonly ReceivedExport[];
  /** Every span received so far, in arrival order. */
  spans(): ReceivedSpan[];
  /** Resolves with all spans once `done(spans)` holds (checked now and at each export); rejects after `timeoutMs`. */
  waitFor(done: (spans: readonly ReceivedSpan[]) => boolean, timeoutMs?: number): Promise<ReceivedSpan[]>;
  /** The spans of one trace. */
  trace(traceId: string): ReceivedSpan[];
  /** Direct children of a span. */
  children(parent: ReceivedSpan): ReceivedSpan[];
  /** Every string the exports carried: span names, attribute keys and values, resource, scope, status messages, trace states. */
  strings(): string[];
  /** Requests that could not be decoded (the answer was 400), with the reason. */
  readonly rejected: readonly string[];
  close(): Promise<void>;
}

const here = path.dirname(fileURLToPath(import.meta.url));
const root = protobuf.parse(readFileSync(path.join(here, 'otlp-trace.proto'), 'utf8'), { keepCase: false }).root;
const ExportRequest = root.lookupType('otlp.ExportTraceServiceRequest');

const hex = (bytes: unknown): string => (bytes instanceof Uint8Array ? Buffer.from(bytes).toString('hex') : typeof bytes === 'string' ? bytes.toLowerCase() : '');
const nanos = (value: unknown): bigint => (value === undefined || value === null || value === '' ? 0n : BigInt(value as string | number));
const optional = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

/** One OTLP AnyValue (the protobuf object and the JSON share field names in camelCase) as a plain value. */
function anyValue(value: Record<string, unknown> | undefined): AttributeValue {
  if (value === undefined || value === null) return null;
  if ('stringValue' in value) return String(value.stringValue);
  if ('boolValue' in value) return Boolean(value.boolValue);
  if ('intValue' in value) return Number(value.intValue);
  if ('doubleValue' in value) return Number(value.doubleValue);
  if ('arrayValue' in value) return ((value.arrayValue as { values?: Record<string, unknown>[] }).values ?? []).map(anyValue);
  if ('kvlistValue' in value) return attributes((value.kvlistValue as { values?: unknown[] }).values);
  if ('bytesValue' in value) return hex(value.bytesValue);
  return null;
}

function attributes(list: unknown): Attributes {
  const out: Attributes = {};
  for (const kv of (list as { key: string; value?: Record<string, unknown> }[] | undefined) ?? []) out[kv.key] = anyValue(kv.value);
  return out;
}

interface RawSpan {
  traceId: unknown; spanId: unknown; parentSpanId?: unknown; traceState?: unknown; name: string; kind?: number;
  startTimeUnixNano: unknown; endTimeUnixNano: unknown; attributes?: unknown;
  links?: { traceId: unknown; spanId: unknown; traceState?: unknown; attributes?: unknown }[];
  events?: { name: string; timeUnixNano: unknown; attributes?: unknown }[];
  status?: { code?: number; message?: string };
}
interface RawRequest {
  resourceSpans?: { resource?: { attributes?: unknown }; scopeSpans?: { scope?: { name?: string; version?: string }; spans?: RawSpan[] }[] }[];
}

/** The export request (decoded protobuf as a plain object, or parsed JSON) as normalised spans. */
function normalise(request: RawRequest): ReceivedSpan[] {
  const out: ReceivedSpan[] = [];
  for (const rs of request.resourceSpans ?? []) {
    const resource = attributes(rs.resource?.attributes);
    for (const ss of rs.scopeSpans ?? []) {
      const scope = { name: ss.scope?.name ?? '', version: optional(ss.scope?.version) };
      for (const s of ss.spans ?? []) {
        const parent = hex(s.parentSpanId);
        out.push({
          traceId: hex(s.traceId),
          spanId: hex(s.spanId),
          parentSpanId: parent === '' ? undefined : parent,
          traceState: optional(s.traceState),
          name: s.name,
          kind: Number(s.kind ?? 0),
          startNs: nanos(s.startTimeUnixNano),
          endNs: nanos(s.endTimeUnixNano),
          attributes: attributes(s.attributes),
          links: (s.links ?? []).map((l) => ({ traceId: hex(l.traceId), spanId: hex(l.spanId), traceState: optional(l.traceState), attributes: attributes(l.attributes) })),
          events: (s.events ?? []).map((e) => ({ name: e.name, timeNs: nanos(e.timeUnixNano), attributes: attributes(e.attributes) })),
          status: { code: Number(s.status?.code ?? 0), message: optional(s.status?.message) },
          resource,
          scope,
        });
      }
    }
  }
  return out;
}

function decode(contentType: string, body: Buffer): { protocol: ReceivedExport['protocol']; spans: ReceivedSpan[] } {
  if (contentType.startsWith('application/x-protobuf')) {
    const message = ExportRequest.decode(body);
    return { protocol: 'http/protobuf', spans: normalise(ExportRequest.toObject(message, { longs: String, defaults: false, arrays: true })) };
  }
  if (contentType.startsWith('application/json')) return { protocol: 'http/json', spans: normalise(JSON.parse(body.toString('utf8')) as RawRequest) };
  throw new Error(`unsupported Content-Type ${JSON.stringify(contentType)}`);
}

function collectStrings(value: AttributeValue, into: string[]): void {
  if (typeof value === 'string') into.push(value);
  else if (Array.isArray(value)) for (const v of value) collectStrings(v, into);
  else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) { into.push(k); collectStrings(v, into); }
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const exports: ReceivedExport[] = [];
  const rejected: string[] = [];
  const waiters = new Set<() => void>();
  const all = (): ReceivedSpan[] => exports.flatMap((e) => e.spans);

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const contentType = String(req.headers['content-type'] ?? '');
      try {
        if (req.method !== 'POST' || req.url !== '/v1/traces') throw new Error(`${req.method ?? '?'} ${req.url ?? '?'} is not POST /v1/traces`);
        const raw = Buffer.concat(chunks);
        const body = req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw;
        const { protocol, spans } = decode(contentType, body);
        exports.push({ protocol, path: req.url, headers: { ...req.headers }, spans });
        // An empty ExportTraceServiceResponse: full success.
        if (protocol === 'http/protobuf') res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
        else res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
        for (const wake of [...waiters]) wake();
      } catch (error) {
        rejected.push((error as Error).message);
        res.writeHead(400, { 'content-type': 'text/plain' }).end((error as Error).message);
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    tracesUrl: `${url}/v1/traces`,
    exports,
    rejected,
    spans: all,
    waitFor(done, timeoutMs = 10_000) {
      return new Promise<ReceivedSpan[]>((resolve, reject) => {
        const check = (): void => {
          const spans = all();
          if (!done(spans)) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(spans);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`OTLP receiver: the expected spans did not arrive within ${timeoutMs} ms; got ${all().length}: ${all().map((s) => s.name).join(', ')}${rejected.length > 0 ? `; rejected: ${rejected.join('; ')}` : ''}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    trace: (traceId) => all().filter((s) => s.traceId === traceId),
    children: (parent) => all().filter((s) => s.traceId === parent.traceId && s.parentSpanId === parent.spanId),
    strings() {
      const out: string[] = [];
      for (const s of all()) {
        out.push(s.name, s.scope.name, ...(s.traceState === undefined ? [] : [s.traceState]), ...(s.status.message === undefined ? [] : [s.status.message]));
        collectStrings(s.attributes, out);
        collectStrings(s.resource, out);
        for (const l of s.links) collectStrings(l.attributes, out);
        for (const e of s.events) { out.push(e.name); collectStrings(e.attributes, out); }
      }
      return out;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
