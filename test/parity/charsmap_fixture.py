"""Precompiled-normaliser fixture over several SentencePiece charsmaps, not only the embedded model's.

Builds the charsmaps of SentencePiece's built-in rules nmt_nfkc (the DeBERTa-v3 / T5 / XLM-R rule),
nfkc_cf and nmt_nfkc_cf with the pip `sentencepiece` package (a tiny model trained on CoNLL words;
only its normaliser is kept), plus the embedded model's own, and records what the Rust `tokenizers`
Precompiled normaliser makes of every BMP code point (alone and as "a" + c + "b") and of the
sequences in tokenizer_fixture.py. Output: test/fixtures/precompiled-charsmaps.json.gz, checked by
test/inference/precompiled.test.ts. Not run by `npm test`.

    /tmp/parity/bin/pip install tokenizers==0.23.2 sentencepiece==0.2.2
    DATASETS_DIR=datasets /tmp/parity/bin/python test/parity/charsmap_fixture.py

Layout: {"tokenizers", "sentencepiece", "charsmaps": [{"name", "charsmap" (base64),
  "alone": {code point: output} only where output != input, "inside": the same for "a" + c + "b",
  "sequences": [[text, output], ...]}]}
"""
import base64
import gzip
import io
import json
import os
import sys

import sentencepiece as spm
import tokenizers
from sentencepiece import sentencepiece_model_pb2 as pb
from tokenizers import normalizers

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
import tokenizer_fixture  # noqa: E402

OUT = os.path.join(ROOT, "test", "fixtures", "precompiled-charsmaps.json.gz")


def spm_charsmap(rule, sentences):
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(sentence_iterator=iter(sentences), model_writer=model, vocab_size=500,
                                   normalization_rule_name=rule, num_threads=1, minloglevel=2)
    proto = pb.ModelProto()
    proto.ParseFromString(model.getvalue())
    return proto.normalizer_spec.precompiled_charsmap


def main():
    datasets = os.environ.get("DATASETS_DIR", os.path.join(ROOT, "datasets"))
    with open(os.path.join(datasets, "crossner", "conll2003", "train.txt"), encoding="utf-8") as f:
        words = [line.split("\t")[0] for line in f if line.strip()]
    sentences = [" ".join(words[i:i + 20]) for i in range(0, len(words), 20)][:3000]
    with open(os.path.join(ROOT, tokenizer_fixture.MODEL), encoding="utf-8") as f:
        embedded = json.load(f)["normalizer"]["normalizers"][1]["precompiled_charsmap"]
    maps = [("embedded gliner-tiny (nmt_nfkc, Debian sentencepiece)", base64.b64decode(embedded))]
    maps += [(f"{rule} (sentencepiece {spm.__version__})", spm_charsmap(rule, sentences)) for rule in ("nmt_nfkc", "nfkc_cf", "nmt_nfkc_cf")]
    points = [c for c in range(0x10000) if not 0xD800 <= c <= 0xDFFF]
    seqs = tokenizer_fixture.sequences()
    out = []
    for name, charsmap in maps:
        norm = normalizers.Precompiled(charsmap)
        alone, inside = {}, {}
        for c in points:
            x = norm.normalize_str(chr(c))
            if x != chr(c):
                alone[c] = x
            y = norm.normalize_str("a" + chr(c) + "b")
            if y != "a" + chr(c) + "b":
                inside[c] = y
        out.append({"name": name, "charsmap": base64.b64encode(charsmap).decode("ascii"), "alone": alone, "inside": inside,
                    "sequences": [[s, norm.normalize_str(s)] for s in seqs]})
        print(f"{name}: {len(charsmap)} bytes, {len(alone)} code points mapped")
    data = {"tokenizers": tokenizers.__version__, "sentencepiece": spm.__version__, "charsmaps": out}
    raw = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    with open(OUT, "wb") as f:
        f.write(gzip.compress(raw, 9, mtime=0))
    print(f"-> {OUT} ({os.path.getsize(OUT)} bytes)")


if __name__ == "__main__":
    sys.exit(main())
