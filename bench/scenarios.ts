// The benchmark scenarios. Each one is a function from a request number k to the request's texts and
// labels; request(k) differs for every k (a different sentence, or sentence window, and label set),
// so no run ever sends one body over and over — except `repeat`, which measures the result cache:
// a share of its requests (--repeat-share) are one of a few popular bodies. `relations` asks a
// relation-extraction model for relations too, and `extract` is for a server serving a GLiNER2
// model (POST /api/v1/extract): neither is among the default scenarios; each runs when named.
import type { Corpus } from './corpus.js';
import { rng, shuffle } from './corpus.js';

export const SCENARIO_NAMES = ['short', 'mixed', 'long', 'labels', 'batch', 'stream', 'repeat', 'relations', 'extract'] as const;
export type ScenarioName = (typeof SCENARIO_NAMES)[number];
/** What a run without --scenarios measures: all but `relations` (a relation-extraction model) and `extract` (a GLiNER2 model). */
export const DEFAULT_SCENARIOS: readonly ScenarioName[] = SCENARIO_NAMES.filter((name) => name !== 'relations' && name !== 'extract');

/** The relation labels of the relations scenario (a prime number of sets, as the label sets). */
const RELATION_SETS: readonly (readonly string[])[] = [['works for', 'located in', 'part of'], ['founded', 'born in'], ['works with', 'located in', 'member of', 'owns'], ['headquartered in', 'works for'], ['part of', 'born in', 'founded']];

/** How a scenario's requests reach the server. */
export type Transport = 'predict' | 'batch' | 'stream' | 'extract';

/**
 * The extract scenario's schema, the "realistic" one: four entity types (one described),
 * one classification, one relation, one structure of three fields.
 */
export const EXTRACT_SCHEMA = {
  entities: ['person', { name: 'organization', description: 'Companies, institutions, teams' }, 'location', 'date'],
  classifications: [{ task: 'topic', labels: ['politics', 'sports', 'business', 'science', 'other'] }],
  relations: ['works_for'],
  structures: [{ name: 'event', fields: [{ name: 'what', dtype: 'str' }, { name: 'who', dtype: 'list' }, { name: 'where', dtype: 'str' }] }],
};

export interface RequestInput {
  readonly texts: readonly string[];
  readonly labels: readonly string[];
  /** Relation labels (the relations scenario). */
  readonly relations?: readonly string[];
}

export interface Scenario {
  readonly name: ScenarioName;
  readonly transport: Transport;
  readonly description: string;
  request(k: number): RequestInput;
}

export const SCENARIO_DESCRIPTIONS: Record<ScenarioName, string> = {
  short: 'POST /predict, one sentence (4-60 words), 3-6 labels',
  mixed: 'POST /predict, 1-16 consecutive sentences (~10-450 words), 3-6 labels',
  long: 'POST /predict, a ~1500-word document (several windows), 4 labels',
  labels: 'POST /predict, one sentence with 40-60 labels (2-3 label groups)',
  batch: 'POST /predict/batch, 8 sentences per request, 3-6 labels',
  stream: 'WebSocket /stream, one message per request, mixed lengths (1-8 sentences)',
  repeat: 'POST /predict, mixed lengths (1-8 sentences); a share (--repeat-share, default 0.5) repeat one of 32 popular bodies, the rest are unique',
  relations: 'POST /predict, one sentence, 3-6 labels and 2-4 relation labels (relation-extraction models only; run when named)',
  extract: 'POST /extract (a GLiNER2 model), 1-4 consecutive sentences, one schema: 4 entity types, a 5-label classification, a relation, a 3-field structure',
};

/** Popular bodies of the repeat scenario. */
export const REPEAT_POOL = 32;

export interface ScenarioOptions {
  /** Words in a "long" document. */
  readonly longWords: number;
  /** Texts per /predict/batch request. */
  readonly batchTexts: number;
  readonly seed: number;
  /** Share of the repeat scenario's requests that repeat a popular body (0..1, default 0.5). */
  readonly repeatShare?: number;
}

export const DEFAULT_SCENARIO_OPTIONS: ScenarioOptions = { longWords: 1500, batchTexts: 8, seed: 1, repeatShare: 0.5 };

function labelSets(corpus: Corpus, count: number, min: number, max: number, seed: number, topN: number): string[][] {
  const top = corpus.labels.slice(0, Math.max(topN, max));
  const sets: string[][] = [];
  for (let j = 0; j < count; j++) {
    const random = rng(seed * 7919 + j);
    const size = min + Math.floor(random() * (max - min + 1));
    sets.push(shuffle(top, random).slice(0, size));
  }
  return sets;
}

