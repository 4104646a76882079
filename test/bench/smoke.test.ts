// A short smoke run of the bench CLI against the embedded model: a tiny sweep, the
// raw ceiling, the batching-gain restart and a budget check with budgets nobody can miss. It checks
// the shape of the output and that the server answered no 5xx — never how fast anything was.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { BenchReport } from '../../bench/report.js';
import { freePort } from '../../bench/server.js';
import { TEST_MODEL } from '../support/model.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const MODEL = TEST_MODEL;
const dir = mkdtempSync(path.join(tmpdir(), 'gliner-bench-'));

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function runCli(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  // From the sources (through tsx), so the smoke test never runs a stale dist/.
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli.ts'), 'bench', ...args], {
    cwd: ROOT,
    env: { ...process.env, NODE_ENV: 'test' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
}

describe('bench CLI smoke', () => {
  it('runs a tiny sweep, the raw ceiling and the batching gain, and writes JSON, SVG and markdown', async () => {
    const json = path.join(dir, 'bench.json');
    const svg = path.join(dir, 'bench.svg');
    const thresholds = path.join(dir, 'thresholds.json');
    // Budgets nobody can miss: --check runs end to end without asserting anything about speed.
    writeFileSync(thresholds, JSON.stringify({ serverToRawMin: 0, p50OverRawSingleMaxMs: 1e9, p99LowLoadOverRawSingleMax: 1e9, batchingGainMin: 0 }));
    const result = await runCli([
      '--model', MODEL, '--scenarios', 'short,batch,stream', '--concurrency', '1,2', '--duration', '0.7', '--warmup', '0.3',
      '--rates', '4', '--raw', '--raw-batch-sizes', '1,2', '--raw-seconds', '0.3', '--batching-gain', '--gain-concurrency', '2',
      '--json', json, '--svg', svg, '--check', thresholds, '--no-progress', '--quiet',
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('### Points');

    const report = JSON.parse(readFileSync(json, 'utf8')) as BenchReport;
    for (const field of ['rawCeilingRps', 'rawSingleRowMs', 'rawSingleRowP99Ms', 'rawSingleRowAfterMs', 'rawSingleRowInterleavedMs', 'serverPeakRps', 'serverToRawRatio', 'batchingGain', 'p50AtConcurrency1Ms'] as const) {
      expect(typeof report[field], field).toBe('number');
    }
    expect(report.threads.workers).toBeGreaterThanOrEqual(1);
    expect(report.raw?.points.map((p) => p.batchSize)).toEqual([1, 2]);
    // 3 scenarios × 2 concurrencies, 1 open-loop rate, 1 unbatched point.
    expect(report.points).toHaveLength(8);
    expect(report.points.filter((p) => p.mode === 'open')).toHaveLength(1);
    expect(report.points.filter((p) => p.server === 'unbatched')).toHaveLength(1);
    for (const point of report.points) {
      expect(point.errors5xx, `${point.server} ${point.scenario}`).toBe(0);
      expect(point.responses, `${point.server} ${point.scenario}`).toBeGreaterThan(0);
      expect(point.serverMetrics, 'diffed /metrics').toBeDefined();
      // The server's memory around each point (RSS from /proc, peak sampled while it ran).
      expect(point.memory?.before?.rss, `${point.server} ${point.scenario} memory`).toBeGreaterThan(0);
      expect(point.memory?.peakRss ?? 0).toBeGreaterThanOrEqual(point.memory?.before?.rss ?? Infinity);
    }
    for (const variant of report.variants) expect(variant.memory?.warm?.rss, `${variant.name} warm RSS`).toBeGreaterThan(0);
    expect(result.stdout).toContain('### Server memory');
    expect(report.checks.map((c) => c.status)).toEqual(['pass', 'pass', 'pass', 'pass']);
    expect(readFileSync(svg, 'utf8')).toMatch(/^<svg[\s\S]*<\/svg>\n$/);
  }, 120_000);

  it('fails with one clear line and a non-zero exit when --url has nothing listening', async () => {
    const port = await freePort(); // free now, so nothing listens there
    const result = await runCli(['--url', `http://127.0.0.1:${port}`, '--scenarios', 'short', '--concurrency', '1', '--duration', '0.5', '--rates', 'none', '--no-progress']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`bench: cannot reach the server (--url) at http://127.0.0.1:${port} (ECONNREFUSED)`);
    expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(result.stdout).not.toContain('NaN');
    expect(result.stdout).toBe('');
  });

  it('refuses bad options with exit code 2', async () => {
    const result = await runCli(['--scenarios', 'nope']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('unknown scenario');
  });
});
