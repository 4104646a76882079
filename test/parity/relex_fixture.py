"""Fixture for relation extraction end to end: upstream GLiNER's own PyTorch relex inference.

Runs urchade/GLiNER at c2bb58ddf569480ef7a9de03bef653723a42f5c2 — `UniEncoderSpanRelexGLiNER.inference`
and `UniEncoderTokenRelexGLiNER.inference` (word splitter, RelationExtraction*Processor prompt with
<<REL>> labels, collator, the PyTorch model with its entity selection, adjacency and pair building,
SpanRelexDecoder / TokenRelexDecoder, offsets) — on the two micro checkpoints built by
test/parity/relex_micro.py, and writes test/fixtures/relex-parity.json, checked by
test/parity/relex-model.test.ts against the server's runner on the same weights exported by
native-models/export_relex.py (test/fixtures/relex-span-micro, relex-token-micro).

  GLINER_SRC=/tmp/GLiNER /work/pyup/bin/python test/parity/relex_fixture.py \\
      --span /tmp/relex-span-ckpt --token /tmp/relex-token-ckpt

Groups, for both kinds: flat decoding with every pair of entity / relation thresholds from 0.3, 0.5,
0.9; the other three modes with five of those pairs (nested ones on shorter texts: their relations grow
with the square of the overlapping entities); thresholds 0 (entities, relations, both) on short texts
in all four modes; texts with no entity, one word, one pair, many pairs, Unicode, empty; longer texts
of 62 and 124 words (one window). Span groups run as
upstream batches them (8 texts a batch, different lengths); token groups one text at a time, because
upstream's token decoder reads a shorter text's padding in a batch (see `token_batches` below).
"""
import argparse
import json
import os
import sys
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
OUT = os.path.join(ROOT, "test", "fixtures", "relex-parity.json")
UPSTREAM_COMMIT = "c2bb58ddf569480ef7a9de03bef653723a42f5c2"

SENTENCES = [
    "Ada Lovelace worked with Charles Babbage in London on the Analytical Engine for years.",
    "I work at Microsoft based in Seattle, Washington.",
    "Angela Merkel met Emmanuel Macron in Berlin on Tuesday to discuss the EU budget and the future of the euro zone.",
    "Marie Curie was born in Warsaw and worked in Paris.",
]
TEXTS = SENTENCES + [
    "Paris",
    "",
    "Obama Hawaii",
    "Café Müller — a naïve résumé 👩‍👩‍👧 of São Paulo, 東京 and Zürich.",
]
# Nested decoding keeps many overlapping entities, and relations grow with their square: shorter texts.
NESTED = ["I work at Microsoft based in Seattle, Washington.", "Marie Curie was born in Warsaw and worked in Paris.", "Paris", "", "Obama Hawaii"]
SHORT = ["Obama Hawaii", "Paris", "I work at Microsoft based in Seattle, Washington."]
LONG = [" ".join((SENTENCES * 10)[:n]) for n in (4, 8)]  # 62 and 124 words
LABELS = ["person", "organization", "location", "date"]
RELATIONS = ["works with", "located in", "born in"]
MODES = [(True, False), (False, False), (True, True), (False, True)]
THRESHOLDS = [0.3, 0.5, 0.9]
# (entity threshold, relation threshold) for the modes that do not get every combination.
SOME = [(0.3, 0.3), (0.5, 0.5), (0.9, 0.9), (0.5, 0.9), (0.9, 0.3)]


def f32(x):
    """A float32 score in 9 significant digits: the same float32, a shorter fixture."""
    return float("%.9g" % x)


