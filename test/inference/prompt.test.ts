// Prompt encoding with the embedded model's tokenizer (a DeBERTa-v3-style Unigram + Metaspace).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PromptEncoder } from '../../src/inference/prompt.js';
import { buildBatch } from '../../src/inference/tensors.js';
import { EMBEDDED_MODEL } from '../support/paths.js';
import { relexTokenizerJson } from '../support/relex-micro.js';

const json = (file: string): unknown => JSON.parse(readFileSync(path.join(EMBEDDED_MODEL, file), 'utf8'));
const encoder = PromptEncoder.fromJson(json('tokenizer.json'), json('tokenizer_config.json'), '<<ENT>>', '<<SEP>>');

describe('PromptEncoder', () => {
  it('finds the special ids where GLiNER puts them (<<ENT>>, <<SEP>> appended last)', () => {
    const config = json('gliner_config.json') as { class_token_index: number; vocab_size: number };
    expect(encoder.special).toEqual({ cls: 1, sep: 2, ent: config.class_token_index, promptSep: config.class_token_index + 1 });
    expect(encoder.special.promptSep).toBe(config.vocab_size - 1);
  });

  it('lays out [CLS] <<ENT>> label … <<SEP>> words [SEP] with words_mask on first sub-tokens', () => {
    const row = encoder.encode(['person', 'movie character'], ['My', 'name', 'is', 'Washington']);
    const { cls, sep, ent, promptSep } = encoder.special;
    const person = encoder.pieces('person');
    const movie = encoder.pieces('movie character');
    const words = ['My', 'name', 'is', 'Washington'].map((w) => encoder.pieces(w));
    expect(row.inputIds).toEqual([cls, ent, ...person, ent, ...movie, promptSep, ...words.flat(), sep]);
    const promptLength = 1 + 1 + person.length + 1 + movie.length + 1;
    const expectedMask = [...Array<number>(promptLength).fill(0), ...words.flatMap((ids, w) => ids.map((_, i) => (i === 0 ? w + 1 : 0))), 0];
    expect(row.wordsMask).toEqual(expectedMask);
    expect(words[3]?.length).toBeGreaterThan(1); // a multi-piece word: only its first piece is marked
    expect(row.textLength).toBe(4);
    expect(row.numLabels).toBe(2);
    expect(row.wordIndexMap).toBeUndefined();
  });

  it('numbers words as GLiNER HEAD does around a word the normaliser deletes (zero-width space), with a map back to the real words', () => {
    expect(encoder.pieces('\u200b')).toEqual([]);
    const row = encoder.encode(['person'], ['Ada', '\u200b', 'Lovelace']);
    // Python's text_lengths counts the deleted word: an empty position at the end, read as word 2.
    expect(row.textLength).toBe(3);
    expect(row.wordIndexMap).toEqual([0, 2, 2]);
    expect(row.wordsMask.filter((m) => m > 0)).toEqual([1, 2]);
  });
});

describe('buildBatch', () => {
  it('pads rows of different lengths and label counts; span_idx is i*K+k with mask i+k < L', () => {
    const a = encoder.encode(['person'], ['Ada', 'met', 'Bob']);
    const b = encoder.encode(['person', 'location', 'organization'], ['Paris']);
    const batch = buildBatch([a, b], 2);
    expect([batch.batchSize, batch.words, batch.tokens]).toEqual([2, 3, Math.max(a.inputIds.length, b.inputIds.length)]);
    expect([...batch.textLengths]).toEqual([3n, 1n]);
    // Row 0: spans (0,0) (0,1) (1,1) (1,2) (2,2) valid, (2,3) masked.
    expect([...batch.spanMask.slice(0, 6)]).toEqual([1, 1, 1, 1, 1, 0]);
    expect([...batch.spanIdx.slice(0, 12)].map(Number)).toEqual([0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 0, 0]);
    // Row 1: only (0,0).
    expect([...batch.spanMask.slice(6, 12)]).toEqual([1, 0, 0, 0, 0, 0]);
    // Padding: attention 0, ids 0.
    const t = batch.tokens;
    expect(Number(batch.attentionMask[t + b.inputIds.length - 1])).toBe(1);
    if (b.inputIds.length < t) expect(Number(batch.attentionMask[t + b.inputIds.length])).toBe(0);
  });

  it('relation-extraction models: <<REL>> relation … <<SEP>> after the labels, present even with no relation', () => {
    const relex = PromptEncoder.fromJson(relexTokenizerJson(), json('tokenizer_config.json'), '<<ENT>>', '<<SEP>>', '<<REL>>');
    const { cls, sep, ent, promptSep, rel } = relex.special;
    expect(rel).toBe(8004);
    const words = ['Ada', 'met', 'Charles'].map((w) => relex.pieces(w));
    const row = relex.encode(['person'], ['Ada', 'met', 'Charles'], true, ['works with', 'born in']);
    expect(row.inputIds).toEqual([cls, ent, ...relex.pieces('person'), promptSep, rel, ...relex.pieces('works with'), rel, ...relex.pieces('born in'), promptSep, ...words.flat(), sep]);
    expect(row.numRelations).toBe(2);
    expect(row.wordsMask.filter((m) => m !== 0)).toEqual([1, 2, 3]);
    const none = relex.encode(['person'], ['Ada'], true, []);
    expect(none.inputIds).toEqual([cls, ent, ...relex.pieces('person'), promptSep, promptSep, ...relex.pieces('Ada'), sep]);
    // NER models never get the section.
    expect(encoder.encode(['person'], ['Ada']).numRelations).toBeUndefined();
  });
});
