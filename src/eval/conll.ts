// Reading CoNLL two-column files (`word<TAB>tag`, IOB2, blank line between sentences) into texts
// with gold entities as code-point spans, so gold and predictions are compared on the same offsets.

export interface GoldEntity {
  readonly start: number;
  readonly end: number;
  readonly label: string;
}

export interface Sentence {
  readonly text: string;
  readonly entities: readonly GoldEntity[];
}

/** Parse a CoNLL file's contents. Sentence text is the tokens joined by single spaces. */
export function parseConll(contents: string): Sentence[] {
  const sentences: Sentence[] = [];
  let tokens: { word: string; tag: string }[] = [];
  const flush = (): void => {
    if (tokens.length === 0) return;
    let text = '';
    const entities: GoldEntity[] = [];
    let open: { start: number; end: number; label: string } | undefined;
    const close = (): void => {
      if (open) entities.push(open);
      open = undefined;
    };
    tokens.forEach(({ word, tag }, i) => {
      if (i > 0) text += ' ';
      const start = [...text].length;
      text += word;
      const end = start + [...word].length;
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
    sentences.push({ text, entities });
    tokens = [];
  };
  for (const line of contents.split(/\r?\n/)) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('-DOCSTART-')) {
      flush();
      continue;
    }
    const parts = trimmed.split(/\t| +/);
    const word = parts[0] ?? '';
    const tag = parts[parts.length - 1] ?? 'O';
    tokens.push({ word, tag: parts.length > 1 ? tag : 'O' });
  }
  flush();
  return sentences;
}
