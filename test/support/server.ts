// Starts the real server (`node dist/src/cli.js serve`) as a child process on free ports and
// waits for its "ready" (or "listening") log line. Integration suites use this; `npm test` builds dist first.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const CLI = path.join(ROOT, 'dist/src/cli.js');

export interface RunningServer {
  readonly url: string;
  readonly adminUrl: string;
  readonly port: number;
  readonly adminPort: number;
  readonly child: ChildProcess;
  /** Every JSON log line the server printed so far. */
  readonly logs: Record<string, unknown>[];
  /** Resolves with the exit code once the process has exited. */
  readonly exited: Promise<number | null>;
  /** SIGTERM, then wait for exit. */
  stop(): Promise<number | null>;
}

export interface StartOptions {
  readonly env?: Record<string, string>;
  readonly args?: readonly string[];
  readonly timeoutMs?: number;
  /** Resolve at the "listening" log line, or (default) at "ready" (model loaded and warmed). */
  readonly waitFor?: 'listening' | 'ready';
}

/**
 * GLINER_TEST_NODE_WRAPPER: a command the server's node runs under, e.g. `qemu-x86_64` when the
 * parity suites run on an emulated CPU (test/parity/tolerance/other-isa.sh), so the server takes
 * the same kernel path as the tests.
 */
const WRAPPER = (process.env.GLINER_TEST_NODE_WRAPPER ?? '').split(' ').filter((part) => part !== '');

export async function startServer(options: StartOptions = {}): Promise<RunningServer> {
  const [command, ...prefix] = [...WRAPPER, process.execPath];
  const child = spawn(command ?? process.execPath, [...prefix, CLI, 'serve', ...(options.args ?? [])], {
    cwd: ROOT,
    env: { ...process.env, PORT: '0', ADMIN_PORT: '0', HOST: '127.0.0.1', ADMIN_HOST: '127.0.0.1', LOG_LEVEL: 'info', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Record<string, unknown>[] = [];
  const exited = once(child, 'exit').then(([code]: unknown[]) => (typeof code === 'number' ? code : null));
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const lines = createInterface({ input: child.stdout });
  const listening = new Promise<Record<string, unknown>>((resolve, reject) => {
    lines.on('line', (line) => {
      try {
        const entry = JSON.parse(line) as Record<string, unknown>;
        logs.push(entry);
        if (entry.msg === (options.waitFor ?? 'ready')) resolve(entry);
      } catch {
        logs.push({ raw: line });
      }
    });
    void exited.then((code) => reject(new Error(`server exited with ${code} before ${options.waitFor ?? 'ready'}:\n${stderr}\n${JSON.stringify(logs.slice(-5))}`)));
    setTimeout(() => reject(new Error(`server did not listen within ${options.timeoutMs ?? 60000} ms:\n${stderr}`)), options.timeoutMs ?? 60000).unref();
  });
  const entry = await listening;
  const port = Number(entry.port);
  const adminPort = Number(entry.adminPort);
  const scheme = entry.tls === true ? 'https' : 'http';
  return {
    url: `${scheme}://127.0.0.1:${port}`,
    adminUrl: `http://127.0.0.1:${adminPort}`,
    port,
    adminPort,
    child,
    logs,
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}
