"""Exports the trained checkpoint to gliner-tiny/, runs the demo sentence, the CoNLL test eval and
writes the ONNX parity cases (checked from node by onnx_parity.mjs)."""
import argparse
import json
import os
import sys
import time

import torch

from .batching import collate, decode
from .data import datasets_dir, read_conll, split_words
from .evaluate import evaluate
from .export import parity_cases, write_model_dir
from .model import count_params
from .train import ROOT, load_trained, status

DEMO = "I work at Microsoft based in Seattle, Washington."


def demo(model, tok, labels):
    sp = split_words(DEMO)
    words = [w for w, _, _ in sp]
    inp, lens = collate(tok, [(words, labels)], model.max_width)
    with torch.no_grad():
        res = decode(model(**inp), lens, [len(labels)])[0]
    return [{"word_start": s, "word_end": e, "text": DEMO[sp[s][1]:sp[e][2]], "label": labels[c],
             "score": round(sc, 4)} for s, e, c, sc in res]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", default=os.path.join(ROOT, ".build", "ckpt", "best.pt"))
    ap.add_argument("--out", default=os.path.join(ROOT, "gliner-tiny"))
    ap.add_argument("--skip-test", action="store_true")
    a = ap.parse_args()
    torch.set_num_threads(2)
    ck = torch.load(a.ckpt, map_location="cpu")
    model, tok = load_trained(a.ckpt)
    cfg = model.cfg
    desc = ("gliner-native tiny transformer (pre-LN, sinusoidal positions, %d layers, d=%d, %d heads, FFN %d, "
            "vocab %d SentencePiece Unigram), trained from scratch on CrossNER train splits" %
            (cfg["encoder_num_layers"], cfg["encoder_hidden_size"], cfg["encoder_num_heads"],
             cfg["encoder_intermediate_size"], cfg["vocab_size"]))
    t0 = time.time()
    write_model_dir(model, tok, os.path.join(ROOT, ".build", "tokenizer"), a.out, "gliner-tiny", desc)
    report = {"params": count_params(model), "epoch": ck["epoch"], "dev_f1": ck["dev_f1"],
              "train_seconds": ck["train_seconds"], "export_seconds": round(time.time() - t0, 1),
              "onnx_bytes": os.path.getsize(os.path.join(a.out, "model.onnx"))}
    parity_cases(model, tok, os.path.join(ROOT, ".build", "parity_trained.json"))
    report["demo"] = {str(l): demo(model, tok, l) for l in
                      (["organization"], ["location"], ["ORGANIZATION"], ["person", "organization", "location"])}
    if not a.skip_test:
        sents = read_conll(os.path.join(datasets_dir(), "crossner", "conll2003", "test.txt"))
        report["conll_test"] = evaluate(model, tok, sents, ["person", "organisation", "location", "misc"])
        report["conll_test_organization_us"] = evaluate(model, tok, [
            (w, [(s, e, {"organisation": "organization"}.get(l, l)) for s, e, l in g]) for w, g in sents],
            ["person", "organization", "location", "misc"])["micro"]
    with open(os.path.join(ROOT, ".build", "report.json"), "w") as f:
        json.dump(report, f, indent=1)
    print(json.dumps(report, indent=1))
    if "conll_test" in report:
        status("exported gliner-tiny (epoch %d); conll test micro-F1 %.4f (python)" % (
            ck["epoch"], report["conll_test"]["micro"]["f1"]))


if __name__ == "__main__":
    sys.exit(main())
