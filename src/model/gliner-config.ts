// gliner_config.json: the subset of GLiNER's model config that inference depends on, validated.
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { GlinerError } from '../errors.js';

const GlinerConfigSchema = Type.Object(
  {
    model_name: Type.Optional(Type.String()),
    span_mode: Type.Optional(Type.String()),
    max_width: Type.Optional(Type.Integer({ minimum: 1 })),
    max_len: Type.Optional(Type.Integer({ minimum: 1 })),
    ent_token: Type.Optional(Type.String()),
    sep_token: Type.Optional(Type.String()),
    words_splitter_type: Type.Optional(Type.String()),
    max_types: Type.Optional(Type.Integer({ minimum: 1 })),
    labels_encoder: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    labels_decoder: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    relations_layer: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    rel_token: Type.Optional(Type.String()),
  },
  { additionalProperties: true },
);

type RawGlinerConfig = Static<typeof GlinerConfigSchema>;

/**
 * The GLiNER architectures, named as upstream's classes are (urchade/GLiNER c2bb58d,
 * `GLiNER._get_gliner_class` in gliner/model.py), chosen from the config the same way.
 */
export type GlinerKindName =
  | 'UniEncoderSpan'
  | 'UniEncoderToken'
  | 'BiEncoderSpan'
  | 'BiEncoderToken'
  | 'UniEncoderSpanRelex'
  | 'UniEncoderTokenRelex'
  | 'UniEncoderSpanDecoder'
  | 'UniEncoderTokenDecoder';

/** Upstream's choice of class from the config: relations, then a labels decoder, then a labels encoder, then span mode. */
export function kindOfConfig(raw: { span_mode?: string; labels_encoder?: string | null; labels_decoder?: string | null; relations_layer?: string | null }): GlinerKindName {
  const token = raw.span_mode === 'token_level';
  const present = (v: string | null | undefined): boolean => v !== undefined && v !== null;
  if (present(raw.relations_layer)) return token ? 'UniEncoderTokenRelex' : 'UniEncoderSpanRelex';
  if (present(raw.labels_decoder)) return token ? 'UniEncoderTokenDecoder' : 'UniEncoderSpanDecoder';
  if (present(raw.labels_encoder)) return token ? 'BiEncoderToken' : 'BiEncoderSpan';
  return token ? 'UniEncoderToken' : 'UniEncoderSpan';
}

/** What the pipeline needs from a model's config, with GLiNER's defaults filled in. */
export interface GlinerConfig {
  /** The architecture, as upstream picks it from this config (the ONNX inputs are checked when the session opens). */
  readonly kind: GlinerKindName;
  readonly modelName: string;
  readonly spanMode: string;
  /** K: the widest span, in words, the model scores. */
  readonly maxWidth: number;
  /** Words per pass the model was trained on; longer texts are windowed. */
  readonly maxLen: number;
  readonly entToken: string;
  readonly sepToken: string;
  /** Labels per pass the model was trained with; longer label lists are split into groups. */
  readonly maxTypes: number;
  /** Relation-extraction models: the marker before each relation label in the prompt. */
  readonly relToken?: string;
  /** Relation-extraction models: upstream's relations layer ("none": every entity pair is scored). */
  readonly relationsLayer?: string;
}

export function parseGlinerConfig(json: unknown, source: string): GlinerConfig {
  if (!Value.Check(GlinerConfigSchema, json)) {
    const first = [...Value.Errors(GlinerConfigSchema, json)][0];
    throw new GlinerError('MODEL_UNSUPPORTED', `${source}: ${first ? `${first.path} ${first.message}` : 'invalid'}`);
  }
  const raw: RawGlinerConfig = json;
  const spanMode = raw.span_mode ?? 'markerV0';
  const kind = kindOfConfig(raw);
  const splitter = raw.words_splitter_type ?? 'whitespace';
  if (splitter !== 'whitespace') {
    throw new GlinerError('MODEL_UNSUPPORTED', `${source}: words_splitter_type "${splitter}" is not supported (whitespace only).`);
  }
  return Object.freeze({
    kind,
    modelName: raw.model_name ?? 'unknown',
    spanMode,
    maxWidth: raw.max_width ?? 12,
    maxLen: raw.max_len ?? 384,
    entToken: raw.ent_token ?? '<<ENT>>',
    sepToken: raw.sep_token ?? '<<SEP>>',
    maxTypes: raw.max_types ?? 25,
    relToken: raw.rel_token ?? '<<REL>>',
    ...(typeof raw.relations_layer === 'string' ? { relationsLayer: raw.relations_layer } : {}),
  });
}
