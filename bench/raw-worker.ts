// One raw-ceiling worker thread: the same OnnxRunner the server's pool workers use (session,
// tokenizer, tensors, decoding), driven directly with batches of rows — no HTTP, no batcher.
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import type { ModelRow } from '../src/worker/messages.js';
import { OnnxRunner, type RunnerSettings } from '../src/worker/onnx-runner.js';

export type RawRequest = { readonly kind: 'run'; readonly id: number; readonly rows: readonly ModelRow[] } | { readonly kind: 'close' };

export type RawReply =
  | { readonly kind: 'ready'; readonly warmupMs: number }
  | { readonly kind: 'done'; readonly id: number; readonly ms: number; readonly inferenceMs: number; readonly rows: number; readonly cpuMs: number }
  | { readonly kind: 'error'; readonly message: string };

/**
 * CPU time this thread has run (ms; NaN off Linux), from the scheduler's own count. Unlike wall time
 * it hardly moves when other processes take the cores, so a 1-thread session's CPU time per row
 * compares settings on a busy host. (A multi-thread session's other threads are not counted.)
 */
function threadCpuMs(): number {
  try {
    return Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]) / 1e6;
  } catch {
    return Number.NaN;
  }
}

const port = parentPort;
if (port === null) throw new Error('raw-worker must run in a worker thread');

async function main(): Promise<void> {
  const settings = workerData as RunnerSettings;
  const runner = await OnnxRunner.load(settings);
  const t0 = performance.now();
  await runner.warmUp(settings.warmupRows);
  port?.postMessage({ kind: 'ready', warmupMs: performance.now() - t0 } satisfies RawReply);
  port?.on('message', (message: RawRequest) => {
    if (message.kind === 'close') {
      void runner.close().finally(() => port.close());
      return;
    }
    const started = performance.now();
    const cpu = threadCpuMs();
    runner.run(message.rows).then(
      (output) => port.postMessage({ kind: 'done', id: message.id, ms: performance.now() - started, inferenceMs: output.timings.inferenceSeconds * 1000, rows: message.rows.length, cpuMs: threadCpuMs() - cpu } satisfies RawReply),
      (error: unknown) => port.postMessage({ kind: 'error', message: error instanceof Error ? error.message : String(error) } satisfies RawReply),
    );
  });
}

main().catch((error: unknown) => {
  port.postMessage({ kind: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) } satisfies RawReply);
});
