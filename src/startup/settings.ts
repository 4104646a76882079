// Start-up in one pass: every setting the stack is built with, derived once from the configuration,
// the model and the machine. Each "0 = auto" of the configuration is resolved here and nowhere
// else — workers and their threads, the solo session, batch rows and tokens, window words, labels
// per pass, the shared weights and the arena — and serve, eval, the bench and its tools all take their numbers from here. Nothing is
// patched later: the engine, batcher, pool and service are built with these final values.
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import type { Config } from '../config/schema.js';
import type { CacheSettings } from '../engine/cached-engine.js';
import type { BatcherSettings } from '../engine/batcher.js';
import type { EngineSettings } from '../engine/engine.js';
import { GlinerError } from '../errors.js';
import { modelKind } from '../inference/kinds/index.js';
import type { PlanLimits } from '../inference/plan.js';
import type { ExtractLimits } from '../inference/gliner2/schema.js';
import type { GlinerConfig } from '../model/gliner-config.js';
import type { WeightsSettings } from '../pool/memory.js';
import type { PoolSettings } from '../pool/pool.js';
import type { ServiceSettings } from '../service/service.js';
import type { ExtractChunking } from '../worker/gliner2-messages.js';
import type { RunnerSettings } from '../worker/onnx-runner.js';

/** What the defaults depend on in the machine. */
export interface Machine {
  /** CPU cores this process may use (os.availableParallelism()). */
  readonly cores: number;
  /**
   * glibc's mmap threshold is fixed (MALLOC_MMAP_THRESHOLD_, or glibc.malloc.mmap_threshold in
   * GLIBC_TUNABLES): freed large blocks then go back to the system. Absent: not fixed.
   */
  readonly mmapThresholdFixed?: boolean;
  /**
   * jemalloc is this process's allocator (preloaded with LD_PRELOAD, as the images do): it gives
   * freed memory back by itself (with MALLOC_CONF=background_thread:true, after its decay time).
   */
  readonly jemalloc?: boolean;
}

/** Whether a shared library whose file name starts with `name` is mapped into this process (Linux; elsewhere: no). */
export function libraryLoaded(name: string, maps: () => string = () => readFileSync('/proc/self/maps', 'utf8')): boolean {
  try {
    return maps().split('\n').some((line) => path.basename(line.trim().split(/\s+/).at(-1) ?? '').startsWith(name));
  } catch {
    return false;
  }
}

export function thisMachine(env: NodeJS.ProcessEnv = process.env, jemalloc: boolean = libraryLoaded('libjemalloc.so')): Machine {
  const mmapThresholdFixed = env.MALLOC_MMAP_THRESHOLD_ !== undefined || /glibc\.malloc\.mmap_threshold=/.test(env.GLIBC_TUNABLES ?? '');
  return { cores: availableParallelism(), mmapThresholdFixed, jemalloc };
}

/** The allocator that decides whether freed memory leaves the process (logged at start). */
export function allocatorOf(machine: Machine): 'jemalloc' | 'glibc (fixed mmap threshold)' | 'glibc' {
  if (machine.jemalloc === true) return 'jemalloc';
  return machine.mmapThresholdFixed === true ? 'glibc (fixed mmap threshold)' : 'glibc';
}

export interface ThreadPlan {
  readonly workers: number;
  readonly intraOpThreads: number;
  /** Threads of the solo session; 0 = no solo session. */
  readonly soloThreads: number;
}

/** The model as the settings need it: where it is, and its gliner_config.json. */
export interface ModelFacts {
  readonly dir: string;
  readonly config: GlinerConfig;
  /** 'gliner2': a GLiNER2 export (its own graphs, no mapped copy of the weights). */
  readonly kind?: string;
}

/** GLiNER2 extract: the schema limits (EXTRACT_MAX_*) and long-text chunking (EXTRACT_CHUNK_*). */
export interface ExtractSettings {
  readonly limits: ExtractLimits;
  readonly chunking: ExtractChunking;
}

export interface Settings {
  readonly threads: ThreadPlan;
  readonly extract: ExtractSettings;
  readonly pool: PoolSettings;
  readonly batcher: BatcherSettings;
  readonly engine: EngineSettings;
  readonly service: ServiceSettings;
  /** The result cache; undefined when CACHE_MAX_BYTES is 0. */
  readonly cache: CacheSettings | undefined;
}

/** Offline use (eval): no admission budget or quota, and a queue deep enough for `queueRows`. */
export interface OfflineProfile {
  readonly queueRows: number;
}

