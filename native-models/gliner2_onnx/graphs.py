"""The layout's graphs: thin wrappers around upstream's modules, their export, the tokenizer and gliner2_config.json."""
import json
import os
import shutil
import tempfile
import warnings

import torch

LAYOUT_VERSION = 1
OPSET = 17


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
