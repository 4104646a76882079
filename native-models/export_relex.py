"""Export an upstream GLiNER relation-extraction checkpoint to the three ONNX graphs gliner-serve runs.

  /work/pyup/bin/python native-models/export_relex.py CHECKPOINT_DIR OUT_DIR [--gliner-src /tmp/GLiNER]

CHECKPOINT_DIR is any directory upstream's `GLiNER.from_pretrained` loads (gliner_config.json, the
weights, the tokenizer) whose config selects UniEncoderSpanRelexGLiNER or UniEncoderTokenRelexGLiNER
(urchade/GLiNER at c2bb58ddf569480ef7a9de03bef653723a42f5c2: `relations_layer` set; span_mode
"token_level" for the token variant). OUT_DIR receives a servable model directory:

  model.onnx            the encoder, as our UniEncoderSpan / UniEncoderToken graphs (same inputs, same
                        `logits`), plus the two tensors the relation head starts from:
                          words_embedding      [B, W, D]  the word representations the span scores use
                          relation_embeddings  [B, R, D]  one per <<REL>> prompt marker (R: the batch's
                                                          most relation labels; rows with fewer are
                                                          zero-padded)
  relex_entities.onnx   words_embedding [B, W, D], entity_spans [B, E, 2] (int64, word start and end,
                        end inclusive), entity_mask [B, E] (bool)
                        -> entity_embeddings [B, E, D] (zero where masked),
                           adjacency [B, E, E] (probabilities; absent when relations_layer is "none")
  relex_pairs.onnx      entity_embeddings [B, E, D], pair_idx [B, P, 2] (int64 head, tail indices into
                        E), relation_embeddings [B, R, D] -> relation_logits [B, P, R]
  gliner_config.json    the checkpoint's config, with an `onnx_interface` section naming the above
  tokenizer.json, tokenizer_config.json

Why three graphs: upstream's own export traces one dummy input, so its graph freezes how many entities
pass the threshold, builds pairs in a Python loop over the batch (batch > 1 returns only the first
row's pairs) and bakes both thresholds in. Here everything that depends on a threshold is data: the
server selects the entities (every span whose best label is above the threshold, in upstream's order),
keeps the pairs whose adjacency is above it, and decodes relations itself. Every axis is dynamic and
every row of a batch is independent of the others.

The graphs call upstream's own modules (encoder, LSTM, span/token representation layer, relations
layer, pair or triples scorer); this file only wires them. Before writing anything it checks the graphs
against upstream's PyTorch forward (`run_batch`) on a batch of texts of different lengths: logits,
the entity representations and adjacency of upstream's selected entities, upstream's own pairs, and the
relation logits of those pairs must agree within --tolerance.
"""
import argparse
import json
import os
import shutil
import sys
import warnings

UPSTREAM_COMMIT = "c2bb58ddf569480ef7a9de03bef653723a42f5c2"
OPSET = 17
HEAD_OPSET = 18
# Span modes whose representation is a function of the span's two end words: computed for the
# selected entities only. Any other span mode recomputes every span of the text and gathers.
ENDPOINT_SPAN_MODES = ("marker", "markerV0")

CHECK_TEXTS = [
    "Ada Lovelace worked with Charles Babbage in London on the Analytical Engine for years .",
    "I work at Microsoft based in Seattle , Washington .",
    "Angela Merkel met Emmanuel Macron in Berlin on Tuesday to discuss the EU budget and the future of the euro zone .",
    "Paris",
]
CHECK_LABELS = ["person", "organization", "location", "date"]
CHECK_RELATIONS = ["works with", "located in", "born in"]


