"""Random-weight model directory (tiny or bench-size) with the exact ONNX interface."""
import argparse
import os
import sys
import time

import torch

from . import tokenizer as T
from .configs import BENCH, TINY
from .export import parity_cases, write_model_dir
from .model import GlinerTiny, count_params


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", choices=["tiny", "bench"], default="tiny")
    ap.add_argument("--out", required=True)
    ap.add_argument("--build", default=os.path.join(os.path.dirname(__file__), "..", ".build"))
    a = ap.parse_args()
    torch.set_num_threads(2)
    torch.manual_seed(0)
    tok_dir = os.path.join(a.build, "tokenizer")
    spm_path, ids = T.write(tok_dir, a.build)
    tok = T.WordTokenizer(spm_path, ids)
    cfg = dict(TINY if a.size == "tiny" else BENCH)
    if a.size == "tiny":
        cfg["vocab_size"] = ids["<<SEP>>"] + 1
    cfg["class_token_index"] = ids["<<ENT>>"]
    model = GlinerTiny(cfg)
    t0 = time.time()
    name = "random-tiny" if a.size == "tiny" else "bench-size"
    desc = ("gliner-native transformer, random weights, %d layers d=%d" %
            (cfg["encoder_num_layers"], cfg["encoder_hidden_size"]))
    write_model_dir(model, tok, tok_dir, a.out, name, desc)
    dt = time.time() - t0
    size = os.path.getsize(os.path.join(a.out, "model.onnx"))
    print("params %d export %.1fs size %.1f MB" % (count_params(model), dt, size / 1e6))
    parity_cases(model, tok, os.path.join(a.build, "parity_random.json" if a.size == "tiny" else "parity_bench.json"))


if __name__ == "__main__":
    sys.exit(main())
