// The Open Inference Protocol's inference request, read into our predict request: the schema of the
// JSON body (KServe's rest_predict_v2.yaml, inference_request, narrowed to what this model takes),
// the `text` and `labels` BYTES tensors (and `relations`, the relation labels, for relation-extraction
// models), the decoding options as request parameters, and which outputs the client asked for.
// An output that answers only when asked (service/answer.ts `askedWith`: relations) is among the
// default outputs when its input is given. A `schema` input (one BYTES element: the JSON schema of
// /api/v1/extract) instead of `labels` makes it a GLiNER2 extraction of one text, answered in one
// `result` output. Everything that is refused is a 400 naming the offending part.
import { Type, type Static } from '@sinclair/typebox';
import { GlinerError } from '../../errors.js';
import { ExtractOptions, ExtractSchema } from '../../inference/gliner2/schema.js';
import { ANSWER_MEMBERS, EXTRACT_MEMBERS, type AnswerMember } from '../../service/answer.js';
import type { ExtractInputs, PredictInputs } from '../../service/request.js';
import { extractInputs, OPTION_FIELDS, predictInputs } from '../../service/wire.js';
import { validator } from '../validate.js';

const Parameters = Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Boolean()]));

export const InferRequest = Type.Object(
  {
    id: Type.Optional(Type.String({ maxLength: 256 })),
    parameters: Type.Optional(Type.Object({ ...OPTION_FIELDS, include_confidence: ExtractOptions.include_confidence, include_spans: ExtractOptions.include_spans }, { additionalProperties: false })),
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

/** The input tensors: texts, entity labels, relation labels. */
const INPUTS: readonly string[] = ['text', 'labels', 'relations'];

export interface InferInputs {
  readonly operation: 'predict';
  /** Texts, labels, options and relation labels, as the service takes them. */
  readonly predict: PredictInputs;
  /** The text tensor's shape, given back as the outputs' shape. */
  readonly shape: number[];
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

/** An extraction over the protocol: one text, its schema, extract's options, the `result` output. */
export interface InferExtract {
  readonly operation: 'extract';
  readonly inputs: ExtractInputs;
  readonly shape: number[];
  readonly outputs: readonly string[];
}

function askedOutputs(body: InferRequest, members: readonly AnswerMember[]): string[] {
  const names = members.map((member) => member.name);
  return (body.outputs ?? names.map((name) => ({ name, parameters: undefined }))).map((output) => {
    if (!names.includes(output.name)) throw new GlinerError('VALIDATION_FAILED', `Unknown output "${output.name}": this model gives ${names.map((n) => `"${n}"`).join(' and ')}.`);
    if (output.parameters?.binary_data === true) throw new GlinerError('VALIDATION_FAILED', `Output "${output.name}": the binary data extension is not supported; ask for JSON data.`);
    return output.name;
  });
}

const schemaOf = validator(ExtractSchema);

function readExtract(body: InferRequest): InferExtract {
  const unknown = body.inputs.find((input) => input.name !== 'text' && input.name !== 'schema');
  if (unknown !== undefined) throw new GlinerError('VALIDATION_FAILED', `Unknown input "${unknown.name}": an extraction takes "text" and "schema".`);
  const text = strings(only(body.inputs, 'text'));
  const schema = strings(only(body.inputs, 'schema'));
  if (text.values.length !== 1 || schema.values.length !== 1) throw new GlinerError('VALIDATION_FAILED', 'Inputs "text" and "schema": an extraction takes one text and one schema (shape [1] each).');
  const { flat_ner: flat, multi_label: multi, ...options } = body.parameters ?? {};
  if (flat !== undefined || multi !== undefined) throw new GlinerError('VALIDATION_FAILED', 'Parameters "flat_ner" and "multi_label" are for labels; an extraction takes "threshold", "include_confidence" and "include_spans".');
  let parsed: unknown;
  try {
    parsed = JSON.parse(schema.values[0] ?? '');
  } catch {
    throw new GlinerError('VALIDATION_FAILED', 'Input "schema": its element must be the schema as JSON text.');
  }
  let checked: ExtractSchema;
  try {
    checked = schemaOf.check(parsed);
  } catch (error) {
    throw error instanceof GlinerError ? new GlinerError(error.code, `Input "schema": ${error.message}`) : error;
  }
  return { operation: 'extract', inputs: extractInputs({ text: text.values[0] ?? '', schema: checked, ...options }), shape: text.shape, outputs: askedOutputs(body, EXTRACT_MEMBERS) };
}

export function readInferRequest(body: InferRequest): InferInputs | InferExtract {
  if (body.inputs.some((input) => input.name === 'schema')) return readExtract(body);
  const unknown = body.inputs.find((input) => !INPUTS.includes(input.name));
  if (unknown !== undefined) throw new GlinerError('VALIDATION_FAILED', `Unknown input "${unknown.name}": this server takes "text", "labels" and, for relation-extraction models, "relations" (or "text" and "schema" for a GLiNER2 model).`);
  const text = strings(only(body.inputs, 'text'));
  const labels = strings(only(body.inputs, 'labels'));
  if (text.values.length === 0) throw new GlinerError('VALIDATION_FAILED', 'Input "text": at least one text is required.');
  if (labels.values.length === 0) throw new GlinerError('VALIDATION_FAILED', 'Input "labels": at least one label is required.');
  const { include_confidence: confidence, include_spans: spans, ...options } = body.parameters ?? {};
  if (confidence !== undefined || spans !== undefined) throw new GlinerError('VALIDATION_FAILED', 'Parameters "include_confidence" and "include_spans" are for an extraction (a "schema" input instead of "labels").');
  const given = (member: (typeof ANSWER_MEMBERS)[number]): boolean => member.askedWith === undefined || body.inputs.some((input) => input.name === member.askedWith);
  const relationsInput = body.inputs.some((input) => input.name === 'relations') ? strings(only(body.inputs, 'relations')).values : undefined;
  const outputs = (body.outputs ?? ANSWER_MEMBERS.filter(given).map((member) => ({ name: member.name, parameters: undefined }))).map((output) => {
    const member = ANSWER_MEMBERS.find((m) => m.name === output.name);
    if (member === undefined) throw new GlinerError('VALIDATION_FAILED', `Unknown output "${output.name}": this server gives ${OUTPUTS.map((n) => `"${n}"`).join(', ')}.`);
    if (!given(member)) throw new GlinerError('VALIDATION_FAILED', `Output "${output.name}" needs the input "${member.askedWith ?? ''}".`);
    if (output.parameters?.binary_data === true) throw new GlinerError('VALIDATION_FAILED', `Output "${output.name}": the binary data extension is not supported; ask for JSON data.`);
    return output.name;
  });
  return { operation: 'predict', predict: predictInputs(text.values, labels.values, options, relationsInput), shape: text.shape, outputs };
}
