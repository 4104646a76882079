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
split follows what batching across requests buys (README: measured): the encoder and the span
scores are the cost and take any number of rows; the three heads are small MLP/GRU graphs run on
the marker vectors of all rows at once.

Written against upstream a91fd1d2c72debe43907296c8e375a036c6a4faf (2026-07-28, package 1.3.3),
run from a checkout (GLINER2_SRC) or an installed `gliner2`; needs torch, transformers, onnx,
onnxruntime, safetensors, pydantic, requests, peft. Nothing of upstream is copied here.

  GLINER2_SRC=/tmp/GLiNER2 python export_gliner2.py --model DIR --out OUT       # a saved GLiNER2 model
  GLINER2_SRC=/tmp/GLiNER2 python export_gliner2.py --micro --out OUT           # the committed micro model
  GLINER2_SRC=/tmp/GLiNER2 python export_gliner2.py --random medium --out OUT --measure

--micro and --random build upstream's GLiNER2 from an ExtractorConfig with random weights, a small
(or DeBERTa-v3-base sized) DeBERTa-v2 encoder_config with eager attention and the embedded
model's tokenizer (native-models/gliner-tiny), and save it in upstream's own format under
OUT/upstream/ first (reload it with GLiNER2.from_pretrained). --record writes, for fixed inputs,
upstream PyTorch's outputs of every graph next to ONNX Runtime's (OUT/recorded.json), which the
node test test/gliner2/export-recorded.test.ts replays without Python.
"""
import argparse
import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
EMBEDDED_TOKENIZER = os.path.join(HERE, "gliner-tiny")
UPSTREAM_COMMIT = "a91fd1d2c72debe43907296c8e375a036c6a4faf"
LAYOUT_VERSION = 1
OPSET = 17

# The DeBERTa-v2 encoder configurations for random-weight models.
ENCODERS = {
    # Tiny enough to commit; log-bucketed relative positions past 8 words exercise DeBERTa's
    # make_log_bucket_position as a real checkpoint's 256 buckets do past 128.
    "micro": dict(hidden_size=16, num_hidden_layers=2, num_attention_heads=2, intermediate_size=32,
                  position_buckets=16, max_relative_positions=64),
    # microsoft/deberta-v3-base's dimensions (what fastino/gliner2-base-v1 is built on).
    "medium": dict(hidden_size=768, num_hidden_layers=12, num_attention_heads=12, intermediate_size=3072,
                   position_buckets=256, max_relative_positions=-1),
}


def import_upstream():
    src = os.environ.get("GLINER2_SRC")
    if src:
        sys.path.insert(0, src)
    import gliner2
    commit = None
    if src and os.path.isdir(os.path.join(src, ".git")):
        commit = subprocess.run(["git", "-C", src, "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip() or None
    return gliner2, commit


# ---------------------------------------------------------------------------------------------
# Building models with random weights
# ---------------------------------------------------------------------------------------------

def encoder_config(size, vocab_size):
    from transformers import DebertaV2Config
    dims = ENCODERS[size]
    return DebertaV2Config(vocab_size=vocab_size, max_position_embeddings=512, relative_attention=True,
                           pos_att_type=["p2c", "c2p"], norm_rel_ebd="layer_norm", share_att_key=True,
                           position_biased_input=False, type_vocab_size=0, layer_norm_eps=1e-7,
                           attn_implementation="eager", **dims)


CALIBRATION = [
    "Tim Cook runs Apple from Cupertino, California, and met Satya Nadella in Seattle yesterday.",
    "The patient took 200 mg of ibuprofen for a migraine on 3 May 2021 at St. Mary's hospital in London.",
    "iPhone 15 Pro Max with 256GB storage, A17 Pro chip, priced at $1199. Available in titanium and black.",
    "John works for Apple Inc. and lives in San Francisco. Apple Inc. is located in Cupertino.",
    "Great camera quality, decent performance, but poor battery life.",
]


def spread_weights(model, generator):
    """Random heads score everything alike, so a fixture would only test ties. Re-draw the encoder
    so each marker sees its own label (transformers' std-0.02 init makes attention uniform and every
    [E] or [L] marker nearly the same vector), then set each head's last layer from its outputs on
    a few calibration texts: centred and scaled so classification scores spread over (0, 1); the
    count head biased towards 1-3 instances (inputs still move it to 0 and beyond); span scores
    shifted down along one shared direction, so that most spans score low and the shift varies
    with the field and the span (some fields find many spans, others none)."""
    d = model.hidden_size

    def last_linear(seq):
        return [m for m in seq.modules() if isinstance(m, torch.nn.Linear)][-1]

    def recentre(layer, outputs, std):
        # outputs = layer(x) on calibration inputs: make them zero-mean with the given std
        mean, scale = outputs.mean(0), std / outputs.std().clamp_min(1e-6)
        layer.weight.mul_(scale)
        layer.bias.copy_((layer.bias - mean) * scale)

    from gliner2 import Schema
    schema = (Schema().entities({"person": "people", "company": "", "location": "places", "date": ""})
              .classification("sentiment", ["positive", "negative", "neutral"])
              .classification("aspects", ["camera", "battery", "price"], multi_label=True)
              .relations(["works_for", "located_in"])
              # one field per structure: upstream orders a structure's fields through a set(), which
              # would make the calibration, and so the weights, depend on PYTHONHASHSEED
              .structure("product").field("name", dtype="str")
              .structure("offer").field("colors", dtype="list")
              .build())
    with torch.no_grad():
        for module in model.encoder.modules():
            if isinstance(module, torch.nn.Linear):
                module.weight.normal_(0.0, 1.5 / module.in_features ** 0.5, generator=generator)
                module.bias.normal_(0.0, 0.1, generator=generator)
            elif isinstance(module, torch.nn.Embedding):
                module.weight.normal_(0.0, 1.0, generator=generator)
        model.eval()
        batch = model.processor.collate_fn_inference([(t, schema) for t in CALIBRATION])
        hidden = model.encoder(input_ids=batch.input_ids, attention_mask=batch.attention_mask).last_hidden_state
        words, markers = model.processor.extract_embeddings_from_batch(hidden, batch.input_ids, batch)
        prompts, labels, fields = [], [], []
        for i in range(len(CALIBRATION)):
            for j, kind in enumerate(batch.task_types[i]):
                vecs = torch.stack(markers[i][j])
                if kind == "classifications":
                    labels.append(vecs[1:])
                else:
                    prompts.append(vecs[:1])
                    fields.append(vecs[1:])
        prompts, labels, fields = torch.cat(prompts), torch.cat(labels), torch.cat(fields)
        recentre(last_linear(model.classifier), model.classifier(labels), 2.0)
        count = last_linear(model.count_pred)
        recentre(count, model.count_pred(prompts), 0.8)
        bias = torch.full((count.bias.shape[0],), -3.0)
        bias[:5] = torch.tensor([0.75, 1.0, 0.8, 0.9, 0.0])
        count.bias.add_(bias)
        span_out = last_linear(model.span_rep)
        recentre(span_out, torch.cat([model.compute_span_rep(w)["span_rep"].reshape(-1, d) for w in words]), 1.0)
        proj = last_linear(model.count_embed)
        recentre(proj, model.count_embed(fields, 3).reshape(-1, d), 1.0)
        # the direction along which the calibration fields' vectors vary least: shifting along it
        # moves every field alike (a random direction left relation fields with no span at all)
        queries = model.count_embed(fields, 3).reshape(-1, d)
        u = torch.linalg.eigh(torch.cov(queries.T)).eigenvectors[:, 0]
        span_out.bias.add_(u * 2.0)
        proj.bias.add_(u * -2.0)
        span_out.weight.mul_(2.0)
        proj.weight.mul_(2.0)


def build_random(gliner2, size, seed, tokenizer_dir):
    """Upstream's GLiNER2 from an ExtractorConfig with random weights. transformers 5 draws the rows
    of the GLiNER2 special tokens added by resize_token_embeddings at random too: the seed comes first."""
    from transformers import AutoTokenizer
    from gliner2 import ExtractorConfig, GLiNER2
    torch.manual_seed(seed)
    tokenizer = AutoTokenizer.from_pretrained(tokenizer_dir)
    enc = encoder_config(size, len(tokenizer))
    config = ExtractorConfig(model_name=f"gliner2-{size}-random", max_width=8, counting_layer="count_lstm",
                             attn_implementation="eager")
    model = GLiNER2(config, encoder_config=enc, tokenizer=tokenizer)
    spread_weights(model, torch.Generator().manual_seed(seed + 1))
    return model.eval()


# ---------------------------------------------------------------------------------------------
# The graphs: thin wrappers around upstream's modules
# ---------------------------------------------------------------------------------------------

class EncoderGraph(torch.nn.Module):
    """runtime.ExtractorRuntimeMixin._extract_from_batch: self.encoder(...).last_hidden_state."""

    def __init__(self, model):
        super().__init__()
        self.encoder = model.encoder

    def forward(self, input_ids, attention_mask):
        return self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state


class SpanScoresGraph(torch.nn.Module):
    """SpanExtractorModel._compute_span_rep_core (the batched span representation, SpanMarkerV0
    over every (start, width) with width < max_width, invalid spans pointing at word 0), then the
    einsum of runtime._extract_span_result with every query of the row at once:
    upstream's einsum("lkd,bpd->bplk", span_rep, struct_proj) with (b, p) flattened to q."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, token_embs, text_lengths, queries):
        span_rep, _, _ = self.model._compute_span_rep_core(token_embs, text_lengths)
        return torch.einsum("blkd,bqd->bqlk", span_rep, queries)


