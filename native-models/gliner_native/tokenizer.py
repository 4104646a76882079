"""SentencePiece Unigram tokenizer trained on the CrossNER training text, written as a Hugging Face
tokenizer.json in the DeBERTa-v3 layout ([PAD]=0 [CLS]=1 [SEP]=2 [UNK]=3, pieces, [MASK], then
GLiNER's [FLERT], <<ENT>>, <<SEP>> as the last three ids)."""
import base64
import json
import os

import sentencepiece as spm
import sentencepiece.sentencepiece_model_pb2 as spm_pb2

from .data import VARIANTS, load_split

SPECIALS = ["[PAD]", "[CLS]", "[SEP]", "[UNK]"]
ADDED = ["[FLERT]", "<<ENT>>", "<<SEP>>"]


def train_spm(workdir, vocab_size=8000, domains=None, extra_lines=()):
    """Trains on the given domains' train text (default: every available one), the label names and
    their variants, and `extra_lines` (label phrasings, augmentation scripts), 20 times each."""
    os.makedirs(workdir, exist_ok=True)
    data = load_split("train", domains)
    corpus = os.path.join(workdir, "spm_corpus.txt")
    with open(corpus, "w", encoding="utf-8") as f:
        for d in data:
            for words, _ in data[d]:
                f.write(" ".join(words) + "\n")
        labels = sorted({s[2] for sents in data.values() for _, sp in sents for s in sp})
        extra = labels + [v for vs in VARIANTS.values() for v in vs]
        for _ in range(20):
            f.write(" ".join(extra) + "\n")
            for line in extra_lines:
                f.write(line + "\n")
    prefix = os.path.join(workdir, "spm")
    spm.SentencePieceTrainer.train(
        input=corpus, model_prefix=prefix, model_type="unigram", vocab_size=vocab_size,
        pad_id=0, pad_piece="[PAD]", bos_id=1, bos_piece="[CLS]", eos_id=2, eos_piece="[SEP]",
        unk_id=3, unk_piece="[UNK]", character_coverage=0.9999, num_threads=1,
        input_sentence_size=0, shuffle_input_sentence=False, seed_sentencepiece_size=200000,
        normalization_rule_name="nmt_nfkc", minloglevel=2,
        # Without CoNLL-2003 (not shipped) the five domains support only ~5,600 pieces: a soft limit
        # then gives a smaller vocabulary instead of failing (the ids of the special tokens follow).
        hard_vocab_limit=False)
    return prefix + ".model"


def build_tokenizer_json(spm_model_path):
    proto = spm_pb2.ModelProto()
    with open(spm_model_path, "rb") as f:
        proto.ParseFromString(f.read())
    vocab = []
    for i, p in enumerate(proto.pieces):
        if i < 4:
            assert p.piece == SPECIALS[i], (i, p.piece)
            vocab.append([p.piece, 0.0])
        else:
            vocab.append([p.piece, float(p.score)])
    mask_id = len(vocab)
    vocab.append(["[MASK]", 0.0])
    added = []
    for i, tok in enumerate(SPECIALS + ["[MASK]"] + ADDED):
        tid = i if i < 4 else mask_id + (i - 4)
        added.append({"id": tid, "content": tok, "single_word": False, "lstrip": False,
                      "rstrip": False, "normalized": False, "special": True})
    charsmap = base64.b64encode(proto.normalizer_spec.precompiled_charsmap).decode("ascii")
    tok = {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added,
        "normalizer": {"type": "Sequence", "normalizers": [
            {"type": "Strip", "strip_left": True, "strip_right": True},
            {"type": "Precompiled", "precompiled_charsmap": charsmap},
            {"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": " "},
        ]},
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
            {"type": "WhitespaceSplit"},
            {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always", "split": True},
        ]},
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}},
                       {"Sequence": {"id": "A", "type_id": 0}},
                       {"SpecialToken": {"id": "[SEP]", "type_id": 0}}],
            "pair": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}},
                     {"Sequence": {"id": "A", "type_id": 0}},
                     {"SpecialToken": {"id": "[SEP]", "type_id": 0}},
                     {"Sequence": {"id": "B", "type_id": 1}},
                     {"SpecialToken": {"id": "[SEP]", "type_id": 1}}],
            "special_tokens": {
                "[CLS]": {"id": "[CLS]", "ids": [1], "tokens": ["[CLS]"]},
                "[SEP]": {"id": "[SEP]", "ids": [2], "tokens": ["[SEP]"]},
            },
        },
        "decoder": {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always", "split": True},
        "model": {"type": "Unigram", "unk_id": 3, "vocab": vocab, "byte_fallback": False},
    }
    ids = {a["content"]: a["id"] for a in added}
    config = {
        "add_prefix_space": False,
        "added_tokens_decoder": {str(a["id"]): {k: v for k, v in a.items() if k != "id"} for a in added},
        "additional_special_tokens": ADDED,
        "bos_token": "[CLS]", "cls_token": "[CLS]", "eos_token": "[SEP]", "sep_token": "[SEP]",
        "pad_token": "[PAD]", "unk_token": "[UNK]", "mask_token": "[MASK]",
        "clean_up_tokenization_spaces": False,
        "do_lower_case": False,
        "split_by_punct": False,
        "model_max_length": 1000000000000000019884624838656,
        "sp_model_kwargs": {},
        "vocab_type": "spm",
        "tokenizer_class": "DebertaV2Tokenizer",
    }
    return tok, config, ids


class WordTokenizer:
    """Python-side encoder used for training: each word encoded alone (as GLiNER does with
    is_split_into_words), added tokens matched whole."""

    def __init__(self, spm_model_path, added_ids):
        self.sp = spm.SentencePieceProcessor(model_file=spm_model_path)
        self.added = added_ids
        self.cache = {}

    def word_ids(self, word):
        r = self.cache.get(word)
        if r is None:
            r = self.added[word] if word in self.added and word in ("<<ENT>>", "<<SEP>>", "[FLERT]") else None
            r = [r] if r is not None else self.sp.encode(word)
            self.cache[word] = r
        return r


def write(out_dir, workdir, domains=None, extra_lines=()):
    """Writes tokenizer.json/tokenizer_config.json to out_dir, training workdir/spm.model first if absent."""
    model_path = os.path.join(workdir, "spm.model")
    if not os.path.exists(model_path):
        model_path = train_spm(workdir, domains=domains, extra_lines=extra_lines)
    tok, config, ids = build_tokenizer_json(model_path)
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(tok, f, ensure_ascii=False)
    with open(os.path.join(out_dir, "tokenizer_config.json"), "w", encoding="utf-8") as f:
        json.dump(config, f, ensure_ascii=False, indent=2)
    return model_path, ids
