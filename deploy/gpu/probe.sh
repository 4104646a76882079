#!/usr/bin/env bash
# Issue 16: ONE prepared run on the H200 device (about 6-8 minutes): probe, then measure what can run.
#   1. probe: driver, GPU, CUDA/cuDNN libraries (system, /usr/local/cuda*, Python nvidia-* wheels),
#      every onnxruntime build and CUDA provider library present, PyTorch, Node.js     -> probe.json
#   2. the bench-size model (gliner_medium-v2.1 dimensions, random weights) built there (~780 MB,
#      too big to carry) with native-models' make_random
#   3. PyTorch batching headroom of that graph, batch 1..128, fp32/bf16/fp16, with nvidia-smi dmon
#      running (and ONNX Runtime's CUDA provider on the same rows if this Python's onnxruntime has
#      one)                                                                          -> headroom.json, dmon.txt
#   4. our server's own path (carried Node + node_modules from deploy/gpu/pack.sh; onnxruntime-node's
#      binding on the Python wheel's libonnxruntime.so.1.30.0): the CPU eval as a sanity check, then
#      EXECUTION_PROVIDER=cuda CUDA_FALLBACK=fail on the bench-size model. If the CUDA provider
#      loads, deploy/gpu/bench.sh runs the bench sweep; if not, the CUDA_UNAVAILABLE message is the
#      evidence                                                                       -> node.txt, bench.*
# Everything lands in $OUT (at most 8 files come back): probe.log probe.json headroom.json dmon.txt
# node.txt bench.json bench.md.
#
# Device call (from the repo root, after `npm run build && bash deploy/gpu/pack.sh` here):
#   run(command="bash deploy/gpu/probe.sh", carry=[".gpu-carry"], timeout_s=560)
set -uo pipefail
REPO="$(cd "$(dirname "$0")/../.." && pwd)"
OUT="${OUT:-$REPO/.cache/gpu-out}"
mkdir -p "$OUT"
exec > >(tee -a "$OUT/probe.log") 2>&1
cd "$REPO"
start=$(date +%s)
stamp() { echo "[$(( $(date +%s) - start )) s] $*"; }
PY="${PYTHON:-python3}"
export PYTHONUNBUFFERED=1 DATASETS_DIR="$REPO/datasets"

