// Prompt encoding: (labels, words) → input_ids and words_mask for one row, as GLiNER builds them.
//
// The word list is [<<ENT>>, label1, <<ENT>>, label2, …, <<SEP>>, w1 … wL]; relation-extraction models
// add their relation labels after it, [<<REL>>, relation1, …, <<SEP>>] (always, with none:
// RelationExtractionSpanProcessor.prepare_inputs at c2bb58d). Each item is tokenised on
// its own (the Python fast tokenizer with is_split_into_words does the same: Metaspace prepends ▁ to
// every item), the pieces are concatenated and wrapped in [CLS] … [SEP]. words_mask holds the 1-based
// index of a text word at its first sub-token and 0 everywhere else.
import { GlinerError } from '../errors.js';
import { loadTokenizer, type HfTokenizer } from './tokenizer.js';

export interface EncodedRow {
  readonly inputIds: readonly number[];
  readonly wordsMask: readonly number[];
  /** Text words in this row, deleted ones included (the L of GLiNER's text_lengths). */
  readonly textLength: number;
  /** Labels in this row's prompt (the row's own C). */
  readonly numLabels: number;
  /** Relation labels in this row's prompt (relation-extraction models; the row's own R). */
  readonly numRelations?: number;
  /**
   * For each model word position, the index into the row's `words`; present only when some word
   * produced no sub-token (see `encode`), otherwise positions and word indices are the same.
   */
  readonly wordIndexMap?: readonly number[];
}

export interface SpecialIds {
  readonly cls: number;
  readonly sep: number;
  readonly ent: number;
  readonly promptSep: number;
  /** The relation marker, when the tokenizer has one. */
  readonly rel?: number;
}

/**
 * A tokenizer's sub-token ids of one word, label or prompt item at a time, without special tokens;
 * cached (words repeat a lot) and cleared when full. GLiNER's and GLiNER2's prompt encoders share it.
 */
export class PieceCache {
  private readonly cache = new Map<string, readonly number[]>();

  constructor(
    private readonly tokenizer: HfTokenizer,
    private readonly limit = 200_000,
  ) {}

  pieces(item: string): readonly number[] {
    const cached = this.cache.get(item);
    if (cached !== undefined) return cached;
    const ids = this.tokenizer.encode(item, { add_special_tokens: false }).ids;
    if (this.cache.size >= this.limit) this.cache.clear();
    this.cache.set(item, ids);
    return ids;
  }
}

export class PromptEncoder {
  private readonly words: PieceCache;
  readonly special: SpecialIds;

  constructor(
    tokenizer: HfTokenizer,
    entToken: string,
    sepToken: string,
    relToken?: string,
  ) {
    const id = (token: string): number => {
      const value = tokenizer.token_to_id(token);
      if (value === undefined) throw new GlinerError('MODEL_UNSUPPORTED', `tokenizer.json has no token ${token}`);
      return value;
    };
    this.special = { cls: id('[CLS]'), sep: id('[SEP]'), ent: id(entToken), promptSep: id(sepToken), ...(relToken === undefined ? {} : { rel: id(relToken) }) };
    this.words = new PieceCache(tokenizer);
  }

  /** `relToken`: relation-extraction models' relation marker (tokenizer.json must have it). */
  static fromJson(tokenizerJson: unknown, tokenizerConfig: unknown, entToken: string, sepToken: string, relToken?: string): PromptEncoder {
    return new PromptEncoder(loadTokenizer(tokenizerJson, tokenizerConfig), entToken, sepToken, relToken);
  }

  /** Sub-token ids of one word or label, without special tokens; cached (words repeat a lot). */
  pieces(word: string): readonly number[] {
    return this.words.pieces(word);
  }

  /**
   * The row's tokens. With `prompt` (uni-encoders) the labels lead the text as above; without it
   * (bi-encoders, whose labels go through their own encoder) the row is [CLS] w1 … wL [SEP], as
   * upstream's BiEncoder processors tokenise the text words alone. With `relations` (relation-extraction
   * models, an empty list included) the relation section follows the labels.
   */
  encode(labels: readonly string[], words: readonly string[], prompt = true, relations?: readonly string[]): EncodedRow {
    const inputIds: number[] = [this.special.cls];
    const wordsMask: number[] = [0];
    const section = (marker: number, items: readonly string[]): void => {
      for (const item of items) {
        inputIds.push(marker);
        wordsMask.push(0);
        for (const id of this.pieces(item)) {
          inputIds.push(id);
          wordsMask.push(0);
        }
      }
      inputIds.push(this.special.promptSep);
      wordsMask.push(0);
    };
    if (prompt) section(this.special.ent, labels);
    if (relations !== undefined) {
      if (this.special.rel === undefined) throw new Error('relation labels for a model without a relation marker: this is a bug');
      section(this.special.rel, relations);
    }
    // GLiNER HEAD counts only words that produced at least one sub-token, so a word the normaliser
    // deletes entirely (a lone zero-width character, say) shifts later words down, and Python then
    // reports shifted character offsets. Its text_lengths still counts every word, so the model sees
    // one empty word position at the end per deleted word. We build the same tensors (the scores are
    // Python's) but keep a map from positions back to the real words, so offsets stay right; the
    // trailing empty positions map to the word Python reads for them (its own index).
    let wordIndex = 0;
    let wordIndexMap: number[] | undefined;
    for (let w = 0; w < words.length; w++) {
      const ids = this.pieces(words[w] ?? '');
      if (ids.length === 0) {
        wordIndexMap ??= Array.from({ length: wordIndex }, (_, i) => i);
        continue;
      }
      wordIndexMap?.push(w);
      wordIndex++;
      ids.forEach((id, i) => {
        inputIds.push(id);
        wordsMask.push(i === 0 ? wordIndex : 0);
      });
    }
    if (wordIndexMap !== undefined) for (let p = wordIndex; p < words.length; p++) wordIndexMap.push(p);
    inputIds.push(this.special.sep);
    wordsMask.push(0);
    const row = { inputIds, wordsMask, textLength: words.length, numLabels: labels.length, ...(relations === undefined ? {} : { numRelations: relations.length }) };
    return wordIndexMap === undefined ? row : { ...row, wordIndexMap };
  }
}