export function makeScenario(name: ScenarioName, corpus: Corpus, options: ScenarioOptions = DEFAULT_SCENARIO_OPTIONS): Scenario {
  const sentences = corpus.sentences;
  const S = sentences.length;
  const sentence = (i: number): string => sentences[((i % S) + S) % S] as string;
  // A prime number of label sets: (k mod S, k mod L) pairs repeat only after S·L requests.
  const small = labelSets(corpus, 101, 3, 6, options.seed, 16);
  const smallLabels = (k: number): string[] => small[k % small.length] as string[];
  const consecutive = (start: number, count: number): string => {
    const parts: string[] = [];
    for (let i = 0; i < count; i++) parts.push(sentence(start + i));
    return parts.join(' ');
  };
  const description = SCENARIO_DESCRIPTIONS[name];
  switch (name) {
    case 'short':
      return { name, transport: 'predict', description, request: (k) => ({ texts: [sentence(k)], labels: smallLabels(k) }) };
    case 'mixed': {
      const counts = [1, 1, 2, 1, 3, 1, 2, 4, 1, 6, 2, 1, 8, 1, 3, 16];
      return { name, transport: 'predict', description, request: (k) => ({ texts: [consecutive(k, counts[k % counts.length] as number)], labels: smallLabels(k) }) };
    }
    case 'long': {
      const fixed = labelSets(corpus, 101, 4, 4, options.seed + 1, 16);
      return {
        name, transport: 'predict', description,
        request: (k) => {
          const parts: string[] = [];
          let words = 0;
          for (let i = k; words < options.longWords && i < k + S; i++) {
            const s = sentence(i);
            parts.push(s);
            words += s.split(' ').length;
          }
          return { texts: [parts.join(' ')], labels: fixed[k % fixed.length] as string[] };
        },
      };
    }
    case 'labels': {
      const many = labelSets(corpus, 101, 40, 60, options.seed + 2, 60);
      return { name, transport: 'predict', description, request: (k) => ({ texts: [sentence(k)], labels: many[k % many.length] as string[] }) };
    }
    case 'batch':
      return {
        name, transport: 'batch', description,
        request: (k) => ({ texts: Array.from({ length: options.batchTexts }, (_, i) => sentence(k * options.batchTexts + i)), labels: smallLabels(k) }),
      };
    case 'stream': {
      const counts = [1, 2, 1, 4, 1, 1, 8, 2];
      return { name, transport: 'stream', description, request: (k) => ({ texts: [consecutive(k, counts[k % counts.length] as number)], labels: smallLabels(k) }) };
    }
    case 'relations':
      return { name, transport: 'predict', description, request: (k) => ({ texts: [sentence(k)], labels: smallLabels(k), relations: RELATION_SETS[k % RELATION_SETS.length] }) };
    case 'extract': {
      const counts = [1, 2, 1, 3, 1, 4, 2, 1];
      return { name, transport: 'extract', description, request: (k) => ({ texts: [consecutive(k, counts[k % counts.length] as number)], labels: [] }) };
    }
    case 'repeat': {
      const counts = [1, 2, 1, 4, 1, 1, 8, 2];
      const share = options.repeatShare ?? 0.5;
      // Popular bodies have label sets of their own, so no unique request can equal one of them.
      const popularLabels = labelSets(corpus, REPEAT_POOL, 3, 6, options.seed + 3, 16);
      return {
        name, transport: 'predict', description,
        request: (k) => {
          const random = rng(options.seed * 104729 + k);
          if (random() >= share) return { texts: [consecutive(k, counts[k % counts.length] as number)], labels: smallLabels(k) };
          const p = Math.floor(random() * REPEAT_POOL);
          return { texts: [consecutive(S - 1 - p * 8, counts[p % counts.length] as number)], labels: popularLabels[p] as string[] };
        },
      };
    }
  }
}

/** The HTTP or WebSocket body of request k. */
export function bodyOf(scenario: Scenario, k: number): string {
  const input = scenario.request(k);
  const relations = input.relations === undefined ? {} : { relations: input.relations };
  switch (scenario.transport) {
    case 'predict':
      return JSON.stringify({ text: input.texts[0] ?? '', labels: input.labels, ...relations });
    case 'batch':
      return JSON.stringify({ texts: input.texts, labels: input.labels, ...relations });
    case 'stream':
      return JSON.stringify({ id: k, text: input.texts[0] ?? '', labels: input.labels, ...relations });
    case 'extract':
      return JSON.stringify({ text: input.texts[0] ?? '', schema: EXTRACT_SCHEMA });
  }
}

export function pathOf(transport: Transport): string {
  switch (transport) {
    case 'predict':
      return '/api/v1/predict';
    case 'batch':
      return '/api/v1/predict/batch';
    case 'stream':
      return '/api/v1/stream';
    case 'extract':
      return '/api/v1/extract';
  }
}