stamp "1. probe"
nvidia-smi --query-gpu=name,driver_version,memory.total,compute_cap --format=csv,noheader || echo "nvidia-smi failed"
nvidia-smi | head -5 || true
command -v nvcc >/dev/null && nvcc --version | tail -2
"$PY" - "$OUT/probe.json" <<'EOF'
import glob, json, os, shutil, subprocess, sys
r = {}
try:
    import torch
    r["torch"] = {"version": torch.__version__, "cuda": torch.version.cuda, "cudnn": torch.backends.cudnn.version(),
                  "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None}
except Exception as e:
    r["torch"] = {"error": repr(e)}
try:
    import onnxruntime as ort
    capi = os.path.join(os.path.dirname(ort.__file__), "capi")
    r["onnxruntime_python"] = {"version": ort.__version__, "providers": ort.get_available_providers(),
                               "capi": sorted(os.listdir(capi)), "capi_dir": capi}
except Exception as e:
    r["onnxruntime_python"] = {"error": repr(e)}
pip = subprocess.run([sys.executable, "-m", "pip", "list", "--format=json"], capture_output=True, text=True)
try:
    r["pip"] = {p["name"]: p["version"] for p in json.loads(pip.stdout)
                if any(k in p["name"].lower() for k in ("onnx", "nvidia", "torch", "cuda", "tensorrt"))}
except Exception:
    r["pip"] = pip.stderr[-500:]
ldc = subprocess.run(["ldconfig", "-p"], capture_output=True, text=True).stdout
site = [p for p in sys.path if p.endswith("site-packages")]
want = ["libcudart.so.12", "libcudart.so.13", "libcublas.so.12", "libcublas.so.13", "libcublasLt.so.12",
        "libcublasLt.so.13", "libcudnn.so.9", "libcufft.so.11", "libcufft.so.12", "libcurand.so.10",
        "libnvrtc.so.12", "libnvrtc.so.13", "libcuda.so.1", "libnvinfer.so.10"]
found = {}
for name in want:
    hits = [l.split("=>")[-1].strip() for l in ldc.splitlines() if name in l]
    for root in ["/usr/local/cuda*/lib64", "/usr/local/cuda*/targets/*/lib", "/usr/lib/x86_64-linux-gnu",
                 "/usr/local/nvidia/lib*"] + [s + "/nvidia/*/lib" for s in site]:
        hits += glob.glob(os.path.join(root, name + "*"))
    found[name] = sorted(set(hits))[:4]
r["cuda_libraries"] = found
prov = subprocess.run("timeout 60 find / -xdev \\( -path /proc -o -path /sys \\) -prune -o "
                      "\\( -name 'libonnxruntime_providers_cuda.so*' -o -name 'libonnxruntime.so*' \\) -print",
                      shell=True, capture_output=True, text=True).stdout.split()
r["onnxruntime_libraries_on_disk"] = prov[:40]
r["node"] = shutil.which("node")
r["nvcc"] = shutil.which("nvcc")
json.dump(r, open(sys.argv[1], "w"), indent=1)
print(json.dumps({k: r[k] for k in ("torch", "node", "nvcc")}))
print("onnxruntime:", json.dumps(r["onnxruntime_python"])[:600])
print("CUDA provider libraries:", [p for p in prov if "providers_cuda" in p] or "none")
print("libraries:", json.dumps({k: v for k, v in found.items() if v}))
EOF

stamp "2. bench-size model"
(cd native-models && "$PY" -m gliner_native.make_random --size bench --out .cache/bench-size) 2>&1 | tail -3
ls -l native-models/.cache/bench-size || true

stamp "3. PyTorch headroom (nvidia-smi dmon in the background)"
nvidia-smi dmon -s um -d 1 > "$OUT/dmon.txt" 2>&1 &
DMON=$!
"$PY" deploy/gpu/headroom.py --onnx native-models/.cache/bench-size/model.onnx --seconds "${HEADROOM_SECONDS:-2}" \
  > "$OUT/headroom.json" || echo "headroom.py failed"
kill "$DMON" 2>/dev/null

stamp "4. the server's path: Node, onnxruntime-node on the wheel's libonnxruntime, CUDA provider"
{
  NODE="$(command -v node || true)"
  if [ -f .gpu-carry/node.xz ]; then mkdir -p /tmp/gpu && xz -dc .gpu-carry/node.xz > /tmp/gpu/node && chmod +x /tmp/gpu/node && NODE=/tmp/gpu/node; fi
  if [ -z "$NODE" ] || [ ! -f .gpu-carry/node_modules.tar.xz ]; then
    echo "no Node.js or no carried node_modules (run deploy/gpu/pack.sh and carry .gpu-carry): skipped"
  else
    # On the device node_modules is a dangling link (it points into this machine's checkout): replace
    # it with the carried tree. A node_modules that resolves (a local run) is used as it is.
    if [ ! -e node_modules ]; then rm -f node_modules && tar -xJf .gpu-carry/node_modules.tar.xz; fi
    [ -f dist/src/cli.js ] || tar -xJf .gpu-carry/dist.tar.xz
    CAPI="$("$PY" -c 'import onnxruntime, os; print(os.path.join(os.path.dirname(onnxruntime.__file__), "capi"))')"
    mkdir -p /tmp/gpu/ortlib
    ln -sf "$(ls "$CAPI"/libonnxruntime.so.1* | head -1)" /tmp/gpu/ortlib/libonnxruntime.so.1
    for f in "$CAPI"/libonnxruntime_providers_*.so; do [ -e "$f" ] && ln -sf "$f" /tmp/gpu/ortlib/; done
    # Any CUDA provider library found on disk (probe.json) next to it, and the nvidia-* wheels' libs on the path.
    for f in $(find / -xdev -name 'libonnxruntime_providers_cuda.so' 2>/dev/null | head -1); do ln -sf "$f" /tmp/gpu/ortlib/; done
    NVLIBS="$("$PY" -c 'import glob, sys; print(":".join(sorted({d for s in sys.path if s.endswith("site-packages") for d in glob.glob(s + "/nvidia/*/lib")})))')"
    export LD_LIBRARY_PATH="/tmp/gpu/ortlib${NVLIBS:+:$NVLIBS}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    ls -l /tmp/gpu/ortlib
    echo "node $("$NODE" --version)"
    echo "== CPU sanity: embedded model, 50 politics sentences"
    timeout 120 "$NODE" dist/src/cli.js eval --data datasets/crossner/politics/test.txt \
      --labels country,election,event,location,misc,organisation,person,politicalparty,politician --limit 50 --json | cut -c1-300
    CUDA_MODEL=native-models/.cache/bench-size
    [ -f "$CUDA_MODEL/model.onnx" ] || CUDA_MODEL=native-models/gliner-tiny
    echo "== EXECUTION_PROVIDER=cuda CUDA_FALLBACK=fail, $CUDA_MODEL, 20 sentences"
    if EXECUTION_PROVIDER=cuda CUDA_FALLBACK=fail timeout 180 "$NODE" dist/src/cli.js eval --model "$CUDA_MODEL" \
        --data datasets/crossner/politics/test.txt --labels person,location --limit 20 --json | cut -c1-300; then
      echo "CUDA provider: loaded"
      [ "$CUDA_MODEL" = native-models/gliner-tiny ] || NODE="$NODE" OUT="$OUT" bash deploy/gpu/bench.sh
    else
      echo "CUDA provider: NOT loaded (the error above says why)"
    fi
  fi
} > "$OUT/node.txt" 2>&1
cat "$OUT/node.txt" | cut -c1-400 | tail -40
stamp "done"
ls -l "$OUT"
