"""Random-weight model directories of the other GLiNER kinds (see kinds.py), for the server's tests.

  python3 -m gliner_native.make_kinds --out .cache          # writes .cache/random-token/, .cache/random-bi-span/

Each directory holds model.onnx, gliner_config.json and the embedded model's tokenizer (the
vocabulary is the same), so no training data is needed. Deterministic (fixed seed)."""
import argparse
import json
import os
import shutil
import sys
import warnings

import torch

from .configs import TINY
from .export import gliner_config
from .kinds import (BI_SPAN_AXES, BI_SPAN_INPUTS, BI_TOKEN_AXES, BI_TOKEN_INPUTS, GlinerTinyBiToken, LABEL_ENCODER_AXES, LABEL_ENCODER_INPUTS, TOKEN_AXES,
                    TOKEN_INPUTS, GlinerTinyBiSpan, GlinerTinyToken, LabelEncoder)

HERE = os.path.dirname(os.path.abspath(__file__))
EMBEDDED = os.path.join(HERE, "..", "gliner-tiny")


def dummy_text_inputs(cfg):
    """One row, [CLS] <<ENT>> x <<ENT>> y <<SEP>> w1 w2 w3 [SEP] (as export.py, a batch of one: the
    BiLSTM's initial state then stays batch-size independent in the graph)."""
    ent, sep = cfg["class_token_index"], cfg["class_token_index"] + 1
    rows = [[1, ent, 50, ent, 60, sep, 100, 101, 102, 2]]
    words = [[0] * 6 + [1, 2, 3, 0]]
    t = max(len(r) for r in rows)
    ids = torch.zeros(len(rows), t, dtype=torch.long)
    att = torch.zeros(len(rows), t, dtype=torch.long)
    wm = torch.zeros(len(rows), t, dtype=torch.long)
    for i, (r, m) in enumerate(zip(rows, words)):
        ids[i, :len(r)] = torch.tensor(r)
        att[i, :len(r)] = 1
        wm[i, :len(m)] = torch.tensor(m)
    return {"input_ids": ids, "attention_mask": att, "words_mask": wm, "text_lengths": torch.tensor([[3]])}


def export(model, inputs, names, axes, path, output="logits"):
    model.eval()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with torch.no_grad():
            torch.onnx.export(model, tuple(inputs[k] for k in names), path, input_names=names, output_names=[output],
                              dynamic_axes=axes, opset_version=17, do_constant_folding=True)
    import onnx
    onnx.checker.check_model(onnx.load(path))


