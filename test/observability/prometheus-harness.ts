// A throw-away Prometheus (Debian's `prometheus` binary) for tests: scrapes given targets every
// second with the repository's recording rules loaded, on a free loopback port, storage in a temp
// directory, with optional feature flags (exemplar-storage). Used by live-prometheus.test.ts and
// exemplars.test.ts.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { findBinary, freePort, waitFor } from './helpers.js';

export const prometheusBinary = (): string | undefined => findBinary('prometheus');

export interface PromSample { metric: Record<string, string>; value: [number, string] }
export interface QueryResult { status: 'success' | 'error'; error?: string; errorType?: string; data?: { resultType: string; result: PromSample[] | [number, string] } }

export interface RunningPrometheus {
  readonly url: string;
  /** Instant query; never throws for a PromQL error (check `status`). */
  query(expr: string): Promise<QueryResult>;
  /** Samples of an instant vector query (throws if the query fails). */
  samples(expr: string): Promise<PromSample[]>;
  logs(): string;
  stop(): Promise<void>;
}

export async function startPrometheus(options: { targets: string[]; ruleFiles: string[]; job?: string; timeoutMs?: number; features?: string[] }): Promise<RunningPrometheus> {
  const binary = prometheusBinary();
  if (binary === undefined) throw new Error('prometheus binary not found (apt-get install prometheus)');
  const dir = mkdtempSync(path.join(tmpdir(), 'gliner-prometheus-'));
  const config = {
    global: { scrape_interval: '1s', scrape_timeout: '900ms', evaluation_interval: '1s' },
    rule_files: options.ruleFiles,
    scrape_configs: [{ job_name: options.job ?? 'gliner', metrics_path: '/metrics', static_configs: [{ targets: options.targets }] }],
  };
  writeFileSync(path.join(dir, 'prometheus.yml'), stringify(config));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let output = '';
  const child: ChildProcess = spawn(binary, [
    `--config.file=${path.join(dir, 'prometheus.yml')}`,
    `--storage.tsdb.path=${path.join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--log.level=warn',
    ...(options.features ?? []).map((feature) => `--enable-feature=${feature}`),
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (c: Buffer) => { output += c.toString(); });
  child.stderr?.on('data', (c: Buffer) => { output += c.toString(); });
  const exited = once(child, 'exit');

  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };

  const query = async (expr: string): Promise<QueryResult> => {
    const res = await fetch(`${url}/api/v1/query`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ query: expr }).toString(),
    });
    return (await res.json()) as QueryResult;
  };

  try {
    await waitFor('prometheus ready', async () => {
      if (child.exitCode !== null) throw new Error(`prometheus exited with ${child.exitCode}`);
      return (await fetch(`${url}/-/ready`)).ok ? true : undefined;
    }, options.timeoutMs ?? 20_000);
  } catch (error) {
    await stop();
    throw new Error(`${(error as Error).message}\n${output}`, { cause: error });
  }

  return {
    url,
    query,
    async samples(expr) {
      const r = await query(expr);
      if (r.status !== 'success') throw new Error(`${expr}: ${r.errorType ?? ''} ${r.error ?? ''}`);
      return Array.isArray(r.data?.result) && r.data.resultType === 'vector' ? (r.data.result as PromSample[]) : [];
    },
    logs: () => output,
    stop,
  };
}
