// The request limits (MAX_TEXT_CHARS, MAX_LABELS, MAX_LABEL_CHARS, MAX_BATCH_TEXTS), checked once
// for every transport; the error names the field as the client sent it (FieldNames).
import { GlinerError } from '../errors.js';
import type { FieldNames, PredictInputs } from './request.js';

export interface RequestLimits {
  readonly maxTextChars: number;
  readonly maxLabels: number;
  readonly maxLabelChars: number;
  readonly maxBatchTexts: number;
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
