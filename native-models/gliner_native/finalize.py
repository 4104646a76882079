"""Exports a trained checkpoint to a model directory (default gliner-tiny/), runs the demo sentences,
the test evals (CoNLL-2003 when available, every CrossNER domain, per sentence and per passage) and
writes the ONNX parity cases (checked from node by onnx_parity.mjs) and report.json into --build."""
import argparse
import json
import os
import sys
import time

import torch

from .batching import collate, decode
from .data import domain_path, read_conll, split_words
from .evaluate import evaluate, suite
from .export import parity_cases, write_model_dir
from .model import count_params
from .train import ROOT, load_trained, status

DEMO = "I work at Microsoft based in Seattle, Washington."
# Issue 15's user examples: what the model finds is recorded in report.json (and named in the card).
EXAMPLES = [
    ("Tim Cook runs Apple from Cupertino, California.", ["person", "organization", "location"]),
    ("Xi Jinping met Emmanuel Macron in Beijing.", ["person", "organization", "location"]),
    ("🎉 Emmanuel Macron won the election in France.", ["person", "location"]),
    ("Владимир Путин and Αλέξης Τσίπρας met in Москва.", ["person", "location"]),
    ("محمد عبدالله visited 北京 with 习近平.", ["person", "location"]),
    ("The patient took 200 mg of ibuprofen for a migraine on 3 May 2021.", ["drug", "disease", "dosage", "date"]),
]


def demo(model, tok, labels, text=DEMO):
    sp = split_words(text)
    words = [w for w, _, _ in sp]
    inp, lens = collate(tok, [(words, labels)], model.max_width)
    with torch.no_grad():
        res = decode(model(**inp), lens, [len(labels)])[0]
    return [{"word_start": s, "word_end": e, "text": text[sp[s][1]:sp[e][2]], "label": labels[c],
             "score": round(sc, 4)} for s, e, c, sc in res]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", default=os.path.join(ROOT, ".build", "ckpt", "best.pt"))
    ap.add_argument("--out", default=os.path.join(ROOT, "gliner-tiny"))
    ap.add_argument("--build", default=os.path.join(ROOT, ".build"))
    ap.add_argument("--skip-test", action="store_true")
    ap.add_argument("--domains", default=None, help="comma-separated test domains (default: all available)")
    ap.add_argument("--us-spelling", action="store_true", help="also score CoNLL test with `organization`")
    ap.add_argument("--device", default="cpu", help="where the test evals run (export always runs on the CPU)")
    a = ap.parse_args()
    torch.set_num_threads(2)
    ck = torch.load(a.ckpt, map_location="cpu")
    model, tok = load_trained(a.ckpt)
    cfg = model.cfg
    desc = ("gliner-native tiny transformer (pre-LN, sinusoidal positions, %d layers, d=%d, %d heads, FFN %d, "
            "vocab %d SentencePiece Unigram), trained from scratch on CrossNER train splits%s" %
            (cfg["encoder_num_layers"], cfg["encoder_hidden_size"], cfg["encoder_num_heads"],
             cfg["encoder_intermediate_size"], cfg["vocab_size"],
             " (recipe v2: passages, label phrasings, robustness augmentation)"
             if (ck.get("run") or {}).get("recipe") == "passages" else ""))
    t0 = time.time()
    write_model_dir(model, tok, os.path.join(a.build, "tokenizer"), a.out, "gliner-tiny", desc)
    report = {"params": count_params(model), "epoch": ck["epoch"], "dev_f1": ck["dev_f1"],
              "train_seconds": ck["train_seconds"], "export_seconds": round(time.time() - t0, 1),
              "onnx_bytes": os.path.getsize(os.path.join(a.out, "model.onnx"))}
    parity_cases(model, tok, os.path.join(a.build, "parity_trained.json"))
    report["demo"] = {str(l): demo(model, tok, l) for l in
                      (["organization"], ["location"], ["ORGANIZATION"], ["person", "organization", "location"])}
    report["examples"] = [{"text": t, "labels": l, "found": demo(model, tok, l, t)} for t, l in EXAMPLES]
    report["run"] = ck.get("run")
    model.to(torch.device(a.device))
    if not a.skip_test:
        report["test"] = suite(model, tok, a.domains.split(",") if a.domains else None)
    conll = domain_path("conll2003", "test")
    if a.us_spelling and conll is not None:
        sents = read_conll(conll)
        report["conll_test_organization_us"] = evaluate(model, tok, [
            (w, [(s, e, {"organisation": "organization"}.get(l, l)) for s, e, l in g]) for w, g in sents],
            ["person", "organization", "location", "misc"])["micro"]
    with open(os.path.join(a.build, "report.json"), "w") as f:
        json.dump(report, f, indent=1)
    print(json.dumps(report, indent=1))
    for d, r in (report.get("test") or {}).items():
        status("exported %s (epoch %d); %s test micro-F1 %.4f per sentence, %.4f per passage (python)" % (
            a.out, ck["epoch"], d, r["sentence_f1"], r["passage_f1"]))


if __name__ == "__main__":
    sys.exit(main())
