"""Random-weight micro relation-extraction checkpoints built from upstream GLiNER's own classes.

Builds, with urchade/GLiNER at c2bb58ddf569480ef7a9de03bef653723a42f5c2 imported from a checkout and
`transformers` (no hub access: the encoder is a tiny DeBERTa-v2 made from a config, the tokenizer is
the embedded model's), an upstream checkpoint directory (gliner_config.json, pytorch_model.bin,
tokenizer files) for each relex class:

  span   UniEncoderSpanRelexGLiNER   span_mode markerV0,    relations_layer "bilinear"
  token  UniEncoderTokenRelexGLiNER  span_mode token_level, relations_layer "gat"

  GLINER_SRC=/tmp/GLiNER /work/pyup/bin/python test/parity/relex_micro.py --kind span --out /tmp/relex-span-ckpt

Upstream picks the class from the config exactly as GLiNER._get_gliner_class does (relations_layer set
-> relex; span_mode "token_level" -> token variant); this script asserts the class it got. Traps met
on the way (the issue's list): from_config wants a dict and backbone_from_pretrained=False; upstream
derives the special-token ids from the tokenizer's length (class_token_index = len - 3,
rel_token_index = len - 1), so the embedded tokenizer's own <<ENT>>/<<SEP>> are stripped first and
upstream adds <<ENT>>, <<SEP>>, <<REL>> back (ids 8002, 8003, 8004: the embedded ids plus <<REL>>);
DeBERTa-v2 runs with eager attention.

Random weights give logits near 0 (every probability ~0.5), which would make every threshold decide
the same way. GLiNER's own layers are re-initialised variance-preserving and the last layer of each
scoring path is scaled and shifted until, on two probe texts, entity, adjacency and relation logits have
the means and spreads in TARGETS, so the thresholds 0.3 / 0.5 / 0.9 keep different sets. Deterministic
(fixed seed, one thread): rebuilding gives the same weights.
"""
import argparse
import json
import os
import shutil
import sys
import tempfile
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
EMBEDDED = os.path.join(ROOT, "native-models", "gliner-tiny")
UPSTREAM_COMMIT = "c2bb58ddf569480ef7a9de03bef653723a42f5c2"
GLINER_ONE_TOKENS = ("<<ENT>>", "<<SEP>>")

KINDS = {
    "span": {"span_mode": "markerV0", "relations_layer": "bilinear", "cls": "UniEncoderSpanRelexGLiNER", "seed": 25},
    "token": {"span_mode": "token_level", "relations_layer": "gat", "cls": "UniEncoderTokenRelexGLiNER", "seed": 26},
}
HIDDEN = 8