def build_wrappers(model, torch):
    """The three export modules around the loaded upstream model (its `model` attribute, the nn core)."""
    nn = torch.nn
    core = model.model
    config = model.config
    token = config.span_mode == "token_level"
    from gliner.modeling.utils import extract_prompt_features

    class Encoder(nn.Module):
        """Upstream's relex forward up to the entity scores, without selecting anything."""

        def __init__(self):
            super().__init__()
            self.core = core

        def forward(self, input_ids, attention_mask, words_mask, text_lengths, span_idx=None, span_mask=None):
            token_embeds = self.core.token_rep_layer(input_ids, attention_mask)
            prompts, _, words, mask = self.core._extract_prompt_features_and_word_embeddings(
                token_embeds, input_ids, attention_mask, text_lengths, words_mask)
            if hasattr(self.core, "rnn"):
                words = self.core.rnn(words, mask)
            prompts = self.core.prompt_rep_layer(prompts)
            if token:
                scores = self.core.scorer(words, prompts)
            else:
                span_rep = self.core.span_rep_layer(words, span_idx * span_mask.unsqueeze(-1).long())
                scores = torch.einsum("BLKD,BCD->BLKC", span_rep, prompts)
            relations, _ = extract_prompt_features(config.rel_token_index, token_embeds, input_ids, attention_mask,
                                                   token_embeds.shape[0], token_embeds.shape[-1], config.embed_rel_token)
            return scores, words, relations

    def entity_reps(words, spans):
        layer = core.span_rep_layer.span_rep_layer
        if token:
            return core.span_rep_layer(words, spans)
        if config.span_mode in ENDPOINT_SPAN_MODES:
            start = torch.gather(layer.project_start(words), 1, spans[:, :, 0:1].expand(-1, -1, words.shape[-1]))
            end = torch.gather(layer.project_end(words), 1, spans[:, :, 1:2].expand(-1, -1, words.shape[-1]))
            return layer.out_project(torch.cat([start, end], dim=-1).relu())
        # Any other span mode: every (start, width) span of the text, then the selected ones.
        width = config.max_width
        starts = torch.arange(words.shape[1], device=words.device)[:, None].expand(-1, width)
        ends = (starts + torch.arange(width, device=words.device)[None, :]).clamp(max=words.shape[1] - 1)
        every = torch.stack([starts, ends], dim=-1).reshape(1, -1, 2).expand(words.shape[0], -1, -1)
        all_reps = core.span_rep_layer(words, every).reshape(words.shape[0], -1, words.shape[-1])
        flat = spans[:, :, 0] * width + (spans[:, :, 1] - spans[:, :, 0])
        return torch.gather(all_reps, 1, flat.unsqueeze(-1).expand(-1, -1, words.shape[-1]))

    class Entities(nn.Module):
        """Representations of the selected entities and, with a relations layer, their adjacency."""

        def __init__(self):
            super().__init__()
            self.core = core

        def forward(self, words_embedding, entity_spans, entity_mask):
            reps = entity_reps(words_embedding, entity_spans) * entity_mask.unsqueeze(-1).to(words_embedding.dtype)
            if hasattr(self.core, "relations_rep_layer"):
                return reps, self.core.relations_rep_layer(reps, entity_mask.long())
            return reps

    class Pairs(nn.Module):
        """Relation logits of the given (head, tail) pairs against each relation prompt."""

        def __init__(self):
            super().__init__()
            self.core = core

        def forward(self, entity_embeddings, pair_idx, relation_embeddings):
            dim = entity_embeddings.shape[-1]
            head = torch.gather(entity_embeddings, 1, pair_idx[:, :, 0:1].expand(-1, -1, dim))
            tail = torch.gather(entity_embeddings, 1, pair_idx[:, :, 1:2].expand(-1, -1, dim))
            if hasattr(self.core, "pair_rep_layer"):
                pair = self.core.pair_rep_layer(torch.cat([head, tail], dim=-1))
                return torch.einsum("BND,BCD->BNC", pair, relation_embeddings)
            b, n, c = head.shape[0], head.shape[1], relation_embeddings.shape[1]
            h = head.unsqueeze(2).expand(b, n, c, dim).reshape(-1, dim)
            t = tail.unsqueeze(2).expand(b, n, c, dim).reshape(-1, dim)
            r = relation_embeddings.unsqueeze(1).expand(b, n, c, dim).reshape(-1, dim)
            return self.core.triples_score_layer(h, r, t).view(b, n, c)

    return Encoder().eval(), Entities().eval(), Pairs().eval()


def interface(token, adjacency):
    text_inputs = ["input_ids", "attention_mask", "words_mask", "text_lengths"]
    encoder_inputs = text_inputs if token else text_inputs + ["span_idx", "span_mask"]
    return {
        "layout": "gliner-serve relex v1 (native-models/export_relex.py)",
        "opset": {"model.onnx": OPSET, "relex_entities.onnx": HEAD_OPSET, "relex_pairs.onnx": HEAD_OPSET},
        "model.onnx": {"inputs": encoder_inputs, "outputs": ["logits", "words_embedding", "relation_embeddings"],
                       "logits_shape": "[B, W, C, 3]" if token else "[B, W, K, C]"},
        "relex_entities.onnx": {"inputs": ["words_embedding", "entity_spans", "entity_mask"],
                                "outputs": ["entity_embeddings", "adjacency"] if adjacency else ["entity_embeddings"]},
        "relex_pairs.onnx": {"inputs": ["entity_embeddings", "pair_idx", "relation_embeddings"], "outputs": ["relation_logits"]},
    }


