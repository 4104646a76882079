// `serve`: the composition root, in one pass. Order: config → logger → uWS (native or refuse) →
// API keys → the service host and the listeners (liveness answers, predictions get NOT_READY, while
// the model loads or downloads) → the model → every setting derived once (startup/settings.ts) →
// the workers started and warmed, the batcher, engine and cache built on them with final values →
// the service built and opened (one swap) → ready.
// Tracing (OTEL_*, off unless an endpoint is set) is created before the metrics, which carry its
// exemplars when it is on. Shutdown is one ordered function: not ready → stop listening → drain
// accepted work under the grace period → close WebSockets and workers → flush traces → flush logs → exit.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Config } from './config/schema.js';
import { readEnvironment, redactedConfig } from './config/load.js';
import { redactedTracing, tracingSettings, type TracingSettings } from './config/otel.js';
import { asGlinerError } from './errors.js';
import { gateAccess } from './http/access.js';
import { startFrontEnd, type FrontEnd, type FrontEndSettings } from './http/server.js';
import { loadUws } from './http/uws.js';
import { createLogger, type Logger } from './logging.js';
import { serviceMetrics } from './metrics/hooks.js';
import { Metrics } from './metrics/registry.js';
import { PACKAGE_ROOT } from './paths.js';
import { playgroundRoutes } from './playground/routes.js';
import { SecurityGate } from './security/gate.js';
import { assertStartable, KeyStore } from './security/keys.js';
import { ServiceHost } from './service/host.js';
import { PredictService } from './service/service.js';
import { loadModel, type DownloadDisplay } from './startup/model.js';
import { allocatorOf, resolveSettings, thisMachine } from './startup/settings.js';
import { startStack, type Stack } from './startup/stack.js';
import { createTracing } from './tracing/index.js';
import { TracingHooks, type TracedModel } from './tracing/hooks.js';
import type { WorkerFaults } from './worker/worker.js';

export interface RunningServer {
  readonly frontEnd: FrontEnd;
  readonly service: ServiceHost;
  readonly metrics: Metrics;
  /** Resolves once the service is open (the model loaded and warmed up). */
  readonly ready: Promise<void>;
  shutdown(reason: string): Promise<void>;
}

/** What the caller adds besides the configuration. */
export interface ServeOptions {
  /** Where a model download is shown besides the log (the CLI's terminal bar). */
  readonly downloads?: DownloadDisplay;
  /** Test seam, never set from the configuration: faults the inference workers inject (the worker-crash tests). */
  readonly workerFaults?: WorkerFaults;
  /** The OTEL_* settings; default: read from the environment and .env (config/otel.ts). */
  readonly tracing?: TracingSettings;
}