class CountPredGraph(torch.nn.Module):
    """self.count_pred on the [P] marker of each extractive task (argmax = instance count)."""

    def __init__(self, model):
        super().__init__()
        self.count_pred = model.count_pred

    def forward(self, prompt_embs):
        return self.count_pred(prompt_embs)


class ClassifierGraph(torch.nn.Module):
    """self.classifier on each [L] marker of a classification task (one logit per label)."""

    def __init__(self, model):
        super().__init__()
        self.classifier = model.classifier

    def forward(self, label_embs):
        return self.classifier(label_embs).squeeze(-1)


class CountEmbedGraph(torch.nn.Module):
    """self.count_embed(field embeddings, steps): the count-aware field vectors for instances
    0 … steps-1. Every counting layer upstream has is causal in the instance index (a GRU over the
    steps), so running the largest count the count head can predict and keeping the first
    pred_count rows gives upstream's struct_proj for any pred_count."""

    def __init__(self, model, steps):
        super().__init__()
        self.count_embed = model.count_embed
        self.steps = steps

    def forward(self, field_embs):
        return self.count_embed(field_embs, self.steps)


def count_classes(model):
    return [m for m in model.count_pred.modules() if isinstance(m, torch.nn.Linear)][-1].out_features


def fields_independent(model):
    """Whether count_embed treats each field vector on its own (CountLSTM, CountLSTMoE: GRU and
    per-vector MLPs), so fields of every task of every row can share one call; CountLSTMv2 attends
    across a task's fields and must be called per task."""
    return type(model.count_embed).__name__ in ("CountLSTM", "CountLSTMoE")


