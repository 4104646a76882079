// GLiNER2's word splitter and long-text chunks, with offsets in Unicode code points.
//
// Upstream (fastino-ai/GLiNER2 a91fd1d: processor.py WhitespaceTokenSplitter, the same pattern in
// inference/chunking.py) matches, case-insensitively, a URL (`https?://` or `www.` then non-spaces),
// an e-mail address, an @mention, a word `\w+(?:[-_]\w+)*`, or any other non-space character, and
// lower-cases each word (the offsets index the original text). Python's IGNORECASE lets `[a-z]`
// match A-Z and four more letters (U+0130 İ, U+0131 ı, U+017F ſ, U+212A Kelvin) and the `s` of
// https also ſ; JS's `i` flag would miss İ and ı, so the classes are spelled out. `\w` and `\s`
// are Python's (as ../words.ts).
import { countCodePoints, matchWords, W, WS, type Word } from '../words.js';
import { pyLower } from './py.js';

const AZ = String.raw`a-zA-Z\u0130\u0131\u017f\u212a`;
const URL = String.raw`[hH][tT][tT][pP][sS\u017f]?://[^${WS}]+|[wW][wW][wW]\.[^${WS}]+`;
const EMAIL = String.raw`[${AZ}0-9._%+\-]+@[${AZ}0-9.\-]+\.[${AZ}]{2,}`;
const MENTION = String.raw`@[${AZ}0-9_]+`;
const PATTERN = new RegExp(`${URL}|${EMAIL}|${MENTION}|[${W}]+(?:[-_][${W}]+)*|[^${WS}]`, 'gu');

/** A word: its text as written, code-point offsets (end exclusive), UTF-16 index. */
export type Gliner2Word = Word;

/** The words of `text` as upstream's splitter finds them (not lower-cased: see `lowered`). */
export function splitGliner2Words(text: string): Gliner2Word[] {
  return matchWords(text, PATTERN);
}

const STRIP = new RegExp(`^[${WS}]+|[${WS}]+$`, 'gu');

/** Python's str.strip(): whitespace off both ends. */
export function pyStrip(text: string): string {
  return text.replace(STRIP, '');
}

/** The token upstream's processor feeds the tokenizer for a word (`lower=True`). */
export function lowered(word: Gliner2Word): string {
  return pyLower(word.text);
}

/** One chunk of a long text: a slice of it (UTF-16 indices) and where it starts, in code points and words. */
export interface TextChunk {
  readonly utf16Start: number;
  readonly utf16End: number;
  readonly startChar: number;
  readonly endChar: number;
  readonly startWord: number;
  readonly endWord: number;
}

/**
 * Overlapping word windows, as upstream's split_text_into_chunks (inference/chunking.py): windows
 * of `chunkSize` words advancing by `chunkSize - overlap`, each the text from its first word's
 * start to its last word's end; a text with no word is one chunk, the whole text.
 */
export function chunkText(text: string, chunkSize: number, overlap: number, words = splitGliner2Words(text)): TextChunk[] {
  if (!(chunkSize > 0) || !(overlap >= 0) || overlap >= chunkSize) throw new RangeError(`chunks of ${chunkSize} words overlapping by ${overlap}`);
  if (words.length === 0) {
    return [{ utf16Start: 0, utf16End: text.length, startChar: 0, endChar: countCodePoints(text, 0, text.length), startWord: 0, endWord: 0 }];
  }
  const chunks: TextChunk[] = [];
  const step = chunkSize - overlap;
  for (let startWord = 0; startWord < words.length; startWord += step) {
    const endWord = Math.min(startWord + chunkSize, words.length);
    const first = words[startWord] as Gliner2Word;
    const last = words[endWord - 1] as Gliner2Word;
    chunks.push({ utf16Start: first.utf16, utf16End: last.utf16 + last.text.length, startChar: first.start, endChar: last.end, startWord, endWord });
    if (endWord === words.length) break;
  }
  return chunks;
}
