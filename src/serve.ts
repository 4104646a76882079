// `serve`: the composition root. Order: config → logger → uWS (native or refuse) → API keys →
// listeners (liveness answers while the model loads) → model → workers warmed → ready.
// Shutdown is one ordered function: not ready → stop listening → drain accepted work under the
// grace period → close WebSockets and workers → flush logs → exit.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Config } from './config/schema.js';
import { redactedConfig } from './config/load.js';
import { CachedEngine, type Predictor } from './engine/cached-engine.js';
import { asGlinerError } from './errors.js';
import { gateAccess } from './http/access.js';
import { startFrontEnd, type FrontEnd } from './http/server.js';
import { loadUws } from './http/uws.js';
import { createInferenceStack, type InferenceStack } from './inference-stack.js';
import { createLogger, type Logger } from './logging.js';
import { cacheMetrics, serviceMetrics } from './metrics/hooks.js';
import { Metrics } from './metrics/registry.js';
import { ServiceHost } from './service/host.js';
import type { ModelSummary } from './service/request.js';
import { PredictService } from './service/service.js';
import type { WorkerFaults } from './worker/worker.js';
import { PACKAGE_ROOT } from './paths.js';
import { playgroundRoutes } from './playground/routes.js';
import { SecurityGate } from './security/gate.js';
import { assertStartable, KeyStore } from './security/keys.js';

export interface RunningServer {
  readonly frontEnd: FrontEnd;
  readonly service: ServiceHost;
  readonly stack: InferenceStack;
  readonly metrics: Metrics;
  /** Resolves once the service is open (the model loaded and warmed up). */
  readonly ready: Promise<void>;
  shutdown(reason: string): Promise<void>;
}

/** Test seams, never set from the configuration. */
export interface ServeOptions {
  /** Faults the inference workers inject (the worker-crash tests). */
  readonly workerFaults?: WorkerFaults;
}

function packageVersion(): string {
  return (JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
}

export async function serve(config: Config, logger: Logger = createLogger(config.logLevel), options: ServeOptions = {}): Promise<RunningServer> {
  logger.info({ config: redactedConfig(config) }, 'starting');
  const { uws, native } = loadUws(config.allowUwsFallback);
  if (!native) logger.warn('uWebSockets.js native binary did not load: running on the slow pure-Node shim (ALLOW_UWS_FALLBACK=true)');

  const metrics = new Metrics();
  const keys = new KeyStore({
    envKeys: config.apiKeys,
    ...(config.apiKeysFile === undefined ? {} : { file: config.apiKeysFile }),
    defaultRatePerSecond: config.rateLimitPerSecond,
    defaultBurst: config.rateLimitBurst,
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

  const service = new ServiceHost(serviceMetrics(metrics));
  const stack = createInferenceStack(config, logger, metrics, options.workerFaults);
  const frontEnd = await startFrontEnd(
    {
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
    },
    { uws, service, metrics, access: gateAccess(gate, config.trustProxyHops), logger },
  );
  const ports = { port: frontEnd.port, adminPort: frontEnd.adminPort, tls: frontEnd.tls };
  logger.info(ports, 'listening');

  let shuttingDown: Promise<void> | undefined;
  const shutdown = (reason: string): Promise<void> => {
    shuttingDown ??= (async () => {
      logger.info({ reason, inFlight: frontEnd.inFlight, queued: stack.batcher.depth }, 'draining');
      const admitted = service.drain();
      frontEnd.stopListening();
      const grace = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), config.shutdownGraceMs).unref());
      const drained = (async () => {
        await admitted;
        await stack.engine.drain();
        // Responses are written right after their request settles; wait for the last ones.
        while (frontEnd.inFlight > 0) await new Promise((resolve) => setTimeout(resolve, 5));
        return 'drained' as const;
      })();
      const outcome = await Promise.race([drained, grace]);
      frontEnd.closeAll();
      keys.close();
      await stack.close();
      logger.info({ outcome, inFlight: frontEnd.inFlight }, 'stopped');
    })();
    return shuttingDown;
  };

  const ready = stack.loaded.then(
    (model) => {
      if (service.phase !== 'starting') return;
      service.open(new PredictService(resultCache(config, stack, model.summary, metrics), model.summary, config));
      logger.info({ ...ports, model: model.summary }, 'ready');
      if (warning !== undefined) logger.warn({ security: 'open' }, warning);
    },
    (error: unknown) => {
      const failure = asGlinerError(error);
      service.fail(failure.message);
      logger.fatal({ code: failure.code, err: failure.message }, 'model failed to load');
      void shutdown('model load failure').then(() => process.exit(1));
    },
  );
  return { frontEnd, service, stack, metrics, ready, shutdown };
}

/**
 * The engine behind the result cache (CACHE_MAX_BYTES > 0). The cache lives in this process only,
 * so a model change (a new process) starts it empty; reloading API keys does not touch it.
 */
function resultCache(config: Config, stack: InferenceStack, model: ModelSummary, metrics: Metrics): Predictor {
  if (config.cacheMaxBytes === 0) return stack.engine;
  return new CachedEngine(
    stack.engine,
    { maxBytes: config.cacheMaxBytes, ttlSeconds: config.cacheTtlSeconds, sharedAcrossKeys: config.cacheSharedAcrossKeys, maxEntities: config.maxEntitiesPerText },
    () => `${model.id}@${model.revision}/${model.quantization}`,
    cacheMetrics(metrics),
  );
}

/** Wire process signals: SIGTERM/SIGINT drain and exit 0, SIGHUP reloads API keys. */
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