function packageVersion(): string {
  return (JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
}

/** The listeners' settings: the configuration only, so they start before the model is known. */
function frontEndSettings(config: Config): FrontEndSettings {
  return {
    host: config.host,
    port: config.port,
    adminHost: config.adminHost,
    adminPort: config.adminPort,
    ...(config.tlsCertFile !== undefined && config.tlsKeyFile !== undefined
      ? { tls: { certFile: config.tlsCertFile, keyFile: config.tlsKeyFile, ...(config.tlsPassphrase === undefined ? {} : { passphrase: config.tlsPassphrase }) } }
      : {}),
    maxBodyBytes: config.maxBodyBytes,
    corsOrigins: config.corsOrigins,
    stream: {
      maxMessageBytes: config.wsMaxMessageBytes,
      maxInflight: config.wsMaxInflight,
      maxBackpressureBytes: config.wsMaxBackpressureBytes,
      idleTimeoutSeconds: config.wsIdleTimeoutSeconds,
    },
    version: packageVersion(),
    oipModelName: config.oipModelName,
    extraRoutes: config.playground ? playgroundRoutes() : [],
  };
}

export async function serve(config: Config, logger: Logger = createLogger(config.logLevel), options: ServeOptions = {}): Promise<RunningServer> {
  logger.info({ config: redactedConfig(config) }, 'starting');
  const { uws, native } = loadUws(config.allowUwsFallback);
  if (!native) logger.warn('uWebSockets.js native binary did not load: running on the slow pure-Node shim (ALLOW_UWS_FALLBACK=true)');

  const tracingConfig = options.tracing ?? tracingSettings(readEnvironment());
  const tracing = await createTracing(tracingConfig, packageVersion(), logger);
  if (tracing.enabled) logger.info({ tracing: redactedTracing(tracingConfig) }, 'tracing on');
  let traced: TracedModel | undefined;
  const hooks = tracing.enabled ? new TracingHooks(tracing, () => traced) : undefined;
  const metrics = new Metrics({ exemplars: tracing.enabled });
  const keys = KeyStore.fromConfig(config, {
    onError: (message) => logger.error({ file: config.apiKeysFile }, `API key file not reloaded, the previous keys stay: ${message}`),
    onReload: (event) => logger.info({ keys: event.keys, trigger: event.trigger }, 'API keys reloaded'),
  });
  process.on('SIGHUP', () => {
    const result = keys.reload();
    if (result.ok) logger.info({ keys: result.keys, changed: result.changed }, 'SIGHUP: API keys reloaded');
  });
  // The open-API warning is its own short line, logged here and again once ready, so it is not lost
  // under the long "starting" config line.
  const warning = assertStartable(keys, config.production);
  if (warning !== undefined) logger.warn({ security: 'open' }, warning);
  const gate = SecurityGate.fromConfig(config, keys, { metrics });

  const service = new ServiceHost(hooks === undefined ? serviceMetrics(metrics) : hooks.service(serviceMetrics(metrics)));
  const frontEnd = await startFrontEnd(frontEndSettings(config), { uws, service, metrics, access: gateAccess(gate, config.trustProxyHops), logger });
  const ports = { port: frontEnd.port, adminPort: frontEnd.adminPort, tls: frontEnd.tls };
  logger.info(ports, 'listening');

  let stack: Stack | undefined;
  let closing = false;
  let shuttingDown: Promise<void> | undefined;
  const shutdown = (reason: string): Promise<void> => {
    shuttingDown ??= (async () => {
      closing = true;
      logger.info({ reason, inFlight: frontEnd.inFlight, queued: stack?.batcher.depth ?? 0 }, 'draining');
      const admitted = service.drain();
      frontEnd.stopListening();
      const grace = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), config.shutdownGraceMs).unref());
      const drained = (async () => {
        await admitted;
        // Responses are written right after their request settles; wait for the last ones.
        while (frontEnd.inFlight > 0) await new Promise((resolve) => setTimeout(resolve, 5));
        return 'drained' as const;
      })();
      const outcome = await Promise.race([drained, grace]);
      frontEnd.closeAll();
      keys.close();
      await stack?.close();
      // The last spans (the drained requests') leave before the process does.
      await tracing.shutdown().catch((error: unknown) => logger.warn({ err: asGlinerError(error).message }, 'traces not flushed at shutdown'));
      logger.info({ outcome, inFlight: frontEnd.inFlight }, 'stopped');
    })();
    return shuttingDown;
  };

  const ready = (async () => {
    const model = await loadModel(config, logger, options.downloads);
    const machine = thisMachine();
    const settings = resolveSettings(config, model, machine);
    logger.info({ allocator: allocatorOf(machine), cpuArena: settings.pool.runner.cpuArena }, 'memory: allocator and ONNX Runtime arena (CPU_MEM_ARENA)');
    const started = await startStack(settings, model, { metrics, logger, ...(options.workerFaults === undefined ? {} : { faults: options.workerFaults }), ...(hooks === undefined ? {} : { tracing: hooks }) });
    if (closing) {
      // Shut down while loading: nothing will serve these workers.
      await started.close();
      return;
    }
    stack = started;
    traced = { id: started.summary.id, kind: model.config.kind };
    service.open(new PredictService(started.predictor, started.summary, settings.service));
    logger.info({ ...ports, model: started.summary }, 'ready');
    if (warning !== undefined) logger.warn({ security: 'open' }, warning);
  })().catch((error: unknown) => {
    const failure = asGlinerError(error);
    service.fail(failure.message);
    logger.fatal({ code: failure.code, err: failure.message }, 'model failed to load');
    void shutdown('model load failure').then(() => process.exit(1));
  });
  return { frontEnd, service, metrics, ready, shutdown };
}

/** Wire process signals: SIGTERM/SIGINT drain and exit 0. */
export function handleSignals(server: RunningServer, logger: Logger): void {
  const stop = (signal: string): void => {
    void server.shutdown(signal).then(() => {
      logger.flush();
      process.exit(0);
    });
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}
