// The real server (`serve`, the same composition as `gliner-serve serve`) inside the test process,
// for tests that need a seam a child process cannot offer (faults injected into the workers). Logs
// are collected in memory; `stop` drains and closes everything the server opened.
import pino from 'pino';
import { loadConfig } from '../../src/config/load.js';
import { serve, type ServeOptions } from '../../src/serve.js';

export interface InProcessServer {
  readonly url: string;
  readonly adminUrl: string;
  readonly logs: Record<string, unknown>[];
  stop(): Promise<void>;
}

export async function serveInProcess(env: Record<string, string>, options: ServeOptions = {}): Promise<InProcessServer> {
  const config = loadConfig({ env: { HOST: '127.0.0.1', PORT: '0', ADMIN_PORT: '0', LOG_LEVEL: 'info', ...env }, envFile: false });
  const logs: Record<string, unknown>[] = [];
  const logger = pino({ level: config.logLevel }, { write: (line: string) => logs.push(JSON.parse(line) as Record<string, unknown>) });
  const server = await serve(config, logger, options);
  await server.ready;
  return {
    url: `http://127.0.0.1:${server.frontEnd.port}`,
    adminUrl: `http://127.0.0.1:${server.frontEnd.adminPort}`,
    logs,
    stop: () => server.shutdown('test'),
  };
}
