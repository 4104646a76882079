// Tracing for the request path: `createTracing` once at start-up, then the facade (api.ts) at each
// step of a request. Off (the default), it is the shared no-op objects and no OpenTelemetry SDK code
// is ever loaded; on, the SDK is set up from the OTEL_* settings and spans are recorded
// (recorder.ts). docs/tracing.md says which spans a trace holds.
import type { Logger } from 'pino';
import type { TracingSettings } from '../config/otel.js';
import type { Tracing } from './api.js';
import { TRACING_OFF } from './noop.js';

export type * from './api.js';
export { NOOP_BATCH, NOOP_REQUEST, TRACING_OFF } from './noop.js';

export async function createTracing(settings: TracingSettings, serviceVersion: string, logger?: Logger): Promise<Tracing> {
  if (!settings.enabled) return TRACING_OFF;
  const [{ createProvider }, { Recorder }] = await Promise.all([import('./sdk.js'), import('./recorder.js')]);
  const { provider, tracer } = await createProvider(settings, serviceVersion, logger);
  return new Recorder(tracer, provider);
}
