// SentencePiece `Precompiled` normaliser, exactly as the Rust `tokenizers` crate applies it.
//
// A DeBERTa-v3 / T5 / XLM-R tokenizer.json carries the model's SentencePiece normalisation rules
// (nmt_nfkc and friends) as `precompiled_charsmap`: base64 of
//   [u32 LE trie size in bytes][trie: u32 LE units, a Darts double array over UTF-8 bytes][blob]
// where each trie value is a byte offset into `blob`, and the replacement string runs from there
// to the next NUL. @huggingface/tokenizers (JS) approximates this with NFKC, which differs on
// characters whose mapping in the charsmap (an older Unicode, SentencePiece's own rules) is not
// Node's NFKC: U+200D ZERO WIDTH JOINER is kept by the charsmap but turned into a space by the
// approximation; ꟲ ꟳ ꟴ (Unicode 14) are unchanged by the charsmap but NFKC maps them to C F Q.
//
// How Rust applies it (tokenizers/src/normalizers/precompiled.rs with the spm_precompiled crate):
// - the text is split into extended grapheme clusters;
// - a cluster shorter than 6 UTF-8 bytes is looked up whole; `transform` returns the value of the
//   SHORTEST key that is a prefix of the cluster's bytes (not necessarily the whole cluster: "ﬁ"
//   followed by a combining accent becomes "fi", the accent is dropped — upstream keeps this on
//   purpose, it is what SentencePiece does);
// - otherwise (no match, or 6+ bytes) each code point is looked up alone and kept when unmapped.
// A NUL byte ends a lookup. Grapheme clusters come from Intl.Segmenter (ICU); Rust uses the
// unicode-segmentation crate. The two agree except where their Unicode versions differ, and even
// then only for clusters under 6 bytes (Indic conjuncts and ZWJ emoji sequences are always longer).

const UNIT_BYTES = 4;
/** Grapheme clusters at least this long in UTF-8 are never looked up whole (Rust: `len() < 6`). */
const WHOLE_CLUSTER_LIMIT = 6;

const segmenter = new Intl.Segmenter('und', { granularity: 'grapheme' });
const utf8 = new TextDecoder('utf-8', { fatal: true });

export class PrecompiledCharsmap {
  private readonly units: Uint32Array;
  private readonly blob: Uint8Array;
  private readonly replacements = new Map<number, string>();
  /** transform() of each single code point below 0x80, precomputed: most text is ASCII. */
  private readonly ascii: (string | undefined)[] = [];

  constructor(charsmap: Uint8Array) {
    if (charsmap.length < UNIT_BYTES) throw new Error('precompiled_charsmap is too short');
    const view = new DataView(charsmap.buffer, charsmap.byteOffset, charsmap.byteLength);
    const trieBytes = view.getUint32(0, true);
    const unitCount = Math.floor(trieBytes / UNIT_BYTES);
    if (UNIT_BYTES + unitCount * UNIT_BYTES > charsmap.length || unitCount === 0) {
      throw new Error('precompiled_charsmap: trie size exceeds the data');
    }
    this.units = new Uint32Array(unitCount);
    for (let i = 0; i < unitCount; i++) this.units[i] = view.getUint32(UNIT_BYTES + i * UNIT_BYTES, true);
    this.blob = charsmap.subarray(UNIT_BYTES + unitCount * UNIT_BYTES);
    // Rust refuses a blob that is not valid UTF-8; so do we (TextDecoder is fatal).
    utf8.decode(this.blob);
    for (let c = 0; c < 0x80; c++) this.ascii.push(this.lookup([c]));
  }

  static fromBase64(base64: string): PrecompiledCharsmap {
    return new PrecompiledCharsmap(Uint8Array.from(Buffer.from(base64, 'base64')));
  }

  /**
   * The replacement for `chunk`: the value of the shortest trie key that is a prefix of its UTF-8
   * bytes (spm_precompiled `transform` / `first_prefix_value`), or undefined when none is.
   */
  transform(chunk: string): string | undefined {
    return this.lookup(utf8Bytes(chunk));
  }

