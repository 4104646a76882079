// The OpenTelemetry SDK, set up from the validated OTEL_* settings (src/config/otel.ts) and nothing
// else: the sampler, the resource, the OTLP/HTTP exporter (protobuf or JSON) behind a batch span
// processor. Loaded only when tracing is on (index.ts imports this file dynamically). Nothing is
// registered globally (no global tracer provider, no context manager: the request path hands its
// trace objects along explicitly, which costs nothing per await); only the SDK's diagnostics go to
// the server's logger, so a collector that cannot be reached shows up as a warning.
import { diag, DiagLogLevel, TraceFlags, type Attributes, type Context, type Link, type SpanKind } from '@opentelemetry/api';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler, AlwaysOnSampler, BatchSpanProcessor, ParentBasedSampler, SamplingDecision, TraceIdRatioBasedSampler, TracerProvider,
  type Sampler, type SamplingResult, type SpanExporter,
} from '@opentelemetry/sdk-trace';
import type { Logger } from 'pino';
import type { TracingSettings } from '../config/otel.js';
import { SPAN } from './names.js';

/** The configured sampler, except that a batch span is recorded exactly when one of the requests it links to is. */
class BatchAwareSampler implements Sampler {
  constructor(private readonly base: Sampler) {}

  shouldSample(context: Context, traceId: string, name: string, kind: SpanKind, attributes: Attributes, links: Link[]): SamplingResult {
    if (name === SPAN.batch) {
      const linked = links.some((link) => (link.context.traceFlags & TraceFlags.SAMPLED) !== 0);
      return { decision: linked ? SamplingDecision.RECORD_AND_SAMPLED : SamplingDecision.NOT_RECORD };
    }
    return this.base.shouldSample(context, traceId, name, kind, attributes, links);
  }

  toString(): string {
    return `BatchAwareSampler{${this.base.toString()}}`;
  }
}

export function samplerFor(settings: Pick<TracingSettings, 'sampler' | 'samplerRatio'>): Sampler {
  const ratio = new TraceIdRatioBasedSampler(settings.samplerRatio);
  const root: Record<TracingSettings['sampler'], Sampler> = {
    always_on: new AlwaysOnSampler(),
    always_off: new AlwaysOffSampler(),
    traceidratio: ratio,
    parentbased_always_on: new ParentBasedSampler({ root: new AlwaysOnSampler() }),
    parentbased_always_off: new ParentBasedSampler({ root: new AlwaysOffSampler() }),
    parentbased_traceidratio: new ParentBasedSampler({ root: ratio }),
  };
  return new BatchAwareSampler(root[settings.sampler]);
}

async function exporterFor(settings: TracingSettings): Promise<SpanExporter> {
  const options = { url: settings.tracesUrl, headers: { ...settings.headers }, timeoutMillis: settings.timeoutMs };
  if (settings.protocol === 'http/json') {
    const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http');
    return new OTLPTraceExporter(options);
  }
  const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-proto');
  return new OTLPTraceExporter(options);
}

/** SDK diagnostics (failed exports above all) as warnings in the server's log. */
function routeDiagnostics(logger: Logger): void {
  const warn = (message: string): void => logger.warn({ component: 'opentelemetry' }, message);
  const ignore = (): void => undefined;
  diag.setLogger({ error: warn, warn, info: ignore, debug: ignore, verbose: ignore }, { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true });
}

export interface TracerSetup {
  readonly provider: TracerProvider;
  readonly tracer: ReturnType<TracerProvider['getTracer']>;
}

/** A tracer provider exporting to the configured OTLP/HTTP endpoint. `serviceVersion`: the package's version. */
export async function createProvider(settings: TracingSettings, serviceVersion: string, logger?: Logger): Promise<TracerSetup> {
  if (logger !== undefined) routeDiagnostics(logger);
  const resource = defaultResource().merge(resourceFromAttributes({
    ...settings.resourceAttributes,
    'service.name': settings.serviceName,
    'service.version': serviceVersion,
  }));
  const provider = new TracerProvider({
    resource,
    sampler: samplerFor(settings),
    // A batch links to every request whose rows it ran (at most MAX_BATCH_ROWS, 4096).
    spanLimits: { linkCountLimit: 4096 },
    spanProcessors: [new BatchSpanProcessor({ exporter: await exporterFor(settings) })],
  });
  return { provider, tracer: provider.getTracer('gliner-serve', serviceVersion) };
}
