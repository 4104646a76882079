// The request limits (MAX_TEXT_CHARS, MAX_LABELS, MAX_LABEL_CHARS, MAX_BATCH_TEXTS, MAX_RELATION_LABELS;
// EXTRACT_MAX_* for a schema), checked once for every transport; the error names the field as the
// client sent it (FieldNames) and the limit.
import { GlinerError } from '../errors.js';
import { checkExtractSchema, DEFAULT_EXTRACT_LIMITS, type ExtractLimits } from '../inference/gliner2/schema.js';
import { RELATION_DEFAULTS } from '../inference/relations.js';
import type { ExtractRequest, FieldNames, ModelSummary, PredictInputs } from './request.js';

export interface RequestLimits {
  readonly maxTextChars: number;
  readonly maxLabels: number;
  readonly maxLabelChars: number;
  readonly maxBatchTexts: number;
  /** MAX_RELATION_LABELS (default 25). */
  readonly maxRelationLabels?: number;
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

/**
 * Relation labels (`relations`): only a model with a relation head takes them (400
 * VALIDATION_FAILED naming the model otherwise), at most MAX_RELATION_LABELS, none blank or longer
 * than MAX_LABEL_CHARS. The bound on candidate pairs is checked where the entities are known, in
 * the worker (MAX_RELATION_PAIRS).
 */
export function checkRelations(inputs: PredictInputs, limits: RequestLimits, model: ModelSummary): void {
  const relations = inputs.relations?.labels;
  if (relations === undefined) return;
  if (model.relations !== true) throw new GlinerError('VALIDATION_FAILED', `Field "relations": the served model (${model.id}) has no relation head; only relation-extraction models (docs/relations.md) take relation labels.`);
  if (relations.length === 0) throw new GlinerError('VALIDATION_FAILED', 'Field "relations": give at least one relation label, or leave the field out.');
  const most = limits.maxRelationLabels ?? RELATION_DEFAULTS.maxRelationLabels;
  if (relations.length > most) throw new GlinerError('LIMIT_EXCEEDED', `Field "relations": at most ${most} relation labels are allowed (got ${relations.length}; MAX_RELATION_LABELS).`);
  relations.forEach((label, i) => {
    if (label.trim().length === 0) throw new GlinerError('VALIDATION_FAILED', `Field "relations.${i}": a relation label must not be empty or blank.`);
    if (label.length > limits.maxLabelChars) throw new GlinerError('LIMIT_EXCEEDED', `Field "relations.${i}": a relation label may have at most ${limits.maxLabelChars} characters.`);
  });
}
