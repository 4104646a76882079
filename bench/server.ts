// The server the benchmark starts for itself: `gliner-serve serve` as a child process on loopback,
// on two free ports, with rate limiting off and one bench API key. Request logging is at LOG_LEVEL
// warn by default (one JSON line per request at info costs CPU that a benchmark should not measure;
// --server-log-level info measures it).
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';

export interface ServerSettings {
  /** Environment variables for the server (MODEL, WORKERS, MAX_BATCH_ROWS, …). */
  readonly env: Readonly<Record<string, string>>;
  /** Extra node flags for the server process (e.g. --cpu-prof). */
  readonly nodeArgs: readonly string[];
  readonly readyTimeoutMs: number;
}

export interface BenchServer {
  readonly url: string;
  readonly adminUrl: string;
  readonly apiKey: string;
  readonly pid: number | undefined;
  /** SIGTERM, wait for exit (SIGKILL after 30 s). */
  stop(): Promise<void>;
}

export const BENCH_API_KEY = 'bench-key-0123456789abcdef';

export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** The node flags this process runs with, minus profiling flags (those go to --server-node-args). */
function inheritedExecArgv(): string[] {
  return process.execArgv.filter((arg) => !arg.startsWith('--cpu-prof') && !arg.startsWith('--heap-prof') && !arg.startsWith('--inspect'));
}

// Servers this process started and has not stopped: a bench stopped by SIGINT/SIGTERM takes them
// down too instead of leaving them running on their own.
const live = new Set<ChildProcess>();
let signalsHooked = false;
function hookSignals(): void {
  if (signalsHooked) return;
  signalsHooked = true;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      for (const child of live) child.kill('SIGTERM');
      process.exit(signal === 'SIGINT' ? 130 : 143);
    });
  }
}

/** Start the server and wait until /health/ready answers 200 (the model is loaded and warmed). */
export async function startServer(cliPath: string, settings: ServerSettings): Promise<BenchServer> {
  const [port, adminPort] = [await freePort(), await freePort()];
  const env: Record<string, string | undefined> = {
    ...process.env,
    HOST: '127.0.0.1',
    ADMIN_HOST: '127.0.0.1',
    PORT: String(port),
    ADMIN_PORT: String(adminPort),
    API_KEYS: BENCH_API_KEY,
    API_KEYS_FILE: undefined,
    RATE_LIMIT_PER_SECOND: '0',
    LOG_LEVEL: 'warn',
    PLAYGROUND: 'false',
    PRODUCTION: 'false',
    NODE_ENV: 'development',
    ...settings.env,
  };
  const child: ChildProcess = spawn(process.execPath, [...inheritedExecArgv(), ...settings.nodeArgs, cliPath, 'serve'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-8000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  live.add(child);
  hookSignals();
  const exited = once(child, 'exit').then(() => {
    live.delete(child);
  });
  const url = `http://127.0.0.1:${port}`;
  const adminUrl = `http://127.0.0.1:${adminPort}`;
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(timer);
  };

  const deadline = Date.now() + settings.readyTimeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`the server exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${output}`);
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`the server was not ready within ${settings.readyTimeoutMs} ms:\n${output}`);
    }
    try {
      const response = await fetch(`${adminUrl}/health/ready`, { signal: AbortSignal.timeout(2000) });
      await response.arrayBuffer();
      if (response.status === 200) break;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return { url, adminUrl, apiKey: BENCH_API_KEY, pid: child.pid, stop };
}
