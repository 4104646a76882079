// The API's request and response schemas (TypeBox): validation and the OpenAPI document both
// come from here, so they cannot drift apart.
import { Type, type Static } from '@sinclair/typebox';

const Options = {
  threshold: Type.Optional(Type.Number({ minimum: 0, maximum: 1, default: 0.5, description: 'Keep spans whose probability is strictly above this.' })),
  flat_ner: Type.Optional(Type.Boolean({ default: true, description: 'true: no overlapping entities; false: nested entities allowed.' })),
  multi_label: Type.Optional(Type.Boolean({ default: false, description: 'Allow one span to carry several labels.' })),
};

const Label = Type.String({ minLength: 1, description: 'An entity type in natural language, passed to the model verbatim.' });

export const PredictBody = Type.Object(
  {
    text: Type.String({ description: 'The text to analyse. Offsets in the answer count Unicode code points.' }),
    labels: Type.Optional(Type.Array(Label, { minItems: 1, description: 'Entity types to look for.' })),
    entity_type: Type.Optional(Type.String({ minLength: 1, description: 'A single entity type (alternative to labels).' })),
    ...Options,
  },
  { additionalProperties: false, examples: [{ text: 'I work at Microsoft based in Seattle, Washington.', entity_type: 'ORGANIZATION' }] },
);
export type PredictBody = Static<typeof PredictBody>;

export const BatchBody = Type.Object(
  {
    texts: Type.Array(Type.String(), { minItems: 1, description: 'Texts to analyse, each with the same labels.' }),
    labels: Type.Optional(Type.Array(Label, { minItems: 1, description: 'Entity types to look for.' })),
    entity_type: Type.Optional(Type.String({ minLength: 1, description: 'A single entity type (alternative to labels).' })),
    ...Options,
  },
  { additionalProperties: false, examples: [{ texts: ['Ada Lovelace was born in London.', 'Apple opened an office in Paris.'], labels: ['person', 'organization', 'location'] }] },
);
export type BatchBody = Static<typeof BatchBody>;

export const StreamMessage = Type.Object(
  {
    id: Type.Union([Type.String({ maxLength: 128 }), Type.Number()], { description: 'Client-chosen id, echoed on every answer.' }),
    text: Type.String(),
    labels: Type.Array(Label, { minItems: 1 }),
    ...Options,
  },
  { additionalProperties: false },
);
export type StreamMessage = Static<typeof StreamMessage>;

export const EntitySchema = Type.Object({
  text: Type.String({ description: 'The entity as written in the input.' }),
  start: Type.Integer({ description: 'Start offset in Unicode code points.' }),
  end: Type.Integer({ description: 'End offset (exclusive) in Unicode code points.' }),
  entity_type: Type.String({ description: 'The label, as given in the request.' }),
  score: Type.Number(),
});

const Truncated = Type.Boolean({ description: 'True when the text had more than MAX_ENTITIES_PER_TEXT entities: the answer holds the best-scoring ones, those GLiNER\'s decoder keeps first.' });

export const PredictResponse = Type.Object({
  entities: Type.Array(EntitySchema),
  truncated: Truncated,
  processing_time: Type.Number({ description: 'Seconds spent on the request inside the server.' }),
  model: Type.String(),
});

export const BatchResponse = Type.Object({
  results: Type.Array(Type.Object({ entities: Type.Array(EntitySchema), truncated: Truncated })),
  processing_time: Type.Number(),
  model: Type.String(),
});

export const ErrorResponse = Type.Object({
  error: Type.Object({ code: Type.String({ description: 'Stable error code (see docs/errors.md).' }), message: Type.String() }),
});
