"""ONNX Runtime against upstream's PyTorch on real inputs, the recorded run, and per-graph timings."""
import base64
import json
import os
import time

import numpy as np
import torch

from .graphs import count_embed_variants, graph_modules, graph_specs


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
         # one field per structure: upstream orders a structure's fields through a set(), which
         # would make these inputs depend on PYTHONHASHSEED
         Schema().structure("product").field("name", dtype="str").structure("offer").field("color", dtype="str", choices=["black", "white"])
         .classification("topic", ["tech", "food"], multi_label=True)),
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
