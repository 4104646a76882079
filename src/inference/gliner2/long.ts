// Long texts: the chunks' answers merged into one, as upstream's extract_long (fastino-ai/GLiNER2
// a91fd1d, inference/runtime.py batch_extract_long and inference/chunking.py merge_chunk_results).
// Each chunk is answered with confidences and spans (its own offsets); here they are moved to the
// text's offsets (the span's text re-read from the whole text), merged key by key and stripped to
// what the request asked for:
//
//   entities             per type: best confidence first, duplicates (same lower-cased text and
//                        offsets) and spans overlapping a kept one dropped, then in text order
//   relation_extraction  per relation: the instances of every chunk, duplicates (equal but for
//                        confidences) kept once, with the higher confidence
//   classifications      single-label: the chunk answer with the highest confidence; multi-label:
//                        every label any chunk chose, each with its highest confidence
//   structures           the instances of every chunk, duplicates kept once as for relations
import { asText, compareCodePoints, dict, isDict, isList, pyLower, type PyDict, type PyValue } from './py.js';

/** A chunk's answer (confidences and spans included) and where the chunk starts in the text. */
export interface ChunkAnswer {
  /** Code-point offset of the chunk in the text. */
  readonly startChar: number;
  readonly result: PyDict;
}

const SPAN_KEYS = new Set(['text', 'confidence', 'start', 'end']);

function isSpan(value: PyValue | undefined): boolean {
  return isDict(value) && value.has('text') && Number.isInteger(value.get('start')) && Number.isInteger(value.get('end'));
}

function isClassification(value: PyValue | undefined): boolean {
  return isDict(value) && value.has('label') && value.has('confidence');
}

function confidence(value: PyDict): number {
  const c = value.get('confidence');
  return typeof c === 'number' ? c : 0;
}

/** remap_result_spans: chunk offsets → text offsets, the span's text re-read from the text. */
function remap(value: PyValue, text: readonly string[], shift: number): PyValue {
  if (isList(value)) return value.map((v) => remap(v, text, shift));
  if (!isDict(value)) return value;
  const out: PyDict = new Map();
  for (const [key, item] of value) out.set(key, remap(item, text, shift));
  if (isSpan(out)) {
    const start = (out.get('start') as number) + shift;
    const end = (out.get('end') as number) + shift;
    out.set('start', start);
    out.set('end', end);
    if (start >= 0 && start <= end && end <= text.length) out.set('text', text.slice(start, end).join(''));
  }
  return out;
}

