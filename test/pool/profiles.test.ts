// `node --cpu-prof` profiles every thread of the server, the pool's workers included: a worker given
// its own execArgv (pool/entry.ts) inherits no flag of the process unless handed it, and the bench's
// --server-node-args "--cpu-prof" promises one profile per thread (bench/README.md).
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { profilerFlags } from '../../src/pool/entry.js';
import { CLI, ROOT } from '../support/server.js';
import { TEST_MODEL } from '../support/model.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'gliner-prof-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('profiles of the pool threads', () => {
  it('hands the process\'s profiler flags, and only those, to the worker threads', () => {
    expect(profilerFlags(['--cpu-prof', '--cpu-prof-dir=/tmp/p', '--heap-prof', '--max-old-space-size=512', '--inspect', '--cpu-profile'])).toEqual(['--cpu-prof', '--cpu-prof-dir=/tmp/p', '--heap-prof']);
    expect(profilerFlags([])).toEqual([]);
  });

  it('a server run with --cpu-prof writes a profile for its HTTP thread and for each pool thread', async () => {
    const child = spawn(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${dir}`, CLI, 'serve'], {
      cwd: ROOT,
      env: { ...process.env, MODEL: TEST_MODEL, PORT: '0', ADMIN_PORT: '0', HOST: '127.0.0.1', ADMIN_HOST: '127.0.0.1', WORKERS: '2', INTRA_OP_THREADS: '1', SOLO_SESSION: 'off', SHARE_WEIGHTS: 'off' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      createInterface({ input: child.stdout }).on('line', (line) => {
        if (line.includes('"msg":"ready"')) resolve();
      });
      void exited.then((code) => reject(new Error(`server exited with ${code} before it was ready`)));
    });
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    // The HTTP thread and the two workers (no solo session, no thread writing mapped weights).
    expect(readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'))).toHaveLength(3);
  }, 60_000);
});