def collated(model, texts, labels, relations):
    prepared = model.prepare_batch(texts, labels, None, relations)
    return model.collate_batch(prepared["input_x"], prepared["entity_types"], model.create_collator(), prepared["relation_types"])


def encoder_feeds(batch, token):
    names = ["input_ids", "attention_mask", "words_mask", "text_lengths"] + ([] if token else ["span_idx", "span_mask"])
    return {name: batch[name].numpy() for name in names}


def export_all(model, out, torch):
    encoder, entities, pairs = build_wrappers(model, torch)
    token = model.config.span_mode == "token_level"
    adjacency = hasattr(model.model, "relations_rep_layer")
    spec = interface(token, adjacency)
    # The encoder is traced on one row (its LSTM's initial state then does not depend on the batch
    # size), the heads on two rows with different counts so no axis is folded to a constant.
    batch = collated(model, [CHECK_TEXTS[0]], CHECK_LABELS[:2], CHECK_RELATIONS[:2])
    args = tuple(torch.as_tensor(v) for v in encoder_feeds(batch, token).values())
    dims = {"input_ids": {0: "B", 1: "T"}, "attention_mask": {0: "B", 1: "T"}, "words_mask": {0: "B", 1: "T"},
            "text_lengths": {0: "B"}, "span_idx": {0: "B", 1: "S"}, "span_mask": {0: "B", 1: "S"},
            "logits": {0: "B", 1: "W", 2: "K", 3: "C"} if not token else {0: "B", 1: "W", 2: "C"},
            "words_embedding": {0: "B", 1: "W"}, "relation_embeddings": {0: "B", 1: "R"},
            "entity_spans": {0: "B", 1: "E"}, "entity_mask": {0: "B", 1: "E"}, "entity_embeddings": {0: "B", 1: "E"},
            "adjacency": {0: "B", 1: "E", 2: "E"}, "pair_idx": {0: "B", 1: "P"}, "relation_logits": {0: "B", 1: "P", 2: "R"}}
    dim = model.config.hidden_size
    head_args = (torch.randn(2, 9, dim), torch.tensor([[[0, 0], [1, 3], [4, 4]], [[2, 2], [0, 0], [0, 0]]]),
                 torch.tensor([[True, True, True], [True, False, False]]))
    pair_args = (torch.randn(2, 3, dim), torch.tensor([[[0, 1], [1, 0], [2, 1], [0, 2]], [[0, 0]] * 4]), torch.randn(2, 2, dim))
    names = spec["model.onnx"]
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(encoder, args, os.path.join(out, "model.onnx"), input_names=names["inputs"], output_names=names["outputs"],
                          dynamic_axes={k: dims[k] for k in names["inputs"] + names["outputs"]}, opset_version=OPSET,
                          do_constant_folding=True, dynamo=False)
    # The heads go through torch.export (opset 18): the TorchScript tracer freezes the batch size
    # inside nn.MultiheadAttention (graph-attention relations layers).
    axes = {name: {i: torch.export.Dim(label) for i, label in dims[name].items()} for name in dims}
    for module, inputs, name in ((entities, head_args, "relex_entities.onnx"), (pairs, pair_args, "relex_pairs.onnx")):
        names = spec[name]
        shared = {}
        shapes = {k: {i: shared.setdefault(d.__name__, d) for i, d in axes[k].items()} for k in names["inputs"]}
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")
            torch.onnx.export(module, inputs, os.path.join(out, name), input_names=names["inputs"], output_names=names["outputs"],
                              dynamic_shapes=shapes, opset_version=HEAD_OPSET, dynamo=True, external_data=False, verbose=False)
    import onnx
    for name in ("model.onnx", "relex_entities.onnx", "relex_pairs.onnx"):
        graph = onnx.load(os.path.join(out, name))
        onnx.checker.check_model(graph)
        inputs = [i.name for i in graph.graph.input]
        if inputs != spec[name]["inputs"]:
            # The tracer drops inputs the graph never reads: span modes that ignore span_idx (the
            # convolution ones) lose the span inputs the server feeds every span model.
            raise SystemExit("%s takes %s, not %s (span_mode %s does not read them); the server cannot run it"
                             % (name, inputs, spec[name]["inputs"], model.config.span_mode))
    return spec


