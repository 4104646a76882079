// Span lists: scored spans as parallel typed arrays. A row at a low threshold can yield hundreds of
// thousands of spans; as typed arrays they cost 16 bytes each, cross threads as plain buffers (no
// per-object cloning on the HTTP thread), and sort and decode without allocating objects.
import type { SpanCandidate } from './decode.js';

/** Spans in word coordinates (`end` inclusive); `label` indexes the producer's label list. */
export interface SpanList {
  readonly length: number;
  readonly start: Int32Array;
  readonly end: Int32Array;
  readonly label: Int32Array;
  readonly score: Float32Array;
}

/** A growable SpanList. */
export class SpanListBuilder {
  length = 0;
  private start: Int32Array;
  private end: Int32Array;
  private label: Int32Array;
  private score: Float32Array;

  constructor(capacity = 64) {
    this.start = new Int32Array(capacity);
    this.end = new Int32Array(capacity);
    this.label = new Int32Array(capacity);
    this.score = new Float32Array(capacity);
  }

  push(start: number, end: number, label: number, score: number): void {
    if (this.length === this.start.length) this.grow();
    const i = this.length++;
    this.start[i] = start;
    this.end[i] = end;
    this.label[i] = label;
    this.score[i] = score;
  }

  private grow(): void {
    const size = this.start.length * 2;
    const copy = <T extends Int32Array | Float32Array>(from: T, to: T): T => {
      to.set(from);
      return to;
    };
    this.start = copy(this.start, new Int32Array(size));
    this.end = copy(this.end, new Int32Array(size));
    this.label = copy(this.label, new Int32Array(size));
    this.score = copy(this.score, new Float32Array(size));
  }

  /** The spans, in arrays trimmed to their length (own buffers, safe to transfer). */
  build(): SpanList {
    const n = this.length;
    return { length: n, start: this.start.slice(0, n), end: this.end.slice(0, n), label: this.label.slice(0, n), score: this.score.slice(0, n) };
  }
}

export function spanListOf(spans: readonly SpanCandidate[]): SpanList {
  const builder = new SpanListBuilder(Math.max(1, spans.length));
  for (const span of spans) builder.push(span.start, span.end, span.label, span.score);
  return builder.build();
}

export function candidatesFrom(list: SpanList): SpanCandidate[] {
  const out: SpanCandidate[] = [];
  for (let i = 0; i < list.length; i++) out.push({ start: list.start[i] ?? 0, end: list.end[i] ?? 0, label: list.label[i] ?? 0, score: list.score[i] ?? 0 });
  return out;
}

/**
 * Keep only the best label of each span position (ties: the lower label index). Valid when
 * multi_label is off: there, whether a span is kept depends only on where it is, so a position's
 * other labels can never be chosen (see decode.ts). Input and output are in row-major
 * (start, end, label) order, where a position's labels are contiguous.
 */
export function bestLabelPerSpan(list: SpanList): SpanList {
  const out = new SpanListBuilder(Math.max(1, list.length));
  let i = 0;
  while (i < list.length) {
    const start = list.start[i] ?? 0;
    const end = list.end[i] ?? 0;
    let best = i;
    let j = i + 1;
    for (; j < list.length && list.start[j] === start && list.end[j] === end; j++) {
      if ((list.score[j] ?? 0) > (list.score[best] ?? 0)) best = j;
    }
    out.push(start, end, list.label[best] ?? 0, list.score[best] ?? 0);
    i = j;
  }
  return out.build();
}

/**
 * The `limit` best spans by (score desc, then input order), kept in input order. Bounds what one row
 * can contribute when multi_label at a very low threshold would otherwise yield every span × label.
 */
export function topSpans(list: SpanList, limit: number): SpanList {
  if (list.length <= limit) return list;
  const keep = byScore(list).slice(0, limit).sort();
  const out = new SpanListBuilder(limit);
  for (const i of keep) out.push(list.start[i] ?? 0, list.end[i] ?? 0, list.label[i] ?? 0, list.score[i] ?? 0);
  return out.build();
}

const INDEX_BITS = 2 ** 23;
const FLOAT_BITS = new Uint32Array(1);
const FLOAT_VIEW = new Float32Array(FLOAT_BITS.buffer);

/**
 * Indices of `list` by score descending, ties in input order — the order GLiNER's greedy decoder
 * visits candidates. A non-negative float32's bit pattern orders like its value, so (score bits,
 * index) packs into one exactly representable double and a native numeric sort does the work (a
 * comparator sort of a million spans takes seconds; this takes tens of milliseconds).
 */
export function byScore(list: SpanList): Int32Array {
  const n = list.length;
  const order = new Int32Array(n);
  if (n >= INDEX_BITS) {
    for (let i = 0; i < n; i++) order[i] = i;
    return order.sort((a, b) => (list.score[b] ?? 0) - (list.score[a] ?? 0) || a - b);
  }
  const keys = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    FLOAT_VIEW[0] = Math.max(0, list.score[i] ?? 0);
    // Scores are probabilities: ≤ 1.0, whose bits are 0x3f800000 (30 bits); 30 + 23 bits ≤ 2^53.
    keys[i] = (0x3f800000 - Math.min(0x3f800000, FLOAT_BITS[0] ?? 0)) * INDEX_BITS + i;
  }
  keys.sort();
  for (let i = 0; i < n; i++) order[i] = (keys[i] ?? 0) % INDEX_BITS;
  return order;
}

/**
 * Indices of `list` by (start, end, label), ties in input order, with the same packing trick: the
 * position and label pack into one integer when the text is not absurdly long.
 */
export function byPosition(list: SpanList): Int32Array {
  const n = list.length;
  let widest = 1;
  let labels = 1;
  let starts = 1;
  for (let i = 0; i < n; i++) {
    widest = Math.max(widest, (list.end[i] ?? 0) - (list.start[i] ?? 0) + 1);
    labels = Math.max(labels, (list.label[i] ?? 0) + 1);
    starts = Math.max(starts, (list.start[i] ?? 0) + 1);
  }
  const order = new Int32Array(n);
  if (n >= INDEX_BITS || starts * widest * labels * INDEX_BITS > Number.MAX_SAFE_INTEGER) {
    for (let i = 0; i < n; i++) order[i] = i;
    return order.sort((a, b) => (list.start[a] ?? 0) - (list.start[b] ?? 0) || (list.end[a] ?? 0) - (list.end[b] ?? 0) || (list.label[a] ?? 0) - (list.label[b] ?? 0) || a - b);
  }
  const keys = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const start = list.start[i] ?? 0;
    keys[i] = ((start * widest + ((list.end[i] ?? 0) - start)) * labels + (list.label[i] ?? 0)) * INDEX_BITS + i;
  }
  keys.sort();
  for (let i = 0; i < n; i++) order[i] = (keys[i] ?? 0) % INDEX_BITS;
  return order;
}

/** The buffers of a span list, for a transfer list. */
export function spanBuffers(list: SpanList): ArrayBuffer[] {
  return [list.start.buffer, list.end.buffer, list.label.buffer, list.score.buffer] as ArrayBuffer[];
}
