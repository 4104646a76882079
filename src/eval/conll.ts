// Reading CoNLL two-column files (`word<TAB>tag`, IOB2, blank line between sentences) into texts
// with gold entities as code-point spans, so gold and predictions are compared on the same offsets.
// A line that is not `word<whitespace>tag` with an O/B-x/I-x tag is refused with its line number,
// never read as an untagged word (a wrong file would otherwise score a silent table of zeros).
import { GlinerError } from '../errors.js';

export interface GoldEntity {
  readonly start: number;
  readonly end: number;
  readonly label: string;
}

export interface Sentence {
  readonly text: string;
  readonly entities: readonly GoldEntity[];
  /** Which document the sentence belongs to: 0, 1, 2, … (all 0 in a file with no document boundaries). */
  readonly document: number;
  /** Number of words (tokens) in the sentence. */
  readonly words: number;
}

const TAG = /^(?:O|[BI]-\S+)$/;

function sentenceOf(tokens: readonly { word: string; tag: string }[], document: number): Sentence {
  let text = '';
  let length = 0;
  const entities: GoldEntity[] = [];
  let open: { start: number; end: number; label: string } | undefined;
  const close = (): void => {
    if (open) entities.push(open);
    open = undefined;
  };
  tokens.forEach(({ word, tag }, i) => {
    if (i > 0) {
      text += ' ';
      length += 1;
    }
    const start = length;
    text += word;
    length += [...word].length;
    const end = length;
    const [prefix, label] = tag === 'O' ? ['O', ''] : [tag.slice(0, 1), tag.slice(2)];
    if (prefix === 'B' || (prefix === 'I' && (open === undefined || open.label !== label))) {
      close();
      open = { start, end, label };
    } else if (prefix === 'I' && open !== undefined) {
      open.end = end;
    } else {
      close();
    }
  });
  close();
  return { text, entities, document, words: tokens.length };
}

/**
 * Parse a CoNLL file's contents. Sentence text is the tokens joined by single spaces.
 * `source` names the file in errors. Throws DATA_INVALID on a line that is not `word tag`.
 */
export function parseConll(contents: string, source = 'input'): Sentence[] {
  const sentences: Sentence[] = [];
  let tokens: { word: string; tag: string }[] = [];
  let document = 0;
  const flush = (): void => {
    if (tokens.length > 0) sentences.push(sentenceOf(tokens, document));
    tokens = [];
  };
  // A new document starts at a -DOCSTART- line, or at two blank lines in a row (CrossNER's copy of
  // CoNLL-2003 dropped the -DOCSTART- lines and left a double blank line in their place).
  let boundary = false;
  let blanks = 0;
  const lines = contents.split(/\r?\n/);
  lines.forEach((line, index) => {
    const trimmed = line.trim();
    if (trimmed === '') {
      flush();
      blanks++;
      if (blanks >= 2 && sentences.length > 0) boundary = true;
      return;
    }
    blanks = 0;
    if (trimmed.startsWith('-DOCSTART-')) {
      flush();
      boundary = true;
      return;
    }
    const parts = trimmed.split(/\t| +/);
    const word = parts[0] ?? '';
    const tag = parts[parts.length - 1] ?? '';
    if (parts.length < 2 || !TAG.test(tag)) {
      const shown = trimmed.length > 60 ? `${trimmed.slice(0, 60)}…` : trimmed;
      throw new GlinerError(
        'DATA_INVALID',
        `${source}:${index + 1}: not a CoNLL line (expected "word<TAB>tag" with an IOB tag O, B-label or I-label): ${JSON.stringify(shown)}`,
      );
    }
    if (boundary) {
      document++;
      boundary = false;
    }
    tokens.push({ word, tag });
  });
  flush();
  if (sentences.length === 0) throw new GlinerError('DATA_INVALID', `${source}: no sentences (expected CoNLL "word<TAB>tag" lines, blank line between sentences).`);
  return sentences;
}

/** A document (or passage) made of consecutive sentences, with gold offsets in the joined text. */
export interface Passage {
  readonly text: string;
  readonly entities: readonly GoldEntity[];
  readonly sentences: number;
  readonly words: number;
}

/**
 * Group sentences into what a user would send: each document whole when the file marks them
 * (CoNLL-2003: `-DOCSTART-` or a double blank line); otherwise (CrossNER) consecutive sentences up to `passageWords` words (a single
 * longer sentence stays one passage). Sentences are joined by one space; gold spans are shifted by
 * the code-point offset of their sentence.
 */
export function groupPassages(sentences: readonly Sentence[], passageWords: number): Passage[] {
  const hasDocuments = sentences.some((s) => s.document > 0);
  const passages: Passage[] = [];
  let current: Sentence[] = [];
  let words = 0;
  const flush = (): void => {
    if (current.length === 0) return;
    let text = '';
    let offset = 0;
    const entities: GoldEntity[] = [];
    current.forEach((sentence, i) => {
      if (i > 0) {
        text += ' ';
        offset += 1;
      }
      for (const e of sentence.entities) entities.push({ start: e.start + offset, end: e.end + offset, label: e.label });
      text += sentence.text;
      offset += [...sentence.text].length;
    });
    passages.push({ text, entities, sentences: current.length, words });
    current = [];
    words = 0;
  };
  for (const sentence of sentences) {
    const last = current[current.length - 1];
    const boundary = hasDocuments ? last !== undefined && last.document !== sentence.document : words > 0 && words + sentence.words > passageWords;
    if (boundary) flush();
    current.push(sentence);
    words += sentence.words;
  }
  flush();
  return passages;
}
