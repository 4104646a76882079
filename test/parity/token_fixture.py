"""Fixture for the token-level decoder: upstream GLiNER's own TokenDecoder on fixed logits.

Writes test/fixtures/token-decoder-parity.json: for each case, logits [1, L, C, 3] (start, end,
inside, as UniEncoderTokenModel's Scorer outputs them), a threshold, flat_ner and multi_label, and
the spans TokenDecoder.decode returns (word start, word end inclusive, label index, score), in its
order. test/inference/token-decode.test.ts decodes the same logits with src/inference/kinds/uni-token.ts
and decode.ts and must give the same spans, in the same order, with the same float32 scores.

TokenDecoder is imported from a checkout of urchade/GLiNER at commit
c2bb58ddf569480ef7a9de03bef653723a42f5c2 (GLINER_SRC): only its gliner/decoding package is loaded
(it needs nothing but torch), so neither transformers nor the rest of GLiNER is involved.

  GLINER_SRC=/tmp/GLiNER /tmp/parity/bin/python test/parity/token_fixture.py

Logits are drawn from a small set of values on purpose: many spans then have exactly equal scores,
which is where the order of candidates (start, then label, then end) decides what greedy keeps.
"""
import importlib.util
import json
import os
import random
import sys

import torch

COMMIT = "c2bb58ddf569480ef7a9de03bef653723a42f5c2"
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "fixtures", "token-decoder-parity.json")


def load_decoding(checkout):
    pkg_dir = os.path.join(checkout, "gliner", "decoding")
    spec = importlib.util.spec_from_file_location("gliner_decoding", os.path.join(pkg_dir, "__init__.py"),
                                                  submodule_search_locations=[pkg_dir])
    module = importlib.util.module_from_spec(spec)
    sys.modules["gliner_decoding"] = module
    spec.loader.exec_module(module)
    return module


def main():
    checkout = os.environ.get("GLINER_SRC", "/tmp/GLiNER")
    decoding = load_decoding(checkout)
    decoder = decoding.TokenDecoder(config=None)
    rng = random.Random(17)
    values = [-6.0, -3.0, -1.5, -0.4, 0.0, 0.3, 0.9, 1.7, 2.5, 4.0]
    cases = []
    shapes = [(1, 1), (3, 1), (5, 2), (8, 3), (12, 4), (20, 5), (30, 4)]
    modes = [(True, False), (False, False), (True, True), (False, True)]
    thresholds = [0.0, 0.1, 0.3, 0.5, 0.9]
    for n, (L, C) in enumerate(shapes):
        for variant in range(3):
            # variant 0: coarse values (many ties); 1: continuous normal logits; 2: biased upwards
            if variant == 0:
                data = [[[rng.choice(values) for _ in range(3)] for _ in range(C)] for _ in range(L)]
            elif variant == 1:
                data = [[[rng.gauss(0.0, 2.0) for _ in range(3)] for _ in range(C)] for _ in range(L)]
            else:
                data = [[[rng.gauss(1.0, 1.5) for _ in range(3)] for _ in range(C)] for _ in range(L)]
            logits = torch.tensor([data], dtype=torch.float32)
            for flat, multi in modes:
                for threshold in thresholds:
                    labels = {i + 1: "label%d" % i for i in range(C)}
                    spans = decoder.decode(tokens=[["w"] * L], id_to_classes=labels, model_output=logits,
                                           flat_ner=flat, threshold=threshold, multi_label=multi)[0]
                    cases.append({
                        "name": "L%d C%d v%d %s%s t%g" % (L, C, variant, "flat" if flat else "nested",
                                                       "+multi" if multi else "", threshold),
                        "threshold": threshold, "flat_ner": flat, "multi_label": multi,
                        "dims": list(logits.shape),
                        "logits": n * 100 + variant,  # key into "logits" below
                        "spans": [[s.start, s.end, int(s.entity_type[5:]), float(s.score)] for s in spans],
                    })
            LOGITS[n * 100 + variant] = logits.reshape(-1).tolist()
    # Edge cases: probabilities exactly equal to the threshold cast to float32. fround(0.9) < 0.9 and
    # fround(0.3) > 0.3, so these tell a float32 comparison from a float64 one: start/end compare as
    # float32 tensors (probs > threshold), the inside check as Python floats (score < threshold).
    def logit_with_prob(p):
        target = torch.tensor(p, dtype=torch.float32)
        x = torch.logit(target.double()).float()
        for _ in range(200000):
            got = torch.sigmoid(x)
            if got == target:
                return x.item()
            x = torch.nextafter(x, torch.tensor(float("inf")) if got < target else torch.tensor(float("-inf")))
        raise RuntimeError("no float32 logit with sigmoid %r" % p)

    for n, threshold in enumerate([0.9, 0.3]):
        edge = logit_with_prob(threshold)
        # word 0: start high; word 1: inside exactly at the threshold; word 2: end high. Label 1: start exactly at it.
        data = [[[8.0, -8.0, 8.0], [edge, 8.0, 8.0]], [[-8.0, -8.0, edge], [-8.0, 8.0, 8.0]], [[-8.0, 8.0, 8.0], [-8.0, -8.0, 8.0]]]
        logits = torch.tensor([data], dtype=torch.float32)
        key = 9000 + n
        LOGITS[key] = logits.reshape(-1).tolist()
        for flat, multi in modes:
            spans = decoder.decode(tokens=[["w"] * 3], id_to_classes={1: "label0", 2: "label1"}, model_output=logits,
                                   flat_ner=flat, threshold=threshold, multi_label=multi)[0]
            cases.append({"name": "edge t%g %s%s" % (threshold, "flat" if flat else "nested", "+multi" if multi else ""),
                          "threshold": threshold, "flat_ner": flat, "multi_label": multi, "dims": list(logits.shape),
                          "logits": key, "spans": [[s.start, s.end, int(s.entity_type[5:]), float(s.score)] for s in spans]})

    fixture = {
        "upstream": {"repo": "urchade/GLiNER", "commit": COMMIT, "code": "gliner/decoding/decoder.py TokenDecoder.decode"},
        "torch": torch.__version__,
        "logits": {str(k): v for k, v in LOGITS.items()},
        "cases": cases,
    }
    with open(OUT, "w") as f:
        json.dump(fixture, f, separators=(",", ":"))
    print("%d cases, %d with spans, %d spans; %d bytes" % (len(cases), sum(1 for c in cases if c["spans"]),
                                                      sum(len(c["spans"]) for c in cases), os.path.getsize(OUT)))


LOGITS = {}

if __name__ == "__main__":
    main()