def check_shapes(model, out, torch, tolerance):
    """The heads on odd sizes (one row, one entity, one pair, one relation label; and wider ones)
    against the same modules in PyTorch: no axis may have been frozen by the export."""
    import numpy as np
    import onnxruntime as ort

    _, entities, pairs = build_wrappers(model, torch)
    ent = ort.InferenceSession(os.path.join(out, "relex_entities.onnx"), providers=["CPUExecutionProvider"])
    par = ort.InferenceSession(os.path.join(out, "relex_pairs.onnx"), providers=["CPUExecutionProvider"])
    dim = model.config.hidden_size
    generator = torch.Generator().manual_seed(0)
    worst = 0.0
    for b, w, e, p, r in ((1, 1, 1, 1, 1), (1, 3, 2, 2, 0), (3, 17, 9, 40, 5), (5, 40, 30, 200, 2)):
        words = torch.randn(b, w, dim, generator=generator)
        starts = torch.randint(0, w, (b, e), generator=generator)
        ends = (starts + torch.randint(0, model.config.max_width, (b, e), generator=generator)).clamp(max=w - 1)
        spans = torch.stack([starts, ends], dim=-1)
        mask = torch.rand(b, e, generator=generator) > 0.2
        mask[:, 0] = True
        with torch.no_grad():
            ref = entities(words, spans, mask)
        got = ent.run(None, {"words_embedding": words.numpy(), "entity_spans": spans.numpy(), "entity_mask": mask.numpy()})
        ref = ref if isinstance(ref, tuple) else (ref,)
        for x, y in zip(got, ref):
            worst = max(worst, float(np.nan_to_num(np.abs(x - y.numpy()), nan=0.0).max()))
        reps = torch.from_numpy(got[0])
        idx = torch.randint(0, e, (b, p, 2), generator=generator)
        rel = torch.randn(b, r, dim, generator=generator)
        with torch.no_grad():
            ref_logits = pairs(reps, idx, rel)
        (logits,) = par.run(None, {"entity_embeddings": reps.numpy(), "pair_idx": idx.numpy(), "relation_embeddings": rel.numpy()})
        if logits.shape != tuple(ref_logits.shape):
            raise SystemExit("relex_pairs.onnx gave %s for %s" % (logits.shape, tuple(ref_logits.shape)))
        if logits.size:
            worst = max(worst, float(np.abs(logits - ref_logits.numpy()).max()))
    if worst > tolerance:
        raise SystemExit("the relation heads disagree with PyTorch on odd sizes: %g" % worst)
    return worst


