// Benchmark inputs: real sentences from the CrossNER test sets shipped in the repo
// (datasets/crossner/*/test.txt, CoNLL word<TAB>tag with a blank line between sentences), or
// generated sentences when the data is not there, plus a pool of natural-language labels.
// Everything is deterministic for a given seed.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

export interface Corpus {
  /** Sentences, words joined by single spaces. */
  readonly sentences: readonly string[];
  /** Labels, most frequent dataset tags first, then generic ones (at least 60). */
  readonly labels: readonly string[];
  /** Where the sentences came from: the directory relative to the repository root, or "generated". */
  readonly source: string;
}

/** mulberry32: small, fast, deterministic. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function shuffle<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

// CrossNER tags spelled as a user would write a label.
const TAG_LABELS: Record<string, string> = {
  organisation: 'organization', person: 'person', location: 'location', misc: 'miscellaneous entity',
  politicalparty: 'political party', award: 'award', election: 'election', book: 'book', event: 'event',
  writer: 'writer', country: 'country', album: 'album', scientist: 'scientist', band: 'band',
  musicalartist: 'musical artist', politician: 'politician', musicgenre: 'music genre', song: 'song',
  academicjournal: 'academic journal', task: 'task', university: 'university',
  astronomicalobject: 'astronomical object', metrics: 'metric', field: 'field of study', algorithm: 'algorithm',
  poem: 'poem', product: 'product', conference: 'conference', researcher: 'researcher',
  literarygenre: 'literary genre', protein: 'protein', chemicalcompound: 'chemical compound', magazine: 'magazine',
  enzyme: 'enzyme', discipline: 'discipline', chemicalelement: 'chemical element', programlang: 'programming language',
  theory: 'theory', musicalinstrument: 'musical instrument',
};

const GENERIC_LABELS = [
  'date', 'time', 'money', 'percentage', 'quantity', 'nationality', 'religion', 'language', 'law', 'facility',
  'vehicle', 'weapon', 'food', 'disease', 'drug', 'sport', 'sports team', 'city', 'state', 'company', 'brand',
  'website', 'email address', 'phone number', 'street address', 'job title', 'medical condition', 'symptom',
  'gene', 'species', 'building', 'river', 'mountain', 'movie', 'tv show', 'video game', 'software', 'hardware',
  'file format', 'protocol', 'currency', 'ethnic group', 'holiday', 'military unit', 'ship', 'aircraft',
];

const FILLER = [
  'the', 'committee', 'announced', 'that', 'researchers', 'at', 'university', 'of', 'Cambridge', 'and', 'Google',
  'released', 'a', 'new', 'model', 'in', 'Paris', 'during', 'conference', 'on', 'Monday', 'with', 'support', 'from',
  'Microsoft', 'Berlin', 'London', 'album', 'band', 'election', 'party', 'protein', 'enzyme', 'novel', 'author',
  'Alice', 'Johnson', 'said', 'their', 'results', 'improve', 'accuracy', 'by', 'percent', 'Tokyo', 'Nobel', 'Prize',
];

function generated(seed: number, count = 4000): Corpus {
  const random = rng(seed ^ 0x5eed);
  const sentences: string[] = [];
  for (let i = 0; i < count; i++) {
    const length = 6 + Math.floor(random() * random() * 50);
    const words: string[] = [];
    for (let w = 0; w < length; w++) words.push(FILLER[Math.floor(random() * FILLER.length)] as string);
    sentences.push(`${words.join(' ')} .`);
  }
  return { sentences, labels: [...Object.values(TAG_LABELS), ...GENERIC_LABELS], source: 'generated' };
}

/** Sentences of one CoNLL file (first column of each line, blank line between sentences). */
export function parseConll(text: string): { sentences: string[]; tags: Map<string, number> } {
  const sentences: string[] = [];
  const tags = new Map<string, number>();
  let words: string[] = [];
  const flush = (): void => {
    if (words.length > 0) sentences.push(words.join(' '));
    words = [];
  };
  for (const line of text.split(/\r?\n/)) {
    if (line.trim().length === 0 || line.startsWith('-DOCSTART-')) {
      flush();
      continue;
    }
    const [word, tag] = line.split('\t');
    if (word === undefined || word.length === 0) continue;
    words.push(word);
    if (tag !== undefined && tag !== 'O') {
      const name = tag.replace(/^[BI]-/, '');
      tags.set(name, (tags.get(name) ?? 0) + 1);
    }
  }
  flush();
  return { sentences, tags };
}

/** Default dataset directory: the repository's own datasets/ folder. */
export function defaultDatasetsDir(root: string): string {
  return path.join(root, 'datasets');
}

/**
 * A path as reports record it: relative to the repository root (never an absolute machine path,
 * which says nothing on another machine), with forward slashes.
 */
export function reportPath(file: string, root: string): string {
  const relative = path.relative(root, path.resolve(file));
  return (relative.length === 0 ? '.' : relative).split(path.sep).join('/');
}

/**
 * Load every `crossner/*\/test.txt` under `datasetsDir`, or generate sentences if there are none.
 * `root` (the repository root) is what the recorded source is relative to.
 */
export function loadCorpus(datasetsDir: string, seed = 1, root = process.cwd()): Corpus {
  const crossner = path.join(datasetsDir, 'crossner');
  const files = existsSync(crossner)
    ? readdirSync(crossner)
        .map((domain) => path.join(crossner, domain, 'test.txt'))
        .filter((file) => existsSync(file) && statSync(file).isFile())
        .sort()
    : [];
  if (files.length === 0) return generated(seed);
  const sentences: string[] = [];
  const tagCounts = new Map<string, number>();
  for (const file of files) {
    const parsed = parseConll(readFileSync(file, 'utf8'));
    sentences.push(...parsed.sentences.filter((s) => s.split(' ').length >= 4));
    for (const [tag, count] of parsed.tags) tagCounts.set(tag, (tagCounts.get(tag) ?? 0) + count);
  }
  if (sentences.length < 100) return generated(seed);
  const fromTags = [...tagCounts.entries()].sort((a, b) => b[1] - a[1]).map(([tag]) => TAG_LABELS[tag] ?? tag);
  const labels = [...new Set([...fromTags, ...GENERIC_LABELS])];
  return { sentences: shuffle(sentences, rng(seed)), labels, source: reportPath(crossner, root) };
}
