// The token-level kind against upstream GLiNER's own TokenDecoder (urchade/GLiNER c2bb58d), on fixed
// logits: test/fixtures/token-decoder-parity.json, written by test/parity/token_fixture.py. Same spans,
// same order, same float32 scores, in all four decoding modes and at thresholds 0 to 0.9.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeSpans } from '../../src/inference/decode.js';
import { tokenSpansOf, uniEncoderToken } from '../../src/inference/kinds/uni-token.js';
import type { EncodedRow } from '../../src/inference/prompt.js';

interface Case {
  name: string;
  threshold: number;
  flat_ner: boolean;
  multi_label: boolean;
  dims: [number, number, number, number];
  logits: number;
  spans: [number, number, number, number][];
}
interface Fixture {
  upstream: { commit: string };
  logits: Record<string, number[]>;
  cases: Case[];
}

const fixture = JSON.parse(readFileSync(new URL('../fixtures/token-decoder-parity.json', import.meta.url), 'utf8')) as Fixture;

function decode(data: Float32Array, dims: readonly number[], c: Case, b = 0, textLength = c.dims[1], numLabels = c.dims[2]): [number, number, number, number][] {
  const list = tokenSpansOf({ data, dims }, b, textLength, numLabels, c.threshold);
  const { kept } = decodeSpans(list, { threshold: c.threshold, flatNer: c.flat_ner, multiLabel: c.multi_label });
  return Array.from(kept, (i) => [list.start[i] ?? -1, list.end[i] ?? -1, list.label[i] ?? -1, list.score[i] ?? -1]);
}

describe('token-level decoding (UniEncoderToken) against upstream TokenDecoder', () => {
  it('the fixture comes from the upstream commit the parity suite uses, and exercises ties', () => {
    expect(fixture.upstream.commit).toBe('c2bb58ddf569480ef7a9de03bef653723a42f5c2');
    expect(fixture.cases.length).toBeGreaterThan(400);
    expect(fixture.cases.filter((c) => c.spans.length > 0).length).toBeGreaterThan(300);
    const tied = fixture.cases.filter((c) => new Set(c.spans.map((s) => s[3])).size < c.spans.length);
    expect(tied.length).toBeGreaterThan(50);
  });

  it('gives upstream\'s spans, order and scores on every case', () => {
    const failures: string[] = [];
    for (const c of fixture.cases) {
      const data = Float32Array.from(fixture.logits[String(c.logits)] ?? []);
      const got = decode(data, c.dims, c);
      if (JSON.stringify(got) !== JSON.stringify(c.spans)) failures.push(`${c.name}: got ${JSON.stringify(got).slice(0, 200)} want ${JSON.stringify(c.spans).slice(0, 200)}`);
    }
    expect(failures.slice(0, 5)).toEqual([]);
  });

  it('a row in a padded batch decodes as the text alone (extra words and labels of other rows ignored)', () => {
    for (const c of fixture.cases.filter((x) => x.dims[1] >= 3 && x.dims[2] >= 2).slice(0, 60)) {
      const [, L, C] = c.dims;
      const own = fixture.logits[String(c.logits)] ?? [];
      // Batch of two rows: a padding row of huge logits first, then this row inside a [2, L+4, C+2, 3] tensor.
      const W = L + 4;
      const CC = C + 2;
      const data = new Float32Array(2 * W * CC * 3).fill(9);
      for (let i = 0; i < L; i++) for (let k = 0; k < C; k++) for (let t = 0; t < 3; t++) data[((W + i) * CC + k) * 3 + t] = own[(i * C + k) * 3 + t] ?? 0;
      expect(decode(data, [2, W, CC, 3], c, 1, L, C)).toEqual(c.spans);
    }
  });

  it('feeds the four text inputs of upstream\'s token export, padded per row', () => {
    const rows: EncodedRow[] = [
      { inputIds: [1, 5, 7, 2, 9, 10, 3], wordsMask: [0, 0, 0, 0, 1, 2, 0], textLength: 2, numLabels: 1 },
      { inputIds: [1, 5, 2, 9, 3], wordsMask: [0, 0, 0, 1, 0], textLength: 1, numLabels: 1 },
    ];
    const feeds = uniEncoderToken.feeds(rows, { kind: 'UniEncoderToken', modelName: 'm', spanMode: 'token_level', maxWidth: 12, maxLen: 384, entToken: '<<ENT>>', sepToken: '<<SEP>>', maxTypes: 25 });
    expect(Object.keys(feeds).sort()).toEqual([...uniEncoderToken.inputs].sort());
    expect(feeds.input_ids?.dims).toEqual([2, 7]);
    expect(Array.from(feeds.input_ids?.data ?? [], Number)).toEqual([1, 5, 7, 2, 9, 10, 3, 1, 5, 2, 9, 3, 0, 0]);
    expect(Array.from(feeds.attention_mask?.data ?? [], Number)).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0]);
    expect(Array.from(feeds.words_mask?.data ?? [], Number)).toEqual([0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 1, 0, 0, 0]);
    expect(feeds.text_lengths?.dims).toEqual([2, 1]);
    expect(Array.from(feeds.text_lengths?.data ?? [], Number)).toEqual([2, 1]);
  });

  it('refuses an output that is not [B, W, C, 3]', () => {
    expect(() => tokenSpansOf({ data: new Float32Array(8), dims: [1, 2, 2, 2] }, 0, 2, 2, 0.5)).toThrow(/expected \[B, W, C, 3\]/);
  });
});