  /** Normalise `text` the way tokenizers' Precompiled normaliser does. */
  normalize(text: string): string {
    if (isSingleCodePointClusters(text)) {
      // Every code point is its own cluster, so whole-cluster and per-code-point lookups agree.
      let out = '';
      for (const ch of text) out += this.mapCodePoint(ch);
      return out;
    }
    let out = '';
    for (const { segment } of segmenter.segment(text)) {
      if (segment.length > 1 && utf8Length(segment) < WHOLE_CLUSTER_LIMIT) {
        const whole = this.transform(segment);
        if (whole !== undefined) {
          out += whole;
          continue;
        }
      }
      for (const ch of segment) out += this.mapCodePoint(ch);
    }
    return out;
  }

  private mapCodePoint(ch: string): string {
    const cp = ch.codePointAt(0) ?? 0;
    const mapped = cp < 0x80 ? this.ascii[cp] : this.transform(ch);
    return mapped ?? ch;
  }

  /** Darts double-array walk over `bytes`; returns the first (shortest) match. */
  private lookup(bytes: Iterable<number>): string | undefined {
    const units = this.units;
    let node = offsetOf(unitAt(units, 0));
    for (const c of bytes) {
      if (c === 0) break;
      node = (node ^ c) >>> 0;
      const unit = unitAt(units, node);
      // label(): the low byte plus the top bit; a set top bit never equals a byte.
      if (((unit & 0x800000ff) >>> 0) !== c) return undefined;
      node = (node ^ offsetOf(unit)) >>> 0;
      if (((unit >>> 8) & 1) === 1) return this.replacement(unitAt(units, node) & 0x7fffffff);
    }
    return undefined;
  }

  private replacement(index: number): string {
    let cached = this.replacements.get(index);
    if (cached === undefined) {
      let end = index;
      while (end < this.blob.length && this.blob[end] !== 0) end++;
      cached = utf8.decode(this.blob.subarray(index, end));
      this.replacements.set(index, cached);
    }
    return cached;
  }
}

function unitAt(units: Uint32Array, index: number): number {
  const unit = units[index];
  // Rust would panic on an index past the array; a corrupt charsmap is a load-time error here.
  if (unit === undefined) throw new Error('precompiled_charsmap: trie index out of range');
  return unit;
}

/** offset(): (unit >> 10) << ((unit & (1 << 9)) >> 6), in unsigned 32-bit arithmetic. */
function offsetOf(unit: number): number {
  return ((unit >>> 10) * ((unit & 0x200) !== 0 ? 256 : 1)) >>> 0;
}

/** True when no code point can join a neighbour in a grapheme cluster (all below U+0300, no CR). */
function isSingleCodePointClusters(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0x300 || unit === 0x0d) return false;
  }
  return true;
}

function utf8Length(text: string): number {
  let length = 0;
  for (const ch of text) {
    const cp = ch.codePointAt(0) ?? 0;
    length += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
  }
  return length;
}

/** UTF-8 bytes of `text`, lazily (a lookup usually stops after a byte or two). */
function* utf8Bytes(text: string): Generator<number> {
  for (const ch of text) {
    const cp = ch.codePointAt(0) ?? 0;
    if (cp < 0x80) {
      yield cp;
    } else if (cp < 0x800) {
      yield 0xc0 | (cp >> 6);
      yield 0x80 | (cp & 0x3f);
    } else if (cp < 0x10000) {
      yield 0xe0 | (cp >> 12);
      yield 0x80 | ((cp >> 6) & 0x3f);
      yield 0x80 | (cp & 0x3f);
    } else {
      yield 0xf0 | (cp >> 18);
      yield 0x80 | ((cp >> 12) & 0x3f);
      yield 0x80 | ((cp >> 6) & 0x3f);
      yield 0x80 | (cp & 0x3f);
    }
  }
}
