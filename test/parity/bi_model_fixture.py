"""Fixture for a span bi-encoder end to end: upstream GLiNER's BiEncoderSpanGLiNER.inference.

Upstream (urchade/GLiNER at c2bb58ddf569480ef7a9de03bef653723a42f5c2) runs a bi-encoder on ONNX only
through its default export, the label encoder inside the graph (BiEncoderSpanORTModel fed
labels_input_ids / labels_attention_mask; its labels_embeds path cannot reach an export's
`labels_embeddings` input, see native-models/README.md). So the committed micro bi-encoder
test/fixtures/bi-span-micro holds both: upstream-default.onnx, which upstream runs here (its word
splitter, BiEncoderSpanProcessor: the text without a label prompt and the labels through the labels
tokenizer, its collator, SpanDecoder and offsets), and the two graphs the server runs (model.onnx with
`labels_embeddings`, labels_encoder.onnx), built from the same weights. test/parity/bi-model.test.ts
must find upstream's entities with the server's graphs, its label cache included.

  GLINER_SRC=/tmp/GLiNER /tmp/parity/bin/python test/parity/bi_model_fixture.py

The tokenizer (text and labels) is the embedded model's.
"""
import argparse
import json
import os
import sys
import warnings

import upstream

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
MICRO = os.path.join(ROOT, "test", "fixtures", "bi-span-micro")
EMBEDDED = os.path.join(ROOT, "native-models", "gliner-tiny")
OUT = os.path.join(ROOT, "test", "fixtures", "bi-model-parity.json")
UPSTREAM_COMMIT = "c2bb58ddf569480ef7a9de03bef653723a42f5c2"

TEXTS = [
    "I work at Microsoft based in Seattle, Washington.",
    "Ada Lovelace worked with Charles Babbage in London on the Analytical Engine for years.",
    "EU rejects German call to boycott British lamb.",
    "Paris",
    "",
    "The quick brown fox jumps over the lazy dog near the river bank in Paris, France, on a sunny day in July 2023.",
    "Café Müller — a naïve résumé 👩‍👩‍👧 of São Paulo, 東京 and Zürich.",
]
LABEL_SETS = [["person", "organization", "location", "date"], ["city", "company", "person name"]]
MODES = [(True, False), (False, False), (True, True), (False, True)]
THRESHOLDS = [0.3, 0.5, 0.7]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--gliner-src", default=os.environ.get("GLINER_SRC"))
    args = parser.parse_args()
    if not args.gliner_src:
        raise SystemExit("give the GLiNER checkout with --gliner-src or GLINER_SRC")
    g = upstream.load_gliner(args.gliner_src)
    from gliner.data_processing import BiEncoderSpanProcessor  # noqa: E402
    from gliner.onnx.model import BiEncoderSpanORTModel  # noqa: E402
    import onnxruntime as ort
    import tokenizers
    import torch

    with open(os.path.join(MICRO, "gliner_config.json"), encoding="utf-8") as f:
        cfg = json.load(f)
    with open(os.path.join(EMBEDDED, "tokenizer_config.json"), encoding="utf-8") as f:
        tok_cfg = json.load(f)
    config = argparse.Namespace(**cfg)
    tokenizer = upstream.RustTokenizer(os.path.join(EMBEDDED, "tokenizer.json"), tok_cfg)
    labels_tokenizer = upstream.RustTokenizer(os.path.join(EMBEDDED, "tokenizer.json"), tok_cfg)
    processor = BiEncoderSpanProcessor(config, tokenizer, None, labels_tokenizer)
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    session = ort.InferenceSession(os.path.join(MICRO, "upstream-default.onnx"), opts, providers=["CPUExecutionProvider"])
    model = g.module.BiEncoderSpanGLiNER(config, model=BiEncoderSpanORTModel(session), data_processor=processor)

    groups = []
    for n, labels in enumerate(LABEL_SETS):
        for flat_ner, multi_label in MODES:
            for threshold in THRESHOLDS:
                expected = []
                for text in TEXTS:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        out = model.inference([text], labels, flat_ner=flat_ner, threshold=threshold, multi_label=multi_label, batch_size=1)
                    expected.append([{k: e[k] for k in ("start", "end", "text", "label", "score")} for e in out[0]])
                groups.append({"id": "bi-span-l%d-%s%s-t%g" % (n, "flat" if flat_ner else "nested", "-multi" if multi_label else "", threshold),
                               "flat_ner": flat_ner, "multi_label": multi_label, "threshold": threshold,
                               "labels": labels, "texts": TEXTS, "expected": expected})
    data = {
        "generator": "test/parity/bi_model_fixture.py",
        "upstream": {"repo": "urchade/GLiNER", "commit": UPSTREAM_COMMIT, "version": g.version,
                     "code": "BiEncoderSpanGLiNER.inference with BiEncoderSpanORTModel on upstream-default.onnx"},
        "versions": {"tokenizers": tokenizers.__version__, "onnxruntime": ort.__version__, "torch": torch.__version__,
                     "python": sys.version.split()[0]},
        "model": "test/fixtures/bi-span-micro (+ native-models/gliner-tiny tokenizer)",
        "groups": groups,
    }
    with open(OUT, "w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")
    print("%d groups, %d entities -> %s (%d bytes)" % (len(groups), sum(len(e) for gr in groups for e in gr["expected"]), OUT, os.path.getsize(OUT)))


if __name__ == "__main__":
    sys.exit(main())