def stripped_tokenizer_dir(dest):
    """The embedded tokenizer without its GLiNER-1 tokens, as a transformers tokenizer directory."""
    with open(os.path.join(EMBEDDED, "tokenizer.json"), encoding="utf-8") as f:
        tok = json.load(f)
    tok["added_tokens"] = [t for t in tok["added_tokens"] if t["content"] not in GLINER_ONE_TOKENS]
    with open(os.path.join(EMBEDDED, "tokenizer_config.json"), encoding="utf-8") as f:
        tok_cfg = json.load(f)
    tok_cfg["added_tokens_decoder"] = {k: v for k, v in tok_cfg.get("added_tokens_decoder", {}).items() if v["content"] not in GLINER_ONE_TOKENS}
    tok_cfg["tokenizer_class"] = "PreTrainedTokenizerFast"
    os.makedirs(dest, exist_ok=True)
    with open(os.path.join(dest, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(tok, f, ensure_ascii=False)
    with open(os.path.join(dest, "tokenizer_config.json"), "w", encoding="utf-8") as f:
        json.dump(tok_cfg, f, ensure_ascii=False, indent=2)
    return dest


def relex_tokenizer_json():
    """The embedded tokenizer.json with upstream's relation marker added after <<SEP>>: <<REL>> = 8004.
    The tests build the same file (test/support/relex-micro.ts); the checkpoint keeps it rather than
    transformers' re-serialisation of it (same tokenizer, scores printed with other rounding)."""
    with open(os.path.join(EMBEDDED, "tokenizer.json"), encoding="utf-8") as f:
        tok = json.load(f)
    last = tok["added_tokens"][-1]
    assert last["content"] == "<<SEP>>" and last["id"] == 8003, last
    tok["added_tokens"].append(dict(last, id=8004, content="<<REL>>"))
    return tok


def config_dict(kind, tokenizer_dir):
    spec = KINDS[kind]
    return {
        "model_name": tokenizer_dir,
        "name": "relex-%s-micro" % kind,
        "span_mode": spec["span_mode"],
        "relations_layer": spec["relations_layer"],
        "triples_layer": None,
        "max_width": 12,
        "max_len": 384,
        "max_types": 25,
        "hidden_size": HIDDEN,
        "dropout": 0.0,
        "num_rnn_layers": 1,
        "words_splitter_type": "whitespace",
        "ent_token": "<<ENT>>",
        "sep_token": "<<SEP>>",
        "rel_token": "<<REL>>",
        # A one-layer random encoder gives every <<ENT>>/<<REL>> marker the same output, so labels
        # would be indistinguishable; the label's own first sub-token (upstream's other option) is not.
        "embed_ent_token": False,
        "embed_rel_token": False,
        "class_token_index": -1,
        "vocab_size": -1,
        "_attn_implementation": "eager",
        "encoder_config": {
            "model_type": "deberta-v2",
            "hidden_size": HIDDEN,
            "num_hidden_layers": 1,
            "num_attention_heads": 2,
            "intermediate_size": 16,
            "vocab_size": 8002,
            "max_position_embeddings": 512,
            "relative_attention": True,
            "position_buckets": 32,
            "pos_att_type": ["p2c", "c2p"],
            "position_biased_input": False,
            "hidden_act": "gelu",
            "layer_norm_eps": 1e-7,
        },
    }


PROBE_TEXTS = [
    "Ada Lovelace worked with Charles Babbage in London on the Analytical Engine for years .",
    "Angela Merkel met Emmanuel Macron in Berlin on Tuesday to discuss the EU budget .",
]
PROBE_LABELS = ["person", "organization", "location", "date"]
PROBE_RELATIONS = ["works with", "located in", "born in"]
# Targets for the logits on the probe texts (mean, standard deviation).
TARGETS = {"entity": (-1.5, 3.5), "adjacency": (0.0, 3.0), "relation": (-1.0, 2.5)}
ATTENTION_GAIN = 40.0
# Token models: start, end, inside.
TOKEN_TARGETS = [(1.0, 3.0), (1.0, 3.0), (3.5, 2.0)]


def last_linear(module, torch):
    return [m for m in module.modules() if isinstance(m, torch.nn.Linear)][-1]


def forward(model, torch, threshold=0.0):
    """Upstream's forward on the probe texts (every pair kept); returns (collated batch, output)."""
    prepared = model.prepare_batch(PROBE_TEXTS, PROBE_LABELS, None, PROBE_RELATIONS)
    batch = model.collate_batch(prepared["input_x"], prepared["entity_types"], model.create_collator(), prepared["relation_types"])
    with torch.no_grad():
        return batch, model.run_batch(batch, threshold=threshold, adjacency_threshold=-1.0)


def probe(model, torch, threshold=0.0):
    """Entity, adjacency and relation logits on the probe texts: the spans above `threshold`, every pair kept."""
    core = model.model
    seen = {}
    inner = core.relations_rep_layer.relation_rep_layer
    hooks = [core.relations_rep_layer.register_forward_hook(lambda _m, args, _o: seen.__setitem__("mask", args[1])),
             adjacency_proj(inner).register_forward_hook(lambda _m, _i, out: seen.__setitem__("z", out))]
    batch, out = forward(model, torch, threshold)
    for hook in hooks:
        hook.remove()
    logits = out.logits
    if model.config.span_mode == "token_level":
        entity = logits.reshape(-1, 3)
    else:
        entity = logits[batch["span_mask"].view(logits.shape[:3])].flatten()
    relation = out.rel_logits[out.rel_mask.bool()].flatten()
    # Adjacency logits Z Z^T (before the sigmoid), off the diagonal, between real entities.
    z, mask = seen["z"], seen["mask"].bool()
    gram = torch.einsum("bid,bjd->bij", z, z)
    pairs = mask[:, :, None] & mask[:, None, :] & ~torch.eye(z.shape[1], dtype=torch.bool)[None]
    return {"entity": entity, "adjacency": gram[pairs], "relation": relation}


def spread(model, torch):
    """Move the entity, adjacency and relation logits to TARGETS (a few rounds of measure and adjust)."""
    core = model.model
    token = model.config.span_mode == "token_level"
    inner = core.relations_rep_layer.relation_rep_layer
    # PyTorch's default init shrinks the signal at every layer while the biases stay, so stacked
    # projections give every span nearly the same vector: re-initialise GLiNER's own linear layers
    # (not the encoder) variance-preserving, with zero biases.
    for name, module in core.named_modules():
        if isinstance(module, torch.nn.Linear) and not name.startswith("token_rep_layer"):
            torch.nn.init.kaiming_normal_(module.weight, nonlinearity="relu")
            torch.nn.init.zeros_(module.bias)
    run = lambda: probe(model, torch)  # noqa: E731
    at_half = lambda: probe(model, torch, 0.5)  # noqa: E731
    with torch.no_grad():
        if token:
            # Token span representations feed only the relation head: centre them, so the graph
            # layer sees what tells entities apart rather than what they share.
            center(last_linear(core.span_rep_layer, torch), at_half, torch)
        if hasattr(inner, "attn"):
            # A graph-attention layer: sharpen its attention (queries and keys), or every entity
            # attends to all alike and the adjacency cannot tell pairs apart.
            width = inner.attn.embed_dim
            inner.attn.in_proj_weight[: 2 * width].mul_(ATTENTION_GAIN)
        for _ in range(4):
            if token:
                # The scorer's last layer writes the logits directly: an exact affine fix per channel
                # (start, end, inside; inside higher, or no span would survive its check).
                layer = last_linear(core.scorer, torch)
                logits = run()["entity"]
                for ch, (mean, std) in enumerate(TOKEN_TARGETS):
                    a = std / float(logits[:, ch].std())
                    layer.weight[ch].mul_(a)
                    layer.bias[ch] = a * layer.bias[ch] + mean - a * float(logits[:, ch].mean())
            else:
                layer = last_linear(core.prompt_rep_layer, torch)
                scale(layer, TARGETS["entity"][1] / float(run()["entity"].std()))
                # Shift: a bias on the label side along the spans' mean representation.
                mean_span = span_mean(model, torch)
                layer.bias.add_(mean_span * (TARGETS["entity"][0] - float(run()["entity"].mean())) / float(mean_span.dot(mean_span)))
            # Adjacency and relations where they are used: over the spans above 0.5.
            # A = sigmoid(Z Z^T) with Z = proj(X): centre Z, then scale it.
            center(adjacency_proj(inner), at_half, torch)
            scale(adjacency_proj(inner), (TARGETS["adjacency"][1] / float(at_half()["adjacency"].std())) ** 0.5)
            # Relations: centre the pair representations (so scores vary with the pair, not only the
            # label), scale, then shift along the relation prompts' mean.
            layer = last_linear(core.pair_rep_layer, torch)
            center(layer, at_half, torch)
            scale(layer, TARGETS["relation"][1] / float(at_half()["relation"].std()))
            rel_mean = relation_prompt_mean(model, torch)
            layer.bias.add_(rel_mean * (TARGETS["relation"][0] - float(at_half()["relation"].mean())) / float(rel_mean.dot(rel_mean)))
    return {k: (round(float(v.mean()), 2), round(float(v.std()), 2)) for k, v in at_half().items()}


def adjacency_proj(inner):
    """The linear layer whose output Z makes the adjacency sigmoid(Z Z^T) (bilinear: proj, gat: linear)."""
    return inner.proj if hasattr(inner, "proj") else inner.linear


def scale(layer, gain):
    layer.weight.mul_(gain)
    layer.bias.mul_(gain)


def center(layer, run, torch):
    """Subtract the mean output of a linear layer (over one run of the probe) from its bias."""
    seen = {}
    hook = layer.register_forward_hook(lambda _m, _i, out: seen.__setitem__("out", out))
    run()
    hook.remove()
    with torch.no_grad():
        layer.bias.sub_(seen["out"].reshape(-1, seen["out"].shape[-1]).mean(dim=0))


def span_mean(model, torch):
    """Mean span representation over the probe texts' valid spans (captured from the span layer)."""
    core = model.model
    seen = {}
    hook = core.span_rep_layer.register_forward_hook(lambda _m, _i, out: seen.__setitem__("rep", out))
    batch, _ = forward(model, torch)
    hook.remove()
    rep = seen["rep"]
    return rep[batch["span_mask"].view(rep.shape[:3])].mean(dim=0)


def relation_prompt_mean(model, torch):
    _, out = forward(model, torch)
    return out.rel_prompts_embedding.reshape(-1, out.rel_prompts_embedding.shape[-1]).mean(dim=0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gliner-src", default=os.environ.get("GLINER_SRC"))
    ap.add_argument("--kind", choices=sorted(KINDS), required=True)
    ap.add_argument("--out", required=True, help="checkpoint directory to write (replaced)")
    a = ap.parse_args()
    if not a.gliner_src:
        raise SystemExit("give the GLiNER checkout with --gliner-src or GLINER_SRC")
    sys.path.insert(0, a.gliner_src)
    import torch
    import gliner
    from gliner import GLiNER

    torch.set_num_threads(1)
    torch.manual_seed(KINDS[a.kind]["seed"])
    with tempfile.TemporaryDirectory() as tmp:
        tok_dir = stripped_tokenizer_dir(os.path.join(tmp, "tokenizer"))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = GLiNER.from_config(config_dict(a.kind, tok_dir), load_tokenizer=True, backbone_from_pretrained=False)
        if type(model).__name__ != KINDS[a.kind]["cls"]:
            raise SystemExit("upstream chose %s, expected %s" % (type(model).__name__, KINDS[a.kind]["cls"]))
        tokenizer = model.data_processor.transformer_tokenizer
        ids = {t: tokenizer.convert_tokens_to_ids(t) for t in ("<<ENT>>", "<<SEP>>", "<<REL>>")}
        cfg = model.config
        assert (cfg.class_token_index, cfg.rel_token_index) == (ids["<<ENT>>"], ids["<<REL>>"]) == (8002, 8004), (cfg.class_token_index, cfg.rel_token_index, ids)
        model.eval()
        logits = spread(model, torch)
        model.eval()
        if os.path.isdir(a.out):
            shutil.rmtree(a.out)
        model.config.model_name = "relex-%s-micro (random weights)" % a.kind
        model.save_pretrained(a.out)
        tokenizer.save_pretrained(a.out)
    with open(os.path.join(a.out, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(relex_tokenizer_json(), f, ensure_ascii=False)
    print("%s (gliner %s, commit %s): %d parameters, probe logits (mean, sd) %s -> %s" % (
        type(model).__name__, gliner.__version__, UPSTREAM_COMMIT, sum(p.numel() for p in model.model.parameters()), logits, a.out))


if __name__ == "__main__":
    sys.exit(main())
