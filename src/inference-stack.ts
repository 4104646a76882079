// The inference stack without any transport: model store → worker pool → batcher → engine.
// `serve` puts the HTTP front end on top; `eval` and the raw benchmark use it directly, so every
// path runs the same code.
import path from 'node:path';
import type { Logger } from 'pino';
import type { Config } from './config/schema.js';
import { Batcher } from './engine/batcher.js';
import { Engine } from './engine/engine.js';
import type { PlanLimits } from './inference/plan.js';
import type { Metrics } from './metrics/registry.js';
import { modelKind } from './inference/kinds/index.js';
import { readModelDir } from './model/files.js';
import type { GlinerConfig } from './model/gliner-config.js';
import { resolveModel, type ResolvedModel } from './model/store.js';
import { cpuArenaOn } from './pool/memory.js';
import { InferencePool } from './pool/pool.js';
import { GlinerError } from './errors.js';
import { PACKAGE_ROOT } from './paths.js';
import type { ModelSummary } from './http/state.js';

export interface InferenceStack {
  readonly engine: Engine;
  readonly batcher: Batcher;
  /** Resolves once the model is loaded and warmed up in every worker. */
  readonly loaded: Promise<LoadedModel>;
  close(): Promise<void>;
}

export interface LoadedModel {
  readonly summary: ModelSummary;
  readonly config: GlinerConfig;
  readonly resolved: ResolvedModel;
  readonly pool: InferencePool;
}

/** How the model is named in answers, logs and metrics: never a server's absolute path. */
function displayId(resolved: ResolvedModel): string {
  if (resolved.source === 'hub') return resolved.id;
  const relative = path.relative(PACKAGE_ROOT, resolved.dir);
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : path.basename(resolved.dir);
}

/**
 * MAX_BATCH_ROWS, with 0 meaning the measured default for the provider. On CPU a row alone is as
 * efficient as a batch (the GEMMs are compute-bound at batch 1) and a batch pays for padding, so each
 * session runs one row at a time and concurrency comes from the sessions (bench/RESULTS.md).
 */
export function batchRows(config: Config): number {
  if (config.maxBatchRows > 0) return config.maxBatchRows;
  return config.executionProvider === 'cuda' ? 32 : 1;
}

/** MAX_BATCH_TOKENS, with 0 meaning the measured default for the provider. */
export function batchTokens(config: Config): number {
  if (config.maxBatchTokens > 0) return config.maxBatchTokens;
  return config.executionProvider === 'cuda' ? 16384 : 2048;
}

export function planLimits(config: Config, model: GlinerConfig): PlanLimits {
  const windowWords = config.windowWords > 0 ? Math.min(config.windowWords, model.maxLen) : model.maxLen;
  if (config.windowOverlapWords <= model.maxWidth || config.windowOverlapWords >= windowWords) {
    throw new GlinerError('CONFIG_INVALID', `WINDOW_OVERLAP_WORDS must be above the model's max span width (${model.maxWidth}) and below the window (${windowWords} words); got ${config.windowOverlapWords}.`);
  }
  // Uni-encoders put the labels in the prompt, max_types at a time; a bi-encoder's labels are
  // embeddings beside the text, so every label of a request goes in one pass (as in Python).
  const { promptLabels } = modelKind(model);
  const perPass = promptLabels ? model.maxTypes : config.maxLabels;
  return { windowWords, overlapWords: config.windowOverlapWords, labelsPerRow: config.labelsPerPass > 0 ? config.labelsPerPass : perPass, promptLabels };
}