GRAPHS = {
    "encoder": dict(inputs=["input_ids", "attention_mask"], outputs=["hidden_states"],
                    axes={"input_ids": {0: "batch", 1: "tokens"}, "attention_mask": {0: "batch", 1: "tokens"},
                          "hidden_states": {0: "batch", 1: "tokens"}}),
    "span_scores": dict(inputs=["token_embs", "text_lengths", "queries"], outputs=["logits"],
                        axes={"token_embs": {0: "batch", 1: "words"}, "text_lengths": {0: "batch"},
                              "queries": {0: "batch", 1: "queries"}, "logits": {0: "batch", 1: "queries", 2: "words"}}),
    "count_pred": dict(inputs=["prompt_embs"], outputs=["count_logits"],
                       axes={"prompt_embs": {0: "prompts"}, "count_logits": {0: "prompts"}}),
    "classifier": dict(inputs=["label_embs"], outputs=["logits"],
                       axes={"label_embs": {0: "labels"}, "logits": {0: "labels"}}),
}
COUNT_EMBED = dict(inputs=["field_embs"], outputs=["struct_proj"], axes={"field_embs": {0: "fields"}, "struct_proj": {1: "fields"}})


def count_embed_variants(model):
    """{graph name: steps}: count_embed for 1 and 4 instances besides the largest count (entities
    read instance 0 only, and counts are mostly small: 19 unrolled steps on every field cost a
    medium model ~9 % of its encoder time per row, export_gliner2.py --measure)."""
    top = count_classes(model) - 1
    return {("count_embed" if s == top else f"count_embed_{s}"): s for s in sorted({min(1, top), min(4, top), top})}


