// The GLiNER.js reference server (bench/peers) and `bench --peer`: the peer finds the same entities
// as our server on the embedded model before it is timed, the bench drives both in interleaved
// rounds and reports the ratios, and a peer that disagrees is refused. The peer has its own
// dependencies (`npm --prefix bench/peers ci`, which .ci/run does); without them this suite skips
// locally and fails under CI=true (test/support/tools.ts).
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BenchReport } from '../../bench/report.js';
import { freePort } from '../../bench/server.js';
import { EMBEDDED_MODEL, ROOT } from '../support/paths.js';
import { skipNote, skipWithout, type ToolNeed } from '../support/tools.js';

const INSTALLED = existsSync(path.join(ROOT, 'bench/peers/node_modules/gliner/package.json'));
const NEEDS_PEER: ToolNeed[] = [{ tool: 'bench/peers/node_modules', present: INSTALLED, install: 'npm --prefix bench/peers ci' }];
const dir = mkdtempSync(path.join(tmpdir(), 'gliner-peer-'));

function runBench(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli.ts'), 'bench', ...args], { cwd: ROOT, env: { ...process.env, NODE_ENV: 'test' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
}

describe.skipIf(skipWithout('GLiNER.js peer', NEEDS_PEER))(`GLiNER.js peer (bench/peers)${skipNote(NEEDS_PEER)}`, () => {
  let peer: ChildProcess | undefined;
  let peerUrl = '';

  beforeAll(async () => {
    const port = await freePort();
    peer = spawn(process.execPath, [path.join(ROOT, 'bench/peers/gliner-js-server.mjs'), '--model', EMBEDDED_MODEL, '--port', String(port)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    peer.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = once(peer, 'exit');
    const lines = createInterface({ input: peer.stdout as NodeJS.ReadableStream });
    const listening = new Promise<void>((resolve) => lines.on('line', (line) => line.includes('listening') && resolve()));
    await Promise.race([listening, exited.then(() => Promise.reject(new Error(`the peer exited:\n${stderr}`)))]);
    peerUrl = `http://127.0.0.1:${port}`;
  }, 60_000);

  afterAll(async () => {
    if (peer !== undefined && peer.exitCode === null) {
      peer.kill('SIGTERM');
      await once(peer, 'exit');
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers with the shape of our /api/v1/predict', async () => {
    const response = await fetch(`${peerUrl}/api/v1/predict`, { method: 'POST', body: JSON.stringify({ text: 'I work at Microsoft based in Seattle, Washington.', labels: ['person', 'organization', 'location'] }) });
    const body = (await response.json()) as { entities: { text: string; start: number; end: number; entity_type: string; score: number }[]; model: string };
    expect(response.status).toBe(200);
    expect(body.entities.map((e) => [e.text, e.start, e.end, e.entity_type])).toEqual([
      ['Microsoft', 10, 19, 'organization'],
      ['Seattle', 29, 36, 'location'],
      ['Washington', 38, 48, 'location'],
    ]);
    expect(body.model).toBe('native-models/gliner-tiny');
  });

  it('finds the same entities as our server, then is timed in interleaved rounds with ratios reported', async () => {
    const json = path.join(dir, 'peer.json');
    const result = await runBench([
      '--model', EMBEDDED_MODEL, '--scenarios', 'short', '--concurrency', '1,2', '--duration', '0.8', '--warmup', '0.3', '--rates', 'none',
      '--peer', `glinerjs=${peerUrl}`, '--peer-rounds', '2', '--peer-check', '40', '--json', json, '--no-progress', '--quiet',
    ]);
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(readFileSync(json, 'utf8')) as BenchReport;
    const [record] = report.peers;
    expect(record?.parity?.passed).toBe(true);
    expect(record?.parity?.asciiTexts).toBeGreaterThan(25);
    expect(record?.parity?.asciiSame).toBe(record?.parity?.asciiTexts);
    expect(record?.parity?.checked).toBe(40);
    expect(record?.comparisons.map((c) => c.concurrency)).toEqual([1, 2]);
    for (const c of record?.comparisons ?? []) {
      expect(c.peerRps).toBeGreaterThan(0);
      expect(c.rpsRatio).toBeCloseTo(c.oursRps / c.peerRps, 6);
    }
    expect(report.points.filter((p) => p.server === 'glinerjs').every((p) => p.errors5xx === 0 && p.ok > 0)).toBe(true);
    expect(result.stdout).toContain('### Peers');
  }, 180_000);

  it('refuses to time a peer that finds other entities', async () => {
    // A "peer" that never finds anything: the parity check must stop the run before timing it.
    const fake = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => res.end(JSON.stringify(req.url === '/api/v1/predict' ? { entities: [] } : { queued: 0 })));
    });
    fake.listen(0, '127.0.0.1');
    await once(fake, 'listening');
    const address = fake.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    try {
      const result = await runBench(['--model', EMBEDDED_MODEL, '--scenarios', 'short', '--concurrency', '1', '--duration', '0.5', '--warmup', '0', '--rates', 'none', '--peer', `empty=http://127.0.0.1:${port}`, '--peer-check', '20', '--no-progress', '--quiet']);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/bench: peer "empty" does not find the same entities as the server on \d+ of \d+ ASCII-only texts/);
      expect(result.stdout).toBe('');
    } finally {
      fake.close();
    }
  }, 120_000);
});