/**
 * WORKERS, INTRA_OP_THREADS and SOLO_SESSION. CPU: at least two sessions (one per 2 cores),
 * splitting the cores between them, plus a solo session with the threads of all of them together
 * (at most one per core) when that is more than one session has; CUDA: one session, no solo
 * session. The solo session never has more threads than the shared sessions together, so WORKERS ×
 * INTRA_OP_THREADS stays the CPU budget (a container sees the host's cores, not its CPU limit).
 */
export function resolveThreads(config: Pick<Config, 'workers' | 'intraOpThreads' | 'executionProvider'> & { readonly soloSession?: Config['soloSession'] }, machine: Machine = thisMachine()): ThreadPlan {
  const { cores } = machine;
  const cuda = config.executionProvider === 'cuda';
  const workers = config.workers > 0 ? config.workers : cuda || cores < 2 ? 1 : Math.max(2, Math.floor(cores / 2));
  const intraOpThreads = config.intraOpThreads > 0 ? config.intraOpThreads : Math.max(1, Math.floor(cores / workers));
  const soloThreads = Math.min(cores, workers * intraOpThreads);
  const solo = config.soloSession ?? 'auto';
  const wanted = solo === 'on' || (solo === 'auto' && soloThreads > intraOpThreads);
  return { workers, intraOpThreads, soloThreads: wanted && !cuda ? soloThreads : 0 };
}

/**
 * The solo session's settings: the shared sessions' settings with `threads` threads that spin inside
 * a run (a lone request's operators follow each other without a wake-up between them) and stop at
 * its end, so they never spin while the shared sessions work.
 */
export function soloRunner(runner: RunnerSettings, threads: number): RunnerSettings {
  return { ...runner, intraOpThreads: threads, intraOpSpinning: true, forceSpinningStop: true };
}

/**
 * CPU_MEM_ARENA: whether the sessions keep ONNX Runtime's CPU arena. The arena keeps what a session's
 * largest run took (a long text's full window) and never gives it back; off, ONNX Runtime allocates
 * and frees every tensor per run. Whether freed memory then leaves the process is the allocator's
 * call: jemalloc (the images preload it) gives it back; glibc does with its mmap threshold fixed, and
 * with its default, moving threshold mostly keeps it (worse than the arena) (bench/RESULTS.md,
 * "Memory"). auto = off exactly when the allocator gives freed memory back.
 */
export function resolveArena(config: Pick<Config, 'cpuMemArena'>, machine: Machine): boolean {
  if (config.cpuMemArena !== 'auto') return config.cpuMemArena === 'on';
  return allocatorOf(machine) === 'glibc';
}

/**
 * SHARE_WEIGHTS and MAPPED_WEIGHTS_DIR: on CPU (auto), every session memory-maps one copy of the
 * weights written under MAPPED_WEIGHTS_DIR (unset: MODEL_CACHE_DIR/mapped); undefined = each session
 * loads its own (off, or CUDA, where the weights live on the GPU and there is one session).
 */
export function resolveWeights(config: Pick<Config, 'shareWeights' | 'mappedWeightsDir' | 'modelCacheDir' | 'executionProvider'>): WeightsSettings | undefined {
  if (config.shareWeights === 'off' || config.executionProvider !== 'cpu') return undefined;
  return { mappedDir: path.resolve(config.mappedWeightsDir ?? path.join(config.modelCacheDir, 'mapped')) };
}

/**
 * MAX_BATCH_ROWS and MAX_BATCH_TOKENS, 0 meaning the measured default for the provider. On CPU a row
 * alone is as efficient as a batch (the GEMMs are compute-bound at batch 1) and a batch pays for
 * padding, so each session runs one row at a time and concurrency comes from the sessions
 * (bench/RESULTS.md).
 */
export function batchBudget(config: Pick<Config, 'maxBatchRows' | 'maxBatchTokens' | 'executionProvider'>): { rows: number; tokens: number } {
  const cuda = config.executionProvider === 'cuda';
  return {
    rows: config.maxBatchRows > 0 ? config.maxBatchRows : cuda ? 32 : 1,
    tokens: config.maxBatchTokens > 0 ? config.maxBatchTokens : cuda ? 16384 : 2048,
  };
}

