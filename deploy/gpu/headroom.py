"""Batching headroom of the bench-size GLiNER graph on the device's GPU, without ONNX Runtime.

Runs native-models' PyTorch model at gliner_medium-v2.1's dimensions (random weights: speed does not
depend on them) over real CrossNER sentences with 3-6 labels each (bench's `short` scenario), at
several batch sizes and dtypes, and reports rows/s, ms per batch and the gain over batch 1. With
`--onnx DIR/model.onnx` and a CUDA-capable onnxruntime in this Python, the same rows also go through
ONNX Runtime's CUDA provider (the raw ceiling our server would have). Prints one JSON object.

  python3 deploy/gpu/headroom.py --batch-sizes 1,2,4,8,16,32,64,128 --seconds 2 [--onnx FILE]
"""
import argparse
import contextlib
import json
import os
import random
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "native-models"))

import torch  # noqa: E402

from gliner_native import tokenizer as T  # noqa: E402
from gliner_native.batching import collate  # noqa: E402
from gliner_native.configs import BENCH, TINY  # noqa: E402
from gliner_native.data import CROSSNER, domain_path, read_conll  # noqa: E402
from gliner_native.model import GlinerTiny  # noqa: E402

LABELS = ["person", "organization", "location", "political party", "musical artist", "date", "award",
          "programming language", "country", "event", "scientist", "disease", "product", "money"]


def rows(n, seed=1):
    rng = random.Random(seed)
    sents = [w for d in CROSSNER for w, _ in read_conll(domain_path(d, "test")) if 4 <= len(w) <= 60]
    rng.shuffle(sents)
    return [(sents[i % len(sents)], rng.sample(LABELS, rng.randint(3, 6))) for i in range(n)]


def sync():
    if torch.cuda.is_available():
        torch.cuda.synchronize()


def timed(fn, seconds):
    fn()
    sync()
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        fn()
        n += 1
    sync()
    return n, time.perf_counter() - t0


def bench_torch(model, tok, data, batch_sizes, seconds, dtype, device):
    out = {}
    for b in batch_sizes:
        batches = [collate(tok, data[i:i + b], model.max_width)[0] for i in range(0, min(len(data), b * 20), b)]
        batches = [{k: v.to(device) for k, v in x.items()} for x in batches]
        it = iter(range(10**9))

        def step():
            x = batches[next(it) % len(batches)]
            amp = contextlib.nullcontext() if dtype == torch.float32 else torch.autocast(device.type, dtype=dtype)
            with torch.inference_mode(), amp:
                model(**x)
        n, dt = timed(step, seconds)
        out[b] = {"rows_per_s": round(n * b / dt, 1), "ms_per_batch": round(1000 * dt / n, 3)}
    base = out[batch_sizes[0]]["rows_per_s"]
    for b in out:
        out[b]["gain_vs_b1"] = round(out[b]["rows_per_s"] / base, 2)
    return out


def fp16_error(model, tok, data, device):
    x = {k: v.to(device) for k, v in collate(tok, data[:32], model.max_width)[0].items()}
    with torch.inference_mode():
        ref = torch.sigmoid(model(**x).float())
        res = {}
        for name, dt in (("bf16", torch.bfloat16), ("fp16", torch.float16)):
            with torch.autocast(device.type, dtype=dt):
                got = torch.sigmoid(model(**x).float())
            res[name + "_max_abs_prob_diff"] = float((got - ref).abs().max())
    return res


def bench_ort(path, tok, data, batch_sizes, seconds, max_width):
    import numpy as np
    import onnxruntime as ort
    if "CUDAExecutionProvider" not in ort.get_available_providers():
        return {"skipped": "no CUDAExecutionProvider in onnxruntime %s (%s)" % (ort.__version__, ort.get_available_providers())}
    sess = ort.InferenceSession(path, providers=["CUDAExecutionProvider"])
    out = {"providers": sess.get_providers()}
    for b in batch_sizes:
        batches = [{k: v.numpy() for k, v in collate(tok, data[i:i + b], max_width)[0].items()}
                   for i in range(0, min(len(data), b * 20), b)]
        sess.run(None, batches[0])
        n, t0 = 0, time.perf_counter()
        while time.perf_counter() - t0 < seconds:
            sess.run(None, batches[n % len(batches)])
            n += 1
        dt = time.perf_counter() - t0
        out[b] = {"rows_per_s": round(n * b / dt, 1), "ms_per_batch": round(1000 * dt / n, 3)}
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch-sizes", default="1,2,4,8,16,32,64,128")
    ap.add_argument("--seconds", type=float, default=2.0)
    ap.add_argument("--dtypes", default="fp32,bf16,fp16")
    ap.add_argument("--onnx", default=None)
    ap.add_argument("--build", default=os.path.join(REPO, "native-models", ".build"))
    ap.add_argument("--size", choices=["bench", "tiny"], default="bench", help="tiny: a quick smoke test")
    ap.add_argument("--device", default="cuda")
    a = ap.parse_args()
    device = torch.device(a.device)
    sizes = [int(x) for x in a.batch_sizes.split(",")]
    spm_path, ids = T.write(os.path.join(a.build, "tokenizer"), a.build)
    tok = T.WordTokenizer(spm_path, ids)
    cfg = dict(BENCH if a.size == "bench" else TINY)
    cfg["class_token_index"] = ids["<<ENT>>"]
    if a.size == "tiny":
        cfg["vocab_size"] = ids["<<SEP>>"] + 1
    torch.manual_seed(0)
    model = GlinerTiny(cfg).to(device).eval()
    data = rows(max(sizes) * 20)
    report = {"device": torch.cuda.get_device_name(0) if device.type == "cuda" else "cpu", "torch": torch.__version__,
              "cuda": torch.version.cuda, "cudnn": torch.backends.cudnn.version(),
              "model": ("bench-size (gliner_medium-v2.1 dimensions)" if a.size == "bench" else "tiny (smoke test)") + ", random weights",
              "rows": "CrossNER test sentences of 4-60 words, 3-6 labels", "torch_rows": {}}
    dtypes = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}
    for name in a.dtypes.split(","):
        report["torch_rows"][name] = bench_torch(model, tok, data, sizes, a.seconds, dtypes[name], device)
        print("torch %s: %s" % (name, json.dumps(report["torch_rows"][name])), file=sys.stderr, flush=True)
    if device.type == "cuda":
        report["low_precision_error"] = fp16_error(model, tok, data, device)
    if a.onnx:
        report["onnxruntime_cuda"] = bench_ort(a.onnx, tok, data, sizes, a.seconds, cfg["max_width"])
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    sys.exit(main())
