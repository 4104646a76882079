"""Fixture for a token-level model end to end: upstream GLiNER's UniEncoderTokenGLiNER.inference.

Runs urchade/GLiNER at c2bb58ddf569480ef7a9de03bef653723a42f5c2 (its word splitter, processor prompt,
collator, UniEncoderTokenORTModel on Python onnxruntime, TokenDecoder, offset mapping) on the committed
micro token model test/fixtures/token-micro (model.onnx + gliner_config.json; the tokenizer is the
embedded model's) and writes test/fixtures/token-model-parity.json, checked by
test/parity/token-model.test.ts through the same adapter as the span parity suite.

  GLINER_SRC=/tmp/GLiNER /tmp/parity/bin/python test/parity/token_model_fixture.py

The micro model is rebuilt by `python3 -m gliner_native.make_kinds --micro-token --out
../test/fixtures/token-micro` (from native-models/, Debian torch); rebuild this fixture after it.
"""
import argparse
import json
import os
import sys
import warnings

import upstream

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
MICRO = os.path.join(ROOT, "test", "fixtures", "token-micro")
EMBEDDED = os.path.join(ROOT, "native-models", "gliner-tiny")
OUT = os.path.join(ROOT, "test", "fixtures", "token-model-parity.json")
UPSTREAM_COMMIT = "c2bb58ddf569480ef7a9de03bef653723a42f5c2"

TEXTS = [
    "I work at Microsoft based in Seattle, Washington.",
    "Ada Lovelace worked with Charles Babbage in London on the Analytical Engine for years.",
    "EU rejects German call to boycott British lamb.",
    "Paris",
    "",
    "The quick brown fox jumps over the lazy dog near the river bank in Paris, France, on a sunny day in July 2023.",
    "Angela Merkel met Emmanuel Macron in Berlin on Tuesday to discuss the EU budget and the future of the euro zone.",
    "Café Müller — a naïve résumé 👩‍👩‍👧 of São Paulo, 東京 and Zürich.",
]
LABELS = ["person", "organization", "location", "date"]
MODES = [(True, False), (False, False), (True, True), (False, True)]
THRESHOLDS = [0.3, 0.5, 0.7]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--gliner-src", default=os.environ.get("GLINER_SRC"))
    args = parser.parse_args()
    if not args.gliner_src:
        raise SystemExit("give the GLiNER checkout with --gliner-src or GLINER_SRC")
    g = upstream.load_gliner(args.gliner_src)
    from gliner.data_processing import UniEncoderTokenProcessor  # noqa: E402
    from gliner.onnx.model import UniEncoderTokenORTModel  # noqa: E402
    import onnxruntime as ort
    import tokenizers
    import torch

    with open(os.path.join(MICRO, "gliner_config.json"), encoding="utf-8") as f:
        cfg = json.load(f)
    with open(os.path.join(EMBEDDED, "tokenizer_config.json"), encoding="utf-8") as f:
        tok_cfg = json.load(f)
    config = argparse.Namespace(**cfg)
    tokenizer = upstream.RustTokenizer(os.path.join(EMBEDDED, "tokenizer.json"), tok_cfg)
    processor = UniEncoderTokenProcessor(config, tokenizer, None)
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    session = ort.InferenceSession(os.path.join(MICRO, "model.onnx"), opts, providers=["CPUExecutionProvider"])
    model = g.module.UniEncoderTokenGLiNER(config, model=UniEncoderTokenORTModel(session), data_processor=processor)

    groups = []
    for flat_ner, multi_label in MODES:
        for threshold in THRESHOLDS:
            expected = []
            for text in TEXTS:  # one text at a time: what Python gives the text alone
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    out = model.inference([text], LABELS, flat_ner=flat_ner, threshold=threshold, multi_label=multi_label, batch_size=1)
                expected.append([{k: e[k] for k in ("start", "end", "text", "label", "score")} for e in out[0]])
            groups.append({"id": "token-%s%s-t%g" % ("flat" if flat_ner else "nested", "-multi" if multi_label else "", threshold),
                           "flat_ner": flat_ner, "multi_label": multi_label, "threshold": threshold,
                           "labels": LABELS, "texts": TEXTS, "expected": expected})
    data = {
        "generator": "test/parity/token_model_fixture.py",
        "upstream": {"repo": "urchade/GLiNER", "commit": UPSTREAM_COMMIT, "version": g.version,
                     "code": "UniEncoderTokenGLiNER.inference with UniEncoderTokenORTModel"},
        "versions": {"tokenizers": tokenizers.__version__, "onnxruntime": ort.__version__, "torch": torch.__version__,
                     "python": sys.version.split()[0]},
        "model": "test/fixtures/token-micro (+ native-models/gliner-tiny tokenizer)",
        "groups": groups,
    }
    with open(OUT, "w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")
    print("%d groups, %d entities -> %s (%d bytes)" % (len(groups), sum(len(e) for gr in groups for e in gr["expected"]), OUT, os.path.getsize(OUT)))


if __name__ == "__main__":
    sys.exit(main())