def run(model, texts, flat_ner, multi_label, threshold, relation_threshold, batch_size):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        entities, relations = model.inference(texts, LABELS, relations=RELATIONS, flat_ner=flat_ner, multi_label=multi_label,
                                              threshold=threshold, relation_threshold=relation_threshold, batch_size=batch_size)
    out = []
    for ents, rels in zip(entities, relations):
        out.append({
            "entities": [[e["start"], e["end"], e["label"], f32(e["score"])] for e in ents],
            "relations": [[r["head"]["entity_idx"], r["tail"]["entity_idx"], r["relation"], f32(r["score"])] for r in rels],
        })
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gliner-src", default=os.environ.get("GLINER_SRC"))
    ap.add_argument("--span", required=True, help="the span micro checkpoint (relex_micro.py --kind span)")
    ap.add_argument("--token", required=True, help="the token micro checkpoint (relex_micro.py --kind token)")
    a = ap.parse_args()
    if not a.gliner_src:
        raise SystemExit("give the GLiNER checkout with --gliner-src or GLINER_SRC")
    sys.path.insert(0, a.gliner_src)
    import torch
    import transformers
    import gliner
    from gliner import GLiNER

    torch.set_num_threads(1)
    models = {}
    for kind, path in (("span", a.span), ("token", a.token)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            models[kind] = GLiNER.from_pretrained(path, load_tokenizer=True, local_files_only=True)
        models[kind].eval()

    groups = []

    def add(kind, gid, texts, flat_ner, multi_label, threshold, relation_threshold):
        model = models[kind]
        if kind == "span":
            expected = run(model, texts, flat_ner, multi_label, threshold, relation_threshold, 8)
        else:
            # One text at a time: in a batch, upstream's token decoder and token entity selection read
            # the padding after a shorter text (and its offset mapping then fails on a span past the end).
            expected = [run(model, [t], flat_ner, multi_label, threshold, relation_threshold, 1)[0] for t in texts]
        groups.append({"id": gid, "model": kind, "flat_ner": flat_ner, "multi_label": multi_label, "threshold": threshold,
                       "relation_threshold": relation_threshold, "labels": LABELS, "relations": RELATIONS,
                       "texts": texts, "batch_size": 8 if kind == "span" else 1, "expected": expected})

    def mode_name(flat_ner, multi_label):
        return ("flat" if flat_ner else "nested") + ("-multi" if multi_label else "")

    for kind in ("span", "token"):
        for flat_ner, multi_label in MODES:
            mode = mode_name(flat_ner, multi_label)
            # Flat, single label: every combination of the thresholds; the other modes five of them.
            combos = [(t, r) for t in THRESHOLDS for r in THRESHOLDS] if (flat_ner, multi_label) == (True, False) else SOME
            for threshold, relation_threshold in combos:
                add(kind, "%s-%s-e%g-r%g" % (kind, mode, threshold, relation_threshold),
                    TEXTS if flat_ner else NESTED, flat_ner, multi_label, threshold, relation_threshold)
            # Threshold 0: every span is an entity candidate, every pair adjacent, every label a relation.
            for threshold, relation_threshold in ((0.0, 0.5), (0.5, 0.0), (0.0, 0.0)):
                add(kind, "%s-%s-e%g-r%g-short" % (kind, mode, threshold, relation_threshold),
                    SHORT if flat_ner else SHORT[:2], flat_ner, multi_label, threshold, relation_threshold)
        # Longer texts (one window).
        add(kind, "%s-flat-e0.9-r0.9-long" % kind, LONG, True, False, 0.9, 0.9)
        add(kind, "%s-nested-e0.9-r0.9-long" % kind, LONG[:1], False, False, 0.9, 0.9)

    data = {
        "generator": "test/parity/relex_fixture.py",
        "upstream": {"repo": "urchade/GLiNER", "commit": UPSTREAM_COMMIT, "version": gliner.__version__,
                     "code": "UniEncoderSpanRelexGLiNER.inference / UniEncoderTokenRelexGLiNER.inference (PyTorch)"},
        "versions": {"torch": torch.__version__, "transformers": transformers.__version__, "python": sys.version.split()[0]},
        "models": {"span": "test/fixtures/relex-span-micro", "token": "test/fixtures/relex-token-micro"},
        "format": "expected[i] = {entities: [[start, end, label, score]], relations: [[head entity index, tail entity index, relation, score]]}",
        "groups": groups,
    }
    with open(OUT, "w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")
    entities = sum(len(e["entities"]) for g in groups for e in g["expected"])
    relations = sum(len(e["relations"]) for g in groups for e in g["expected"])
    print("%d groups, %d entities, %d relations -> %s (%d bytes)" % (len(groups), entities, relations, OUT, os.path.getsize(OUT)))


if __name__ == "__main__":
    sys.exit(main())
