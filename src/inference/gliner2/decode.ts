// One row's GLiNER2 outputs → upstream's raw results, before formatting: fastino-ai/GLiNER2 a91fd1d,
// inference/runtime.py (_extract_sample, _extract_classification_result, _extract_span_result,
// _extract_entities, _extract_relations, _extract_structures, _find_spans, _format_spans,
// _find_choice_idx) and inference/candidate_decoder.py finalize_spans.
//
// Float semantics as in PyTorch: span and classification probabilities are float32 (sigmoid /
// softmax of float32 logits); a span passes when `prob >= threshold` compared in float32 (a float32
// tensor against a Python float), a choice or a multi-label class when `prob.item() >= threshold`
// compared as doubles. Ties sort as Python's stable sort leaves them.
import { sigmoidF32 } from '../sigmoid.js';
import { CodePointIndex } from '../words.js';
import { dict, PyTuple, pyLower, type PyDict, type PyValue } from './py.js';
import type { CompiledSchema, EncodedGliner2Row } from './prompt.js';
import { pyStrip } from './words.js';

/** A row's model outputs, as the runner gathers them. */
export interface RowScores {
  /** Per task: the predicted instance count (span tasks; 0 for classifications). */
  readonly counts: readonly number[];
  /** Per classification task: one logit per label. */
  readonly classLogits: readonly (Float32Array | undefined)[];
  /** Per span task with a count: its first query (queries run instance-major: inst × fields + field). */
  readonly queryBase: readonly number[];
  /** The row's span logits [Q, words, width] inside `data` (absent when no task has a count). */
  readonly spans?: { readonly data: Float32Array; readonly offset: number; readonly words: number; readonly width: number };
}

export interface Flags {
  readonly includeConfidence: boolean;
  readonly includeSpans: boolean;
}

/** (text, confidence, start, end), as upstream's span tuples; offsets in code points. */
type Span = readonly [string, number, number, number];

/** torch.argmax: the first of equal maxima. */
export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if ((values[i] as number) > (values[best] as number)) best = i;
  return best;
}

/** torch.softmax over a float32 vector, step by step in float32 (max, exp, sum, × 1/sum). */
export function softmaxF32(logits: ArrayLike<number>): Float32Array {
  const out = new Float32Array(logits.length);
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i] as number);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) {
    out[i] = Math.exp(Math.fround((logits[i] as number) - max));
    sum = Math.fround(sum + (out[i] as number));
  }
  const inverse = Math.fround(1 / sum);
  for (let i = 0; i < out.length; i++) out[i] = Math.fround((out[i] as number) * inverse);
  return out;
}

/** finalize_spans: by confidence (then start, end), dropping any span overlapping a kept one. */
export function finalizeSpans(spans: readonly Span[]): Span[] {
  const sorted = [...spans].sort((a, b) => b[1] - a[1] || a[2] - b[2] || a[3] - b[3]);
  const kept: Span[] = [];
  for (const span of sorted) {
    if (kept.some((k) => !(span[3] <= k[2] || span[2] >= k[3]))) continue;
    kept.push(span);
  }
  return kept;
}

function spanValue(span: Span, flags: Flags): PyValue {
  const [text, confidence, start, end] = span;
  if (!flags.includeConfidence && !flags.includeSpans) return text;
  const out: PyDict = dict([['text', text]]);
  if (flags.includeConfidence) out.set('confidence', confidence);
  if (flags.includeSpans) {
    out.set('start', start);
    out.set('end', end);
  }
  return out;
}

class RowDecoder {
  private readonly chars: CodePointIndex;
  private readonly textLength: number;

  constructor(
    private readonly row: EncodedGliner2Row,
    private readonly scores: RowScores,
    private readonly threshold: number,
    private readonly flags: Flags,
  ) {
    this.chars = new CodePointIndex(row.text);
    this.textLength = row.words.length;
  }

  /** The probability of span (word `w` of the text segment, width `k`) for query `q`. */
  private prob(q: number, w: number, k: number): number {
    const s = this.scores.spans;
    if (s === undefined) throw new Error('span scores missing for a task with a count: this is a bug');
    return sigmoidF32(s.data[s.offset + (q * s.words + w) * s.width + k] ?? Number.NaN);
  }

  /** _find_spans: every (start, width) of the text at or above the threshold, row-major. */
  findSpans(q: number, threshold: number): Span[] {
    const width = this.scores.spans?.width ?? 0;
    const thr = Math.fround(threshold);
    const out: Span[] = [];
    const { words, prefixLength } = this.row;
    for (let start = 0; start < this.textLength; start++) {
      for (let k = 0; k < width; k++) {
        const p = this.prob(q, prefixLength + start, k);
        if (!(p >= thr)) continue;
        const end = start + k + 1;
        if (end > this.textLength) continue;
        const charStart = (words[start] as { start: number }).start;
        const charEnd = (words[end - 1] as { end: number }).end;
        const text = pyStrip(this.chars.slice(charStart, charEnd));
        if (text !== '') out.push([text, p, charStart, charEnd]);
      }
    }
    return out;
  }

  formatSpans(spans: readonly Span[]): PyValue[] {
    return spans.map((s) => spanValue(s, this.flags));
  }

  entities(names: readonly string[], base: number): PyValue {
    const out: PyDict = new Map();
    names.forEach((name, i) => out.set(name, this.formatSpans(finalizeSpans(this.findSpans(base + i, this.threshold)))));
    return out.size > 0 ? [out] : [];
  }

