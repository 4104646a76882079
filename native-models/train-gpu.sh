#!/usr/bin/env bash
# One prepared run of the gliner-tiny v2 recipe (issue 15) for the H200 device, in under 10 minutes:
# trains the shipped-model candidate on every domain and, at the same time on the same GPU, one
# leave-one-domain-out model per LOO_DOMAINS entry; exports the candidate to ONNX (checked <= 40 MB);
# evaluates both in PyTorch (every domain's test set, per sentence and per passage; the held-out
# domain for each LOO model); checks ONNX Runtime (Python) against PyTorch; writes under $OUT:
#   summary.json            figures of every run, the examples, versions, timings
#   train.log               the whole log
#   model.tar.part-00..NN   gliner-tiny-v2/ (model.onnx, tokenizer, config) + best-fp16.pt, spm.model and
#                           the ONNX parity cases (parity_trained.json), split in 15 MiB
#                           parts (the device returns files of at most 16 MiB): cat model.tar.part-* | tar x
# It never touches native-models/gliner-tiny (the shipped model). native-models/after-gpu.sh, run back
# on the CPU machine, reassembles the parts and runs the JS parity checks and the server's own eval.
#
# Device call (from the repo root; CoNLL-2003 is not in git, so it travels as an ignored, carried path):
#   mkdir -p native-models/.cache && cp -r /path/to/conll2003 native-models/.cache/   (train/dev/test.txt, CrossNER form)
#   run(command="bash native-models/train-gpu.sh", carry=["native-models/.cache/conll2003"], timeout_s=590)
#
# Knobs (environment): TRAIN_SECONDS (300) wall-clock training budget per run, the lr decays to it;
# LOO_DOMAINS ("politics"; "" for none); EPOCHS (40, an upper bound: the budget ends training);
# BATCH (8 passages); MAX_WORDS (384, the model's window); SUBSET (0: all sentences; N: N per domain);
# EVAL_DOMAINS (all available); DEVICE (cuda if torch sees one, else cpu); REQUIRE_CONLL (1); OUT
# (./.cache/train-gpu-out when unset, e.g. for the CPU proof run).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
PY="${PYTHON:-python3}"
OUT="${OUT:-$HERE/.cache/train-gpu-out}"
WORK="${WORK:-$HERE/.cache/train-gpu-work}"
TRAIN_SECONDS="${TRAIN_SECONDS:-300}"
LOO_DOMAINS="${LOO_DOMAINS-politics}"
EPOCHS="${EPOCHS:-40}"
BATCH="${BATCH:-8}"
MAX_WORDS="${MAX_WORDS:-384}"
SUBSET="${SUBSET:-0}"
DEV_SIZE="${DEV_SIZE:-600}"
THREADS="${THREADS:-2}"
LIMIT_BYTES=$((40 * 1000 * 1000))
export PYTHONUNBUFFERED=1 PYTHONHASHSEED=0 DATASETS_DIR="$REPO/datasets"
# CONLL_DIR unset: the carried copy, if any. Set (even empty): exactly that.
if [ -z "${CONLL_DIR+set}" ] && [ -f "$HERE/.cache/conll2003/train.txt" ]; then export CONLL_DIR="$HERE/.cache/conll2003"; fi
mkdir -p "$OUT" "$WORK"
rm -rf "${WORK:?}"/*
LOG="$OUT/train.log"
exec > >(tee -a "$LOG") 2>&1
start=$(date +%s)
stamp() { echo "[$(( $(date +%s) - start )) s] $*"; }

if [ -z "${CONLL_DIR:-}" ] && [ "${REQUIRE_CONLL:-1}" = 1 ]; then
  echo "CoNLL-2003 not found: carry native-models/.cache/conll2003 (see the header) or set REQUIRE_CONLL=0" >&2
  exit 3
fi
stamp "probe"
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
"$PY" - <<'EOF'
import torch, sentencepiece, onnx
print("torch", torch.__version__, "cuda", torch.version.cuda, "gpu", torch.cuda.is_available() and torch.cuda.get_device_name(0))
print("onnx", onnx.__version__, "sentencepiece", sentencepiece.__version__)
EOF
DEVICE="${DEVICE:-$("$PY" -c 'import torch; print("cuda" if torch.cuda.is_available() else "cpu")')}"
stamp "device $DEVICE; CONLL_DIR=${CONLL_DIR:-none}; budget ${TRAIN_SECONDS}s; LOO: ${LOO_DOMAINS:-none}"


MODEL="$WORK/gliner-tiny-v2"
# Whatever exists at exit (also after a failed export or eval) goes back: the fp16 checkpoint, its
# tokenizer (spm.model + tokenizer files) and, when finalize ran, the exported model directory.
pack_out() {
  set +e
  "$PY" - "$WORK" "$OUT/summary.json" "$LOO_DOMAINS" "$(( $(date +%s) - start ))" <<'PYEOF'
import json, os, sys
work, out, loo, seconds = sys.argv[1], sys.argv[2], sys.argv[3].split(), int(sys.argv[4])
def load(p):
    return json.load(open(p)) if os.path.exists(p) else None
summary = {"full": load(os.path.join(work, "full", "report.json")),
           "leave_one_out": {d: load(os.path.join(work, "loo-" + d, "report.json")) for d in loo},
           "ort": load(os.path.join(work, "ort-parity.json")), "script_seconds": seconds}
json.dump(summary, open(out, "w"), indent=1)
full = summary["full"] or {}
for d, r in (full.get("test") or {}).items():
    print("full  %-11s sentence F1 %.4f  passage F1 %.4f" % (d, r["sentence_f1"], r["passage_f1"]))
for d, r in summary["leave_one_out"].items():
    t = ((r or {}).get("test") or {}).get(d)
    if t:
        print("LOO   %-11s sentence F1 %.4f  passage F1 %.4f (trained without %s)" % (d, t["sentence_f1"], t["passage_f1"], d))
PYEOF
  mkdir -p "$MODEL"
  if [ -f "$WORK/full/ckpt/best.pt" ]; then
    "$PY" - "$WORK/full/ckpt/best.pt" "$MODEL/best-fp16.pt" <<'PYEOF'
import sys, torch
ck = torch.load(sys.argv[1], map_location="cpu")
ck["state_dict"] = {k: (v.half() if v.is_floating_point() else v) for k, v in ck["state_dict"].items()}
torch.save(ck, sys.argv[2])
PYEOF
    cp "$WORK/full/spm.model" "$MODEL/spm.model"
    [ -f "$MODEL/tokenizer.json" ] || cp "$WORK/full/tokenizer/"tokenizer*.json "$MODEL/"
  fi
  [ -f "$WORK/full/parity_trained.json" ] && cp "$WORK/full/parity_trained.json" "$MODEL/parity_trained.json"
  rm -f "$OUT"/model.tar.part-*
  tar -C "$WORK" -cf - gliner-tiny-v2 | split -b 15M -d - "$OUT/model.tar.part-"
  ls -l "$OUT"
}
cd "$HERE"
train() {  # $1 = name, rest = extra args
  local name=$1; shift
  "$PY" -m gliner_native.train --recipe passages --device "$DEVICE" --threads "$THREADS" --epochs "$EPOCHS" \
    --batch-size "$BATCH" --max-words "$MAX_WORDS" --subset "$SUBSET" --dev-size "$DEV_SIZE" \
    --time-budget "$TRAIN_SECONDS" --warmup 200 --build "$WORK/$name" --ckpt-dir "$WORK/$name/ckpt" "$@" \
    > "$WORK/$name.log" 2>&1
}
pids=()
train full & pids+=($!)
for d in $LOO_DOMAINS; do train "loo-$d" --leave-out "$d" & pids+=($!); done
fail=0
for p in "${pids[@]}"; do wait "$p" || fail=1; done
for f in "$WORK"/*.log; do echo "== $f"; grep -v '^ep [0-9]* step' "$f" | tail -40; done
trap pack_out EXIT
[ "$fail" = 0 ] || { stamp "a training run failed"; exit 4; }
stamp "training done"

"$PY" -m gliner_native.finalize --device "$DEVICE" --ckpt "$WORK/full/ckpt/best.pt" --build "$WORK/full" --out "$MODEL" \
  ${EVAL_DOMAINS:+--domains "$EVAL_DOMAINS"} > "$WORK/finalize-full.log" 2>&1 || { cat "$WORK/finalize-full.log"; exit 5; }
tail -3 "$WORK/finalize-full.log"
for d in $LOO_DOMAINS; do
  "$PY" -m gliner_native.finalize --device "$DEVICE" --ckpt "$WORK/loo-$d/ckpt/best.pt" --build "$WORK/loo-$d" --out "$WORK/loo-$d/model" \
    --domains "$d" > "$WORK/finalize-loo-$d.log" 2>&1 || { cat "$WORK/finalize-loo-$d.log"; exit 5; }
done
stamp "export and eval done"

size=$(stat -c %s "$MODEL/model.onnx")
stamp "model.onnx: $size bytes (limit $LIMIT_BYTES)"
[ "$size" -le "$LIMIT_BYTES" ] || { echo "model.onnx is over 40 MB" >&2; exit 6; }

# ONNX Runtime (Python, CPU) against PyTorch on the parity cases.
"$PY" - "$MODEL/model.onnx" "$WORK/full/parity_trained.json" > "$WORK/ort-parity.json" <<'EOF' || echo '{"ort_parity": "not run"}' > "$WORK/ort-parity.json"
import json, sys
import numpy as np
import onnxruntime as ort
sess = ort.InferenceSession(sys.argv[1], providers=["CPUExecutionProvider"])
worst = 0.0
for case in json.load(open(sys.argv[2])):
    feeds = {k: np.array(v["data"], dtype=bool if k == "span_mask" else np.int64).reshape(v["shape"]) for k, v in case["inputs"].items()}
    got = sess.run(["logits"], feeds)[0]
    want = np.array(case["logits"]["data"], dtype=np.float32).reshape(case["logits"]["shape"])
    worst = max(worst, float(np.abs(got - want).max()))
print(json.dumps({"ort_parity_max_abs_diff": worst, "onnxruntime": ort.__version__}))
EOF
cat "$WORK/ort-parity.json"

stamp "done"