def write_dir(out, config):
    os.makedirs(out, exist_ok=True)
    for fn in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copyfile(os.path.join(EMBEDDED, fn), os.path.join(out, fn))
    with open(os.path.join(out, "gliner_config.json"), "w") as f:
        json.dump(config, f, indent=2)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--micro-token", action="store_true",
                    help="only the micro token model committed for the token parity fixture (d=16, 1 layer)")
    ap.add_argument("--micro-bi-span", action="store_true",
                    help="only the micro span bi-encoder committed for the bi-encoder parity fixture (d=8)")
    a = ap.parse_args()
    torch.set_num_threads(2)
    with open(os.path.join(EMBEDDED, "gliner_config.json")) as f:
        embedded = json.load(f)
    cfg = dict(TINY, vocab_size=embedded["vocab_size"], class_token_index=embedded["class_token_index"])
    if a.micro_token:
        return micro_token(cfg, a.out)
    if a.micro_bi_span:
        return micro_bi_span(cfg, a.out)

    torch.manual_seed(17)
    out = os.path.join(a.out, "random-token")
    config = gliner_config(cfg, "random-token", "gliner-native tiny transformer, random weights, token-level head")
    config.update({"span_mode": "token_level", "onnx_interface": {"inputs": TOKEN_INPUTS, "outputs": ["logits"],
                                                                  "logits_shape": "[B, W, C, 3]", "opset": 17}})
    write_dir(out, config)
    model = GlinerTinyToken(cfg)
    # Default initialisation leaves every logit within ±0.1 (all probabilities ~0.5); spread them
    # (std ~2) so that thresholds select some spans and not others, as a trained model's do.
    with torch.no_grad():
        model.scorer.out_mlp[3].weight.mul_(50.0)
    inputs = dummy_text_inputs(cfg)
    export(model, inputs, TOKEN_INPUTS, TOKEN_AXES, os.path.join(out, "model.onnx"))
    with torch.no_grad():
        print("random-token: logits", tuple(model(**inputs).shape), "size %.1f MB" % (os.path.getsize(os.path.join(out, "model.onnx")) / 1e6))

    torch.manual_seed(18)
    out = os.path.join(a.out, "random-bi-span")
    config = gliner_config(cfg, "random-bi-span", "gliner-native tiny transformer, random weights, span bi-encoder")
    config.update({"labels_encoder": "gliner-native label encoder (2 layers, d=256, random weights, labels_encoder.onnx)",
                   "onnx_interface": {"inputs": BI_SPAN_INPUTS, "outputs": ["logits"], "logits_shape": "[B, W, K, C]",
                                      "labels_encoder": {"inputs": LABEL_ENCODER_INPUTS, "outputs": ["labels_embeddings"]},
                                      "opset": 17}})
    write_dir(out, config)
    shutil.copyfile(os.path.join(EMBEDDED, "tokenizer.json"), os.path.join(out, "labels_tokenizer.json"))
    model = GlinerTinyBiSpan(cfg)
    labeler = LabelEncoder(cfg)
    with torch.no_grad():
        # spread the logits as for the token model (default init leaves them near 0)
        model.prompt_rep_layer[3].weight.mul_(30.0)
    ids = torch.tensor([[1, 100, 101, 102, 2]])  # [CLS] w1 w2 w3 [SEP], no label prompt
    wm = torch.tensor([[0, 1, 2, 3, 0]])
    k = cfg["max_width"]
    starts = torch.arange(3).repeat_interleave(k)
    ends = starts + torch.arange(k).repeat(3)
    span_mask = (ends < 3).unsqueeze(0)
    span_idx = (torch.stack([starts, ends], -1) * span_mask.squeeze(0).unsqueeze(-1)).unsqueeze(0)
    label_ids = torch.tensor([[1, 50, 2], [1, 60, 2]])
    label_mask = torch.ones_like(label_ids)
    labeler.eval()
    with torch.no_grad():
        emb = labeler(label_ids, label_mask)
    bi_inputs = {"input_ids": ids, "attention_mask": torch.ones_like(ids), "words_mask": wm,
                 "text_lengths": torch.tensor([[3]]), "span_idx": span_idx, "span_mask": span_mask,
                 "labels_embeddings": emb}
    export(model, bi_inputs, BI_SPAN_INPUTS, BI_SPAN_AXES, os.path.join(out, "model.onnx"))
    export(labeler, {"input_ids": label_ids, "attention_mask": label_mask}, LABEL_ENCODER_INPUTS, LABEL_ENCODER_AXES,
           os.path.join(out, "labels_encoder.onnx"), output="labels_embeddings")
    with torch.no_grad():
        print("random-bi-span: logits", tuple(model(**bi_inputs).shape), "labels", tuple(emb.shape),
              "size %.1f + %.1f MB" % (os.path.getsize(os.path.join(out, "model.onnx")) / 1e6,
                                      os.path.getsize(os.path.join(out, "labels_encoder.onnx")) / 1e6))

    torch.manual_seed(19)
    out = os.path.join(a.out, "random-bi-token")
    config = gliner_config(cfg, "random-bi-token", "gliner-native tiny transformer, random weights, token bi-encoder")
    config.update({"span_mode": "token_level",
                   "labels_encoder": "gliner-native label encoder (2 layers, d=256, random weights, labels_encoder.onnx)",
                   "onnx_interface": {"inputs": BI_TOKEN_INPUTS, "outputs": ["logits"], "logits_shape": "[B, W, C, 3]",
                                      "labels_encoder": {"inputs": LABEL_ENCODER_INPUTS, "outputs": ["labels_embeddings"]},
                                      "opset": 17}})
    write_dir(out, config)
    shutil.copyfile(os.path.join(EMBEDDED, "tokenizer.json"), os.path.join(out, "labels_tokenizer.json"))
    model = GlinerTinyBiToken(cfg)
    labeler = LabelEncoder(cfg)
    with torch.no_grad():
        model.scorer.out_mlp[3].weight.mul_(50.0)
    labeler.eval()
    with torch.no_grad():
        emb = labeler(label_ids, label_mask)
    tok_inputs = {k: bi_inputs[k] for k in TOKEN_INPUTS}
    tok_inputs["labels_embeddings"] = emb
    export(model, tok_inputs, BI_TOKEN_INPUTS, BI_TOKEN_AXES, os.path.join(out, "model.onnx"))
    export(labeler, {"input_ids": label_ids, "attention_mask": label_mask}, LABEL_ENCODER_INPUTS, LABEL_ENCODER_AXES,
           os.path.join(out, "labels_encoder.onnx"), output="labels_embeddings")
    with torch.no_grad():
        print("random-bi-token: logits", tuple(model(**tok_inputs).shape))


def micro_token(cfg, out):
    """test/fixtures/token-micro: a UniEncoderToken small enough to commit (~0.6 MB), so the token
    parity fixture (test/parity/token_model_fixture.py) does not depend on a rebuilt model."""
    cfg = dict(cfg, encoder_hidden_size=16, encoder_num_layers=1, encoder_num_heads=2, encoder_intermediate_size=32,
               hidden_size=16)
    torch.manual_seed(20)
    os.makedirs(out, exist_ok=True)
    config = gliner_config(cfg, "token-micro", "gliner-native micro transformer (1 layer, d=16), random weights, token-level head")
    config.update({"span_mode": "token_level", "onnx_interface": {"inputs": TOKEN_INPUTS, "outputs": ["logits"],
                                                                  "logits_shape": "[B, W, C, 3]", "opset": 17}})
    with open(os.path.join(out, "gliner_config.json"), "w") as f:
        json.dump(config, f, indent=2)
    model = GlinerTinyToken(cfg)
    with torch.no_grad():
        model.scorer.out_mlp[3].weight.mul_(20.0)
    export(model, dummy_text_inputs(cfg), TOKEN_INPUTS, TOKEN_AXES, os.path.join(out, "model.onnx"))
    print("token-micro: %.2f MB" % (os.path.getsize(os.path.join(out, "model.onnx")) / 1e6))


