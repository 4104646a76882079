// Tokenizer parity with the Rust `tokenizers` library: every BMP code point (alone and between two
// letters), emoji ZWJ / modifier / keycap / flag / tag sequences, combining and Indic sequences,
// tokenised by Rust with the embedded model's tokenizer.json (test/parity/tokenizer_fixture.py).
// Zero differences allowed.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { loadTokenizer } from '../../src/inference/tokenizer.js';
import path from 'node:path';
import { ROOT } from '../support/paths.js';

const fromRoot = (relative: string): string => path.join(ROOT, relative);

interface Fixture {
  tokenizers: string;
  model: string;
  bmp: { alone: string[]; inside: string[] };
  sequences: [string, string][];
}

const fixture = JSON.parse(gunzipSync(readFileSync(fromRoot('test/fixtures/tokenizer-parity.json.gz'))).toString('utf8')) as Fixture;
const tokenizer = loadTokenizer(
  JSON.parse(readFileSync(fromRoot(fixture.model), 'utf8')),
  JSON.parse(readFileSync(fromRoot(fixture.model.replace('tokenizer.json', 'tokenizer_config.json')), 'utf8')),
);
const ids = (text: string): string => tokenizer.encode(text, { add_special_tokens: false }).ids.join(' ');

/** Texts that tokenise differently, with both answers (the first few, for the failure message). */
function differences(cases: [string, string][]): { count: number; first: { text: string; codePoints: string; rust: string; ours: string }[] } {
  const first: { text: string; codePoints: string; rust: string; ours: string }[] = [];
  let count = 0;
  for (const [text, rust] of cases) {
    const ours = ids(text);
    if (ours === rust) continue;
    count++;
    if (first.length < 20) first.push({ text, codePoints: [...text].map((c) => c.codePointAt(0)?.toString(16)).join(' '), rust, ours });
  }
  return { count, first };
}

const bmpPoints = Array.from({ length: 0x10000 }, (_, c) => c).filter((c) => c < 0xd800 || c > 0xdfff);

describe(`tokenizer parity with Rust tokenizers ${fixture.tokenizers} (${fixture.model})`, () => {
  it('covers every BMP code point but the surrogates', () => {
    expect(fixture.bmp.alone).toHaveLength(bmpPoints.length);
    expect(fixture.bmp.inside).toHaveLength(bmpPoints.length);
    expect(fixture.sequences.length).toBeGreaterThan(1000);
  });

  it('every BMP code point alone: zero differences', () => {
    const cases = bmpPoints.map((c, i): [string, string] => [String.fromCodePoint(c), fixture.bmp.alone[i] ?? '']);
    expect(differences(cases)).toEqual({ count: 0, first: [] });
  });

  it('every BMP code point between two letters ("a" + c + "b"): zero differences', () => {
    const cases = bmpPoints.map((c, i): [string, string] => [`a${String.fromCodePoint(c)}b`, fixture.bmp.inside[i] ?? '']);
    expect(differences(cases)).toEqual({ count: 0, first: [] });
  });

  it('emoji ZWJ / modifier sequences, combining and Indic sequences: zero differences', () => {
    expect(differences(fixture.sequences)).toEqual({ count: 0, first: [] });
  });

  it('keeps U+200D ZERO WIDTH JOINER and ꟲ ꟳ ꟴ as the charsmap does (the cases NFKC got wrong)', () => {
    const unk = tokenizer.token_to_id('[UNK]');
    expect(ids('\u200d')).toBe(`${tokenizer.token_to_id('▁')} ${unk}`);
    expect(ids('\ua7f2')).toBe(`${tokenizer.token_to_id('▁')} ${unk}`);
  });
});
