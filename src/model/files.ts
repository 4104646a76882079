// A model directory on disk: which ONNX file, tokenizer and config it holds.
//
// Accepted layouts: `model.onnx` at the top (our native models), or `onnx/model*.onnx` as the hub's
// ONNX exports (onnx-community/…) lay them out, with tokenizer.json and gliner_config.json at the top.
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { GlinerError } from '../errors.js';
import { parseGlinerConfig, type GlinerConfig } from './gliner-config.js';

/** Which weights file to prefer when a directory holds several. */
export type Quantization = 'auto' | 'fp32' | 'fp16' | 'int8';

const CANDIDATES: Record<Exclude<Quantization, 'auto'>, readonly string[]> = {
  fp32: ['model.onnx'],
  fp16: ['model_fp16.onnx'],
  int8: ['model_int8.onnx', 'model_quantized.onnx', 'model_uint8.onnx'],
};

export interface ModelFiles {
  readonly dir: string;
  readonly onnxPath: string;
  readonly quantization: Exclude<Quantization, 'auto'>;
  readonly tokenizerJson: unknown;
  readonly tokenizerConfig: unknown;
  readonly config: GlinerConfig;
  /** Size of the ONNX file in bytes. */
  readonly onnxBytes: number;
  /**
   * Bi-encoders: the label encoder (`labels_encoder.onnx`, next to the model's ONNX file or at the
   * top) and its tokenizer (`labels_tokenizer.json`, else the text tokenizer), when present.
   */
  readonly labelsEncoder?: { readonly onnxPath: string; readonly tokenizerJson: unknown };
  /**
   * Relation-extraction models: the relation head's two graphs (native-models/export_relex.py),
   * `relex_entities.onnx` and `relex_pairs.onnx`, next to the model's ONNX file or at the top.
   */
  readonly relexHeads?: { readonly entitiesPath: string; readonly pairsPath: string };
}

/** The relative paths a hub download needs for this quantisation (both layouts are tried). */
export function wantedFiles(quantization: Quantization): string[] {
  const onnx = quantization === 'auto' ? CANDIDATES.fp32 : CANDIDATES[quantization];
  return ['gliner_config.json', 'tokenizer.json', 'tokenizer_config.json', ...onnx, ...onnx.map((f) => `onnx/${f}`)];
}

/**
 * The files a model's kind needs beside its ONNX file, from its gliner_config.json: a bi-encoder's
 * label encoder and its tokenizer, a relation-extraction model's relation head
 * (native-models/export_relex.py). A hub download fetches those the repository has, next to the
 * ONNX file it chose (or at the top), before that file, as readModelDir finds them.
 */
export function companionFiles(configJson: unknown): string[] {
  const raw = (typeof configJson === 'object' && configJson !== null ? configJson : {}) as { labels_encoder?: unknown; relations_layer?: unknown };
  // Present as upstream's class choice reads it (gliner-config.ts kindOfConfig): set and not null.
  const present = (value: unknown): boolean => value !== undefined && value !== null;
  return [...(present(raw.labels_encoder) ? ['labels_encoder.onnx', 'labels_tokenizer.json'] : []), ...(present(raw.relations_layer) ? ['relex_entities.onnx', 'relex_pairs.onnx'] : [])];
}

function findOnnx(dir: string, quantization: Quantization): { file: string; quantization: Exclude<Quantization, 'auto'> } {
  const order: Exclude<Quantization, 'auto'>[] = quantization === 'auto' ? ['fp32', 'int8', 'fp16'] : [quantization];
  for (const q of order) {
    for (const name of CANDIDATES[q]) {
      for (const candidate of [path.join(dir, name), path.join(dir, 'onnx', name)]) {
        if (existsSync(candidate)) return { file: candidate, quantization: q };
      }
    }
  }
  throw new GlinerError('MODEL_NOT_FOUND', `${dir}: no ${quantization === 'auto' ? '' : `${quantization} `}ONNX file (looked for ${order.flatMap((q) => CANDIDATES[q]).join(', ')} and onnx/…)`);
}

function readJson(file: string, required: boolean): unknown {
  if (!existsSync(file)) {
    if (required) throw new GlinerError('MODEL_NOT_FOUND', `${file} is missing`);
    return undefined;
  }
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as unknown;
  } catch (error) {
    throw new GlinerError('MODEL_NOT_FOUND', `${file} is not valid JSON`, { cause: error });
  }
}

export function readModelDir(dir: string, quantization: Quantization = 'auto'): ModelFiles {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new GlinerError('MODEL_NOT_FOUND', `${dir} is not a directory`);
  const onnx = findOnnx(dir, quantization);
  const besideOrTop = (name: string): string | undefined => [path.join(path.dirname(onnx.file), name), path.join(dir, name)].find((f) => existsSync(f));
  const labelsOnnx = besideOrTop('labels_encoder.onnx');
  const labelsTokenizer = path.join(dir, 'labels_tokenizer.json');
  const relexEntities = besideOrTop('relex_entities.onnx');
  const relexPairs = besideOrTop('relex_pairs.onnx');
  const tokenizerJson = readJson(path.join(dir, 'tokenizer.json'), true);
  return {
    dir,
    onnxPath: onnx.file,
    quantization: onnx.quantization,
    tokenizerJson,
    tokenizerConfig: readJson(path.join(dir, 'tokenizer_config.json'), false),
    config: parseGlinerConfig(readJson(path.join(dir, 'gliner_config.json'), true), path.join(dir, 'gliner_config.json')),
    onnxBytes: statSync(onnx.file).size,
    ...(labelsOnnx === undefined ? {} : { labelsEncoder: { onnxPath: labelsOnnx, tokenizerJson: existsSync(labelsTokenizer) ? readJson(labelsTokenizer, true) : tokenizerJson } }),
    ...(relexEntities === undefined || relexPairs === undefined ? {} : { relexHeads: { entitiesPath: relexEntities, pairsPath: relexPairs } }),
  };
}
