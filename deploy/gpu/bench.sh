#!/usr/bin/env bash
# The issue-16 measurements on a GPU whose CUDA provider loads (called by probe.sh, or on any CUDA
# host with the GPU image): the bench-size model served with EXECUTION_PROVIDER=cuda through the
# normal start-up path; raw onnxruntime-node ceiling by batch size (1..128); server sweep c=1..256 on
# the `short` scenario; batching gain at c=64 (MAX_BATCH_ROWS=1 vs the CUDA default 32); GPU
# utilisation and memory sampled by nvidia-smi during the run.
# Output: $OUT/bench.json, $OUT/bench.md (and the dmon samples appended to $OUT/dmon.txt).
# About 3-4 minutes: raw 8 x 2 s, sweep 5 x 4 s, gain 2 x 4 s, plus server starts and warm-ups.
set -uo pipefail
REPO="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$REPO"
NODE="${NODE:-node}"
OUT="${OUT:-$REPO/.cache/gpu-out}"
MODEL="${MODEL_DIR:-native-models/.cache/bench-size}"
mkdir -p "$OUT"
export EXECUTION_PROVIDER=cuda CUDA_FALLBACK=fail
nvidia-smi dmon -s um -d 1 >> "$OUT/dmon.txt" 2>&1 &
DMON=$!
trap 'kill $DMON 2>/dev/null' EXIT
timeout 420 "$NODE" dist/src/cli.js bench --model "$MODEL" --datasets datasets --scenarios short \
  --raw --raw-batch-sizes 1,2,4,8,16,32,64,128 --raw-seconds 2 \
  --concurrency 1,4,16,64,256 --duration 4 --warmup 2 --rates none \
  --batching-gain --gain-concurrency 64 \
  --server-ready-timeout 240 --no-progress \
  --json "$OUT/bench.json" --md "$OUT/bench.md"
echo "bench exit $?"
nvidia-smi --query-gpu=utilization.gpu,memory.used,memory.total --format=csv
