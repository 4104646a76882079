"""Writes [[word, ids], ...] for ~2,500 dev words plus Unicode edge cases, for tok_parity.mjs."""
import json
import os
import random
import sys

from . import tokenizer as T
from .data import load_split

EDGE = ["<<ENT>>", "<<SEP>>", "[FLERT]", "€", "ﬁ", "₂", "Café", "naïve", "Ⅻ", "ｆｕｌｌ", "日本語", "😀", "Straße",
        "İstanbul", "x\u200by", "\u00ad", "é", "e\u0301", "Œuvre", "½", "…", "–", "—", "“", "”", "’", "ß", "µ", "Ω",
        "Å", "\u2126", "organization", "ORGANIZATION", "location", "misc"]


def main():
    build = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".build")
    spm_path = os.path.join(build, "spm.model")
    _, _, ids = T.build_tokenizer_json(spm_path)
    tok = T.WordTokenizer(spm_path, ids)
    d = load_split("dev")
    words = sorted({x for v in d.values() for s, _ in v for x in s})
    sel = random.Random(0).sample(words, 2500) + EDGE
    with open(sys.argv[1], "w", encoding="utf-8") as f:
        json.dump([[x, tok.word_ids(x)] for x in sel], f, ensure_ascii=False)


if __name__ == "__main__":
    sys.exit(main())
