// The SentencePiece Precompiled normaliser against the Rust implementation's answers
// (tokenizers.normalizers.Precompiled(...).normalize_str, tokenizers 0.23.2, on the embedded model's
// charsmap), case by case, including the grapheme-cluster rules that make it differ from NFKC.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PrecompiledCharsmap } from '../../src/inference/precompiled.js';
import { loadTokenizer } from '../../src/inference/tokenizer.js';
import { EMBEDDED_MODEL, ROOT } from '../support/paths.js';

const tokenizerJson = JSON.parse(readFileSync(path.join(EMBEDDED_MODEL, 'tokenizer.json'), 'utf8')) as {
  normalizer: { normalizers: { type: string; precompiled_charsmap?: string }[] };
};
const base64 = tokenizerJson.normalizer.normalizers.find((n) => n.type === 'Precompiled')?.precompiled_charsmap ?? '';
const charsmap = PrecompiledCharsmap.fromBase64(base64);

describe('PrecompiledCharsmap.normalize (Rust tokenizers Precompiled)', () => {
  // [input, what Rust returns]
  const cases: [string, string][] = [
    ['\ufb01', 'fi'],
    ['\u216b', 'XII'],
    ['\u00bd', '1\u20442'],
    ['\u2126', '\u03a9'],
    ['\u3000', ' '],
    ['\u00a0', ' '],
    ['\ufeff', ' '],
    ['\u2581', ' '],
    ['a\u0001b', 'ab'],
    // Kept by the charsmap, unlike NFKC-based approximations:
    ['\u200d', '\u200d'],
    ['\ua7f2\ua7f3\ua7f4', '\ua7f2\ua7f3\ua7f4'],
    ['\u{1F468}\u200d\u{1F4BB}', '\u{1F468}\u200d\u{1F4BB}'],
    ['\u0915\u094d\u0937', '\u0915\u094d\u0937'],
    ['x\ufe0f', 'x\ufe0f'],
    // Whole clusters under 6 bytes: multi-code-point keys compose…
    ['e\u0301', '\u00e9'],
    ['A\u030a', '\u00c5'],
    // …and the shortest matching prefix wins, the rest of the cluster is dropped:
    ['\ufb01\u0301', 'fi'],
    ['\uff21\u0301', 'A'],
    ['\r\n', ' '],
    // A cluster of 6+ bytes goes code point by code point:
    ['\ufb01\u0301\u0301', 'fi\u0301\u0301'],
    // A NUL ends a lookup, it is never mapped:
    ['\u0000', '\u0000'],
    ['a\u0000b', 'a\u0000b'],
    ['Hello, world', 'Hello, world'],
  ];
  it.each(cases)('%j → %j', (input, expected) => {
    expect(charsmap.normalize(input)).toBe(expected);
  });

  it('transform() is the first (shortest) prefix match, undefined when nothing matches', () => {
    expect(charsmap.transform('\ufb01')).toBe('fi');
    expect(charsmap.transform('\ufb01\u0301')).toBe('fi');
    expect(charsmap.transform('a')).toBeUndefined();
    expect(charsmap.transform('')).toBeUndefined();
  });

  it('rejects a malformed charsmap', () => {
    expect(() => new PrecompiledCharsmap(new Uint8Array([1, 0]))).toThrow(/too short/);
    expect(() => new PrecompiledCharsmap(Uint8Array.of(64, 0, 0, 0, 1, 2, 3, 4))).toThrow(/exceeds/);
  });
});

describe('loadTokenizer wires the exact normaliser into @huggingface/tokenizers', () => {
  const config = {};
  const ids = (json: unknown, text: string): number[] => loadTokenizer(json, config).encode(text, { add_special_tokens: false }).ids;

  it('inside a Sequence (the DeBERTa-v3 layout): U+200D is ▁ [UNK], not dropped as by NFKC', () => {
    expect(ids(tokenizerJson, '\u200d')).toEqual([8, 3]);
  });

  it('as the only normaliser', () => {
    const only = { ...tokenizerJson, normalizer: tokenizerJson.normalizer.normalizers.find((n) => n.type === 'Precompiled') };
    expect(ids(only, '\ua7f2')).toEqual([8, 3]);
    expect(ids(only, '\ufb01')).toEqual(ids(tokenizerJson, 'fi'));
  });

  it('WhitespaceSplit and Strip use Rust whitespace: U+0085 splits words', () => {
    expect(ids(tokenizerJson, 'a\u0085b')).toEqual([...ids(tokenizerJson, 'a'), ...ids(tokenizerJson, 'b')]);
    expect(ids(tokenizerJson, '\u0085')).toEqual([]);
  });
});

interface CharsmapFixture {
  tokenizers: string;
  sentencepiece: string;
  charsmaps: { name: string; charsmap: string; alone: Record<string, string>; inside: Record<string, string>; sequences: [string, string][] }[];
}
const charsmaps = JSON.parse(gunzipSync(readFileSync(path.join(ROOT, 'test/fixtures/precompiled-charsmaps.json.gz'))).toString('utf8')) as CharsmapFixture;

// Four charsmaps: the embedded model's and SentencePiece's nmt_nfkc (the DeBERTa-v3 rule), nfkc_cf and
// nmt_nfkc_cf as pip sentencepiece builds them; Rust's output for every BMP code point alone and
// between two letters, and for the emoji / combining / Indic sequences (test/parity/charsmap_fixture.py).
describe(`PrecompiledCharsmap against Rust tokenizers ${charsmaps.tokenizers} on ${charsmaps.charsmaps.length} charsmaps`, () => {
  it.each(charsmaps.charsmaps.map((c) => [c.name, c] as const))('%s: zero differences', (_name, fixture) => {
    const map = PrecompiledCharsmap.fromBase64(fixture.charsmap);
    const differences: string[] = [];
    const check = (input: string, expected: string): void => {
      const got = map.normalize(input);
      if (got !== expected && differences.length < 20) differences.push(`${JSON.stringify(input)}: rust ${JSON.stringify(expected)} ours ${JSON.stringify(got)}`);
    };
    for (let c = 0; c < 0x10000; c++) {
      if (c >= 0xd800 && c <= 0xdfff) continue;
      const ch = String.fromCodePoint(c);
      check(ch, fixture.alone[c] ?? ch);
      check(`a${ch}b`, fixture.inside[c] ?? `a${ch}b`);
    }
    for (const [input, expected] of fixture.sequences) check(input, expected);
    expect(differences).toEqual([]);
    expect(Object.keys(fixture.alone).length).toBeGreaterThan(3000);
  });
});