def check(model, out, torch, tolerance):
    """The exported graphs against upstream's PyTorch forward on one batch of texts of different lengths."""
    import numpy as np
    import onnxruntime as ort

    token = model.config.span_mode == "token_level"
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    sessions = {name: ort.InferenceSession(os.path.join(out, name), opts, providers=["CPUExecutionProvider"])
                for name in ("model.onnx", "relex_entities.onnx", "relex_pairs.onnx")}
    report = {}
    core = model.model
    seen = {}
    # Upstream's own selected entities (representations, mask) and adjacency, captured in its forward.
    represent = core.represent_spans

    def spy(*args, **kwargs):
        result = represent(*args, **kwargs)
        seen["rep"], seen["mask"] = result[1], result[2]
        return result

    core.represent_spans = spy
    hook = core.relations_rep_layer.register_forward_hook(lambda _m, _i, o: seen.__setitem__("adj", o)) if hasattr(core, "relations_rep_layer") else None
    try:
        for threshold in (0.3, 0.5):
            batch = collated(model, CHECK_TEXTS, CHECK_LABELS, CHECK_RELATIONS)
            with torch.no_grad():
                ref = model.run_batch(batch, threshold=threshold, adjacency_threshold=threshold)
            logits, words, relations = sessions["model.onnx"].run(None, encoder_feeds(batch, token))
            worst = {"logits": float(np.abs(logits - ref.logits.numpy()).max())}
            spans = ref.entity_spans.numpy().astype(np.int64)
            mask = seen["mask"].numpy().astype(bool)
            heads = sessions["relex_entities.onnx"].run(None, {"words_embedding": words, "entity_spans": spans, "entity_mask": mask})
            worst["entity_embeddings"] = float(np.abs(heads[0] - seen["rep"].numpy())[mask].max()) if mask.any() else 0.0
            pair_idx = ref.rel_idx.numpy().astype(np.int64)
            pair_mask = ref.rel_mask.numpy().astype(bool)
            if len(heads) == 2:
                adj = heads[1]
                both = mask[:, :, None] & mask[:, None, :]
                worst["adjacency"] = float(np.abs(adj - seen["adj"].numpy())[both].max()) if both.any() else 0.0
                ours = [[(i, j) for i in range(adj.shape[1]) for j in range(adj.shape[1])
                         if i != j and both[b, i, j] and adj[b, i, j] > np.float32(threshold)] for b in range(adj.shape[0])]
                theirs = [[tuple(p) for p, m in zip(pair_idx[b], pair_mask[b]) if m] for b in range(pair_idx.shape[0])]
                worst["rows_with_other_pairs"] = sum(x != y for x, y in zip(ours, theirs))
            (rel,) = sessions["relex_pairs.onnx"].run(None, {"entity_embeddings": heads[0], "pair_idx": np.maximum(pair_idx, 0), "relation_embeddings": relations})
            diff = np.abs(rel - ref.rel_logits.numpy())[pair_mask]
            worst["relation_logits"] = float(diff.max()) if diff.size else 0.0
            worst["entities"] = int(mask.sum())
            worst["pairs"] = int(pair_mask.sum())
            report[threshold] = worst
            numbers = [worst[k] for k in ("logits", "entity_embeddings", "adjacency", "relation_logits") if k in worst]
            if max(numbers) > tolerance or worst.get("rows_with_other_pairs", 0):
                raise SystemExit("the exported graphs disagree with upstream's forward at threshold %g: %s" % (threshold, worst))
    finally:
        core.represent_spans = represent
        if hook is not None:
            hook.remove()
    return report


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("checkpoint")
    ap.add_argument("out")
    ap.add_argument("--gliner-src", default=os.environ.get("GLINER_SRC"), help="a GLiNER checkout to import (default: the installed gliner)")
    ap.add_argument("--tolerance", type=float, default=1e-4, help="largest logit difference accepted by the check")
    a = ap.parse_args()
    if a.gliner_src:
        sys.path.insert(0, a.gliner_src)
    import torch
    import gliner
    from gliner import GLiNER

    torch.set_num_threads(1)
    # nn.MultiheadAttention's inference fast path (graph-attention relations layers) has no ONNX
    # export; its ordinary path computes the same thing.
    torch.backends.mha.set_fastpath_enabled(False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = GLiNER.from_pretrained(a.checkpoint, load_tokenizer=True, local_files_only=True)
    name = type(model).__name__
    if name not in ("UniEncoderSpanRelexGLiNER", "UniEncoderTokenRelexGLiNER"):
        raise SystemExit("%s is a %s, not a relation-extraction GLiNER" % (a.checkpoint, name))
    if getattr(model.config, "precomputed_prompts_mode", False):
        raise SystemExit("precomputed_prompts_mode is not supported: the labels must be in the prompt")
    model.eval()
    os.makedirs(a.out, exist_ok=True)
    spec = export_all(model, a.out, torch)
    report = check(model, a.out, torch, a.tolerance)
    report["odd_sizes"] = check_shapes(model, a.out, torch, a.tolerance)
    with open(os.path.join(a.checkpoint, "gliner_config.json"), encoding="utf-8") as f:
        config = json.load(f)
    config["onnx_interface"] = spec
    with open(os.path.join(a.out, "gliner_config.json"), "w", encoding="utf-8") as f:
        json.dump(config, f, indent=2)
        f.write("\n")
    for fn in ("tokenizer.json", "tokenizer_config.json"):
        if os.path.exists(os.path.join(a.checkpoint, fn)) and os.path.abspath(a.checkpoint) != os.path.abspath(a.out):
            shutil.copyfile(os.path.join(a.checkpoint, fn), os.path.join(a.out, fn))
    print("%s (gliner %s) -> %s; check against upstream's forward: %s" % (name, gliner.__version__, a.out, json.dumps(report)))


if __name__ == "__main__":
    sys.exit(main())
