// Start-up's second step: with the model loaded and every setting final (settings.ts), start the
// worker pool, then build the batcher, the engine (the extract engine for a GLiNER2 model) and the
// result cache on it — each once, with its final values. `serve` puts the service and the front end on top; `eval` uses the engine directly.
import { Batcher, type AnyRowTask, type Dispatch } from '../engine/batcher.js';
import { ExtractEngine } from '../engine/extract-engine.js';
import { CachedEngine, type Predictor } from '../engine/cached-engine.js';
import { Engine } from '../engine/engine.js';
import { modelKind } from '../inference/kinds/index.js';
import type { Logger } from '../logging.js';
import { batcherMetrics, cacheMetrics } from '../metrics/hooks.js';
import type { Metrics } from '../metrics/registry.js';
import { InferencePool } from '../pool/pool.js';
import type { ModelSummary } from '../service/request.js';
import type { ExtractRowTask } from '../worker/gliner2-messages.js';
import type { RowTask } from '../worker/messages.js';
import type { TracingHooks } from '../tracing/hooks.js';
import type { WorkerFaults } from '../worker/worker.js';
import type { LoadedModel } from './model.js';
import type { Settings } from './settings.js';

export interface Stack {
  readonly engine: Engine;
  readonly batcher: Batcher;
  /** The engine behind the result cache when it is on: what the service predicts with. */
  readonly predictor: Predictor;
  readonly summary: ModelSummary;
  readonly pool: InferencePool;
  close(): Promise<void>;
}

export interface StackDeps {
  readonly metrics: Metrics;
  readonly logger: Logger;
  /** Test-only: faults the workers inject. */
  readonly faults?: WorkerFaults;
  /** Tracing's hooks (tracing/hooks.ts), when it is on: they observe the batcher and the engine too. */
  readonly tracing?: TracingHooks;
}

/** Start the workers (each loads and warms the model) and build the stack on them. */
export async function startStack(settings: Settings, model: LoadedModel, deps: StackDeps): Promise<Stack> {
  const { metrics, logger } = deps;
  let closed = false;
  logger.info({ model: model.resolved.id, dir: model.dir, onnx: model.files.onnxPath, bytes: model.files.onnxBytes }, 'loading model');
  const pool = await InferencePool.start({ ...settings.pool, ...(deps.faults === undefined ? {} : { faults: deps.faults }) }, () => {
    if (closed) return;
    metrics.workerRestarts.inc();
    logger.error('an inference worker exited; piscina replaces it');
  });
  if (pool.sharingFallback !== undefined) logger.warn({ reason: pool.sharingFallback }, 'could not write the mapped copy of the weights: every session holds its own copy (SHARE_WEIGHTS)');
  else if (pool.mappedOnnxPath !== undefined) logger.info({ mapped: pool.mappedOnnxPath }, 'sessions share one mapped copy of the weights');
  const { tracing } = deps;
  const batcherEvents = tracing === undefined ? batcherMetrics(metrics) : tracing.batcher(batcherMetrics(metrics, tracing.exemplars));
  // One batcher for either kind of row; a server loads one model, so every batch holds its kind's rows.
  const dispatch: Dispatch<AnyRowTask> = model.kind === 'gliner2'
    ? (batchId, rows, solo) => pool.run({ kind: 'extract-batch', batchId, rows: rows as readonly ExtractRowTask[] }, { solo })
    : (batchId, rows, solo) => pool.run({ kind: 'batch', batchId, rows: rows as readonly RowTask[] }, { solo });
  const batcher = new Batcher<AnyRowTask>(settings.batcher, dispatch, batcherEvents);
  const engine = new Engine(batcher, settings.engine, { plan: (task) => pool.run(task), merge: (task, transfer) => pool.run(task, { transfer }) }, tracing?.engine());
  const first = pool.workers[0];
  const summary: ModelSummary = {
    id: model.displayId,
    kind: model.kind,
    revision: model.resolved.commit ?? model.resolved.revision,
    executionProvider: first?.executionProvider ?? settings.pool.runner.executionProvider,
    requestedProvider: settings.pool.runner.executionProvider,
    quantization: first?.quantization ?? model.files.quantization,
    ...(first?.fallbackReason === undefined ? {} : { fallbackReason: first.fallbackReason }),
    workers: pool.size,
    intraOpThreads: pool.intraOpThreads,
    soloThreads: pool.soloThreads,
    relations: modelKind(model.config).relex !== undefined,
  };
  // The result cache lives in this process only: a model change (a new process) starts it empty.
  const key = `${summary.id}@${summary.revision}/${summary.quantization}`;
  // A GLiNER2 model is served by the extract engine, on the same batcher and pool (engine/extract-engine.ts).
  const served: Predictor = model.kind === 'gliner2'
    ? new ExtractEngine(batcher, { chunking: settings.extract.chunking }, { plan: (task) => pool.run(task), merge: (task) => pool.run(task) }, tracing?.engine())
    : engine;
  const predictor = settings.cache === undefined ? served : new CachedEngine(served, settings.cache, () => key, cacheMetrics(metrics));
  metrics.queueCapacity.set(settings.batcher.maxQueueRows);
  metrics.queueRowsSource = () => batcher.rowsByTenant();
  metrics.workers.set(pool.size);
  metrics.modelInfo.set({ model: summary.id, revision: summary.revision, execution_provider: summary.executionProvider, requested_provider: summary.requestedProvider, quantization: summary.quantization }, 1);
  if (summary.fallbackReason !== undefined) logger.warn({ reason: summary.fallbackReason }, 'CUDA was requested but is unavailable: running on CPU (CUDA_FALLBACK=cpu)');
  return {
    engine, batcher, predictor, summary, pool,
    async close() {
      closed = true;
      await pool.close();
    },
  };
}