class JointBiSpan(torch.nn.Module):
    """Upstream's default bi-encoder export (no from_labels_embeddings): the label encoder inside the
    graph, inputs labels_input_ids / labels_attention_mask after the six span inputs."""

    def __init__(self, text, labeler):
        super().__init__()
        self.text = text
        self.labeler = labeler

    def forward(self, input_ids, attention_mask, words_mask, text_lengths, span_idx, span_mask, labels_input_ids, labels_attention_mask):
        return self.text(input_ids, attention_mask, words_mask, text_lengths, span_idx, span_mask,
                         self.labeler(labels_input_ids, labels_attention_mask))


def micro_bi_span(cfg, out):
    """test/fixtures/bi-span-micro: a BiEncoderSpan small enough to commit, as our two graphs
    (model.onnx with labels_embeddings, labels_encoder.onnx) and as upstream's default single-graph
    export (upstream-default.onnx), which upstream's own BiEncoderSpanORTModel can run: the bi-encoder
    parity fixture (test/parity/bi_model_fixture.py) runs upstream on the latter."""
    cfg = dict(cfg, encoder_hidden_size=8, encoder_num_layers=1, encoder_num_heads=2, encoder_intermediate_size=16,
               hidden_size=8)
    torch.manual_seed(21)
    os.makedirs(out, exist_ok=True)
    config = gliner_config(cfg, "bi-span-micro", "gliner-native micro transformer (1 layer, d=8), random weights, span bi-encoder")
    config.update({"labels_encoder": "gliner-native label encoder (2 layers, d=8, random weights, labels_encoder.onnx)",
                   "onnx_interface": {"inputs": BI_SPAN_INPUTS, "outputs": ["logits"], "logits_shape": "[B, W, K, C]",
                                      "labels_encoder": {"inputs": LABEL_ENCODER_INPUTS, "outputs": ["labels_embeddings"]},
                                      "opset": 17}})
    with open(os.path.join(out, "gliner_config.json"), "w") as f:
        json.dump(config, f, indent=2)
    model = GlinerTinyBiSpan(cfg)
    labeler = LabelEncoder(cfg)
    with torch.no_grad():
        model.prompt_rep_layer[3].weight.mul_(30.0)
    model.eval()
    labeler.eval()
    ids = torch.tensor([[1, 100, 101, 102, 2]])
    k = cfg["max_width"]
    starts = torch.arange(3).repeat_interleave(k)
    ends = starts + torch.arange(k).repeat(3)
    span_mask = (ends < 3).unsqueeze(0)
    span_idx = (torch.stack([starts, ends], -1) * span_mask.squeeze(0).unsqueeze(-1)).unsqueeze(0)
    label_ids = torch.tensor([[1, 50, 2], [1, 60, 2]])
    label_mask = torch.ones_like(label_ids)
    with torch.no_grad():
        emb = labeler(label_ids, label_mask)
    text = {"input_ids": ids, "attention_mask": torch.ones_like(ids), "words_mask": torch.tensor([[0, 1, 2, 3, 0]]),
            "text_lengths": torch.tensor([[3]]), "span_idx": span_idx, "span_mask": span_mask}
    export(model, dict(text, labels_embeddings=emb), BI_SPAN_INPUTS, BI_SPAN_AXES, os.path.join(out, "model.onnx"))
    export(labeler, {"input_ids": label_ids, "attention_mask": label_mask}, LABEL_ENCODER_INPUTS, LABEL_ENCODER_AXES,
           os.path.join(out, "labels_encoder.onnx"), output="labels_embeddings")
    joint_inputs = BI_SPAN_INPUTS[:6] + ["labels_input_ids", "labels_attention_mask"]
    joint_axes = {k: v for k, v in BI_SPAN_AXES.items() if k != "labels_embeddings"}
    joint_axes.update({"labels_input_ids": {0: "num_labels", 1: "label_seq_length"},
                       "labels_attention_mask": {0: "num_labels", 1: "label_seq_length"}})
    export(JointBiSpan(model, labeler), dict(text, labels_input_ids=label_ids, labels_attention_mask=label_mask),
           joint_inputs, joint_axes, os.path.join(out, "upstream-default.onnx"))
    sizes = [os.path.getsize(os.path.join(out, f)) / 1e6 for f in ("model.onnx", "labels_encoder.onnx", "upstream-default.onnx")]
    print("bi-span-micro: %.2f + %.2f MB (upstream-default %.2f MB)" % tuple(sizes))


if __name__ == "__main__":
    sys.exit(main())
