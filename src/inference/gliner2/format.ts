// Raw results → the answer, as upstream's format_results (fastino-ai/GLiNER2 a91fd1d,
// inference/runtime.py: format_results, _format_entity_dict, _format_struct), rule for rule:
// classifications become a label (or {label, confidence}, or a list of them), entity and field
// lists drop repeated texts (case-insensitively, or per position when spans are included), relations
// move under "relation_extraction" after every other key, and so does any non-classification value
// that looks like a relation to upstream (a list of pairs, or of dicts with "head" and "tail" keys:
// a structure with fields named head and tail, or entity types head and tail).
import { asText, dict, isDict, isList, isTuple, pyLower, truthy, type PyDict, type PyValue } from './py.js';
import type { CompiledSchema } from './prompt.js';

/** _format_entity_dict and _format_struct share this de-duplication of a list of values. */
function uniqueValues(values: readonly PyValue[], includeConfidence: boolean): PyValue[] {
  const out: PyValue[] = [];
  const seen = new Set<string>();
  const once = (key: string, value: PyValue): void => {
    if (seen.has(key)) return;
    seen.add(key);
    out.push(value);
  };
  for (const v of values) {
    if (isTuple(v)) {
      const [text, confidence, start, end] = v.items;
      if (truthy(text)) once(JSON.stringify([pyLower(asText(text)), start, end]), includeConfidence ? dict([['text', text ?? null], ['confidence', confidence ?? null]]) : (text ?? null));
    } else if (isDict(v)) {
      const text = v.get('text') ?? '';
      const key = v.has('start') && v.has('end') ? [pyLower(asText(text)), v.get('start'), v.get('end')] : [pyLower(asText(text)), null, null];
      if (truthy(text)) once(JSON.stringify(key), v);
    } else if (truthy(v)) {
      once(JSON.stringify([pyLower(asText(v))]), v);
    }
  }
  return out;
}

function formatMapping(values: PyDict, includeConfidence: boolean): PyDict {
  const out: PyDict = new Map();
  for (const [name, value] of values) {
    if (isList(value)) out.set(name, uniqueValues(value, includeConfidence));
    else if (isTuple(value)) {
      const [text, confidence] = value.items;
      out.set(name, includeConfidence && truthy(text) ? dict([['text', text ?? null], ['confidence', confidence ?? null]]) : (text ?? null));
    } else out.set(name, truthy(value) ? value : null);
  }
  return out;
}

function looksLikeRelation(value: PyValue): boolean {
  if (!isList(value) || value.length === 0) return false;
  const first = value[0];
  if (isTuple(first)) return first.items.length === 2;
  return isDict(first) && first.has('head') && first.has('tail');
}

/** format_results for one row's raw results. */
export function formatResults(results: PyDict, schema: CompiledSchema, includeConfidence: boolean): PyDict {
  const requestedRelations = schema.tasks.flatMap((t) => (t.kind === 'relation' ? [t.name] : []));
  const classificationTasks = new Set(schema.tasks.flatMap((t) => (t.kind === 'classification' ? [t.name] : [])));
  const formatted: PyDict = new Map();
  const relations: PyDict = new Map();
  const labelOf = (pair: PyValue): PyValue => {
    if (!isTuple(pair)) return pair;
    const [label, confidence] = pair.items;
    return includeConfidence ? dict([['label', label ?? null], ['confidence', confidence ?? null]]) : (label ?? null);
  };
  for (const [key, value] of results) {
    if (classificationTasks.has(key)) {
      formatted.set(key, isList(value) ? value.map(labelOf) : labelOf(value));
    } else if (requestedRelations.includes(key) || looksLikeRelation(value)) {
      relations.set(key, isList(value) ? value : []);
    } else if (isList(value)) {
      const first = value[0];
      if (value.length === 0) formatted.set(key, key === 'entities' ? new Map() : value);
      else if (isDict(first)) formatted.set(key, key === 'entities' ? formatMapping(first, includeConfidence) : value.map((v) => (isDict(v) ? formatMapping(v, includeConfidence) : v)));
      else if (isTuple(first)) formatted.set(key, value.map(labelOf));
      else formatted.set(key, value);
    } else if (isTuple(value)) {
      formatted.set(key, labelOf(value));
    } else if (isDict(value)) {
      formatted.set(key, formatMapping(value, includeConfidence));
    } else {
      formatted.set(key, value);
    }
  }
  for (const name of requestedRelations) if (!relations.has(name)) relations.set(name, []);
  if (relations.size > 0) formatted.set('relation_extraction', relations);
  return formatted;
}