export function createInferenceStack(config: Config, logger: Logger, metrics: Metrics): InferenceStack {
  let pool: InferencePool | undefined;
  let closed = false;
  const batcher = new Batcher(
    {
      maxBatchRows: batchRows(config),
      maxBatchTokens: batchTokens(config),
      maxBatchPadding: config.maxBatchPadding,
      maxQueueRows: config.maxQueueRows,
      maxQueueRowsPerKey: config.maxQueueRowsPerKey,
      maxQueueWaitSeconds: config.maxQueueWaitMs / 1000,
      lookahead: config.batchLookahead,
      maxInflight: 1, // raised to the worker count once the pool is up
    },
    (batchId, rows, solo) => {
      if (pool === undefined) return Promise.reject(new GlinerError('NOT_READY', 'The model is still loading.'));
      return pool.run({ kind: 'batch', batchId, rows }, undefined, solo);
    },
    {
      queueDepth: (rows) => metrics.queueDepth.set(rows),
      rowWaited: (seconds) => metrics.queueWait.observe(seconds),
      dropped: (reason, rows) => {
        metrics.dropped.inc({ reason });
        metrics.rowsDropped.inc({ reason }, rows);
      },
      rowCost: (seconds) => metrics.rowCost.set(seconds),
      batchDone: (batch) => {
        const { result } = batch;
        metrics.batchRows.observe(batch.rows);
        if (batch.solo) metrics.soloBatches.inc();
        metrics.batchTokens.observe(result.paddedTokens);
        metrics.inferenceSeconds.observe(result.timings.inferenceSeconds);
        metrics.preprocessSeconds.observe(result.timings.preprocessSeconds);
        metrics.postprocessSeconds.observe(result.timings.postprocessSeconds);
        metrics.rowsProcessed.inc(batch.rows);
        metrics.tokensProcessed.inc(result.rows.reduce((sum, row) => sum + row.tokens, 0));
        if (result.labelCache !== undefined) {
          metrics.labelCacheHits.inc(result.labelCache.hits);
          metrics.labelCacheMisses.inc(result.labelCache.misses);
        }
        metrics.workerBusySeconds.inc(result.timings.preprocessSeconds + result.timings.inferenceSeconds + result.timings.postprocessSeconds);
      },
    },
  );
  metrics.queueCapacity.set(config.maxQueueRows);
  metrics.queueRowsSource = () => batcher.rowsByTenant();
  // Draining refusals are counted where they are answered (src/http/router.ts): the front end refuses
  // before the engine sees a request, so counting the engine's too could only double-count.
  const engine = new Engine(
    batcher,
    { limits: { windowWords: 384, overlapWords: 32, labelsPerRow: 25 }, maxEntities: config.maxEntitiesPerText },
    (reason) => {
      if (reason !== 'draining') metrics.dropped.inc({ reason });
    },
  );

  const loaded = (async (): Promise<LoadedModel> => {
    const resolved = await resolveModel(config.model, {
      revision: config.modelRevision,
      cacheDir: config.modelCacheDir,
      endpoint: config.hfEndpoint,
      token: config.hfToken,
      offline: config.hfOffline,
      quantization: config.modelQuantization,
      packageRoot: PACKAGE_ROOT,
      onProgress: (event) => {
        if (event.kind !== 'progress') logger.info({ repo: event.repo, file: event.file, bytes: event.bytes, total: event.total }, event.message);
      },
    });
    const files = readModelDir(resolved.dir, config.modelQuantization);
    // An unsupported kind fails here, before any worker starts; its ONNX inputs are checked in the workers.
    modelKind(files.config, undefined, path.join(resolved.dir, 'gliner_config.json'));
    engine.setLimits(planLimits(config, files.config));
    logger.info({ model: resolved.id, dir: resolved.dir, onnx: files.onnxPath, bytes: files.onnxBytes }, 'loading model');
    const started = await InferencePool.start(
      {
        modelDir: resolved.dir,
        quantization: config.modelQuantization,
        executionProvider: config.executionProvider,
        cudaFallback: config.cudaFallback,
        cudaDeviceId: config.cudaDeviceId,
        intraOpThreads: config.intraOpThreads,
        interOpThreads: config.interOpThreads,
        graphOptimization: config.graphOptimization,
        intraOpSpinning: config.intraOpSpinning,
        labelCacheSize: config.labelCacheSize,
        cpuArena: cpuArenaOn(config.cpuMemArena),
        // A warm-up larger than the largest batch would only grow the memory kept after it.
        warmupRows: Math.min(4, batchRows(config)),
        workers: config.workers,
        soloSession: config.soloSession,
        weights: { shareWeights: config.shareWeights, mappedDir: config.mappedWeightsDir ?? path.join(config.modelCacheDir, 'mapped') },
      },
      () => {
        if (!closed) {
          metrics.workerRestarts.inc();
          logger.error('an inference worker exited; piscina replaces it');
        }
      },
    );
    if (closed) {
      await started.close();
      throw new GlinerError('DRAINING', 'shut down while loading');
    }
    pool = started;
    if (started.sharingFallback !== undefined) logger.warn({ reason: started.sharingFallback }, 'could not write the mapped copy of the weights: every session holds its own copy (SHARE_WEIGHTS)');
    else if (started.mappedOnnxPath !== undefined) logger.info({ mapped: started.mappedOnnxPath }, 'sessions share one mapped copy of the weights');
    engine.setWorkers({ plan: (task) => started.run(task), merge: (task, transfer) => started.run(task, transfer) });
    batcher.setMaxInflight(started.size, started.soloThreads > 0);
    const first = started.workers[0];
    const summary: ModelSummary = {
      id: displayId(resolved),
      revision: resolved.commit ?? resolved.revision,
      executionProvider: first?.executionProvider ?? config.executionProvider,
      requestedProvider: config.executionProvider,
      quantization: first?.quantization ?? files.quantization,
      ...(first?.fallbackReason === undefined ? {} : { fallbackReason: first.fallbackReason }),
      workers: started.size,
      intraOpThreads: started.intraOpThreads,
      soloThreads: started.soloThreads,
    };
    metrics.workers.set(started.size);
    metrics.modelInfo.set({ model: summary.id, revision: summary.revision, execution_provider: summary.executionProvider, requested_provider: summary.requestedProvider, quantization: summary.quantization }, 1);
    if (summary.fallbackReason !== undefined) {
      logger.warn({ reason: summary.fallbackReason }, 'CUDA was requested but is unavailable: running on CPU (CUDA_FALLBACK=cpu)');
    }
    return { summary, config: files.config, resolved, pool: started };
  })();
  loaded.catch(() => undefined);

  return {
    engine,
    batcher,
    loaded,
    async close() {
      closed = true;
      await pool?.close();
    },
  };
}