  relations(count: number, base: number): PyValue[] {
    const instances: PyValue[] = [];
    for (let inst = 0; inst < count; inst++) {
      const [head, tail] = [0, 1].map((f) => this.findSpans(base + inst * 2 + f, this.threshold)[0]);
      if (head === undefined || tail === undefined || head[0] === '' || tail[0] === '') continue;
      const { includeConfidence: conf, includeSpans: spans } = this.flags;
      if (!conf && !spans) instances.push(new PyTuple([head[0], tail[0]]));
      else instances.push(dict([['head', spanValue(head, { includeConfidence: conf, includeSpans: spans })], ['tail', spanValue(tail, { includeConfidence: conf, includeSpans: spans })]]));
    }
    return instances;
  }

  /** _find_choice_idx: the first prefix word equal to the choice, case-insensitively. */
  private choiceIndex(choice: string): number {
    const lower = pyLower(choice);
    return this.row.prefix.findIndex((token) => pyLower(token) === lower);
  }

  structures(task: Extract<CompiledSchema['tasks'][number], { kind: 'structure' }>, count: number, base: number): PyValue[] {
    const instances: PyValue[] = [];
    const m = task.fields.length;
    for (let inst = 0; inst < count; inst++) {
      const instance: PyDict = new Map();
      task.fields.forEach((field, f) => {
        const q = base + inst * m + f;
        if (field.choices !== undefined) {
          instance.set(field.name, this.choice(field.choices, field.dtype, q));
          return;
        }
        const spans = this.findSpans(q, this.threshold);
        if (field.dtype === 'list') instance.set(field.name, this.formatSpans(finalizeSpans(spans)));
        else instance.set(field.name, spans[0] === undefined ? null : spanValue(spans[0], this.flags));
      });
      if ([...instance.values()].some((v) => v !== null && !(Array.isArray(v) && v.length === 0))) instances.push(instance);
    }
    return instances;
  }

  private choice(choices: readonly string[], dtype: 'str' | 'list', q: number): PyValue {
    const conf = this.flags.includeConfidence;
    const scored = (choice: string): number | undefined => {
      const i = this.choiceIndex(choice);
      return i >= 0 && i < this.row.prefixLength ? this.prob(q, i, 0) : undefined;
    };
    if (dtype === 'list') {
      const selected: PyValue[] = [];
      const seen = new Set<string>();
      for (const choice of choices) {
        if (seen.has(choice)) continue;
        const score = scored(choice);
        if (score !== undefined && score >= this.threshold) {
          selected.push(conf ? dict([['text', choice], ['confidence', score]]) : choice);
          seen.add(choice);
        }
      }
      return selected;
    }
    let best: string | undefined;
    let bestScore = -1;
    for (const choice of choices) {
      const score = scored(choice);
      if (score !== undefined && score > bestScore) {
        bestScore = score;
        best = choice;
      }
    }
    if (best === undefined || best === '' || !(bestScore >= this.threshold)) return null;
    return conf ? dict([['text', best], ['confidence', bestScore]]) : best;
  }
}

/** _extract_classification_result: softmax (single) or sigmoid (multi-label) over the labels. */
function classification(task: Extract<CompiledSchema['tasks'][number], { kind: 'classification' }>, logits: Float32Array): PyValue {
  const probs = task.multiLabel ? Float32Array.from(logits, sigmoidF32) : softmaxF32(logits);
  if (task.multiLabel) {
    const chosen: PyValue[] = [];
    task.labels.forEach((label, j) => {
      const p = probs[j] ?? 0;
      if (p >= task.threshold) chosen.push(new PyTuple([label, p]));
    });
    if (chosen.length > 0) return chosen;
  }
  const best = argmax(probs);
  const pair = new PyTuple([task.labels[best] ?? '', probs[best] ?? 0]);
  return task.multiLabel ? [pair] : pair;
}

/** _extract_sample: the row's results, task by task, keyed as upstream keys them. */
export function decodeRow(schema: CompiledSchema, row: EncodedGliner2Row, scores: RowScores, threshold: number, flags: Flags): PyDict {
  const decoder = new RowDecoder(row, scores, threshold, flags);
  const results: PyDict = new Map();
  schema.tasks.forEach((task, t) => {
    if (task.kind === 'classification') {
      const logits = scores.classLogits[t];
      if (logits === undefined) throw new Error(`no classifier logits for task ${t}: this is a bug`);
      results.set(task.name, classification(task, logits));
      return;
    }
    const count = scores.counts[t] ?? 0;
    const base = scores.queryBase[t] ?? -1;
    const key = task.kind === 'entities' ? 'entities' : task.name;
    if (count <= 0) {
      results.set(key, task.kind === 'structure' ? new Map() : []);
      return;
    }
    if (task.kind === 'entities') results.set(key, decoder.entities(task.names, base));
    else if (task.kind === 'relation') results.set(key, decoder.relations(count, base));
    else results.set(key, decoder.structures(task, count, base));
  });
  return results;
}

/** How many queries a span task sends to the span graph: instance 0 only for entities (upstream reads no other). */
export function queriesOf(task: CompiledSchema['tasks'][number], count: number): number {
  if (task.kind === 'classification' || count <= 0) return 0;
  if (task.kind === 'entities') return task.names.length;
  if (task.kind === 'relation') return 2 * count;
  return task.fields.length * count;
}
