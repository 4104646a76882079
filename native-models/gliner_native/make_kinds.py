"""Random-weight model directories of the other GLiNER kinds (see kinds.py), for the server's tests.

  python3 -m gliner_native.make_kinds --out .cache          # writes .cache/random-token/

Each directory holds model.onnx, gliner_config.json and the embedded model's tokenizer (the
vocabulary is the same), so no training data is needed. Deterministic (fixed seed)."""
import argparse
import json
import os
import shutil
import sys
import warnings

import torch

from .configs import TINY
from .export import gliner_config
from .kinds import TOKEN_AXES, TOKEN_INPUTS, GlinerTinyToken

HERE = os.path.dirname(os.path.abspath(__file__))
EMBEDDED = os.path.join(HERE, "..", "gliner-tiny")


def dummy_text_inputs(cfg):
    """One row, [CLS] <<ENT>> x <<ENT>> y <<SEP>> w1 w2 w3 [SEP] (as export.py, a batch of one: the
    BiLSTM's initial state then stays batch-size independent in the graph)."""
    ent, sep = cfg["class_token_index"], cfg["class_token_index"] + 1
    rows = [[1, ent, 50, ent, 60, sep, 100, 101, 102, 2]]
    words = [[0] * 6 + [1, 2, 3, 0]]
    t = max(len(r) for r in rows)
    ids = torch.zeros(len(rows), t, dtype=torch.long)
    att = torch.zeros(len(rows), t, dtype=torch.long)
    wm = torch.zeros(len(rows), t, dtype=torch.long)
    for i, (r, m) in enumerate(zip(rows, words)):
        ids[i, :len(r)] = torch.tensor(r)
        att[i, :len(r)] = 1
        wm[i, :len(m)] = torch.tensor(m)
    return {"input_ids": ids, "attention_mask": att, "words_mask": wm, "text_lengths": torch.tensor([[3]])}


def export(model, inputs, names, axes, path):
    model.eval()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with torch.no_grad():
            torch.onnx.export(model, tuple(inputs[k] for k in names), path, input_names=names, output_names=["logits"],
                              dynamic_axes=axes, opset_version=17, do_constant_folding=True)
    import onnx
    onnx.checker.check_model(onnx.load(path))


def write_dir(out, config):
    os.makedirs(out, exist_ok=True)
    for fn in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copyfile(os.path.join(EMBEDDED, fn), os.path.join(out, fn))
    with open(os.path.join(out, "gliner_config.json"), "w") as f:
        json.dump(config, f, indent=2)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    torch.set_num_threads(2)
    with open(os.path.join(EMBEDDED, "gliner_config.json")) as f:
        embedded = json.load(f)
    cfg = dict(TINY, vocab_size=embedded["vocab_size"], class_token_index=embedded["class_token_index"])

    torch.manual_seed(17)
    out = os.path.join(a.out, "random-token")
    config = gliner_config(cfg, "random-token", "gliner-native tiny transformer, random weights, token-level head")
    config.update({"span_mode": "token_level", "onnx_interface": {"inputs": TOKEN_INPUTS, "outputs": ["logits"],
                                                                  "logits_shape": "[B, W, C, 3]", "opset": 17}})
    write_dir(out, config)
    model = GlinerTinyToken(cfg)
    # Default initialisation leaves every logit within ±0.1 (all probabilities ~0.5); spread them
    # (std ~2) so that thresholds select some spans and not others, as a trained model's do.
    with torch.no_grad():
        model.scorer.out_mlp[3].weight.mul_(50.0)
    inputs = dummy_text_inputs(cfg)
    export(model, inputs, TOKEN_INPUTS, TOKEN_AXES, os.path.join(out, "model.onnx"))
    with torch.no_grad():
        print("random-token: logits", tuple(model(**inputs).shape), "size %.1f MB" % (os.path.getsize(os.path.join(out, "model.onnx")) / 1e6))


if __name__ == "__main__":
    sys.exit(main())
