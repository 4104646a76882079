// Start-up's first step: find the model (a directory, or a hub repository downloaded into the
// cache), read its files and check its kind, before anything else is built — so an unsupported
// model fails here, before a worker starts, and the settings can be derived from it.
import path from 'node:path';
import type { Config } from '../config/schema.js';
import { modelKind } from '../inference/kinds/index.js';
import type { Logger } from '../logging.js';
import { readModelDir, type ModelFiles } from '../model/files.js';
import { gliner2ModelFiles, isGliner2Dir, readGliner2Dir } from '../model/gliner2-files.js';
import type { DownloadEvent } from '../model/hub.js';
import { resolveModel, type ResolvedModel, type ResolveModelOptions } from '../model/store.js';
import { PACKAGE_ROOT } from '../paths.js';

export type ModelKindName = 'gliner' | 'gliner2';

export interface LoadedModel {
  readonly resolved: ResolvedModel;
  readonly files: ModelFiles;
  /** The model directory (settings.ts's ModelFacts). */
  readonly dir: string;
  readonly config: ModelFiles['config'];
  /** A GLiNER (labels → entities, POST /api/v1/predict) or a GLiNER2 export (schema → JSON, POST /api/v1/extract). */
  readonly kind: ModelKindName;
  /** How answers, logs and metrics name it: never a server's absolute path. */
  readonly displayId: string;
}

/** Where and how to look for MODEL: the hub settings of the configuration. */
export function modelSource(config: Config, overrides: Partial<ResolveModelOptions> = {}): ResolveModelOptions {
  return {
    revision: config.modelRevision,
    cacheDir: config.modelCacheDir,
    endpoint: config.hfEndpoint,
    token: config.hfToken,
    offline: config.hfOffline,
    quantization: config.modelQuantization,
    packageRoot: PACKAGE_ROOT,
    ...overrides,
  };
}

function displayId(resolved: ResolvedModel): string {
  if (resolved.source === 'hub') return resolved.id;
  const relative = path.relative(PACKAGE_ROOT, resolved.dir);
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : path.basename(resolved.dir);
}

/** Where download events are shown besides the log (the CLI's terminal bar, cli/download-bar.ts). */
export interface DownloadDisplay {
  /** How often it wants the download's progress. */
  readonly intervalMs: number;
  show(event: DownloadEvent): boolean;
  stop(): void;
}

export async function loadModel(config: Config, logger?: Logger, display?: DownloadDisplay): Promise<LoadedModel> {
  const resolved = await resolveModel(config.model, modelSource(config, {
    ...(display === undefined ? {} : { progressIntervalMs: display.intervalMs }),
    onProgress: (event) => {
      display?.show(event);
      if (event.kind !== 'progress') logger?.info({ repo: event.repo, file: event.file, bytes: event.bytes, total: event.total }, event.message);
    },
  })).finally(() => display?.stop());
  if (isGliner2Dir(resolved.dir)) {
    // A GLiNER2 export (gliner2_config.json): its graphs and config are checked here, its sessions in the workers.
    const files = gliner2ModelFiles(readGliner2Dir(resolved.dir), config.extractChunkWords);
    return { resolved, files, dir: resolved.dir, config: files.config, kind: 'gliner2', displayId: displayId(resolved) };
  }
  const files = readModelDir(resolved.dir, config.modelQuantization);
  // An unsupported kind fails here; its ONNX inputs are checked in the workers.
  modelKind(files.config, undefined, path.join(resolved.dir, 'gliner_config.json'));
  return { resolved, files, dir: resolved.dir, config: files.config, kind: 'gliner', displayId: displayId(resolved) };
}
