// The server started the way the README starts it, `npm start` (npm → sh → node), and API keys
// reloaded the way SECURITY.md says: `npm run reload-keys` sends SIGHUP to the server's own PID
// (from its PID file), and a signal sent to npm's PID — which npm does not pass on — no longer
// leaves the server running orphaned: it notices npm is gone, says so and shuts down.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { createKey } from '../../src/security/keygen.js';
import { eventually, post, SEED } from '../support/http.js';
import { TEST_MODEL } from '../support/model.js';
import { ROOT } from '../support/server.js';

const dir = mkdtempSync(path.join(tmpdir(), 'gliner-npm-start-'));
const keyFile = path.join(dir, 'keys.json');
const pidFile = path.join(dir, 'server.pid');
const env = { ...process.env, PID_FILE: pidFile, MODEL: TEST_MODEL, API_KEYS_FILE: keyFile, PORT: '0', ADMIN_PORT: '0', HOST: '127.0.0.1', RATE_LIMIT_PER_SECOND: '0', LOG_LEVEL: 'info' };
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const writeKeys = (entries: unknown[]): void => {
  writeFileSync(`${keyFile}.tmp`, JSON.stringify({ keys: entries }));
  renameSync(`${keyFile}.tmp`, keyFile);
};
/** Whether `pid` still runs: a zombie (exited, not yet reaped by whoever adopted it) does not. */
const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const stat = existsSync(`/proc/${pid}/stat`) ? readFileSync(`/proc/${pid}/stat`, 'utf8') : '';
  return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
};
const reloadKeys = () => spawnSync('npm', ['run', 'reload-keys'], { cwd: ROOT, env, encoding: 'utf8', timeout: 60_000 });

/** `npm start` with the test's environment; its JSON log lines, and a promise that the server's stdout closed. */
function npmStart() {
  const npm = spawn('npm', ['start'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const logs: Record<string, unknown>[] = [];
  // The server writes to npm's stdout (inherited), so this stream ends only when the server has exited.
  const closed = new Promise<void>((resolve) => npm.stdout.on('close', () => resolve()));
  createInterface({ input: npm.stdout }).on('line', (line) => {
    if (line.startsWith('{')) logs.push(JSON.parse(line) as Record<string, unknown>);
  });
  return { npm, logs, closed };
}

describe('npm start, npm run reload-keys and a signal to npm', () => {
  it('npm run reload-keys with no server running names the problem (SERVER_NOT_FOUND)', () => {
    const r = reloadKeys();
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('SERVER_NOT_FOUND');
    expect(r.stderr).toContain(pidFile);
  });

  it('reloads keys through npm run reload-keys; SIGHUP to npm shuts the server down instead of orphaning it', async () => {
    const a = createKey('team-a');
    const b = createKey('team-b');
    writeKeys([a.entry]);
    const { npm, logs, closed } = npmStart();
    let serverPid = 0;
    try {
      await eventually(() => logs.some((l) => l.msg === 'ready'), 90_000);
      const ready = logs.find((l) => l.msg === 'ready') ?? {};
      serverPid = Number(ready.pid);
      expect(serverPid).not.toBe(npm.pid);
      expect(readFileSync(pidFile, 'utf8').trim()).toBe(String(serverPid));
      const url = `http://127.0.0.1:${String(ready.port)}/api/v1/predict`;
      const status = async (key: string): Promise<number> => (await post(url, SEED, { 'x-api-key': key })).status;
      expect([await status(a.key), await status(b.key)]).toEqual([200, 401]);

      writeKeys([b.entry]);
      const r = reloadKeys();
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toContain(`sent SIGHUP to the server (PID ${serverPid})`);
      // Only the SIGHUP handler logs this line (the file watcher logs "API keys reloaded").
      await eventually(() => logs.some((l) => l.msg === 'SIGHUP: API keys reloaded'), 10_000);
      await eventually(async () => (await status(b.key)) === 200);

      // What SECURITY.md used to say, with the PID `npm start &` gives: npm dies of it.
      npm.kill('SIGHUP');
      await eventually(() => logs.some((l) => l.msg === 'stopped'), 20_000);
      const gone = logs.find((l) => typeof l.gone === 'string');
      expect(String(gone?.gone)).toMatch(/npm|shell/);
      expect(String(gone?.msg)).toContain('npm run reload-keys');
      await closed;
      expect(alive(serverPid)).toBe(false);
      expect(existsSync(pidFile)).toBe(false);
    } finally {
      if (npm.exitCode === null && npm.signalCode === null) npm.kill('SIGKILL');
      if (serverPid > 0 && alive(serverPid)) process.kill(serverPid, 'SIGKILL');
    }
  }, 150_000);

  it('SIGTERM to npm (passed only to its shell) still drains and stops the server', async () => {
    writeKeys([createKey('team-a').entry]);
    const { npm, logs, closed } = npmStart();
    let serverPid = 0;
    try {
      await eventually(() => logs.some((l) => l.msg === 'ready'), 90_000);
      serverPid = Number(logs.find((l) => l.msg === 'ready')?.pid);
      npm.kill('SIGTERM');
      await eventually(() => logs.some((l) => l.msg === 'stopped'), 20_000);
      expect(String(logs.find((l) => typeof l.gone === 'string')?.gone)).toContain('shell');
      await closed;
      expect(alive(serverPid)).toBe(false);
    } finally {
      if (npm.exitCode === null && npm.signalCode === null) npm.kill('SIGKILL');
      if (serverPid > 0 && alive(serverPid)) process.kill(serverPid, 'SIGKILL');
    }
  }, 150_000);
});
