// The model kinds this server runs, and the choice of one for a model: by its gliner_config.json
// (as upstream's GLiNER._get_gliner_class chooses a class), then checked against the ONNX file's
// inputs once a session is open. Anything else is MODEL_UNSUPPORTED at start-up, naming what was
// found. A new kind is one module here and one entry in KINDS.
import { GlinerError } from '../../errors.js';
import type { GlinerConfig, GlinerKindName } from '../../model/gliner-config.js';
import type { ModelKind } from './types.js';
import { biEncoderSpan } from './bi-span.js';
import { biEncoderToken } from './bi-token.js';
import { uniEncoderSpan } from './uni-span.js';
import { uniEncoderToken } from './uni-token.js';

export type { ModelKind, OutputTensor, TensorData } from './types.js';

const KINDS: Partial<Record<GlinerKindName, ModelKind>> = {
  UniEncoderSpan: uniEncoderSpan,
  UniEncoderToken: uniEncoderToken,
  BiEncoderSpan: biEncoderSpan,
  BiEncoderToken: biEncoderToken,
};

export const SUPPORTED_KINDS: readonly GlinerKindName[] = Object.keys(KINDS) as GlinerKindName[];

/**
 * The kind for a model's config; with `onnxInputs` (the session's input names), also checks that the
 * ONNX file takes exactly the inputs that kind feeds.
 */
export function modelKind(config: GlinerConfig, onnxInputs?: readonly string[], source = 'the model'): ModelKind {
  const kind = KINDS[config.kind];
  if (kind === undefined) {
    throw new GlinerError(
      'MODEL_UNSUPPORTED',
      `${source}: gliner_config.json describes a ${config.kind} GLiNER (span_mode "${config.spanMode}"); this server runs ${SUPPORTED_KINDS.join(', ')}.`,
    );
  }
  if (onnxInputs !== undefined) {
    const want = [...kind.inputs].sort();
    const have = [...onnxInputs].sort();
    if (want.length !== have.length || want.some((name, i) => name !== have[i])) {
      throw new GlinerError(
        'MODEL_UNSUPPORTED',
        `${source}: gliner_config.json describes a ${kind.name} GLiNER, whose ONNX inputs are ${kind.inputs.join(', ')}; the ONNX file's inputs are ${onnxInputs.join(', ') || '(none)'}.`,
      );
    }
  }
  return kind;
}
