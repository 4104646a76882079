// A GLiNER2 model directory in our ONNX layout (native-models/export_gliner2.py; documented in
// native-models/README.md, "GLiNER2 ONNX layout"): gliner2_config.json, five graphs, the tokenizer.
// A directory with gliner2_config.json is a GLiNER2 model; one with gliner_config.json a GLiNER one.
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { GlinerError } from '../errors.js';
import type { ModelFiles } from './files.js';

export const GLINER2_CONFIG = 'gliner2_config.json';
export const GLINER2_GRAPHS = ['encoder', 'span_scores', 'count_pred', 'classifier', 'count_embed'] as const;
export type Gliner2Graph = (typeof GLINER2_GRAPHS)[number];

const Gliner2ConfigSchema = Type.Object(
  {
    format: Type.Literal('gliner2-onnx'),
    layout_version: Type.Literal(1),
    architecture: Type.Literal('span'),
    model_name: Type.Optional(Type.String()),
    hidden_size: Type.Integer({ minimum: 1 }),
    max_width: Type.Integer({ minimum: 1 }),
    max_len: Type.Optional(Type.Union([Type.Integer({ minimum: 1 }), Type.Null()])),
    token_pooling: Type.Literal('first'),
    count_steps: Type.Integer({ minimum: 1 }),
    count_embed_batching: Type.Union([Type.Literal('fields'), Type.Literal('task')]),
    count_embed_variants: Type.Optional(Type.Array(Type.Object({ steps: Type.Integer({ minimum: 1 }), file: Type.String() }))),
    files: Type.Record(Type.String(), Type.String()),
  },
  { additionalProperties: true },
);

export type Gliner2RawConfig = Static<typeof Gliner2ConfigSchema>;

export interface Gliner2Config {
  readonly modelName: string;
  readonly hiddenSize: number;
  /** K: the widest span, in words. */
  readonly maxWidth: number;
  /** Instances count_embed.onnx computes (the count head's largest answer). */
  readonly countSteps: number;
  /** Whether count_embed may take the fields of several tasks in one call. */
  readonly countEmbedBatching: 'fields' | 'task';
}

export interface Gliner2Files {
  readonly dir: string;
  readonly config: Gliner2Config;
  readonly graphs: Readonly<Record<Gliner2Graph, string>>;
  /** count_embed for fewer instances (fewer steps), smallest first, the full one (countSteps) last. */
  readonly countEmbedVariants: readonly { readonly steps: number; readonly file: string }[];
  readonly tokenizerJson: unknown;
  readonly tokenizerConfig: unknown;
}

export function isGliner2Dir(dir: string): boolean {
  return existsSync(path.join(dir, GLINER2_CONFIG));
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as unknown;
  } catch (error) {
    throw new GlinerError('MODEL_NOT_FOUND', `${file} is missing or not valid JSON`, { cause: error });
  }
}

export function readGliner2Dir(dir: string): Gliner2Files {
  const configPath = path.join(dir, GLINER2_CONFIG);
  const raw = readJson(configPath);
  if (!Value.Check(Gliner2ConfigSchema, raw)) {
    const first = [...Value.Errors(Gliner2ConfigSchema, raw)][0];
    throw new GlinerError('MODEL_UNSUPPORTED', `${configPath}: ${first ? `${first.path || '/'} ${first.message}` : 'invalid'} (a GLiNER2 export of layout 1, span architecture, first-token pooling, is expected)`);
  }
  const graphs = {} as Record<Gliner2Graph, string>;
  for (const name of GLINER2_GRAPHS) {
    const file = path.join(dir, raw.files[name] ?? `${name}.onnx`);
    if (!existsSync(file)) throw new GlinerError('MODEL_NOT_FOUND', `${dir}: the GLiNER2 graph ${name} (${path.basename(file)}) is missing`);
    graphs[name] = file;
  }
  const variants = (raw.count_embed_variants ?? [])
    .filter((v) => v.steps < raw.count_steps)
    .map((v) => ({ steps: v.steps, file: path.join(dir, v.file) }))
    .filter((v) => existsSync(v.file))
    .sort((a, b) => a.steps - b.steps);
  const tokenizerPath = path.join(dir, raw.files.tokenizer ?? 'tokenizer.json');
  const tokenizerConfigPath = path.join(dir, 'tokenizer_config.json');
  return {
    dir,
    config: Object.freeze({
      modelName: raw.model_name ?? 'unknown',
      hiddenSize: raw.hidden_size,
      maxWidth: raw.max_width,
      countSteps: raw.count_steps,
      countEmbedBatching: raw.count_embed_batching,
    }),
    graphs,
    countEmbedVariants: [...variants, { steps: raw.count_steps, file: graphs.count_embed }],
    tokenizerJson: readJson(tokenizerPath),
    tokenizerConfig: existsSync(tokenizerConfigPath) ? readJson(tokenizerConfigPath) : undefined,
  };
}

/**
 * A GLiNER2 export as start-up's model facts (startup/model.ts): the encoder as the model's ONNX
 * file (logs), all its graphs' bytes, and the few numbers the shared settings read of a config —
 * the widest span and, as the window, the extract chunk. The NER engine is not built for it.
 */
export function gliner2ModelFiles(files: Gliner2Files, chunkWords: number): ModelFiles {
  const graphs = new Set([...Object.values(files.graphs), ...files.countEmbedVariants.map((v) => v.file)]);
  return {
    dir: files.dir,
    onnxPath: files.graphs.encoder,
    quantization: 'fp32',
    tokenizerJson: files.tokenizerJson,
    tokenizerConfig: files.tokenizerConfig,
    onnxBytes: [...graphs].reduce((sum, file) => sum + statSync(file).size, 0),
    config: {
      kind: 'UniEncoderSpan',
      modelName: files.config.modelName,
      spanMode: 'markerV0',
      maxWidth: files.config.maxWidth,
      maxLen: chunkWords,
      entToken: '[E]',
      sepToken: '[SEP_TEXT]',
      maxTypes: 25,
    },
  };
}
