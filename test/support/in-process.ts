// The real server (`serve`, the same composition as `gliner-serve serve`) inside the test process,
// for tests that need a seam a child process cannot offer (faults injected into the workers, a look
// at the server while its model still loads). Logs are collected in memory; `stop` drains and
// closes everything the server opened.
import pino from 'pino';
import { loadConfig } from '../../src/config/load.js';
import { tracingSettings } from '../../src/config/otel.js';
import { serve, type ServeOptions } from '../../src/serve.js';

export interface InProcessServer {
  readonly url: string;
  readonly adminUrl: string;
  readonly logs: Record<string, unknown>[];
  stop(): Promise<void>;
}

/** Start the server: `listening` once its listeners are up (the model may still load), `ready` once it serves. */
export function startServing(env: Record<string, string>, options: ServeOptions = {}): { listening: Promise<InProcessServer>; ready: Promise<InProcessServer> } {
  const config = loadConfig({ env: { HOST: '127.0.0.1', PORT: '0', ADMIN_PORT: '0', LOG_LEVEL: 'info', ...env }, envFile: false });
  const logs: Record<string, unknown>[] = [];
  const logger = pino({ level: config.logLevel }, { write: (line: string) => logs.push(JSON.parse(line) as Record<string, unknown>) });
  // Tracing from the same variables as the configuration, never from the test process's own environment.
  const listening = serve(config, logger, { tracing: tracingSettings(env), ...options }).then((server) => ({
    server,
    handle: {
      url: `http://127.0.0.1:${server.frontEnd.port}`,
      adminUrl: `http://127.0.0.1:${server.frontEnd.adminPort}`,
      logs,
      stop: () => server.shutdown('test'),
    },
  }));
  return {
    listening: listening.then(({ handle }) => handle),
    ready: listening.then(async ({ server, handle }) => {
      await server.ready;
      return handle;
    }),
  };
}

export function serveInProcess(env: Record<string, string>, options: ServeOptions = {}): Promise<InProcessServer> {
  return startServing(env, options).ready;
}
