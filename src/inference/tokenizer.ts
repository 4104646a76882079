// Loading a model's tokenizer.json: @huggingface/tokenizers (pure JS), with the pieces where it
// departs from the Rust `tokenizers` crate replaced by exact ones.
//
// - `Precompiled` (the SentencePiece charsmap, DeBERTa-v3/T5/XLM-R): the JS library approximates it
//   with NFKC; we apply the charsmap itself (precompiled.ts).
// - `Strip` (normaliser) and `WhitespaceSplit` (pre-tokeniser): the JS library uses JS whitespace
//   (which includes U+FEFF and excludes U+0085); Rust uses `char::is_whitespace` (Unicode
//   White_Space). We use the Rust set ("a\u0085b" is two words in Rust, one in the JS library).
// They are swapped in on the library's own objects, so the order of a Sequence and the handling of
// added tokens stay the library's (which follow Rust: added tokens are split out of the raw text
// first, the rest is normalised).
import * as tokenizers from '@huggingface/tokenizers';
import { GlinerError } from '../errors.js';
import { PrecompiledCharsmap } from './precompiled.js';

/** The part of @huggingface/tokenizers we use (its bundled .d.ts does not resolve under NodeNext). */
export interface HfTokenizer {
  encode(text: string, options: { add_special_tokens: boolean }): { ids: number[] };
  token_to_id(token: string): number | undefined;
}
const Tokenizer = (tokenizers as unknown as { Tokenizer: new (json: object, config: object) => HfTokenizer }).Tokenizer;

/** A normaliser object as the library builds it: its JSON config and a `normalize` method. */
interface LibNormalizer {
  config?: { type?: string; precompiled_charsmap?: unknown; strip_left?: boolean; strip_right?: boolean };
  normalizers?: (LibNormalizer | null)[];
  normalize(text: string): string;
}

/** A pre-tokeniser object as the library builds it (Sequence keeps its children in `tokenizers`). */
interface LibPreTokenizer {
  tokenizers?: (LibPreTokenizer | null)[];
  pre_tokenize_text(text: string, options?: unknown): string[];
}

interface PreTokenizerJson {
  type?: string;
  pretokenizers?: (PreTokenizerJson | null)[];
}

interface TokenizerJson {
  added_tokens?: { content: string; normalized?: boolean }[];
  pre_tokenizer?: PreTokenizerJson | null;
}

// Rust char::is_whitespace: the Unicode White_Space property.
const RUST_WHITESPACE = '\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const LEADING = new RegExp(`^[${RUST_WHITESPACE}]+`, 'u');
const TRAILING = new RegExp(`[${RUST_WHITESPACE}]+$`, 'u');
const NON_WHITESPACE_RUNS = new RegExp(`[^${RUST_WHITESPACE}]+`, 'gu');

/** Build the tokenizer for a model directory's tokenizer.json (+ tokenizer_config.json). */
export function loadTokenizer(tokenizerJson: unknown, tokenizerConfig: unknown): HfTokenizer {
  const tokenizer = new Tokenizer(tokenizerJson as object, (tokenizerConfig ?? {}));
  const lib = tokenizer as unknown as { normalizer: LibNormalizer | null; pre_tokenizer: LibPreTokenizer | null };
  const preTokenizer = lib.pre_tokenizer;
  const preTokenizerJson = (tokenizerJson as TokenizerJson).pre_tokenizer;
  if (preTokenizer && preTokenizerJson) exactPreTokenizers(preTokenizerJson, preTokenizer);
  const root = lib.normalizer;
  if (root === null) return tokenizer;
  // Added tokens marked `normalized` were matched against the library's approximate normaliser
  // when it was built; record what it made of them, so we can check the exact one agrees.
  const before = normalizedAddedTokens(tokenizerJson, root);
  exactNormalizers(root);
  const after = normalizedAddedTokens(tokenizerJson, root);
  const differs = before.findIndex((content, i) => content !== after[i]);
  if (differs >= 0) {
    throw new GlinerError('MODEL_UNSUPPORTED', `tokenizer.json: the added token ${JSON.stringify(before[differs])} normalises differently under the exact charsmap`);
  }
  return tokenizer;
}

/** Swap the library's Precompiled and Strip implementations for exact ones, in place. */
export function exactNormalizers(node: LibNormalizer): void {
  const type = node.config?.type;
  if (type === 'Sequence') {
    for (const child of node.normalizers ?? []) if (child) exactNormalizers(child);
  } else if (type === 'Precompiled') {
    const charsmap = node.config?.precompiled_charsmap;
    // A null/absent charsmap is what Rust treats as the identity.
    if (typeof charsmap === 'string' && charsmap.length > 0) {
      const exact = PrecompiledCharsmap.fromBase64(charsmap);
      node.normalize = (text) => exact.normalize(text);
    } else {
      node.normalize = (text) => text;
    }
  } else if (type === 'Strip') {
    const left = node.config?.strip_left === true;
    const right = node.config?.strip_right === true;
    node.normalize = (text) => {
      let out = left ? text.replace(LEADING, '') : text;
      if (right) out = out.replace(TRAILING, '');
      return out;
    };
  }
}

/** Swap WhitespaceSplit for Rust's (split on char::is_whitespace), walking the JSON alongside. */
export function exactPreTokenizers(json: PreTokenizerJson, node: LibPreTokenizer): void {
  if (json.type === 'Sequence') {
    (json.pretokenizers ?? []).forEach((child, i) => {
      const libChild = node.tokenizers?.[i];
      if (child && libChild) exactPreTokenizers(child, libChild);
    });
  } else if (json.type === 'WhitespaceSplit') {
    node.pre_tokenize_text = (text) => text.match(NON_WHITESPACE_RUNS) ?? [];
  }
}

function normalizedAddedTokens(tokenizerJson: unknown, root: LibNormalizer): string[] {
  const added = (tokenizerJson as TokenizerJson).added_tokens ?? [];
  return added.filter((token) => token.normalized === true).map((token) => root.normalize(token.content));
}