/** WINDOW_WORDS (0 = the model's max_len), WINDOW_OVERLAP_WORDS and LABELS_PER_PASS (0 = per the model's kind). */
export function planLimits(config: Pick<Config, 'windowWords' | 'windowOverlapWords' | 'labelsPerPass' | 'maxLabels'>, model: GlinerConfig): PlanLimits {
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

/** EXTRACT_MAX_* and EXTRACT_CHUNK_*: the overlap must leave each chunk new words. */
export function extractSettings(config: Config): ExtractSettings {
  if (config.extractChunkOverlapWords >= config.extractChunkWords) {
    throw new GlinerError('CONFIG_INVALID', `EXTRACT_CHUNK_OVERLAP_WORDS must be below EXTRACT_CHUNK_WORDS (${config.extractChunkWords}); got ${config.extractChunkOverlapWords}.`);
  }
  return {
    limits: {
      maxEntityTypes: config.extractMaxEntityTypes,
      maxClassifications: config.extractMaxClassifications,
      maxLabels: config.extractMaxLabels,
      maxRelations: config.extractMaxRelations,
      maxStructures: config.extractMaxStructures,
      maxFields: config.extractMaxFields,
      maxChoices: config.extractMaxChoices,
      maxSchemaItems: config.extractMaxSchemaItems,
      maxNameChars: config.maxLabelChars,
      maxDescriptionChars: config.extractMaxDescriptionChars,
    },
    chunking: { chunkWords: config.extractChunkWords, overlapWords: config.extractChunkOverlapWords },
  };
}

/** Every setting of the stack, final. */
export function resolveSettings(config: Config, model: ModelFacts, machine: Machine = thisMachine(), offline?: OfflineProfile): Settings {
  const threads = resolveThreads(config, machine);
  const budget = batchBudget(config);
  // SHARE_WEIGHTS maps a GLiNER model's one graph; a GLiNER2 export's seven graphs load per session.
  const weights = model.kind === 'gliner2' ? undefined : resolveWeights(config);
  const extract = extractSettings(config);
  const runner: RunnerSettings = {
    modelDir: model.dir,
    quantization: config.modelQuantization,
    executionProvider: config.executionProvider,
    cudaFallback: config.cudaFallback,
    cudaDeviceId: config.cudaDeviceId,
    intraOpThreads: threads.intraOpThreads,
    interOpThreads: config.interOpThreads,
    graphOptimization: config.graphOptimization,
    intraOpSpinning: config.intraOpSpinning,
    labelCacheSize: config.labelCacheSize,
    maxRelationPairs: config.maxRelationPairs,
    cpuArena: resolveArena(config, machine),
    // A warm-up larger than the largest batch would only grow the memory kept after it.
    warmupRows: Math.min(4, budget.rows),
  };
  return {
    threads,
    extract,
    pool: {
      runner,
      workers: threads.workers,
      ...(threads.soloThreads > 0 ? { solo: soloRunner(runner, threads.soloThreads) } : {}),
      ...(weights === undefined ? {} : { weights }),
      ...(config.workerYoungGenerationMb > 0 ? { youngGenerationMb: config.workerYoungGenerationMb } : {}),
    },
    batcher: {
      maxBatchRows: budget.rows,
      maxBatchTokens: budget.tokens,
      maxBatchPadding: config.maxBatchPadding,
      maxQueueRows: offline === undefined ? config.maxQueueRows : Math.max(config.maxQueueRows, offline.queueRows),
      maxQueueRowsPerKey: offline === undefined ? config.maxQueueRowsPerKey : 0,
      maxQueueWaitSeconds: offline === undefined ? config.maxQueueWaitMs / 1000 : 0,
      lookahead: config.batchLookahead,
      // One batch in flight per shared session; the solo session takes only work that is alone.
      maxInflight: threads.workers,
      solo: threads.soloThreads > 0,
    },
    engine: { limits: planLimits(config, model.config), maxEntities: config.maxEntitiesPerText },
    service: {
      maxTextChars: config.maxTextChars,
      maxLabels: config.maxLabels,
      maxLabelChars: config.maxLabelChars,
      maxBatchTexts: config.maxBatchTexts,
      maxRelationLabels: config.maxRelationLabels,
      requestTimeoutMs: config.requestTimeoutMs,
      extract: extract.limits,
    },
    cache: config.cacheMaxBytes === 0
      ? undefined
      : { maxBytes: config.cacheMaxBytes, ttlSeconds: config.cacheTtlSeconds, sharedAcrossKeys: config.cacheSharedAcrossKeys, maxEntities: config.maxEntitiesPerText },
  };
}
