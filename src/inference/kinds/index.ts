// The model kinds this server runs, and the choice of one for a model: by its gliner_config.json
// (as upstream's GLiNER._get_gliner_class chooses a class), then checked against the ONNX file's
// inputs and outputs once a session is open. Anything else is MODEL_UNSUPPORTED at start-up, naming
// what was found. A new kind is one module here and one entry in KINDS.
import { GlinerError } from '../../errors.js';
import type { GlinerConfig, GlinerKindName } from '../../model/gliner-config.js';
import type { ModelKind } from './types.js';
import { biEncoderSpan } from './bi-span.js';
import { biEncoderToken } from './bi-token.js';
import { uniEncoderSpanRelex, uniEncoderTokenRelex } from './relex.js';
import { uniEncoderSpan } from './uni-span.js';
import { uniEncoderToken } from './uni-token.js';

export type { ModelKind, OutputTensor, RelexSpec, TensorData } from './types.js';

const KINDS: Partial<Record<GlinerKindName, ModelKind>> = {
  UniEncoderSpan: uniEncoderSpan,
  UniEncoderToken: uniEncoderToken,
  BiEncoderSpan: biEncoderSpan,
  BiEncoderToken: biEncoderToken,
  UniEncoderSpanRelex: uniEncoderSpanRelex,
  UniEncoderTokenRelex: uniEncoderTokenRelex,
};

/** Outputs of upstream's own relex export (GLiNER.export_to_onnx), which cannot be served. */
const UPSTREAM_RELEX_OUTPUTS = ['rel_idx', 'rel_logits', 'rel_mask'];

export const SUPPORTED_KINDS: readonly GlinerKindName[] = Object.keys(KINDS) as GlinerKindName[];

/**
 * The kind for a model's config; with `onnxInputs` (the session's input names), also checks that the
 * ONNX file takes exactly the inputs that kind feeds, and with `onnxOutputs` that it gives the outputs
 * the kind reads.
 */
export function modelKind(config: GlinerConfig, onnxInputs?: readonly string[], source = 'the model', onnxOutputs?: readonly string[]): ModelKind {
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
  if (onnxOutputs !== undefined) {
    const missing = kind.outputs.filter((name) => !onnxOutputs.includes(name));
    if (missing.length > 0) {
      const upstreamRelex = kind.relex !== undefined && UPSTREAM_RELEX_OUTPUTS.every((name) => onnxOutputs.includes(name));
      throw new GlinerError(
        'MODEL_UNSUPPORTED',
        upstreamRelex
          ? `${source}: this is upstream GLiNER's own relation-extraction export (outputs ${onnxOutputs.join(', ')}), which fixes the number of entities and both thresholds when it is exported and pairs only the first text of a batch; export the checkpoint with native-models/export_relex.py instead.`
          : `${source}: a ${kind.name} GLiNER's ONNX file must have the outputs ${kind.outputs.join(', ')}; it lacks ${missing.join(', ')} (it has ${onnxOutputs.join(', ') || 'none'}).`,
      );
    }
  }
  return kind;
}
