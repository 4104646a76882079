// The Open Inference Protocol's inference request, read into our predict request: the schema of the
// JSON body (KServe's rest_predict_v2.yaml, inference_request, narrowed to what this model takes),
// the `text` and `labels` BYTES tensors, the decoding options as request parameters, and which
// outputs the client asked for. Everything that is refused is a 400 naming the offending part.
import { Type, type Static } from '@sinclair/typebox';
import { GlinerError } from '../../errors.js';
import type { DecodeOptions } from '../../inference/decode.js';
import { ANSWER_MEMBERS } from '../../service/answer.js';
import { decodeOptions, OPTION_FIELDS } from '../../service/wire.js';

const Parameters = Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Boolean()]));

export const InferRequest = Type.Object(
  {
    id: Type.Optional(Type.String({ maxLength: 256 })),
    parameters: Type.Optional(Type.Object(OPTION_FIELDS, { additionalProperties: false })),
    inputs: Type.Array(
      Type.Object({
        name: Type.String(),
        shape: Type.Array(Type.Integer({ minimum: 0 })),
        datatype: Type.String(),
        parameters: Type.Optional(Parameters),
        data: Type.Array(Type.Unknown()),
      }),
      { minItems: 1 },
    ),
    outputs: Type.Optional(Type.Array(Type.Object({ name: Type.String(), parameters: Type.Optional(Parameters) }))),
  },
  { additionalProperties: false },
);
export type InferRequest = Static<typeof InferRequest>;

/** One output tensor per member of a text's answer (service/answer.ts). */
export const OUTPUTS: readonly string[] = ANSWER_MEMBERS.map((member) => member.name);

export interface InferInputs {
  readonly texts: string[];
  /** The text tensor's shape, given back as the outputs' shape. */
  readonly shape: number[];
  readonly labels: string[];
  readonly options: DecodeOptions;
  readonly outputs: readonly string[];
}

type Input = InferRequest['inputs'][number];

/** Row-major flattening: the protocol allows nested or flat data. */
function flatten(data: readonly unknown[], into: unknown[] = []): unknown[] {
  for (const item of data) {
    if (Array.isArray(item)) flatten(item, into);
    else into.push(item);
  }
  return into;
}

function strings(input: Input): { values: string[]; shape: number[] } {
  if (input.datatype !== 'BYTES') throw new GlinerError('VALIDATION_FAILED', `Input "${input.name}": datatype must be BYTES (got ${input.datatype}).`);
  const values = flatten(input.data);
  const expected = input.shape.reduce((product, dim) => product * dim, 1);
  if (values.length !== expected) throw new GlinerError('VALIDATION_FAILED', `Input "${input.name}": shape [${input.shape.join(', ')}] holds ${expected} elements but data has ${values.length}.`);
  const bad = values.findIndex((value) => typeof value !== 'string');
  if (bad >= 0) throw new GlinerError('VALIDATION_FAILED', `Input "${input.name}": element ${bad} is not a string (BYTES elements are sent as JSON strings; the binary data extension is not supported).`);
  return { values: values as string[], shape: input.shape };
}

function only(inputs: readonly Input[], name: string): Input {
  const found = inputs.filter((input) => input.name === name);
  if (found.length !== 1) throw new GlinerError('VALIDATION_FAILED', found.length === 0 ? `Input "${name}" is required.` : `Input "${name}" is given ${found.length} times.`);
  return found[0] as Input;
}

export function readInferRequest(body: InferRequest): InferInputs {
  const unknown = body.inputs.find((input) => input.name !== 'text' && input.name !== 'labels');
  if (unknown !== undefined) throw new GlinerError('VALIDATION_FAILED', `Unknown input "${unknown.name}": this model takes "text" and "labels".`);
  const text = strings(only(body.inputs, 'text'));
  const labels = strings(only(body.inputs, 'labels'));
  if (text.values.length === 0) throw new GlinerError('VALIDATION_FAILED', 'Input "text": at least one text is required.');
  if (labels.values.length === 0) throw new GlinerError('VALIDATION_FAILED', 'Input "labels": at least one label is required.');
  const outputs = (body.outputs ?? OUTPUTS.map((name) => ({ name, parameters: undefined }))).map((output) => {
    if (!OUTPUTS.includes(output.name)) throw new GlinerError('VALIDATION_FAILED', `Unknown output "${output.name}": this model gives ${OUTPUTS.map((n) => `"${n}"`).join(' and ')}.`);
    if (output.parameters?.binary_data === true) throw new GlinerError('VALIDATION_FAILED', `Output "${output.name}": the binary data extension is not supported; ask for JSON data.`);
    return output.name;
  });
  return { texts: text.values, shape: text.shape, labels: labels.values, options: decodeOptions(body.parameters ?? {}), outputs };
}
