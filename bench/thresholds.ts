// Budgets (bench/thresholds.json) and the checks `--check` applies to a report.
import { readFileSync } from 'node:fs';
import type { CheckResult } from './report.js';

export interface Thresholds {
  readonly serverToRawMin: number;
  readonly p50OverRawSingleMaxMs: number;
  readonly p99LowLoadOverRawSingleMax: number;
  readonly batchingGainMin: number;
}

export const DEFAULT_THRESHOLDS: Thresholds = { serverToRawMin: 0.9, p50OverRawSingleMaxMs: 2, p99LowLoadOverRawSingleMax: 1.5, batchingGainMin: 1.5 };

export function loadThresholds(file: string): Thresholds {
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  const out: Record<string, number> = { ...DEFAULT_THRESHOLDS };
  for (const key of Object.keys(DEFAULT_THRESHOLDS)) {
    const value = parsed[key];
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isFinite(value)) throw new Error(`${file}: "${key}" must be a number`);
    out[key] = value;
  }
  return out as unknown as Thresholds;
}

export interface CheckInputs {
  readonly serverToRawRatio: number | null;
  readonly rawSingleRowMs: number | null;
  readonly rawSingleRowP99Ms: number | null;
  readonly p50AtConcurrency1Ms: number | null;
  readonly p99AtConcurrency1Ms: number | null;
  readonly batchingGain: number | null;
}

const skipped = (name: string, description: string, budget: number, note: string): CheckResult => ({ name, description, value: null, budget, status: 'skipped', note });

export function evaluate(inputs: CheckInputs, t: Thresholds): CheckResult[] {
  const checks: CheckResult[] = [];
  const ratio = inputs.serverToRawRatio;
  checks.push(
    ratio === null
      ? skipped('serverToRaw', 'server peak / raw ceiling ≥ budget', t.serverToRawMin, 'needs --raw and a sweep of the raw scenario')
      : { name: 'serverToRaw', description: 'server peak / raw ceiling ≥ budget', value: ratio, budget: t.serverToRawMin, status: ratio >= t.serverToRawMin ? 'pass' : 'fail' },
  );
  const single = inputs.rawSingleRowMs;
  const p50 = inputs.p50AtConcurrency1Ms;
  const p99 = inputs.p99AtConcurrency1Ms;
  if (single === null || p50 === null) checks.push(skipped('p50AtC1', 'p50 at c=1 − raw single row ≤ budget (ms)', t.p50OverRawSingleMaxMs, 'needs --raw and concurrency 1'));
  else {
    const over = p50 - single;
    checks.push({ name: 'p50AtC1', description: 'p50 at c=1 − raw single row ≤ budget (ms)', value: over, budget: t.p50OverRawSingleMaxMs, status: over <= t.p50OverRawSingleMaxMs ? 'pass' : 'fail' });
  }
  const singleP99 = inputs.rawSingleRowP99Ms;
  const what = 'p99 at c=1 / raw single-row p99 ≤ budget';
  if (singleP99 === null || p99 === null || !(singleP99 > 0)) checks.push(skipped('p99LowLoad', what, t.p99LowLoadOverRawSingleMax, 'needs --raw and concurrency 1'));
  else {
    const r = p99 / singleP99;
    checks.push({ name: 'p99LowLoad', description: what, value: r, budget: t.p99LowLoadOverRawSingleMax, status: r <= t.p99LowLoadOverRawSingleMax ? 'pass' : 'fail' });
  }
  const gain = inputs.batchingGain;
  checks.push(
    gain === null
      ? skipped('batchingGain', 'batched / MAX_BATCH_ROWS=1 throughput ≥ budget', t.batchingGainMin, 'needs --batching-gain with a server the bench starts')
      : { name: 'batchingGain', description: 'batched / MAX_BATCH_ROWS=1 throughput ≥ budget', value: gain, budget: t.batchingGainMin, status: gain >= t.batchingGainMin ? 'pass' : 'fail' },
  );
  return checks;
}
