"""Entity-level P/R/F1 with GLiNER's flat greedy decoding (GLINER_SPEC §4), PyTorch or ONNX."""
import argparse
import json
import os
import sys
import time

import torch

from .batching import collate, decode
from .data import CROSSNER, domain_path, read_conll, read_conll_docs
from .passages import join


def predict(model, tok, rows, threshold=0.5, batch_size=32):
    model.eval()
    order = sorted(range(len(rows)), key=lambda i: len(rows[i][0]))
    out = [None] * len(rows)
    with torch.no_grad():
        for s in range(0, len(order), batch_size):
            idx = order[s:s + batch_size]
            batch = [rows[i] for i in idx]
            inp, lens = collate(tok, batch, model.max_width)
            dv = next(model.parameters()).device
            logits = model(**{k: v.to(dv) for k, v in inp.items()}).cpu()
            res = decode(logits, lens, [len(r[1]) for r in batch], threshold)
            for i, r in zip(idx, res):
                out[i] = r
    return out


def score(sents, labels, preds):
    per = {l: [0, 0, 0] for l in labels}  # tp, fp, fn
    for (words, gold), pred in zip(sents, preds):
        g = {(s, e, l) for s, e, l in gold if l in per}
        p = {(s, e, labels[c]) for s, e, c, _ in pred}
        for x in p:
            per[x[2]][0 if x in g else 1] += 1
        for x in g - p:
            per[x[2]][2] += 1

    def prf(tp, fp, fn):
        pr = tp / (tp + fp) if tp + fp else 0.0
        rc = tp / (tp + fn) if tp + fn else 0.0
        return {"p": pr, "r": rc, "f1": 2 * pr * rc / (pr + rc) if pr + rc else 0.0, "tp": tp, "fp": fp, "fn": fn}

    res = {l: prf(*v) for l, v in per.items()}
    tot = [sum(v[i] for v in per.values()) for i in range(3)]
    res["micro"] = prf(*tot)
    return res


def evaluate(model, tok, sents, labels, threshold=0.5):
    preds = predict(model, tok, [(w, labels) for w, _ in sents], threshold)
    return score(sents, labels, preds)


def deterministic_passages(docs, max_words):
    """Consecutive sentences of each document, greedily up to max_words (as `eval --documents` groups
    CrossNER files; CoNLL documents longer than max_words are split here, while the server windows them)."""
    out = []
    for doc in docs:
        group, n = [], 0
        for sent in doc:
            if group and n + len(sent[0]) > max_words:
                out.append(join(group))
                group, n = [], 0
            group.append(sent)
            n += len(sent[0])
        if group:
            out.append(join(group))
    return out


def domain_labels(domain, sents):
    if domain == "conll2003":
        return ["person", "organisation", "location", "misc"]
    return sorted({sp[2] for _, spans in sents for sp in spans})


def suite(model, tok, domains=None, max_words=384):
    """Per-domain test micro-F1, per sentence and per passage, for every available domain."""
    out = {}
    for d in domains or (["conll2003"] + CROSSNER):
        path = domain_path(d, "test")
        if path is None:
            continue
        docs = read_conll_docs(path)
        sents = [s for doc in docs for s in doc]
        labels = domain_labels(d, sents)
        per_sentence = evaluate(model, tok, sents, labels)
        per_passage = evaluate(model, tok, deterministic_passages(docs, max_words), labels)
        out[d] = {"labels": labels, "sentences": len(sents), "sentence_f1": per_sentence["micro"]["f1"],
                  "passage_f1": per_passage["micro"]["f1"],
                  "per_label_sentence_f1": {l: per_sentence[l]["f1"] for l in labels}}
    return out


def main():
    from .train import load_trained
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", required=True)
    ap.add_argument("--dataset", default="conll2003")
    ap.add_argument("--split", default="test")
    ap.add_argument("--labels", default="person,organisation,location,misc")
    ap.add_argument("--threshold", type=float, default=0.5)
    a = ap.parse_args()
    torch.set_num_threads(2)
    model, tok = load_trained(a.ckpt)
    path = domain_path(a.dataset, a.split)
    if path is None:
        sys.exit("no data for %s (CoNLL-2003 is read from $CONLL_DIR)" % a.dataset)
    sents = read_conll(path)
    t0 = time.time()
    res = evaluate(model, tok, sents, a.labels.split(","), a.threshold)
    print(json.dumps({"dataset": a.dataset, "split": a.split, "sentences": len(sents),
                      "seconds": round(time.time() - t0, 1), "result": res}, indent=1))


if __name__ == "__main__":
    sys.exit(main())
