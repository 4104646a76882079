#!/usr/bin/env python3
"""Our export recipe for GLiNER2 span models (fastino-ai/GLiNER2): upstream's own classes → ONNX.

Upstream has no ONNX export (its issue #51). This script loads a model with upstream's code, wraps
its modules (it reimplements none of them) and writes our layout (native-models/README.md,
"GLiNER2 ONNX layout"):

  encoder.onnx      input_ids, attention_mask [B, T] int64      → hidden_states [B, T, D]
  span_scores.onnx  token_embs [B, W, D], text_lengths [B] int64, queries [B, Q, D]
                                                                → logits [B, Q, W, K]
  count_pred.onnx   prompt_embs [N, D]                          → count_logits [N, C]
  classifier.onnx   label_embs [N, D]                           → logits [N]
  count_embed.onnx  field_embs [M, D]                           → struct_proj [S, M, D]
  count_embed_1.onnx, count_embed_4.onnx: the same for the first 1 and 4 instances
  tokenizer.json (+ tokenizer_config.json), gliner2_config.json

Every axis but D, K (max_width), C (count classes) and S (count steps, C - 1) is dynamic. The
split follows the data and the cost (README: measured): the encoder and the span scores are the
cost and take any number of rows; the heads are small MLP/GRU graphs run on the marker vectors of
all rows at once, and the count head's answer decides what the span graph scores.

Written against upstream a91fd1d2c72debe43907296c8e375a036c6a4faf (2026-07-28, package 1.3.3),
run from a checkout (GLINER2_SRC) or an installed `gliner2`; needs torch, transformers, onnx,
onnxruntime, safetensors, pydantic, requests, peft. Nothing of upstream is copied here.

  GLINER2_SRC=/tmp/GLiNER2 python export_gliner2.py --model DIR --out OUT       # a saved GLiNER2 model
  GLINER2_SRC=/tmp/GLiNER2 python export_gliner2.py --micro --out OUT           # the committed micro model
  GLINER2_SRC=/tmp/GLiNER2 python export_gliner2.py --random medium --out OUT --measure

--micro and --random build upstream's GLiNER2 from an ExtractorConfig with random weights, a small
(or DeBERTa-v3-base sized) DeBERTa-v2 encoder_config with eager attention and the embedded
model's tokenizer (native-models/gliner-tiny), and save it in upstream's own format under
OUT/upstream/ first (reload it with GLiNER2.from_pretrained; --save-upstream elsewhere). --record
writes, for fixed inputs, upstream PyTorch's outputs of every graph next to ONNX Runtime's
(OUT/recorded.json), which test/parity/gliner2-export.test.ts replays without Python.

The pieces live in gliner2_onnx/: random_model.py (the random models), graphs.py (the wrappers,
their export, the tokenizer and config), checks.py (comparison, recorded run, timings).
"""
import argparse
import hashlib
import json
import os
import subprocess
import sys
import time

import torch

from gliner2_onnx.checks import compare, measure, real_inputs, record
from gliner2_onnx.graphs import export_graphs, write_config, write_tokenizer
from gliner2_onnx.random_model import EMBEDDED_TOKENIZER, ENCODERS, build_random

UPSTREAM_COMMIT = "a91fd1d2c72debe43907296c8e375a036c6a4faf"


def import_upstream():
    src = os.environ.get("GLINER2_SRC")
    if src:
        sys.path.insert(0, src)
    import gliner2
    commit = None
    if src and os.path.isdir(os.path.join(src, ".git")):
        commit = subprocess.run(["git", "-C", src, "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip() or None
    return gliner2, commit


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--model", help="a GLiNER2 span model directory saved by upstream (config.json, encoder_config/, model.safetensors, tokenizer)")
    src.add_argument("--micro", action="store_true", help="random weights, the committed micro encoder (d=16, 2 layers)")
    src.add_argument("--random", choices=sorted(ENCODERS), help="random weights at these encoder dimensions")
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=26)
    ap.add_argument("--tokenizer", default=EMBEDDED_TOKENIZER, help="tokenizer for --micro/--random (default: the embedded model's)")
    ap.add_argument("--save-upstream", help="where --micro/--random save the model in upstream's format (default OUT/upstream)")
    ap.add_argument("--record", action="store_true", help="write recorded.json (PyTorch and ONNX Runtime outputs on fixed inputs)")
    ap.add_argument("--measure", action="store_true", help="print per-row milliseconds of each graph, 1 row vs 8 rows per call")
    a = ap.parse_args()
    torch.set_num_threads(2)
    gliner2, commit = import_upstream()
    os.makedirs(a.out, exist_ok=True)
    if a.model:
        from gliner2 import GLiNER2
        model = GLiNER2.from_pretrained(a.model).eval()
        source = a.model
        weights = os.path.join(a.model, "model.safetensors")
    else:
        size = "micro" if a.micro else a.random
        model = build_random(gliner2, size, a.seed, a.tokenizer)
        source = f"random weights (seed {a.seed}), {size} encoder, export_gliner2.py"
        saved = a.save_upstream or os.path.join(a.out, "upstream")
        model.save_pretrained(saved)
        weights = os.path.join(saved, "model.safetensors")
    if commit is not None and commit != UPSTREAM_COMMIT:
        print(f"note: upstream checkout is at {commit}, the recipe was written against {UPSTREAM_COMMIT}")
    t0 = time.time()
    export_graphs(model, a.out)
    write_tokenizer(model, a.out)
    digest = None
    if os.path.exists(weights):
        with open(weights, "rb") as f:
            digest = hashlib.sha256(f.read()).hexdigest()
    config = write_config(model, a.out, source, digest, commit, gliner2.__version__)
    print(f"exported in {time.time() - t0:.1f} s: " + ", ".join(f"{n} {os.path.getsize(os.path.join(a.out, f)) / 1e6:.2f} MB" for n, f in config["files"].items()))
    batch = real_inputs(model)
    if a.record:
        import onnxruntime
        import transformers
        versions = {"upstream_commit": commit, "gliner2": gliner2.__version__, "torch": torch.__version__,
                    "transformers": transformers.__version__, "onnxruntime": onnxruntime.__version__,
                    "python": sys.version.split()[0]}
        diffs = record(model, a.out, batch, versions)
    else:
        _, _, diffs = compare(model, a.out, batch)
    print("max |ONNX Runtime - PyTorch|: " + ", ".join(f"{k} {v:.2e}" for k, v in diffs.items()))
    if a.measure:
        print("ms per row (1 thread): " + json.dumps({k: round(v, 3) for k, v in measure(model, a.out).items()}))


if __name__ == "__main__":
    main()