def graph_specs(model):
    return GRAPHS | {name: COUNT_EMBED for name in count_embed_variants(model)}


def graph_modules(model):
    modules = {
        "encoder": EncoderGraph(model).eval(),
        "span_scores": SpanScoresGraph(model).eval(),
        "count_pred": CountPredGraph(model).eval(),
        "classifier": ClassifierGraph(model).eval(),
    }
    for name, steps in count_embed_variants(model).items():
        modules[name] = CountEmbedGraph(model, steps).eval()
    return modules


def dummy_inputs(model, name, batch=2):
    d = model.hidden_size
    g = torch.Generator().manual_seed(0)
    if name == "encoder":
        ids = torch.randint(4, 8000, (batch, 13), generator=g)
        mask = torch.ones_like(ids)
        mask[-1, 9:] = 0
        return (ids, mask)
    if name == "span_scores":
        return (torch.randn(batch, 7, d, generator=g), torch.tensor([7, 5][:batch]), torch.randn(batch, 3, d, generator=g))
    return (torch.randn(3, d, generator=g),)


def export_graphs(model, out):
    modules = graph_modules(model)
    for name, spec in graph_specs(model).items():
        path = os.path.join(out, f"{name}.onnx")
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")
            torch.onnx.export(modules[name], dummy_inputs(model, name), path, input_names=spec["inputs"],
                              output_names=spec["outputs"], dynamic_axes=spec["axes"], opset_version=OPSET,
                              do_constant_folding=True, dynamo=False)
        modules[name].eval()  # the exporter leaves modules in training mode
        import onnx
        onnx.checker.check_model(onnx.load(path))
    model.eval()


def special_token_ids(model):
    tok = model.processor.tokenizer
    return {t: tok.convert_tokens_to_ids(t) for t in model.processor.SPECIAL_TOKENS}


def write_tokenizer(model, out):
    with tempfile.TemporaryDirectory() as tmp:
        model.processor.tokenizer.save_pretrained(tmp)
        for name in ("tokenizer.json", "tokenizer_config.json"):
            shutil.copyfile(os.path.join(tmp, name), os.path.join(out, name))


def write_config(model, out, source, weights_sha256, commit, version):
    cfg = model.config
    if cfg.token_pooling != "first":
        raise SystemExit(f"token_pooling {cfg.token_pooling!r}: the layout gathers the first sub-token of each word (upstream's fast path); mean/max pooling is not exported")
    steps = count_classes(model) - 1
    config = {
        "format": "gliner2-onnx",
        "layout_version": LAYOUT_VERSION,
        "architecture": "span",
        "source": {"model": source, "weights_sha256": weights_sha256, "upstream": "fastino-ai/GLiNER2", "commit": commit, "package": version},
        "model_name": cfg.model_name,
        "hidden_size": model.hidden_size,
        "max_width": model.max_width,
        "max_len": cfg.max_len,
        "token_pooling": cfg.token_pooling,
        "counting_layer": cfg.counting_layer,
        "count_classes": steps + 1,
        "count_steps": steps,
        "count_embed_batching": "fields" if fields_independent(model) else "task",
        "count_embed_variants": [{"steps": s, "file": f"{name}.onnx"} for name, s in count_embed_variants(model).items()],
        "special_tokens": special_token_ids(model),
        "files": {name: f"{name}.onnx" for name in graph_specs(model)} | {"tokenizer": "tokenizer.json"},
    }
    with open(os.path.join(out, "gliner2_config.json"), "w") as f:
        json.dump(config, f, indent=2)
        f.write("\n")
    return config


