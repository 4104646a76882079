// The relation decoding steps on hand-made inputs: which entities the relation head sees (token
// models), which pairs it scores, which relations pass and in what order, how they attach to decoded
// entities, and how a long text's windows merge. The end-to-end parity with upstream is
// test/parity/relex-model.test.ts; these pin the rules one at a time.
import { describe, expect, it } from 'vitest';
import { mergeRows } from '../../src/inference/merge.js';
import {
  attachRelations,
  EntityIndex,
  entityPairs,
  keepDecodedEnds,
  mergeRelations,
  relationCandidates,
  RelationListBuilder,
  spanEntityPositions,
  tokenEntityPositions,
  type AnswerEntity,
} from '../../src/inference/relations.js';
import { sigmoidF32 } from '../../src/inference/sigmoid.js';
import { spanListOf } from '../../src/inference/spans.js';
import { splitWords } from '../../src/inference/words.js';

const HIGH = 5;
const LOW = -5;

/** Token logits [1, W, C, 3] from a function of (word, label, channel). */
function tokenLogits(W: number, C: number, value: (w: number, c: number, ch: number) => number): { data: Float32Array; dims: number[] } {
  const data = new Float32Array(W * C * 3);
  for (let w = 0; w < W; w++) for (let c = 0; c < C; c++) for (let ch = 0; ch < 3; ch++) data[(w * C + c) * 3 + ch] = value(w, c, ch);
  return { data, dims: [1, W, C, 3] };
}

/** A float32 logit whose float32 sigmoid is exactly Math.fround(p). */
function logitOf(p: number): number {
  const target = Math.fround(p);
  let x = Math.fround(Math.log(p / (1 - p)));
  const step = 1e-7;
  for (let i = 0; i < 1000 && sigmoidF32(x) !== target; i++) x = Math.fround(x + (sigmoidF32(x) < target ? step : -step));
  if (sigmoidF32(x) !== target) throw new Error(`no float32 logit gives ${target}`);
  return x;
}

const pairsOf = (flat: Int32Array): number[][] => Array.from({ length: flat.length / 2 }, (_, i) => [flat[2 * i] ?? -1, flat[2 * i + 1] ?? -1]);

describe('entities the relation head sees', () => {
  it('span models: each candidate span once, in (start, width) order, whatever its labels', () => {
    const spans = spanListOf([
      { start: 0, end: 0, label: 1, score: 0.6 },
      { start: 0, end: 0, label: 2, score: 0.7 },
      { start: 0, end: 2, label: 0, score: 0.9 },
      { start: 3, end: 3, label: 0, score: 0.8 },
    ]);
    expect(pairsOf(spanEntityPositions(spans))).toEqual([[0, 0], [0, 2], [3, 3]]);
  });

  it('token models: starts row-major by (word, label), each with its ends ascending while inside holds; a span found for two labels twice', () => {
    // Label 0: starts at 0 and 1, ends at 1 and 2, inside everywhere. Label 1: start at 0, end at 1,
    // inside broken at word 2 (so no end there).
    const logits = tokenLogits(3, 2, (w, c, ch) => {
      if (ch === 0) return (c === 0 && w <= 1) || (c === 1 && w === 0) ? HIGH : LOW;
      if (ch === 1) return (c === 0 && w >= 1) || (c === 1 && w >= 1) ? HIGH : LOW;
      return c === 1 && w === 2 ? LOW : HIGH;
    });
    expect(pairsOf(tokenEntityPositions(logits, 0, 3, 2, 0.5))).toEqual([[0, 1], [0, 2], [0, 1], [1, 1], [1, 2]]);
    // The row's own words and labels only.
    expect(pairsOf(tokenEntityPositions(logits, 0, 2, 1, 0.5))).toEqual([[0, 1], [1, 1]]);
  });

  it('token models compare in float32, strictly: a probability equal to the float32 threshold is not above it', () => {
    const at = logitOf(0.3);
    const logits = tokenLogits(1, 1, (_w, _c, ch) => (ch === 2 ? at : HIGH));
    expect(tokenEntityPositions(logits, 0, 1, 1, 0.3).length).toBe(0);
    expect(tokenEntityPositions(logits, 0, 1, 1, 0.29).length).toBe(2);
  });
});

describe('pairs and relations', () => {
  it('pairs: ordered, head ≠ tail, row-major, adjacency strictly above the float32 threshold; every pair without a relations layer', () => {
    const adjacency = Float32Array.from([
      1, 0.9, 0.2,
      0.6, 1, Math.fround(0.3),
      0.7, 0.31, 1,
    ]);
    expect(pairsOf(entityPairs(3, 0.3, { data: adjacency, offset: 0, stride: 3 }))).toEqual([[0, 1], [1, 0], [2, 0], [2, 1]]);
    expect(pairsOf(entityPairs(3, 0.3))).toEqual([[0, 1], [0, 2], [1, 0], [1, 2], [2, 0], [2, 1]]);
    expect(entityPairs(1, 0)).toHaveLength(0);
  });

  it('relations: pair order, then label order; probability above the threshold as doubles (Python floats)', () => {
    const positions = Int32Array.from([0, 0, 2, 3]);
    const pairs = Int32Array.from([0, 1, 1, 0]);
    const at = logitOf(0.3); // float32 0.3 is 0.30000001…, above the double 0.3
    const logits = Float32Array.from([at, LOW, HIGH, /* pair 1 */ HIGH, 0, LOW]);
    const list = relationCandidates(positions, pairs, { data: logits, offset: 0, stride: 3 }, 3, 0.3);
    const rows = Array.from({ length: list.length }, (_, i) => [list.headStart[i], list.headEnd[i], list.tailStart[i], list.tailEnd[i], list.label[i]]);
    expect(rows).toEqual([[0, 0, 2, 3, 0], [0, 0, 2, 3, 2], [2, 3, 0, 0, 0], [2, 3, 0, 0, 1]]);
    expect(list.score[0]).toBe(Math.fround(0.3));
    // Only the row's own relation labels, and sigmoid(0) = 0.5 is not above 0.5.
    expect(relationCandidates(positions, pairs, { data: logits, offset: 0, stride: 3 }, 2, 0.5).length).toBe(1);
  });
});

