#!/usr/bin/env bash
# Random-weight models of the other GLiNER kinds, for the server's per-kind tests, in the
# git-ignored native-models/.cache/ (see gliner_native/kinds.py for how each ONNX interface was
# established from upstream's source):
#   .cache/random-token/     UniEncoderToken (span_mode token_level), ~27 MB
#   .cache/random-bi-span/   BiEncoderSpan (labels_encoder): model.onnx + labels_encoder.onnx, ~47 MB
#   .cache/random-bi-token/  BiEncoderToken (labels_encoder, token_level): model.onnx + labels_encoder.onnx
# (~10-15 s on 2 cores in all)
# Needs only Debian's python3-torch and python3-onnx (installed if missing, as root); no training data.
# Built atomically (a temporary directory, then renamed), so concurrent test files can call it.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
PY=/usr/bin/python3
export OMP_NUM_THREADS=2 PYTHONHASHSEED=0
if ! "$PY" -c 'import torch, onnx' 2>/dev/null; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-torch python3-onnx libopenblas0-pthread >/dev/null
fi
mkdir -p "$HERE/.cache"
tmp="$(mktemp -d "$HERE/.cache/kinds-XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
(cd "$HERE" && "$PY" -m gliner_native.make_kinds --out "$tmp")
for dir in "$tmp"/*/; do
  name="$(basename "$dir")"
  rm -rf "$HERE/.cache/$name.old"
  [ -d "$HERE/.cache/$name" ] && mv "$HERE/.cache/$name" "$HERE/.cache/$name.old"
  mv "$dir" "$HERE/.cache/$name"
  rm -rf "$HERE/.cache/$name.old"
done
ls -l "$HERE/.cache"
