"""Parity fixture: what GLiNER's own Python code returns for a few hundred cases on the embedded model.

Runs urchade/GLiNER's UniEncoderSpanGLiNER.inference (its word splitter, processor prompt building,
collator, ONNX wrapper, decoder and offset mapping) with the model in native-models/gliner-tiny,
through Python onnxruntime; tokenisation by the Rust `tokenizers` library (see upstream.py for the
two shims). Writes test/fixtures/gliner-parity.json, which test/parity/parity.test.ts compares with
our pipeline. Not run by `npm test`.

To rerun (see test/parity/README.md):
    git clone https://github.com/urchade/GLiNER /tmp/GLiNER && git -C /tmp/GLiNER checkout <commit below>
    python3 -m venv /tmp/parity && /tmp/parity/bin/pip install torch onnxruntime tokenizers numpy \
        pyyaml tqdm huggingface_hub packaging
    GLINER_SRC=/tmp/GLiNER DATASETS_DIR=datasets /tmp/parity/bin/python test/parity/generate.py
"""
import argparse
import json
import os
import random
import re
import sys
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
import upstream  # noqa: E402

UPSTREAM_COMMIT = "c2bb58ddf569480ef7a9de03bef653723a42f5c2"
MODEL_DIR = "native-models/gliner-tiny"
OUT = os.path.join(ROOT, "test", "fixtures", "gliner-parity.json")
DOMAINS = ["conll2003", "ai", "literature", "music", "politics", "science"]
MODES = [(True, False), (False, False), (True, True), (False, True)]  # (flat_ner, multi_label)
THRESHOLDS = [0.5, 0.1, 0.9, 0.0]
ZWJ = "\u200d"


def read_conll(path):
    sentences, tokens, tags = [], [], []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line.strip():
                if tokens:
                    sentences.append((tokens, tags))
                tokens, tags = [], []
                continue
            token, tag = line.split("\t")
            tokens.append(token)
            tags.append(tag)
    if tokens:
        sentences.append((tokens, tags))
    return sentences


def domain_labels(sentences):
    return sorted({t[2:] for _, tags in sentences for t in tags if t != "O"})


def cut_to_words(splitter, text, n):
    """The prefix of `text` holding exactly its first n words (GLiNER's splitter)."""
    words = list(splitter(text))
    assert len(words) >= n, (len(words), n)
    return text[: words[n - 1][2]]


def unicode_texts():
    family = "\U0001F468" + ZWJ + "\U0001F469" + ZWJ + "\U0001F467"
    coder = "\U0001F469" + ZWJ + "\U0001F4BB"
    return [
        f"I met {family} in Rome Madrid and Paris with Angela Merkel .",
        f"The {coder} from Google moved to London , said Barack Obama .",
        "\u0915\u094D\u0937\u0924\u094D\u0930\u093F\u092F Barack Obama visited Berlin and Microsoft .",
        "\u0936\u094D\u0930\u0940 Narendra Modi spoke in New Delhi about India and Pakistan .",
        "Apple \uA7F2\uA7F3\uA7F4 opened an office in Tokyo , Japan , said Tim Cook .",
        "The \uA7F2 team and the \uA7F3 team met in Geneva with the United Nations .",
        "Rome" + ZWJ + " Madrid" + ZWJ + " Lisbon were visited by Pope Francis .",
        "\U0001F44D\U0001F3FD Elon Musk and \U0001F1FA\U0001F1F8 officials met at NASA in Houston .",
        "Caf\u00E9 owners in S\u00E3o Paulo and Z\u00FCrich met Jos\u00E9 Mourinho .",
        "cafe\u0301 \uFB01nance chief Christine Lagarde spoke at the European Central Bank in Frankfurt .",
        "\uFF2D\uFF49\uFF43\uFF52\uFF4F\uFF53\uFF4F\uFF46\uFF54 and Amazon compete in Seattle , Washington .",
        "\u0928\u092E\u0938\u094D\u0924\u0947 from Mumbai : Sachin Tendulkar played for India .",
        "\u1100\u1161\u11A8 Samsung and LG are based in Seoul , South Korea .",
        "\U0001F3F4\U000E0067\U000E0062\U000E0073\U000E0063\U000E0074\U000E007F Scotland beat England at Murrayfield in Edinburgh .",
        "Kofi Annan \u2014 the UN Secretary-General \u2014 visited Gh\u0101na and Nigeria .",
    ]