# ---------------------------------------------------------------------------------------------
# Checks, the recorded run, timings
# ---------------------------------------------------------------------------------------------

def sessions(model, out, threads=1):
    import onnxruntime as ort
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    return {name: ort.InferenceSession(os.path.join(out, f"{name}.onnx"), opts, providers=["CPUExecutionProvider"]) for name in graph_specs(model)}


def real_inputs(model):
    """Fixed inputs for every graph, from upstream's own processor on three texts and schemas (so
    the ids, marker positions and word positions are what inference feeds), batched as our runner
    batches them: encoder rows padded together, span rows padded together."""
    from gliner2 import Schema
    texts = [
        ("Tim Cook runs Apple from Cupertino, California, and met Satya Nadella in Seattle yesterday.",
         Schema().entities({"person": "people", "company": ""}).relations(["works_for"])
         .classification("sentiment", ["positive", "negative", "neutral"])),
        ("iPhone 15 costs $999 in black.",
         Schema().structure("product").field("name", dtype="str").field("price", dtype="str")
         .field("color", dtype="str", choices=["black", "white"]).classification("topic", ["tech", "food"], multi_label=True)),
        ("Ünïcödé 🎉 text, with — dashes.", Schema().entities(["thing"])),
    ]
    batch = model.processor.collate_fn_inference([(t, s.build()) for t, s in texts])
    return batch


def run_torch(model, batch):
    """Upstream PyTorch on every graph for a collated batch; returns inputs and outputs per graph."""
    modules = graph_modules(model)
    rec = {}
    with torch.no_grad():
        hidden = modules["encoder"](batch.input_ids, batch.attention_mask)
        rec["encoder"] = ({"input_ids": batch.input_ids, "attention_mask": batch.attention_mask}, hidden)
        words = [hidden[i, batch.text_word_indices[i, :n]] for i, n in enumerate(batch.text_word_counts)]
        prompts, labels, fields = [], [], []
        for i in range(len(batch)):
            for j, positions in enumerate(batch.schema_special_indices[i]):
                vecs = hidden[i, positions]
                if batch.task_types[i][j] == "classifications":
                    labels.append(vecs[1:])
                else:
                    prompts.append(vecs[:1])
                    fields.append(vecs[1:])
        prompts, labels, fields = torch.cat(prompts), torch.cat(labels), torch.cat(fields)
        rec["count_pred"] = ({"prompt_embs": prompts}, modules["count_pred"](prompts))
        rec["classifier"] = ({"label_embs": labels}, modules["classifier"](labels))
        for name in count_embed_variants(model):
            rec[name] = ({"field_embs": fields}, modules[name](fields))
        struct = rec["count_embed"][1]
        w = max(len(x) for x in words)
        token_embs = torch.zeros(len(words), w, model.hidden_size)
        for i, x in enumerate(words):
            token_embs[i, :len(x)] = x
        lengths = torch.tensor([len(x) for x in words])
        q = struct[:2].reshape(-1, model.hidden_size)[: 5]
        queries = torch.stack([q, q.flip(0), q * 0.5])[: len(words)]
        rec["span_scores"] = ({"token_embs": token_embs, "text_lengths": lengths, "queries": queries},
                              modules["span_scores"](token_embs, lengths, queries))
    return rec


