import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CodePointIndex, splitWords } from '../../src/inference/words.js';
import { FIXTURES } from '../support/paths.js';

interface Fixture {
  cases: { text: string; expected: [string, number, number][] }[];
}

const words = (text: string): [string, number, number][] => splitWords(text).map((w) => [w.text, w.start, w.end]);

// test/fixtures/word-splitter-python.json: 1,008 fuzzed strings and the words (code-point offsets) that
// GLiNER's Python WhitespaceTokenSplitter regex (GLiNER is Apache-2.0) produced for them under Python 3.11.
describe('word splitter: golden fixture from GLiNER Python (test/fixtures)', () => {
  it('matches every case exactly', () => {
    const fixture = JSON.parse(readFileSync(path.join(FIXTURES, 'word-splitter-python.json'), 'utf8')) as Fixture;
    expect(fixture.cases.length).toBe(1008);
    for (const { text, expected } of fixture.cases) expect(words(text), JSON.stringify(text)).toEqual(expected);
  });
});

describe('word splitter', () => {
  it('joins hyphen and underscore runs, splits other punctuation', () => {
    expect(words("state-of-the-art U.S. don't 1,000.50").map((w) => w[0])).toEqual(['state-of-the-art', 'U', '.', 'S', '.', 'don', "'", 't', '1', ',', '000', '.', '50']);
  });

  it('counts offsets in code points for astral characters (emoji)', () => {
    const text = '👍🏽 Ada met 😀 Bob';
    const got = words(text);
    expect(got).toEqual([['👍', 0, 1], ['🏽', 1, 2], ['Ada', 3, 6], ['met', 7, 10], ['😀', 11, 12], ['Bob', 13, 16]]);
    const cps = [...text];
    for (const [word, start, end] of got) expect(cps.slice(start, end).join('')).toBe(word);
  });

  it('splits a combining mark off as its own word (Python\'s \\w excludes Mn) and keeps CJK runs whole', () => {
    // Python: [('Cafe', 0, 4), ('\u0301', 4, 5), ('東京タワー', 6, 11)]
    expect(words('Cafe\u0301 東京タワー')).toEqual([['Cafe', 0, 4], ['\u0301', 4, 5], ['東京タワー', 6, 11]]);
    // A precomposed é is a letter.
    expect(words('Café')).toEqual([['Café', 0, 4]]);
  });

  it('handles RTL text, zero-width characters, CRLF, tabs and non-breaking spaces', () => {
    expect(words('שלום עולם')).toEqual([['שלום', 0, 4], ['עולם', 5, 9]]);
    // U+200B is not whitespace for Python's re: it is a word of its own.
    expect(words('a\u200bb')).toEqual([['a', 0, 1], ['\u200b', 1, 2], ['b', 2, 3]]);
    expect(words('one\r\ntwo\tthree\u00a0four')).toEqual([['one', 0, 3], ['two', 5, 8], ['three', 9, 14], ['four', 15, 19]]);
    // U+FEFF (BOM) is not whitespace in Python; U+0085 (NEL) and U+001C are.
    expect(words('\ufeffx\u0085y\u001cz')).toEqual([['\ufeff', 0, 1], ['x', 1, 2], ['y', 3, 4], ['z', 5, 6]]);
  });

  it('slices entity text by code points', () => {
    const text = '😀😀 Microsoft';
    const index = new CodePointIndex(text);
    expect(index.slice(3, 12)).toBe('Microsoft');
    expect(new CodePointIndex('plain text').slice(6, 10)).toBe('text');
  });
});
