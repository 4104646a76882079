// UniEncoderSpanRelex and UniEncoderTokenRelex (a config with `relations_layer`): upstream's
// relation-extraction GLiNERs, as native-models/export_relex.py exports them. The encoder graph takes
// the span (or token) model's inputs and gives its `logits`, so entities decode exactly as the NER
// kinds do; the prompt also carries the relation labels (prompt.ts), and two more outputs feed the
// relation head (worker/relation-head.ts): `words_embedding` [B, W, D] and `relation_embeddings`
// [B, R, D]. Which entities the head sees is the kind's part (inference/relations.ts).
import { spanEntityPositions, tokenEntityPositions } from '../relations.js';
import type { ModelKind } from './types.js';
import { uniEncoderSpan } from './uni-span.js';
import { uniEncoderToken } from './uni-token.js';

export const RELEX_OUTPUTS = ['logits', 'words_embedding', 'relation_embeddings'] as const;

export const uniEncoderSpanRelex: ModelKind = {
  ...uniEncoderSpan,
  name: 'UniEncoderSpanRelex',
  outputs: RELEX_OUTPUTS,
  relex: { entityPositions: (_logits, _b, _row, _threshold, spans) => spanEntityPositions(spans) },
};

export const uniEncoderTokenRelex: ModelKind = {
  ...uniEncoderToken,
  name: 'UniEncoderTokenRelex',
  outputs: RELEX_OUTPUTS,
  relex: { entityPositions: (logits, b, row, threshold) => tokenEntityPositions(logits, b, row.textLength, row.numLabels, threshold) },
};