def compare(model, out, batch):
    """Max |ONNX Runtime − PyTorch| per graph on real inputs; also checks that the span graph equals
    upstream's per-sample compute_span_rep + einsum on each row's own words."""
    rec = run_torch(model, batch)
    sess = sessions(model, out)
    diffs = {}
    onnx_out = {}
    for name, (inputs, want) in rec.items():
        got = sess[name].run(None, {k: v.numpy() for k, v in inputs.items()})[0]
        onnx_out[name] = got
        diffs[name] = float(np.abs(got - want.numpy()).max())
    inputs, batched = rec["span_scores"]
    worst = 0.0
    with torch.no_grad():
        for i, n in enumerate(inputs["text_lengths"].tolist()):
            info = model.compute_span_rep(inputs["token_embs"][i, :n])
            single = torch.einsum("lkd,bpd->bplk", info["span_rep"], inputs["queries"][i].unsqueeze(0))[0]
            worst = max(worst, float((single - batched[i, :, :n]).abs().max()))
    diffs["span_scores_vs_per_sample"] = worst
    return rec, onnx_out, diffs


def encoded(t):
    """A tensor as {type, dims, base64 of its little-endian bytes}: float32 stays bit-exact."""
    a = np.ascontiguousarray(t.numpy() if isinstance(t, torch.Tensor) else t)
    kind = {"float32": "float32", "int64": "int64"}[str(a.dtype)]
    return {"type": kind, "dims": list(a.shape), "base64": base64.b64encode(a.astype("<" + a.dtype.str[1:]).tobytes()).decode("ascii")}


def record(model, out, batch, versions):
    rec, onnx_out, diffs = compare(model, out, batch)
    data = {
        "about": "Inputs of every graph (from upstream's processor on three texts), upstream PyTorch's outputs "
                 "and ONNX Runtime's (Python) outputs of the exported files, written by export_gliner2.py --record.",
        "versions": versions,
        "max_abs_diff_onnx_vs_torch": diffs,
        "graphs": {name: {"inputs": {k: encoded(v) for k, v in inputs.items()}, "torch": encoded(want), "onnxruntime": encoded(onnx_out[name])}
                   for name, (inputs, want) in rec.items()},
    }
    with open(os.path.join(out, "recorded.json"), "w") as f:
        json.dump(data, f, separators=(",", ":"))
    return diffs


def measure(model, out, rows_list=(1, 8), words=120, schema_tokens=40, repeats=5):
    """Milliseconds per row of each graph alone, one row at a time vs `rows` rows in one call, on a
    row of `words` text words and a prompt of `schema_tokens` tokens (1 intra-op thread)."""
    sess = sessions(model, out, threads=1)
    d = model.hidden_size
    g = np.random.default_rng(0)
    t = words * 13 // 10 + schema_tokens
    result = {}

    def timed(name, feeds):
        sess[name].run(None, feeds)
        best = float("inf")
        for _ in range(repeats):
            t0 = time.perf_counter()
            sess[name].run(None, feeds)
            best = min(best, time.perf_counter() - t0)
        return best * 1000

    for rows in rows_list:
        feeds = {"input_ids": g.integers(4, 8000, (rows, t)).astype(np.int64), "attention_mask": np.ones((rows, t), np.int64)}
        result[f"encoder_rows{rows}"] = timed("encoder", feeds) / rows
        feeds = {"token_embs": g.standard_normal((rows, words, d)).astype(np.float32),
                 "text_lengths": np.full((rows,), words, np.int64),
                 "queries": g.standard_normal((rows, 12, d)).astype(np.float32)}
        result[f"span_scores_rows{rows}_q12"] = timed("span_scores", feeds) / rows
        result[f"count_pred_rows{rows}"] = timed("count_pred", {"prompt_embs": g.standard_normal((3 * rows, d)).astype(np.float32)}) / rows
        result[f"classifier_rows{rows}"] = timed("classifier", {"label_embs": g.standard_normal((4 * rows, d)).astype(np.float32)}) / rows
        for name, steps in count_embed_variants(model).items():
            result[f"count_embed_{steps}steps_rows{rows}"] = timed(name, {"field_embs": g.standard_normal((8 * rows, d)).astype(np.float32)}) / rows
    return result


# ---------------------------------------------------------------------------------------------

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