describe('attaching relations to decoded entities', () => {
  const entities: AnswerEntity[] = [
    { text: 'Ada', start: 0, end: 3, entity_type: 'person' },
    { text: 'Ada', start: 0, end: 3, entity_type: 'organization' },
    { text: 'London', start: 10, end: 16, entity_type: 'location' },
  ];
  const index = new EntityIndex([0, 0, 2], [0, 0, 2]);
  const list = new RelationListBuilder();
  list.push(0, 0, 2, 2, 1, 0.9); // Ada -> London
  list.push(2, 2, 0, 0, 0, 0.8); // London -> Ada
  list.push(0, 0, 1, 1, 0, 0.7); // Ada -> word 1: not a decoded entity
  const candidates = list.build();

  it('each end is the first decoded entity at its span; a candidate with an undecoded end is dropped', () => {
    const relations = attachRelations(candidates, index, entities, ['works with', 'located in']);
    expect(relations.map((r) => [r.head.entity, r.tail.entity, r.relation])).toEqual([[0, 2, 'located in'], [2, 0, 'works with']]);
    expect(relations[0]?.head).toEqual({ entity: 0, text: 'Ada', start: 0, end: 3, entity_type: 'person' });
    expect(relations[0]?.score).toBeCloseTo(0.9, 6);
  });

  it('a window keeps the candidates whose ends its own greedy pass kept', () => {
    expect(keepDecodedEnds(candidates, index).length).toBe(2);
  });
});

describe('a long text: window relations on the merged entities', () => {
  const text = Array.from({ length: 20 }, (_, i) => `w${i}`).join(' ');
  const words = splitWords(text);
  const options = { threshold: 0.5, flatNer: true, multiLabel: false };
  const relations = (rows: [number, number, number, number, number, number][]): ReturnType<RelationListBuilder['build']> => {
    const b = new RelationListBuilder();
    for (const r of rows) b.push(...r);
    return b.build();
  };

  it('shifts window words to the text, keeps the best score of a relation two windows found, drops ends the merge lost, invents no cross-window pair', () => {
    // Window A: words 0-11, window B: words 8-19. Entities at text words 2, 9, 10 and 15.
    const rowA = { wordOffset: 0, wordCount: 12, labelOffset: 0, spans: spanListOf([{ start: 2, end: 2, label: 0, score: 0.9 }, { start: 9, end: 9, label: 0, score: 0.8 }, { start: 10, end: 10, label: 0, score: 0.7 }]),
      relations: relations([[2, 2, 9, 9, 0, 0.6], [9, 9, 10, 10, 0, 0.55], [10, 10, 11, 11, 0, 0.9]]) };
    const rowB = { wordOffset: 8, wordCount: 12, labelOffset: 0, spans: spanListOf([{ start: 1, end: 1, label: 0, score: 0.8 }, { start: 2, end: 2, label: 0, score: 0.7 }, { start: 7, end: 7, label: 0, score: 0.95 }]),
      relations: relations([[1, 1, 2, 2, 0, 0.65], [7, 7, 1, 1, 1, 0.7]]) };
    const merged = mergeRows(text, words, ['thing'], [rowA, rowB], options, Infinity, undefined, ['near', 'far']);
    expect(merged.entities.map((e) => e.text)).toEqual(['w2', 'w9', 'w10', 'w15']);
    // w9 -> w10 found twice (0.55, 0.65): one, best score; w10 -> w11 dropped (w11 is no entity);
    // w2 and w15 never share a window: no relation between them.
    expect(merged.relations?.map((r) => [r.head.text, r.tail.text, r.relation, Number(r.score.toFixed(2))])).toEqual([
      ['w2', 'w9', 'near', 0.6],
      ['w9', 'w10', 'near', 0.65],
      ['w15', 'w9', 'far', 0.7],
    ]);
    expect(merged.relations?.every((r) => merged.entities[r.head.entity]?.start === r.head.start && merged.entities[r.tail.entity]?.text === r.tail.text)).toBe(true);
  });

  it('without relation labels the merge answers entities only', () => {
    const row = { wordOffset: 0, wordCount: 20, labelOffset: 0, spans: spanListOf([{ start: 2, end: 2, label: 0, score: 0.9 }]) };
    expect(mergeRows(text, words, ['thing'], [row], options).relations).toBeUndefined();
  });

  it('sorts by head span, tail span, then relation label, as one window lists them', () => {
    const out = mergeRelations([{ shift: 0, relations: relations([[5, 6, 0, 0, 1, 0.9], [0, 0, 5, 6, 1, 0.9], [0, 0, 5, 6, 0, 0.9], [0, 0, 3, 3, 0, 0.9]]) }],
      [0, 3, 5], [0, 3, 6], [{ text: 'a', start: 0, end: 1, entity_type: 'x' }, { text: 'b', start: 6, end: 7, entity_type: 'x' }, { text: 'c d', start: 9, end: 12, entity_type: 'x' }], ['r0', 'r1']);
    expect(out.map((r) => `${r.head.text}>${r.tail.text}:${r.relation}`)).toEqual(['a>b:r0', 'a>c d:r0', 'a>c d:r1', 'c d>a:r1']);
  });
});
