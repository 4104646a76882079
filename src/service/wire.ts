// The API's request vocabulary, shared by every transport: the decoding options as the client names
// them (threshold, flat_ner, multi_label: JSON fields of /api/v1 and of the WebSocket messages, and
// request parameters of the Open Inference Protocol), and "labels" or "entity_type". A new option
// (relation_threshold) is added here, once; so are the relation labels (`relations`).
import { Type } from '@sinclair/typebox';
import { GlinerError } from '../errors.js';
import type { DecodeOptions } from '../inference/decode.js';
import type { ExtractSchema } from '../inference/gliner2/schema.js';
import type { ExtractInputs, FieldNames, PredictInputs } from './request.js';

/** The option fields' schemas (spread into each transport's body or parameters schema). */
export const OPTION_FIELDS = {
  threshold: Type.Optional(Type.Number({ minimum: 0, maximum: 1, default: 0.5, description: 'Keep spans whose probability is strictly above this.' })),
  flat_ner: Type.Optional(Type.Boolean({ default: true, description: 'true: no overlapping entities; false: nested entities allowed.' })),
  multi_label: Type.Optional(Type.Boolean({ default: false, description: 'Allow one span to carry several labels.' })),
  relation_threshold: Type.Optional(Type.Number({ minimum: 0, maximum: 1, description: 'Relation-extraction models: keep a relation whose probability is strictly above this. Default: the request\'s threshold (as upstream GLiNER).' })),
};

/** The relation labels' schema (relation-extraction models; docs/relations.md). */
export const RELATIONS_FIELD = Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1, description: 'Relation labels to look for between the entities (relation-extraction models only; at most MAX_RELATION_LABELS). The answer then has "relations".' }));

export interface WireOptions {
  readonly threshold?: number | undefined;
  readonly flat_ner?: boolean | undefined;
  readonly multi_label?: boolean | undefined;
  readonly relation_threshold?: number | undefined;
}

export function decodeOptions(body: WireOptions): DecodeOptions {
  return { threshold: body.threshold ?? 0.5, flatNer: body.flat_ner ?? true, multiLabel: body.multi_label ?? false };
}

/**
 * The service's inputs from a transport's texts, labels, options and relation labels: relations
 * asked carry their threshold (relation_threshold, else the request's threshold, as upstream).
 */
export function predictInputs(texts: readonly string[], labels: readonly string[], body: WireOptions, relations?: readonly string[]): PredictInputs {
  const options = decodeOptions(body);
  if (relations === undefined) return { texts, labels, options };
  return { texts, labels, options, relations: { labels: relations, threshold: body.relation_threshold ?? options.threshold } };
}

/** The request's labels: "labels", or "entity_type" as a one-label list; exactly one of them. */
export function labelsOf(body: { labels?: string[] | undefined; entity_type?: string | undefined }): { labels: string[]; field: string } {
  if (body.labels !== undefined && body.entity_type !== undefined) throw new GlinerError('VALIDATION_FAILED', 'Give either "labels" or "entity_type", not both.');
  if (body.labels !== undefined) return { labels: body.labels, field: 'labels' };
  if (body.entity_type !== undefined) return { labels: [body.entity_type], field: 'entity_type' };
  throw new GlinerError('VALIDATION_FAILED', 'Field "labels" is required (or give "entity_type").');
}

/** Field names of a JSON body with one "text". */
export function singleTextFields(labels: string): FieldNames {
  return { text: () => 'text', labels, texts: 'Field "text"' };
}

/** Extract's options as the client names them (threshold, include_confidence, include_spans: upstream's), with upstream's defaults. */
export function extractInputs(body: { text: string; schema: ExtractSchema; threshold?: number | undefined; include_confidence?: boolean | undefined; include_spans?: boolean | undefined }): ExtractInputs {
  return { text: body.text, schema: body.schema, threshold: body.threshold ?? 0.5, includeConfidence: body.include_confidence ?? false, includeSpans: body.include_spans ?? false };
}
