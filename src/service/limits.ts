// The request limits (MAX_TEXT_CHARS, MAX_LABELS, MAX_LABEL_CHARS, MAX_BATCH_TEXTS; EXTRACT_MAX_*
// for a schema), checked once for every transport; the error names the field as the client sent it
// (FieldNames) and the limit.
import { GlinerError } from '../errors.js';
import { checkExtractSchema, DEFAULT_EXTRACT_LIMITS, type ExtractLimits } from '../inference/gliner2/schema.js';
import type { ExtractRequest, FieldNames, PredictInputs } from './request.js';

export interface RequestLimits {
  readonly maxTextChars: number;
  readonly maxLabels: number;
  readonly maxLabelChars: number;
  readonly maxBatchTexts: number;
  readonly extract?: ExtractLimits;
}

/** An extract request: MAX_TEXT_CHARS, then the schema's shape rules and EXTRACT_MAX_* (inference/gliner2/schema.ts). */
export function checkExtract(inputs: ExtractRequest['inputs'], limits: RequestLimits, fields: ExtractRequest['fields']): void {
  if (inputs.text.length > limits.maxTextChars) throw new GlinerError('LIMIT_EXCEEDED', `Field "${fields.text}": at most ${limits.maxTextChars} characters are allowed (MAX_TEXT_CHARS; got ${inputs.text.length}).`);
  checkExtractSchema(inputs.schema, limits.extract ?? { ...DEFAULT_EXTRACT_LIMITS, maxNameChars: limits.maxLabelChars }, fields.schema);
}

export function checkPredict(inputs: PredictInputs, limits: RequestLimits, fields: FieldNames): void {
  const { texts, labels } = inputs;
  if (texts.length > limits.maxBatchTexts) throw new GlinerError('LIMIT_EXCEEDED', `${fields.texts}: at most ${limits.maxBatchTexts} texts per request (got ${texts.length}).`);
  texts.forEach((text, i) => {
    if (text.length > limits.maxTextChars) throw new GlinerError('LIMIT_EXCEEDED', `Field "${fields.text(i)}": at most ${limits.maxTextChars} characters are allowed (got ${text.length}).`);
  });
  if (labels.length > limits.maxLabels) throw new GlinerError('LIMIT_EXCEEDED', `Field "${fields.labels}": at most ${limits.maxLabels} labels are allowed (got ${labels.length}).`);
  labels.forEach((label, i) => {
    if (label.trim().length === 0) throw new GlinerError('VALIDATION_FAILED', `Field "${fields.labels}.${i}": a label must not be empty or blank.`);
    if (label.length > limits.maxLabelChars) throw new GlinerError('LIMIT_EXCEEDED', `Field "${fields.labels}.${i}": a label may have at most ${limits.maxLabelChars} characters.`);
  });
}
