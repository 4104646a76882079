// The API's request and response schemas (TypeBox): validation and the OpenAPI document both
// come from here, so they cannot drift apart. The decoding options and each text's answer come
// from the service (service/wire.ts, service/answer.ts), shared with every transport.
import { Type, type Static } from '@sinclair/typebox';
import { answerProperties, EXTRACT_MEMBERS } from '../service/answer.js';
import { OPTION_FIELDS as Options, RELATIONS_FIELD } from '../service/wire.js';
import { ExtractOptions, ExtractSchema } from '../inference/gliner2/schema.js';

const Label = Type.String({ minLength: 1, description: 'An entity type in natural language, passed to the model verbatim.' });

export const PredictBody = Type.Object(
  {
    text: Type.String({ description: 'The text to analyse. Offsets in the answer count Unicode code points.' }),
    labels: Type.Optional(Type.Array(Label, { minItems: 1, description: 'Entity types to look for.' })),
    entity_type: Type.Optional(Type.String({ minLength: 1, description: 'A single entity type (alternative to labels).' })),
    relations: RELATIONS_FIELD,
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
    relations: RELATIONS_FIELD,
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
    relations: RELATIONS_FIELD,
    ...Options,
    traceparent: Type.Optional(Type.String({ maxLength: 256, description: 'W3C Trace Context traceparent of the caller\'s span: the message\'s trace continues it (a browser cannot set headers per message). An invalid value starts a new trace.' })),
    tracestate: Type.Optional(Type.String({ maxLength: 512, description: 'W3C Trace Context tracestate, passed on with traceparent.' })),
  },
  { additionalProperties: false },
);
export type StreamMessage = Static<typeof StreamMessage>;

/** A WebSocket message for a GLiNER2 model: `schema` instead of `labels`, with extract's options. */
export const StreamExtractMessage = Type.Object(
  {
    id: Type.Union([Type.String({ maxLength: 128 }), Type.Number()], { description: 'Client-chosen id, echoed on the answer.' }),
    text: Type.String(),
    schema: ExtractSchema,
    ...ExtractOptions,
    traceparent: Type.Optional(Type.String({ maxLength: 256, description: 'W3C Trace Context traceparent, as in StreamMessage.' })),
    tracestate: Type.Optional(Type.String({ maxLength: 512, description: 'W3C Trace Context tracestate, passed on with traceparent.' })),
  },
  { additionalProperties: false },
);

/** One text's answer: every member of service/answer.ts. */
const TextResult = Type.Object(answerProperties());

export const PredictResponse = Type.Object({
  ...answerProperties(),
  processing_time: Type.Number({ description: 'Seconds spent on the request inside the server.' }),
  model: Type.String(),
});

export const BatchResponse = Type.Object({
  results: Type.Array(TextResult),
  processing_time: Type.Number(),
  model: Type.String(),
});

export const ExtractResponse = Type.Object({
  ...answerProperties(EXTRACT_MEMBERS),
  processing_time: Type.Number({ description: 'Seconds spent on the request inside the server.' }),
  model: Type.String(),
});

export const ErrorResponse = Type.Object({
  error: Type.Object({ code: Type.String({ description: 'Stable error code (see docs/errors.md).' }), message: Type.String() }),
});
