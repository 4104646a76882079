#!/usr/bin/env bash
# Rebuilds the embedded GLiNER model deterministically (fixed seeds, 2 threads).
#
#   ./native-models/build.sh            # everything: tokenizer, random-tiny, training, gliner-tiny export, checks
#   ./native-models/build.sh random     # tokenizer + random-weight model in .cache/random-tiny (~10 s)
#   ./native-models/build.sh bench      # random-weight gliner_medium-v2.1-sized graph in .cache/bench-size
#   ./native-models/build.sh finalize   # export .build/ckpt/best.pt to gliner-tiny/ + eval + checks (~2-4 min)
#
# Training runs on CUDA when torch sees a GPU (DEVICE=cpu|cuda overrides). Durations measured:
#   - training (20 epochs x 505 steps of 32 sentences): 5 min on one H200 (the shipped model);
#     on 2 CPU cores (shared) 1.5-4.5 s/step, i.e. roughly 5-12 hours;
#   - export + CoNLL test eval (3,453 sentences): ~1.5-3.5 min on 2 CPU cores.
# Seeds are fixed; CPU runs are repeatable, CUDA runs can differ in the last bits (atomic adds).
# Data: the five CrossNER domains from $DATASETS_DIR (default: the repo's datasets/); CoNLL-2003, which
# is not shipped (Reuters terms, datasets/README.md), from $CONLL_DIR (a folder with train/dev/test.txt).
# The shipped gliner-tiny was trained with CoNLL-2003; without CONLL_DIR, `all` trains on the domains only.
# The v2 recipe (passages, label phrasings, augmentation, leave-one-out) runs through train-gpu.sh.
# Needs Debian's python3-torch / python3-onnx / python3-sentencepiece (installed if missing)
# and, for the JS parity checks, the repo's node_modules (@huggingface/tokenizers, onnxruntime-node).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
PY=/usr/bin/python3
export DATASETS_DIR="${DATASETS_DIR:-$REPO/datasets}"
export OMP_NUM_THREADS=2 PYTHONHASHSEED=0
cd "$HERE"

ensure_packages() {
  if ! "$PY" -c 'import torch, onnx, sentencepiece, sentencepiece.sentencepiece_model_pb2' 2>/dev/null; then
    local SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
    $SUDO apt-get update
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y python3-torch python3-onnx libopenblas0-pthread python3-sentencepiece
  fi
  [ -d "$DATASETS_DIR/crossner" ] || { echo "CrossNER not found in $DATASETS_DIR (set DATASETS_DIR)" >&2; exit 1; }
  [ -n "${CONLL_DIR:-}" ] || echo "CONLL_DIR not set: CoNLL-2003 is left out of training and evaluation" >&2
}

js_checks() {  # $1 = model dir, $2 = parity cases json
  if [ -d "$REPO/node_modules/@huggingface/tokenizers" ] && [ -d "$REPO/node_modules/onnxruntime-node" ]; then
    "$PY" -m gliner_native.tok_expected "$HERE/.build/tok_expected.json"
    (cd "$REPO" && node native-models/gliner_native/tok_parity.mjs "$1" native-models/.build/tok_expected.json | cut -c1-400)
    (cd "$REPO" && node native-models/gliner_native/onnx_parity.mjs "$1/model.onnx" "$2")
  else
    echo "node_modules missing: skipping JS tokenizer / onnxruntime-node parity checks"
  fi
}

cmd="${1:-all}"
ensure_packages
DEVICE="${DEVICE:-$("$PY" -c 'import torch; print("cuda" if torch.cuda.is_available() else "cpu")')}"
start=$(date +%s)
case "$cmd" in
  random)
    "$PY" -m gliner_native.make_random --size tiny --out .cache/random-tiny
    js_checks "$HERE/.cache/random-tiny" "$HERE/.build/parity_random.json"
    ;;
  bench)
    "$PY" -m gliner_native.make_random --size bench --out .cache/bench-size
    ls -l .cache/bench-size
    if [ -d "$REPO/node_modules/onnxruntime-node" ]; then
      (cd "$REPO" && node native-models/gliner_native/onnx_parity.mjs native-models/.cache/bench-size/model.onnx native-models/.build/parity_bench.json)
    fi
    ;;
  finalize)
    "$PY" -m gliner_native.finalize --ckpt "${CKPT:-.build/ckpt/best.pt}"
    js_checks "$HERE/gliner-tiny" "$HERE/.build/parity_trained.json"
    ;;
  all)
    rm -rf .build
    "$PY" -m gliner_native.make_random --size tiny --out .cache/random-tiny
    "$PY" -m gliner_native.train --device "$DEVICE" --epochs 20 --domain-repeat 3 --ckpt-dir .build/ckpt
    "$PY" -m gliner_native.finalize --ckpt .build/ckpt/best.pt
    js_checks "$HERE/gliner-tiny" "$HERE/.build/parity_trained.json"
    ;;
  *) echo "usage: $0 [all|random|bench|finalize]" >&2; exit 2 ;;
esac
echo "build.sh $cmd: $(( $(date +%s) - start )) s"
