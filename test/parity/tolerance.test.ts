// The parity comparison (tolerance.ts): what SCORE_TOLERANCE lets through — scores a few ulps
// apart, an entity at the threshold on one side only, a tie the greedy decoder broke the other way
// and what it blocked in turn — and that a real decoding difference still fails: an entity missing
// or added with nothing near a tie or the threshold, a wrong label, a score past the tolerance.
// The decoding bugs are applied to Python's own answers from the span fixture, so every mode and
// threshold of it is covered.
import { describe, expect, it } from 'vitest';
import { plainGroups } from './suites.js';
import { compareEntities, conflicts, SCORE_TOLERANCE, type DecodingMode, type ScoredEntity } from './tolerance.js';

const flat: DecodingMode = { threshold: 0.5, flatNer: true, multiLabel: false };
const e = (start: number, end: number, label: string, score: number): ScoredEntity => ({ start, end, text: `w${start}-${end}`, label, score });
const T = SCORE_TOLERANCE;

describe('the parity comparison', () => {
  it('is one shared constant, measured (test/parity/tolerance/README.md)', () => {
    expect(SCORE_TOLERANCE).toBeGreaterThan(2.8e-6); // the largest deviation measured (SSE kernels)
    expect(SCORE_TOLERANCE).toBeLessThanOrEqual(1e-5);
  });

  it('accepts scores within the tolerance and refuses one past it', () => {
    const python = [e(0, 5, 'person', 0.9), e(10, 15, 'location', 0.7)];
    expect(compareEntities([e(0, 5, 'person', 0.9 + T * 0.9), e(10, 15, 'location', 0.7 - T * 0.9)], python, flat).problems).toEqual([]);
    expect(compareEntities([e(0, 5, 'person', 0.9 + T * 1.5), e(10, 15, 'location', 0.7)], python, flat).problems).toHaveLength(1);
  });

  it('lets an entity within the tolerance above the threshold be on one side only, and no other', () => {
    const python = [e(0, 5, 'person', 0.9), e(10, 15, 'location', 0.5 + T / 2)];
    const near = compareEntities([e(0, 5, 'person', 0.9)], python, flat);
    expect(near.problems).toEqual([]);
    expect(near.explained).toHaveLength(1);
    const far = compareEntities([e(0, 5, 'person', 0.9)], [e(0, 5, 'person', 0.9), e(10, 15, 'location', 0.5 + 3 * T)], flat);
    expect(far.problems).toEqual([`only in Python's: 10-15 "w10-15" location score ${0.5 + 3 * T}`]);
  });

  it('lets a tie go the other way, with the span it then blocks and the one it frees', () => {
    // Python keeps A (0.8) over the overlapping B (0.8 - T/2), then C; A blocked D.
    // Ours: B wins the tie; B then blocks C, and D, which A blocked, is kept.
    const A = e(0, 10, 'person', 0.8);
    const B = e(5, 15, 'person', 0.8 - T / 2);
    const C = e(12, 20, 'location', 0.7);
    const D = e(1, 3, 'misc', 0.6);
    const X = e(30, 35, 'person', 0.9);
    const result = compareEntities([D, B, X], [A, C, X], flat);
    expect(result.problems).toEqual([]);
    expect(result.explained).toHaveLength(4);
    // The same change with no tie behind it is a decoding difference.
    const B2 = { ...B, score: 0.8 - 5 * T };
    expect(compareEntities([B2], [A], flat).problems).toHaveLength(2);
  });

  it('lets near-tied entities of one start swap places, and refuses other reorderings', () => {
    const multi: DecodingMode = { threshold: 0.5, flatNer: true, multiLabel: true };
    const a = e(0, 5, 'person', 0.8);
    const b = e(0, 5, 'writer', 0.8 - T);
    expect(compareEntities([b, a], [a, b], multi).problems).toEqual([]);
    expect(compareEntities([b, a], [a, { ...b, score: 0.6 }], multi).problems.some((p) => p.startsWith('order'))).toBe(true);
  });

  it('follows GLiNER\'s conflict rules: flat refuses overlaps, nested refuses crossings, multi-label allows a second label', () => {
    const nested: DecodingMode = { threshold: 0.5, flatNer: false, multiLabel: false };
    const outer = e(0, 20, 'organisation', 0.9);
    const inner = e(5, 10, 'location', 0.8);
    const crossing = e(15, 25, 'person', 0.8);
    expect([conflicts(outer, inner, flat), conflicts(outer, inner, nested), conflicts(outer, crossing, nested)]).toEqual([true, false, true]);
    expect([conflicts(inner, { ...inner, label: 'x' }, flat), conflicts(inner, { ...inner, label: 'x' }, { ...flat, multiLabel: true })]).toEqual([true, false]);
  });

  // Decoding bugs, applied to Python's own answers over the whole span fixture: every group a bug
  // changes must fail (a parity test fails on any problem in any text of its group).
  const groups = plainGroups('span');
  const failures = (bug: (python: ScoredEntity[], mode: DecodingMode) => ScoredEntity[]): { changed: number; caught: number } => {
    let changed = 0;
    let caught = 0;
    for (const group of groups) {
      const mode = { threshold: group.threshold, flatNer: group.flat_ner, multiLabel: group.multi_label };
      const pairs = group.expected.map((python) => ({ python, ours: bug(python, mode) }));
      if (pairs.every(({ python, ours }) => JSON.stringify(ours) === JSON.stringify(python))) continue;
      changed++;
      if (pairs.some(({ python, ours }) => compareEntities(ours, python, mode).problems.length > 0)) caught++;
    }
    return { changed, caught };
  };

  it('fails every fixture group a broken decoding step changes (over the whole span fixture)', () => {
    const bugs: Record<string, (python: ScoredEntity[], mode: DecodingMode) => ScoredEntity[]> = {
      // the greedy pass stops one span early (the last one it would keep that is not at the threshold)
      'drops the last kept span': (python, mode) => {
        const above = python.filter((x) => x.score > Math.fround(mode.threshold) + T);
        const worst = above.reduce<ScoredEntity | undefined>((a, b) => (a === undefined || b.score < a.score ? b : a), undefined);
        return python.filter((x) => x !== worst);
      },
      // the overlap check never refuses: a span overlapping a kept one, scored below it, is kept too
      'keeps a conflicting span': (python, mode) => {
        const kept = python.find((x) => x.end - x.start > 1 && x.score > mode.threshold + 0.05);
        return kept === undefined ? python : [...python, { ...kept, end: kept.end - 1, text: kept.text.slice(0, -1), score: kept.score - 0.01 }];
      },
      // labels indexed off by one: the next label of the group's list, same span, same score
      'shifts labels': (python) => python.map((x) => ({ ...x, label: `${x.label}'` })),
      // the sigmoid, or the logits, off by more than float32 noise
      'moves every score by 1e-4': (python) => python.map((x) => ({ ...x, score: x.score - 1e-4 })),
    };
    // A lone entity whose label changes and score does not is what a tie between two labels of one
    // span looks like: a label bug is caught in every group with a text of two or more entities.
    const singles = groups.filter((g) => g.expected.some((list) => list.length > 0) && g.expected.every((list) => list.length <= 1)).length;
    for (const [name, bug] of Object.entries(bugs)) {
      const { changed, caught } = failures(bug);
      expect(changed, name).toBeGreaterThan(25);
      if (name === 'shifts labels') expect(caught, name).toBeGreaterThanOrEqual(changed - singles);
      else expect(caught, name).toBe(changed);
    }
  });
});