/** _canonical_key: equality but for confidences, at any depth. */
function canonical(value: PyValue): string {
  if (isDict(value)) {
    const entries = [...value].filter(([key]) => key !== 'confidence').map(([key, item]) => [key, canonical(item)] as const);
    entries.sort((a, b) => compareCodePoints(a[0], b[0]));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`;
  }
  if (isList(value)) return `[${value.map(canonical).join(',')}]`;
  return JSON.stringify(value);
}

function representative(value: PyValue): number {
  if (isDict(value)) {
    const c = value.get('confidence');
    if (typeof c === 'number') return c;
    const nested = [...value.values()].map(representative);
    return nested.length > 0 ? Math.max(...nested) : 0;
  }
  if (isList(value)) return value.length > 0 ? Math.max(...value.map(representative)) : 0;
  return 0;
}

/** _dedupe_items: spans first (best confidence wins, optionally no overlaps, then in text order), then the rest. */
function dedupe(items: readonly PyValue[], removeOverlaps: boolean): PyValue[] {
  const spans = items.filter((v): v is PyDict => isSpan(v));
  const selected: PyDict[] = [];
  const seen = new Set<string>();
  for (const item of [...spans].sort((a, b) => confidence(b) - confidence(a))) {
    const start = item.get('start') as number;
    const end = item.get('end') as number;
    const key = JSON.stringify([pyLower(asText(item.get('text'))), start, end]);
    if (seen.has(key)) continue;
    if (removeOverlaps && selected.some((s) => !(end <= (s.get('start') as number) || start >= (s.get('end') as number)))) continue;
    seen.add(key);
    selected.push(item);
  }
  selected.sort((a, b) => (a.get('start') as number) - (b.get('start') as number) || (a.get('end') as number) - (b.get('end') as number) || compareCodePoints(asText(a.get('text')), asText(b.get('text'))));
  const others: PyValue[] = [];
  const index = new Map<string, number>();
  for (const item of items) {
    if (isSpan(item)) continue;
    const key = canonical(item);
    const at = index.get(key);
    if (at === undefined) {
      index.set(key, others.length);
      others.push(item);
    } else if (representative(item) > representative(others[at] ?? null)) {
      others[at] = item;
    }
  }
  return [...selected, ...others];
}

const asList = (value: PyValue | undefined): PyValue[] => (value === null || value === undefined ? [] : isList(value) ? value : [value]);

function mergeMaps(values: readonly PyValue[], removeOverlaps: boolean): PyDict {
  const maps = values.filter(isDict);
  const labels: string[] = [];
  for (const m of maps) for (const label of m.keys()) if (!labels.includes(label)) labels.push(label);
  const merged: PyDict = new Map();
  for (const label of labels) merged.set(label, dedupe(maps.flatMap((m) => (m.has(label) ? asList(m.get(label)) : [])), removeOverlaps));
  return merged;
}

const isEmpty = (value: PyValue): boolean => value === null || (isList(value) && value.length === 0) || (isDict(value) && value.size === 0);

/** _merge_values: one key's values from several chunks. */
function mergeValues(values: readonly PyValue[]): PyValue {
  const present = values.filter((v) => !isEmpty(v));
  if (present.length === 0) return values[0] ?? null;
  if (present.every(isClassification)) return present.reduce((best, v) => (confidence(v as PyDict) > confidence(best as PyDict) ? v : best));
  if (present.every((v) => typeof v === 'string')) {
    const counts = new Map<string, number>();
    for (const v of present) counts.set(v, (counts.get(v) ?? 0) + 1);
    return present.reduce((best, v) => ((counts.get(v) ?? 0) > (counts.get(best) ?? 0) ? v : best));
  }
  if (present.every(isList)) return dedupe(present.flat(), false);
  if (present.every(isDict)) {
    const keys: string[] = [];
    for (const v of present) for (const key of v.keys()) if (!keys.includes(key)) keys.push(key);
    return new Map(keys.map((key) => [key, mergeValues(present.filter((v) => v.has(key)).map((v) => v.get(key) ?? null))]));
  }
  return present[0] ?? null;
}

/** _strip_span_metadata: keep confidences and offsets only where the request asked for them. */
function strip(value: PyValue, includeConfidence: boolean, includeSpans: boolean): PyValue {
  if (isList(value)) return value.map((v) => strip(v, includeConfidence, includeSpans));
  if (!isDict(value)) return value;
  if (isSpan(value)) {
    const extras = [...value].filter(([key]) => !SPAN_KEYS.has(key));
    if (!includeConfidence && !includeSpans && extras.length === 0) return value.get('text') ?? '';
    const out: PyDict = dict([['text', value.get('text') ?? '']]);
    if (includeConfidence && value.has('confidence')) out.set('confidence', value.get('confidence') ?? null);
    if (includeSpans) {
      out.set('start', value.get('start') ?? null);
      out.set('end', value.get('end') ?? null);
    }
    for (const [key, item] of extras) out.set(key, item);
    return out;
  }
  if (isClassification(value)) return includeConfidence ? dict([['label', value.get('label') ?? null], ['confidence', value.get('confidence') ?? null]]) : (value.get('label') ?? null);
  if (value.has('text') && value.has('confidence') && !value.has('start') && !value.has('end')) {
    return includeConfidence ? dict([['text', value.get('text') ?? null], ['confidence', value.get('confidence') ?? null]]) : (value.get('text') ?? null);
  }
  return new Map([...value].map(([key, item]) => [key, strip(item, includeConfidence, includeSpans)]));
}

/** merge_chunk_results for one text (its chunks in order). */
export function mergeChunks(text: string, chunks: readonly ChunkAnswer[], includeConfidence: boolean, includeSpans: boolean): PyDict {
  const codePoints = [...text];
  const results = chunks.map((c) => remap(c.result, codePoints, c.startChar) as PyDict);
  const keys: string[] = [];
  for (const r of results) for (const key of r.keys()) if (!keys.includes(key)) keys.push(key);
  const merged: PyDict = new Map();
  for (const key of keys) {
    const values = results.filter((r) => r.has(key)).map((r) => r.get(key) ?? null);
    if (key === 'entities') merged.set(key, mergeMaps(values, true));
    else if (key === 'relation_extraction') merged.set(key, mergeMaps(values, false));
    else merged.set(key, mergeValues(values));
  }
  return strip(merged, includeConfidence, includeSpans) as PyDict;
}
