// Word splitting: GLiNER's default WhitespaceTokenSplitter, with offsets in Unicode code points.
//
// Python runs `\w+(?:[-_]\w+)*|\S` over the raw text. Python's `\w` on str is exactly
// [\p{L}\p{N}_], and Python's `\s` is JS `\s` minus U+FEFF plus U+001C–U+001F and U+0085, so the
// character classes are spelled out here rather than relying on JS's own `\w`/`\s`.
// Offsets are code points (Python string indices), end exclusive: `[...text].slice(start, end)`.

/** Python's `\w` on str, as a character-class body. */
export const W = String.raw`\p{L}\p{N}_`;
/** Python's `\s` on str, as a character-class body. */
export const WS = String.raw`\t\n\v\f\r\u001c-\u001f \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000`;
const WORD_PATTERN = new RegExp(`[${W}]+(?:[-_][${W}]+)*|[^${WS}]`, 'gu');

/** A word of the input text; `start`/`end` are code-point offsets, `end` exclusive. */
export interface Word {
  readonly text: string;
  readonly start: number;
  readonly end: number;
  /** UTF-16 index of the word's first unit in the text (for slicing windows out of it). */
  readonly utf16: number;
}

/** Split `text` the way GLiNER's Python does, reporting code-point offsets. */
export function splitWords(text: string): Word[] {
  return matchWords(text, WORD_PATTERN);
}

/** Every match of a global pattern in `text`, as words with code-point offsets. */
export function matchWords(text: string, pattern: RegExp): Word[] {
  const words: Word[] = [];
  // Walk UTF-16 indices and code points together so the conversion is linear in the text.
  let utf16 = 0;
  let codePoints = 0;
  for (const match of text.matchAll(pattern)) {
    const index = match.index;
    codePoints += countCodePoints(text, utf16, index);
    const value = match[0];
    const length = countCodePoints(value, 0, value.length);
    words.push({ text: value, start: codePoints, end: codePoints + length, utf16: index });
    codePoints += length;
    utf16 = index + value.length;
  }
  return words;
}

/** Number of code points in text[from, to) (UTF-16 indices). */
export function countCodePoints(text: string, from: number, to: number): number {
  let count = 0;
  for (let i = from; i < to; i++) {
    const unit = text.charCodeAt(i);
    // A high surrogate followed by a low one is a single code point.
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < to) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
    }
    count++;
  }
  return count;
}

/**
 * Maps code-point offsets back to UTF-16 indices for one text, so an entity's text can be sliced
 * without materialising the whole code-point array. Built lazily only for texts with surrogates.
 */
export class CodePointIndex {
  private readonly utf16At: Uint32Array | undefined;

  constructor(private readonly text: string) {
    // Fast path: texts without surrogate pairs have identical UTF-16 and code-point offsets.
    if (!/[\ud800-\udfff]/.test(text)) {
      this.utf16At = undefined;
      return;
    }
    const map: number[] = [];
    for (let i = 0; i < text.length; i++) {
      map.push(i);
      const unit = text.charCodeAt(i);
      if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
        const next = text.charCodeAt(i + 1);
        if (next >= 0xdc00 && next <= 0xdfff) i++;
      }
    }
    map.push(text.length);
    this.utf16At = Uint32Array.from(map);
  }

  /** The substring between two code-point offsets. */
  slice(start: number, end: number): string {
    if (this.utf16At === undefined) return this.text.slice(start, end);
    return this.text.slice(this.utf16At[start], this.utf16At[end]);
  }
}