def deleted_word_texts():
    # A word the normaliser deletes entirely (control characters and U+200B are words to GLiNER's
    # splitter, the charsmap removes them): GLiNER HEAD numbers words without it, so its offsets
    # shift after it, and text_lengths still counts it (an empty word position at the end).
    return [
        "Barack Obama \u0001 visited Paris and met Angela Merkel .",
        "\u0002 Microsoft opened an office in Berlin , Germany .",
        "Google \u0007 and Apple \u0008 compete in California with Amazon .",
        "The \u007F United Nations met in Geneva with Kofi Annan .",
        "x\u200By Google and IBM work\u200Btogether in New York .",
    ]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--gliner-src", default=os.environ.get("GLINER_SRC"), help="urchade/GLiNER checkout")
    parser.add_argument("--datasets", default=os.environ.get("DATASETS_DIR", os.path.join(ROOT, "datasets")))
    parser.add_argument("--per-domain", type=int, default=32, help="CrossNER sentences per domain")
    args = parser.parse_args()
    if not args.gliner_src:
        raise SystemExit("give the GLiNER checkout with --gliner-src or GLINER_SRC")

    g = upstream.load_gliner(args.gliner_src)
    import onnxruntime as ort
    import tokenizers
    import torch

    model_dir = os.path.join(ROOT, MODEL_DIR)
    with open(os.path.join(model_dir, "gliner_config.json"), encoding="utf-8") as f:
        cfg = json.load(f)
    with open(os.path.join(model_dir, "tokenizer_config.json"), encoding="utf-8") as f:
        tok_cfg = json.load(f)
    config = argparse.Namespace(**{**cfg, "words_splitter_type": cfg.get("words_splitter_type", "whitespace")})
    tokenizer = upstream.RustTokenizer(os.path.join(model_dir, "tokenizer.json"), tok_cfg)
    processor = g.UniEncoderSpanProcessor(config, tokenizer, None)
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    session = ort.InferenceSession(os.path.join(model_dir, "model.onnx"), opts, providers=["CPUExecutionProvider"])
    model = g.UniEncoderSpanGLiNER(config, model=g.UniEncoderSpanORTModel(session), data_processor=processor)
    splitter = processor.words_splitter

    def infer(texts, labels, flat_ner, multi_label, threshold):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = model.inference(texts, labels, flat_ner=flat_ner, threshold=threshold, multi_label=multi_label, batch_size=8)
        return [[{k: e[k] for k in ("start", "end", "text", "label", "score")} for e in ents] for ents in out]

    groups = []

    def add(gid, texts, labels, flat_ner=True, multi_label=False, threshold=0.5, deviation=None, per_text_alone=False):
        if per_text_alone:
            expected = [infer([t], l, flat_ner, multi_label, threshold)[0] for t, l in zip(texts, labels)]
        else:
            expected = infer(texts, labels, flat_ner, multi_label, threshold)
        groups.append({"id": gid, "deviation": deviation, "flat_ner": flat_ner, "multi_label": multi_label,
                       "threshold": threshold, "labels": labels, "texts": texts, "expected": expected})

    rng = random.Random(13)
    combo = 0
    pools = {}
    for domain in DOMAINS:
        sentences = read_conll(os.path.join(args.datasets, "crossner", domain, "test.txt"))
        labels = domain_labels(sentences)
        pools[domain] = (sentences, labels)
        picked = rng.sample(sentences, args.per_domain)
        for start in range(0, len(picked), 8):
            flat_ner, multi_label = MODES[combo % 4]
            threshold = THRESHOLDS[(combo // 4) % 4]
            combo += 1
            # Threshold 0 keeps every span the greedy pass allows: fewer labels keep the fixture small.
            group_labels = labels if threshold > 0 else labels[:3]
            texts = [" ".join(tokens) for tokens, _ in picked[start:start + 8]]
            add(f"crossner-{domain}-{start // 8}", texts, group_labels, flat_ner, multi_label, threshold)

    conll_labels = ["person", "organisation", "location", "misc"]
    uni = unicode_texts()
    for i, (flat_ner, multi_label) in enumerate(MODES):
        add(f"unicode-{i}", uni, conll_labels, flat_ner, multi_label, [0.5, 0.3, 0.1, 0.5][i])

    # Long texts: CrossNER sentences joined, cut at exactly n words (GLiNER's max_len is 384).
    sentences = pools["politics"][0] + pools["conll2003"][0]
    joined = " ".join(" ".join(tokens) for tokens, _ in sentences[:400])
    long_texts = [cut_to_words(splitter, joined, n) for n in (100, 200, 300, 383, 384)]
    add("long-flat", long_texts, conll_labels + ["politician", "politicalparty"], True, False, 0.5)
    add("long-nested-multi", long_texts[2:], conll_labels, False, True, 0.3)

    # Threshold 0 where torch's float32 sigmoid underflows to exactly 0: in short texts the span over
    # the whole text nests with every other span, so nested + multi-label keeps it for every label
    # whose probability is above 0; its logits are often below -88.7 (float32 exp overflows).
    short = [" ".join(t) for t, _ in pools["conll2003"][0] if 3 <= len(list(splitter(" ".join(t)))) <= 12][:8]
    add("threshold-zero-underflow", short, conll_labels, False, True, 0.0)

    # Labels: duplicates (Python de-duplicates, first wins), case and spelling variants, a single label.
    base = [" ".join(tokens) for tokens, _ in pools["conll2003"][0][:8]]
    add("labels-duplicated", base, ["person", "location", "person", "organisation", "location"], True, False, 0.5)
    add("labels-variants", base, ["ORGANIZATION", "Person", "place", "other"], True, False, 0.3)
    add("labels-single", base, ["location"], False, False, 0.5)
    add("texts-empty", ["", "   ", "Paris", "\n\t"], conll_labels, True, False, 0.5)

    # Deliberate deviations, recorded so the test can show each one.
    add("deviation-per-row-labels", base,
        [conll_labels, ["person"], ["location", "organisation"], conll_labels + ["country"], ["misc", "person"],
         ["organisation"], conll_labels[::-1], ["location"]],
        True, False, 0.5, deviation="per-row-labels", per_text_alone=True)
    add("deviation-deleted-word", deleted_word_texts(), conll_labels, True, False, 0.5, deviation="deleted-word")
    add("deviation-truncation", [cut_to_words(splitter, joined, 450)], conll_labels, True, False, 0.5, deviation="truncation")
    add("deviation-empty-label", base[:2], ["person", "", "location"], True, False, 0.5, deviation="empty-label")
    # A label that tokenises to nothing: Python shifts words exactly as for an empty label.
    add("deviation-invisible-label", base[:4], ["person", "\u200b", "location"], True, False, 0.5, deviation="invisible-label")
    # More labels than max_types (25): Python puts them all in one prompt; we split them into groups.
    all_labels = sorted({l for _, labels in pools.values() for l in labels})
    assert len(all_labels) > cfg["max_types"], len(all_labels)
    add("deviation-label-groups", base, all_labels, True, False, 0.5, deviation="label-groups")

    data = {
        "generator": "test/parity/generate.py",
        "upstream": {"repo": "urchade/GLiNER", "commit": UPSTREAM_COMMIT, "version": g.version},
        "versions": {"tokenizers": tokenizers.__version__, "onnxruntime": ort.__version__, "torch": torch.__version__,
                     "python": sys.version.split()[0]},
        "model": MODEL_DIR,
        "cases": sum(len(gr["texts"]) for gr in groups),
        "groups": groups,
    }
    with open(OUT, "w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False, indent=None, separators=(",", ":"))
        f.write("\n")
    entities = sum(len(e) for gr in groups for e in gr["expected"])
    print(f"{data['cases']} cases in {len(groups)} groups, {entities} entities -> {OUT} ({os.path.getsize(OUT)} bytes)")


if __name__ == "__main__":
    sys.exit(main())
