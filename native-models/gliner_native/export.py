"""ONNX export (opset 17) with the GLINER_SPEC §3.1 interface, gliner_config.json, and parity cases."""
import inspect
import json
import os
import warnings

import torch

from .batching import collate

INPUTS = ["input_ids", "attention_mask", "words_mask", "text_lengths", "span_idx", "span_mask"]


def gliner_config(cfg, name, model_name):
    return {
        "model_name": model_name,
        "name": name,
        "max_width": cfg["max_width"],
        "hidden_size": cfg["hidden_size"],
        "dropout": cfg["dropout"],
        "fine_tune": True,
        "subtoken_pooling": "first",
        "span_mode": "markerV0",
        "max_types": 25,
        "max_len": 384,
        "words_splitter_type": "whitespace",
        "ent_token": "<<ENT>>",
        "sep_token": "<<SEP>>",
        "class_token_index": cfg["class_token_index"],
        "vocab_size": cfg["vocab_size"],
        "embed_ent_token": True,
        "num_rnn_layers": 1,
        "post_fusion_schema": "",
        "encoder_config": {
            "model_type": "gliner-native-transformer",
            "hidden_size": cfg["encoder_hidden_size"],
            "num_hidden_layers": cfg["encoder_num_layers"],
            "num_attention_heads": cfg["encoder_num_heads"],
            "intermediate_size": cfg["encoder_intermediate_size"],
            "vocab_size": cfg["vocab_size"],
            "position_embedding": "sinusoidal",
            "pre_layer_norm": True,
        },
        "encoder_hidden_size": cfg["encoder_hidden_size"],
        "encoder_num_layers": cfg["encoder_num_layers"],
        "encoder_num_heads": cfg["encoder_num_heads"],
        "encoder_intermediate_size": cfg["encoder_intermediate_size"],
        "dropout_encoder": cfg["dropout_encoder"],
        "onnx_interface": {"inputs": INPUTS, "outputs": ["logits"], "logits_shape": "[B, W, K, C]",
                           "opset": 17},
    }


def export_onnx(model, tok, path):
    model.eval()
    inp, _ = collate(tok, [("I work at Microsoft based in Seattle .".split(), ["organization", "location"])],
                     model.max_width)
    args = tuple(inp[k] for k in INPUTS)
    dyn = {
        "input_ids": {0: "batch_size", 1: "sequence_length"},
        "attention_mask": {0: "batch_size", 1: "sequence_length"},
        "words_mask": {0: "batch_size", 1: "sequence_length"},
        "text_lengths": {0: "batch_size"},
        "span_idx": {0: "batch_size", 1: "num_spans"},
        "span_mask": {0: "batch_size", 1: "num_spans"},
        "logits": {0: "batch_size", 1: "num_words", 3: "num_classes"},
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # torch >= 2.9 defaults to the dynamo exporter, which handles dynamic_axes and opset 17
        # differently; the graph and interface this project checks come from the TorchScript
        # exporter, so ask for it where the keyword exists (torch 1.13 has neither).
        legacy = {"dynamo": False} if "dynamo" in inspect.signature(torch.onnx.export).parameters else {}
        with torch.no_grad():
            torch.onnx.export(model, args, path, input_names=INPUTS, output_names=["logits"],
                              dynamic_axes=dyn, opset_version=17, do_constant_folding=True, **legacy)
    import onnx
    onnx.checker.check_model(onnx.load(path))


PARITY_ROWS = [
    ("I work at Microsoft based in Seattle , Washington .".split(), ["organization", "location"]),
    ("EU rejects German call to boycott British lamb .".split(), ["person", "organisation", "location", "misc"]),
    ("Peter".split(), ["person"]),
    ("The quick brown fox jumps over the lazy dog near the river bank in Paris".split(), ["animal", "city", "ORGANIZATION"]),
    ("Angela Merkel met Emmanuel Macron in Berlin on Tuesday to discuss the EU budget .".split(), ["person", "location"]),
    ("a".split(), ["x", "y", "z", "w", "v"]),
    ("Apple Inc. released the iPhone 15 in September 2023 .".split(), ["organization", "product", "date"]),
    ("Shakespeare wrote Hamlet".split(), ["writer", "book"]),
]


def parity_cases(model, tok, out_json):
    """Writes inputs + PyTorch logits for batches of 3 (different lengths / label counts), 1 and 8."""
    model.eval()
    cases = []
    for rows in [PARITY_ROWS[:3], PARITY_ROWS[3:4], PARITY_ROWS]:
        inp, lens = collate(tok, rows, model.max_width)
        with torch.no_grad():
            lo = model(**inp)
        cases.append({"inputs": {k: {"shape": list(v.shape), "data": v.reshape(-1).long().tolist()}
                                 for k, v in inp.items()},
                      "logits": {"shape": list(lo.shape), "data": lo.reshape(-1).tolist()}})
    with open(out_json, "w") as f:
        json.dump(cases, f)


def write_model_dir(model, tok, tok_dir_src, out_dir, name, model_name):
    import shutil
    os.makedirs(out_dir, exist_ok=True)
    for fn in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copyfile(os.path.join(tok_dir_src, fn), os.path.join(out_dir, fn))
    with open(os.path.join(out_dir, "gliner_config.json"), "w") as f:
        json.dump(gliner_config(model.cfg, name, model_name), f, indent=2)
    export_onnx(model, tok, os.path.join(out_dir, "model.onnx"))
