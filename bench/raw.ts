// The ceiling: the scenario's own inputs, planned into rows exactly as the server plans them
// (planText with the server's limits), run straight through onnxruntime-node by the server's own
// OnnxRunner — no HTTP, no JSON, no batcher. Thread settings are the server's: WORKERS sessions
// (worker threads) of INTRA_OP_THREADS each, resolved by the server's own resolveSettings(), so the
// ceiling is what this machine can do with this model under the same thread budget. The single-row
// latency runs on the settings of the server's solo session when it has one (SOLO_SESSION), since
// that is where a lone request runs.
import { existsSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { dedupeLabels, labelGroupsFor, planText, textRows, type PlanLimits } from '../src/inference/plan.js';
import { splitWords } from '../src/inference/words.js';
import type { ModelRow } from '../src/worker/messages.js';
import type { RunnerSettings } from '../src/worker/onnx-runner.js';
import { rng, shuffle } from './corpus.js';
import { cpuWindow } from './machine.js';
import type { RawReply, RawRequest } from './raw-worker.js';
import type { Scenario } from './scenarios.js';
import { summarize, type LatencySummary } from './stats.js';

export interface RawOptions {
  readonly runner: RunnerSettings;
  /** Session settings for the single-row latency (the server's solo session, when it has one); default `runner`. */
  readonly singleRunner?: RunnerSettings;
  /** Worker threads (sessions), each with runner.intraOpThreads threads. */
  readonly workers: number;
  readonly limits: PlanLimits;
  readonly batchSizes: readonly number[];
  /** Timed seconds per batch size. */
  readonly seconds: number;
  /** Requests of the scenario to draw rows from (the list wraps around if a point runs longer). */
  readonly requests: number;
  /** 'sorted': rows sorted by length inside blocks of `lookahead` rows (what a batcher with a full queue could do); 'arrival': as they come. */
  readonly order: 'sorted' | 'arrival';
  readonly lookahead: number;
  /** Rows timed one at a time for the single-row latency. */
  readonly singleRows: number;
  readonly onProgress?: (done: number, total: number) => void;
}

export interface RawPoint {
  readonly batchSize: number;
  readonly rowsPerSecond: number;
  readonly requestsPerSecond: number;
  /** Milliseconds per batch, measured inside the worker (runner.run). */
  readonly batchMs: LatencySummary;
  /** onnxruntime run() alone, mean ms per batch. */
  readonly meanInferenceMs: number;
  readonly batches: number;
  /** CPU cores other processes used meanwhile (NaN off Linux). */
  readonly foreignCpuCores: number;
}

export interface RawResult {
  readonly scenario: string;
  readonly workers: number;
  readonly intraOpThreads: number;
  readonly rowsPerRequest: number;
  readonly order: 'sorted' | 'arrival';
  /** One row at a time on one idle session: per-row milliseconds (runner.run, preprocessing and decoding included). */
  readonly singleRow: LatencySummary;
  /** ORT run() alone for those single rows, median ms. */
  readonly singleRowInferenceMs: number;
  readonly points: readonly RawPoint[];
  readonly best: RawPoint;
}

/**
 * The model rows the server runs for one text (windows × label groups), with their token estimates:
 * the engine's own row builder (textRows), each row's words split from its slice as the worker does.
 */
export function modelRows(text: string, labels: readonly string[], limits: PlanLimits, threshold = 0.5): (ModelRow & { tokens: number })[] {
  return textRows(text, planText(text, limits), labelGroupsFor(labels, limits)).flat().map((row) => ({
    words: splitWords(row.text).map((word) => word.text), labels: row.labels, threshold, tokens: row.tokens,
  }));
}

/** The rows the server would run for `requests` requests of the scenario, and rows per request. */
export function scenarioRows(scenario: Scenario, requests: number, limits: PlanLimits, threshold = 0.5): { rows: (ModelRow & { tokens: number })[]; rowsPerRequest: number } {
  const rows: (ModelRow & { tokens: number })[] = [];
  for (let k = 0; k < requests; k++) {
    const input = scenario.request(k);
    const labels = dedupeLabels(input.labels);
    for (const text of input.texts) {
      rows.push(...modelRows(text, labels, limits, threshold));
    }
  }
  return { rows, rowsPerRequest: rows.length / Math.max(1, requests) };
}

function batchesOf(rows: readonly (ModelRow & { tokens: number })[], size: number, order: 'sorted' | 'arrival', lookahead: number): ModelRow[][] {
  const ordered: (ModelRow & { tokens: number })[] = [];
  if (order === 'sorted' && size > 1) {
    for (let i = 0; i < rows.length; i += lookahead) ordered.push(...rows.slice(i, i + lookahead).sort((a, b) => a.tokens - b.tokens));
  } else ordered.push(...rows);
  const batches: ModelRow[][] = [];
  for (let i = 0; i + size <= ordered.length; i += size) batches.push(ordered.slice(i, i + size).map(({ words, labels, threshold }) => ({ words, labels, threshold })));
  // Sorting makes each batch uniform in length but puts the short ones first; a timed run covers
  // only a prefix of the list, so shuffle the batches or the ceiling would be measured on short rows.
  return order === 'sorted' && size > 1 ? shuffle(batches, rng(size)) : batches;
}

function startWorker(settings: RunnerSettings): Worker {
  const js = new URL('./raw-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(js))) return new Worker(js, { workerData: settings });
  // Running from TypeScript sources (vitest, tsx): on Node 20 `--import tsx` does not reach a
  // worker's modules, so the worker registers tsx's loader itself and then imports the source.
  const ts = new URL('./raw-worker.ts', import.meta.url).href;
  const api = import.meta.resolve('tsx/esm/api');
  return new Worker(`import(${JSON.stringify(api)}).then(({ register }) => { register(); return import(${JSON.stringify(ts)}); });`, { eval: true, workerData: settings });
}

export class RawWorker {
  private readonly worker: Worker;
  private pending: ((reply: RawReply) => void) | undefined;
  readonly ready: Promise<number>;
  private nextId = 1;

  constructor(settings: RunnerSettings) {
    this.worker = startWorker(settings);
    this.ready = new Promise<number>((resolve, reject) => {
      this.pending = (reply) => (reply.kind === 'ready' ? resolve(reply.warmupMs) : reject(new Error(reply.kind === 'error' ? reply.message : 'unexpected reply')));
      this.worker.once('error', reject);
    });
    this.worker.on('message', (reply: RawReply) => {
      const pending = this.pending;
      this.pending = undefined;
      pending?.(reply);
    });
  }

  run(rows: readonly ModelRow[]): Promise<{ ms: number; inferenceMs: number; cpuMs: number }> {
    return new Promise((resolve, reject) => {
      this.pending = (reply) => (reply.kind === 'done' ? resolve(reply) : reject(new Error(reply.kind === 'error' ? reply.message : 'unexpected reply')));
      this.worker.postMessage({ kind: 'run', id: this.nextId++, rows } satisfies RawRequest);
    });
  }

  async close(): Promise<void> {
    this.worker.postMessage({ kind: 'close' } satisfies RawRequest);
    const timer = setTimeout(() => void this.worker.terminate(), 5000);
    await new Promise((resolve) => this.worker.once('exit', resolve));
    clearTimeout(timer);
  }
}

/** Single-row latency: rows one at a time on one session, nothing else running. */
async function measureSingle(worker: RawWorker, rows: readonly ModelRow[], options: Pick<RawOptions, 'seconds' | 'singleRows'>): Promise<{ singleMs: number[]; singleInference: number[] }> {
  const singleMs: number[] = [];
  const singleInference: number[] = [];
  const deadline = performance.now() + options.seconds * 1000;
  for (let i = 0; i < Math.min(options.singleRows, rows.length) && (i < 20 || performance.now() < deadline); i++) {
    const { words, labels, threshold } = rows[i] as ModelRow;
    const out = await worker.run([{ words, labels, threshold }]);
    if (i >= 3) {
      singleMs.push(out.ms);
      singleInference.push(out.inferenceMs);
    }
  }
  return { singleMs, singleInference };
}

/**
 * The single-row latency again (a fresh session, same rows): run after the server sweep, it shows
 * whether the machine's speed drifted during the run (shared hosts do).
 */
export async function rawSingleRow(scenario: Scenario, options: Pick<RawOptions, 'runner' | 'limits' | 'seconds' | 'singleRows' | 'requests'>): Promise<LatencySummary> {
  const { rows } = scenarioRows(scenario, options.requests, options.limits);
  const worker = new RawWorker(options.runner);
  try {
    await worker.ready;
    return summarize((await measureSingle(worker, rows, options)).singleMs);
  } finally {
    await worker.close();
  }
}

/** A raw session kept open to time single rows in slices, interleaved with server measurements. */
export interface RawSingleSession {
  /** Time rows one at a time for about `seconds` (at least 3 rows); per-row milliseconds. */
  measure(seconds: number): Promise<number[]>;
  close(): Promise<void>;
}

export async function openRawSingle(scenario: Scenario, options: Pick<RawOptions, 'runner' | 'limits' | 'requests'>): Promise<RawSingleSession> {
  const { rows } = scenarioRows(scenario, options.requests, options.limits);
  const worker = new RawWorker(options.runner);
  await worker.ready;
  let cursor = 0;
  // A few rows first, untimed: the session's first runs are slower.
  for (let i = 0; i < 3; i++) {
    const { words, labels, threshold } = rows[cursor++ % rows.length] as ModelRow;
    await worker.run([{ words, labels, threshold }]);
  }
  return {
    async measure(seconds) {
      const ms: number[] = [];
      const deadline = performance.now() + seconds * 1000;
      while (ms.length < 3 || performance.now() < deadline) {
        const { words, labels, threshold } = rows[cursor++ % rows.length] as ModelRow;
        ms.push((await worker.run([{ words, labels, threshold }])).ms);
      }
      return ms;
    },
    close: () => worker.close(),
  };
}

export async function runRaw(scenario: Scenario, options: RawOptions): Promise<RawResult> {
  const { rows, rowsPerRequest } = scenarioRows(scenario, options.requests, options.limits);
  if (rows.length === 0) throw new Error(`scenario ${scenario.name} plans no rows`);
  const workers = Array.from({ length: options.workers }, () => new RawWorker(options.runner));
  const totalSteps = options.batchSizes.length + 1;
  try {
    await Promise.all(workers.map((w) => w.ready));
    const single = options.singleRunner === undefined ? (workers[0] as RawWorker) : new RawWorker(options.singleRunner);
    let measured: Awaited<ReturnType<typeof measureSingle>>;
    try {
      measured = await single.ready.then(() => measureSingle(single, rows, options));
    } finally {
      if (options.singleRunner !== undefined) await single.close();
    }
    const { singleMs, singleInference } = measured;
    options.onProgress?.(1, totalSteps);

    const points: RawPoint[] = [];
    for (const [index, size] of options.batchSizes.entries()) {
      const batches = batchesOf(rows, size, options.order, options.lookahead);
      if (batches.length === 0) continue;
      // Warm each worker on this batch size (new shapes) before timing.
      await Promise.all(workers.map((w, i) => w.run(batches[i % batches.length] as ModelRow[])));
      let cursor = 0;
      let rowsDone = 0;
      const cpu = cpuWindow();
      const perBatch: number[] = [];
      const inference: number[] = [];
      const started = performance.now();
      const stopAt = started + options.seconds * 1000;
      await Promise.all(
        workers.map(async (worker) => {
          // At least one batch per worker, then until the time is up.
          let mine = 0;
          while (mine === 0 || performance.now() < stopAt) {
            const batch = batches[cursor++ % batches.length] as ModelRow[];
            const out = await worker.run(batch);
            perBatch.push(out.ms);
            inference.push(out.inferenceMs);
            rowsDone += batch.length;
            mine++;
          }
        }),
      );
      const elapsed = (performance.now() - started) / 1000;
      const rowsPerSecond = rowsDone / elapsed;
      points.push({
        batchSize: size,
        rowsPerSecond,
        requestsPerSecond: rowsPerSecond / rowsPerRequest,
        batchMs: summarize(perBatch),
        meanInferenceMs: inference.reduce((a, b) => a + b, 0) / Math.max(1, inference.length),
        batches: perBatch.length,
        foreignCpuCores: cpu.finish(0).foreignCpuCores,
      });
      options.onProgress?.(index + 2, totalSteps);
    }
    const best = points.reduce<RawPoint | undefined>((a, b) => (a === undefined || b.rowsPerSecond > a.rowsPerSecond ? b : a), undefined);
    if (best === undefined) throw new Error('no raw point was measured (batch sizes larger than the rows?)');
    return {
      scenario: scenario.name,
      workers: options.workers,
      intraOpThreads: options.runner.intraOpThreads,
      rowsPerRequest,
      order: options.order,
      singleRow: summarize(singleMs),
      singleRowInferenceMs: summarize(singleInference).p50,
      points,
      best,
    };
  } finally {
    await Promise.all(workers.map((w) => w.close()));
  }
}
