"""Parity fixture for GLiNER2 schema extraction: upstream's own `extract` / `extract_long`.

Runs fastino-ai/GLiNER2 at a91fd1d2c72debe43907296c8e375a036c6a4faf (package 1.3.3) — its schema
builder, processor (prompt, word splitter, tokenizer calls), PyTorch model and result formatting —
on the micro model (test/fixtures/gliner2-micro, built by native-models/export_gliner2.py --micro)
and writes test/fixtures/gliner2-parity.json.gz, checked by test/parity/gliner2.test.ts with no
Python involved. Nothing of GLiNER2 is copied here: it is imported from a checkout.

  git clone https://github.com/fastino-ai/GLiNER2 /tmp/GLiNER2 && git -C /tmp/GLiNER2 checkout a91fd1d2c72debe43907296c8e375a036c6a4faf
  GLINER2_SRC=/tmp/GLiNER2 /path/to/venv/bin/python test/parity/gliner2_fixture.py

(The venv needs torch, transformers 5.x, safetensors, pydantic, requests, peft, onnx, onnxruntime.)

The micro model's PyTorch weights are not committed: they are rebuilt with the recipe
(`export_gliner2.py --micro`, seeded) into native-models/.cache/gliner2-micro-upstream, and the
sha256 of model.safetensors must equal the one the committed gliner2_config.json records, so the
fixture always comes from the weights the committed ONNX files were exported from.

Determinism: upstream orders a structure's fields in the prompt through a set() (processor.py,
_process_json_structures), so its answers for a structure with several fields depend on
PYTHONHASHSEED. This script runs with PYTHONHASHSEED=0 and swaps that set() for an
insertion-ordered one (fields in declaration order, which is what our server sends); the group
`deviation-field-order` records what upstream's own set() order gives for the same cases.
"""
import argparse
import builtins
import contextlib
import gzip
import hashlib
import io
import json
import os
import random
import subprocess
import sys
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
MICRO = os.path.join(ROOT, "test", "fixtures", "gliner2-micro")
UPSTREAM_DIR = os.path.join(ROOT, "native-models", ".cache", "gliner2-micro-upstream")
OUT = os.path.join(ROOT, "test", "fixtures", "gliner2-parity.json.gz")
UPSTREAM_COMMIT = "a91fd1d2c72debe43907296c8e375a036c6a4faf"


class OrderedSet:
    """The part of set() processor.py uses, iterating in insertion order."""

    def __init__(self, items=()):
        self._d = dict.fromkeys(items)

    def update(self, items):
        self._d.update(dict.fromkeys(items))

    def add(self, item):
        self._d[item] = None

    def __contains__(self, item):
        return item in self._d

    def __iter__(self):
        return iter(self._d)

    def __len__(self):
        return len(self._d)


# ---------------------------------------------------------------------------------------------
# Request schema (our JSON, src/inference/gliner2/schema.ts) → upstream's Schema builder
# ---------------------------------------------------------------------------------------------

def build_schema(req):
    from gliner2 import Schema
    schema = Schema()
    for struct in req.get("structures", []):
        builder = schema.structure(struct["name"])
        for field in struct["fields"]:
            builder.field(field["name"], dtype=field.get("dtype", "list"), choices=field.get("choices"),
                          description=field.get("description"))
    entities = req.get("entities")
    if entities:
        # Our rule (docs/gliner2.md): once any entity has a non-empty description, the entities go to
        # upstream in its dict form {name: description}, "" for the others; otherwise as a list.
        names = [e["name"] if isinstance(e, dict) else e for e in entities]
        descriptions = [(e.get("description") or "") if isinstance(e, dict) else "" for e in entities]
        schema.entities(dict(zip(names, descriptions)) if any(descriptions) else names)
    for c in req.get("classifications", []):
        schema.classification(c["task"], c["labels"], multi_label=c.get("multi_label", False),
                              cls_threshold=c.get("cls_threshold", 0.5))
    if req.get("relations"):
        schema.relations(list(req["relations"]))
    return schema


# ---------------------------------------------------------------------------------------------
# Texts
# ---------------------------------------------------------------------------------------------

SHORT = [
    "Tim Cook runs Apple from Cupertino, California, and met Satya Nadella in Seattle yesterday.",
    "The patient took 200 mg of ibuprofen for a migraine on 3 May 2021 at St. Mary's hospital in London.",
    "iPhone 15 Pro Max with 256GB storage, A17 Pro chip, priced at $1199. Available in titanium and black colors.",
    "John works for Apple Inc. and lives in San Francisco. Apple Inc. is located in Cupertino.",
    "Great camera quality, decent performance, but poor battery life.",
    "Elon Musk founded SpaceX in 2002. SpaceX is located in Hawthorne, California.",
    "Premium subscription at $99/month with mobile and web access.",
    "Service Agreement between TechCorp LLC and DataSystems Inc., effective January 1, 2024.",
    "Patient: Sarah Johnson, 34, presented with acute chest pain and shortness of breath",
    "This laptop has amazing performance but terrible battery life!",
    "Goldman Sachs processed a $2.5M equity trade for Tesla Inc. on March 15, 2024. Commission: $1,250. Status: Completed.",
    "Write to jane.doe@example.com or visit https://example.org/path?q=1 and follow @gliner_ai for news",
    "Angela Merkel met Emmanuel Macron in Berlin on Tuesday to discuss the EU budget?",
    "EU rejects German call to boycott British lamb.",
    "Paris",
    "The Eiffel Tower, completed in 1889, was designed by Gustave Eiffel's engineering company for the World's Fair.",
    "Microsoft acquired GitHub for $7.5 billion in 2018, and Nat Friedman became its CEO.",
    "Bob reports to Alice at Google; Alice reports to Sundar Pichai, who lives in Los Altos.",
]

UNICODE = [
    "Café Müller — a naïve résumé 👩‍👩‍👧 of São Paulo, 東京 and Zürich.",
    "Владимир Путин and Αλέξης Τσίπρας met in Москва.",
    "İstanbul'da KELVIN ſtraße ǅemal 🎉 ÉCOLE",
    "मुंबई में टाटा समूह ने नई कार लॉन्च की।",
    "ﬁnance ＡＢＣ Ⅻ e\u0301cole a\u200bb soft\u00adhyphen",
    "🇫🇷 🏳️‍🌈 Zoë visited Kraków and Ōsaka.",
]

EDGE = ["", "   ", "...", "Hello!", "a", "Costs $5 (approx.) — see §3.2, p. 14", "A B C D E F G H I J K L M N O P"]


def crossner_sentences(datasets):
    out = []
    with open(os.path.join(datasets, "crossner", "politics", "test.txt"), encoding="utf-8") as f:
        words = []
        for line in f:
            line = line.strip()
            if not line:
                if words:
                    out.append(" ".join(words))
                words = []
                continue
            words.append(line.split("\t")[0])
        if words:
            out.append(" ".join(words))
    return out


# ---------------------------------------------------------------------------------------------
# Schemas
# ---------------------------------------------------------------------------------------------

ENTITIES_PLAIN = {"entities": ["person", "company", "location", "date"]}
ENTITIES_DESC = {"entities": [{"name": "person", "description": "Names of people"}, {"name": "company", "description": "Organization, corporation or business names"}, "location"]}
CLS_SINGLE = {"classifications": [{"task": "sentiment", "labels": ["positive", "negative", "neutral"]}]}
CLS_MULTI = {"classifications": [{"task": "aspects", "labels": ["camera", "performance", "battery", "display", "price"], "multi_label": True, "cls_threshold": 0.4}]}
RELATIONS = {"relations": ["works_for", "founded", "located_in"]}
STRUCT = {"structures": [{"name": "product", "fields": [
    {"name": "name", "dtype": "str", "description": "Full product name and model"},
    {"name": "price", "dtype": "str"},
    {"name": "colors", "dtype": "list", "description": "Available colors"},
    {"name": "tier", "dtype": "str", "choices": ["basic", "premium", "enterprise"]},
    {"name": "features", "dtype": "list", "choices": ["mobile", "web", "api"]},
]}]}
MIXED = {
    "entities": [{"name": "person", "description": "Names of people"}, "company", "product", "location"],
    "classifications": [{"task": "sentiment", "labels": ["positive", "negative", "neutral"]},
                        {"task": "category", "labels": ["technology", "business", "finance", "health"], "multi_label": True, "cls_threshold": 0.3}],
    "relations": ["works_for", "located_in"],
    "structures": [{"name": "product_info", "fields": [
        {"name": "name", "dtype": "str"}, {"name": "price", "dtype": "str"}, {"name": "features", "dtype": "list"},
        {"name": "availability", "dtype": "str", "choices": ["in_stock", "pre_order", "sold_out"]}]},
        {"name": "company", "fields": [{"name": "name", "dtype": "str", "description": "Company name"}, {"name": "location"}]}],
}


def cases(datasets):
    rnd = random.Random(26)
    out = []

    def add(group, text, schema, threshold=0.5, conf=False, spans=False, mode="extract", chunk=None, deviation=None):
        case = {"id": f"{group}-{sum(1 for c in out if c['group'] == group)}", "group": group, "text": text, "schema": schema,
                "threshold": threshold, "include_confidence": conf, "include_spans": spans, "mode": mode}
        if chunk is not None:
            case["chunk_size"], case["chunk_overlap"] = chunk
        if deviation is not None:
            case["deviation"] = deviation
        out.append(case)

    flags = [(False, False), (True, False), (False, True), (True, True)]
    thresholds = [0.3, 0.5, 0.7, 0.9]
    # one task type at a time
    for i, text in enumerate(SHORT):
        add("entities", text, ENTITIES_PLAIN if i % 2 else ENTITIES_DESC, thresholds[i % 4], *flags[i % 4])
        add("classification", text, CLS_SINGLE if i % 2 else CLS_MULTI, 0.5, *flags[(i + 1) % 4])
        add("relations", text, RELATIONS, [0.1, 0.3, 0.5][i % 3], *flags[(i + 2) % 4])
        add("structures", text, STRUCT, [0.2, 0.4, 0.6][i % 3], *flags[(i + 3) % 4])
    # all four at once, every flag combination and threshold
    for i, text in enumerate(SHORT):
        for j in range(2):
            add("mixed", text, MIXED, thresholds[(i + j) % 4], *flags[(i + 2 * j) % 4])
    # classification thresholds, label counts
    for i, th in enumerate([0.05, 0.2, 0.5, 0.8, 0.95]):
        for multi in (False, True):
            labels = ["tech", "food", "sport", "politics", "travel", "music"][: 2 + i]
            add("classification-thresholds", SHORT[i], {"classifications": [{"task": "topic", "labels": labels, "multi_label": multi, "cls_threshold": th}]}, 0.5, multi, False)
    # many entity types, descriptions with prompt-special characters
    add("entities-many", SHORT[0], {"entities": [f"type{i}" for i in range(12)]}, 0.5, True, True)
    add("entities-many", SHORT[2], {"entities": [{"name": f"kind {i}", "description": f"thing  number\t{i}: (a|b) [x]"} for i in range(8)]}, 0.4, True, True)
    # empty results: high thresholds, counts of zero
    for i, text in enumerate(SHORT[:6]):
        add("empty", text, MIXED, 0.999, *flags[i % 4])
        add("empty", text, ENTITIES_PLAIN, 1.0, *flags[(i + 1) % 4])
    # structures: several, with choices only, duplicated choice names, a choice equal to a field name
    add("structures-edge", SHORT[6], {"structures": [{"name": "subscription", "fields": [
        {"name": "tier", "choices": ["basic", "premium", "enterprise"]},
        {"name": "billing", "dtype": "str", "choices": ["monthly", "annual"]},
        {"name": "features", "dtype": "list", "choices": ["mobile", "web", "api", "analytics"]}]}]}, 0.3, True, False)
    add("structures-edge", SHORT[6], {"structures": [{"name": "plan", "fields": [
        {"name": "mode", "dtype": "str", "choices": ["plan", "mode", "Premium"]},
        {"name": "extras", "dtype": "list", "choices": ["MOBILE", "mobile", "web"]}]}]}, 0.2, True, True)
    add("structures-edge", SHORT[3], {"structures": [{"name": "link", "fields": [{"name": "head", "dtype": "str"}, {"name": "tail", "dtype": "str"}]}]}, 0.2)
    add("structures-edge", SHORT[3], {"entities": ["head", "tail"]}, 0.3)
    add("structures-edge", SHORT[1], {"structures": [{"name": "a", "fields": [{"name": "x"}]}, {"name": "b", "fields": [{"name": "y", "dtype": "str"}]},
                                                       {"name": "c", "fields": [{"name": "z", "description": "zzz"}]}]}, 0.3, True, True)
    add("structures-edge", SHORT[0], {"entities": ["2024", "person", "10"], "structures": [{"name": "7", "fields": [{"name": "1"}, {"name": "b"}]}]}, 0.4, True, False)
    # one schema over a sweep of thresholds (the same scores, decided at each)
    for i, th in enumerate([0.1, 0.25, 0.4, 0.6, 0.8, 0.95]):
        for text in (SHORT[0], SHORT[10]):
            add("threshold-sweep", text, MIXED, th, *flags[i % 4])
    # descriptions: entity objects without one, empty ones, structure fields with and without
    add("descriptions", SHORT[1], {"entities": [{"name": "drug"}, "dose", {"name": "date", "description": ""}]}, 0.4, True, False)
    add("descriptions", SHORT[1], {"entities": ["drug", {"name": "dose", "description": "an amount such as 200 mg"}]}, 0.4, True, True)
    add("descriptions", SHORT[8], {"structures": [{"name": "patient", "fields": [
        {"name": "name", "dtype": "str", "description": "Patient full name"}, {"name": "age", "dtype": "str", "description": ""},
        {"name": "symptoms", "description": "Reported symptoms\nor complaints"}]}]}, 0.3, True, True)
    add("descriptions", SHORT[10], {"structures": [{"name": "transaction", "fields": [
        {"name": "broker", "dtype": "str", "description": "Financial institution"}, {"name": "amount", "dtype": "str"},
        {"name": "type", "dtype": "str", "choices": ["equity", "bond", "option"], "description": "Type of instrument"}]}]}, 0.3, False, True)
    # Unicode texts
    for i, text in enumerate(UNICODE):
        for j, schema in enumerate((ENTITIES_PLAIN, MIXED, STRUCT)):
            add("unicode", text, schema, [0.3, 0.5][(i + j) % 2], *flags[(i + j) % 4])
    # edge texts (empty, punctuation only, no trailing punctuation)
    for i, text in enumerate(EDGE):
        add("edge-texts", text, MIXED, 0.3, *flags[i % 4])
    # word splitter: URLs, e-mails, mentions, hyphens
    for text in ["Mail A.B-C_d@Mail.Example.COM now", "see www.example.com/x, http://a.b and https://ſ.example", "@User_1 @ſam @İx hi-there well-known_thing",
                 "x-ray x_ray x--y _under_ 3.14 1,000 ĸ KELVIN"]:
        add("word-splitter", text, {"entities": ["thing"]}, 0.3, False, True)
    # long texts through extract_long: upstream's defaults (384 / 64) and small chunks
    sentences = crossner_sentences(datasets)
    rnd.shuffle(sentences)
    long_texts = []
    pos = 0
    for words in (420, 700, 150, 90, 60):
        chunk = []
        while sum(len(s.split()) for s in chunk) < words:
            chunk.append(sentences[pos])
            pos += 1
        long_texts.append(" ".join(chunk))
    for i, text in enumerate(long_texts[:2]):
        for j, schema in enumerate((MIXED, ENTITIES_DESC, CLS_MULTI)):
            add("long", text, schema, [0.3, 0.5, 0.7][j], *flags[(i + j) % 4], mode="long", chunk=(384, 64))
    for i, text in enumerate(long_texts[2:]):
        for j, (schema, chunk) in enumerate(((MIXED, (40, 8)), (ENTITIES_PLAIN, (32, 0)), (RELATIONS, (50, 10)), (CLS_SINGLE, (25, 5)), (STRUCT, (30, 12)))):
            add("long-small-chunks", text, schema, [0.3, 0.5][j % 2], *flags[(i + j) % 4], mode="long", chunk=chunk)
    add("long-small-chunks", "Tim Cook runs Apple", MIXED, 0.3, True, True, mode="long", chunk=(2, 1))
    add("long-small-chunks", UNICODE[0] + " " + UNICODE[2], MIXED, 0.3, True, True, mode="long", chunk=(6, 2))
    # the set() order: cases with several structure fields, answered by upstream with its own order
    for i, text in enumerate(SHORT[:6]):
        add("deviation-field-order", text, STRUCT if i % 2 else MIXED, 0.3, True, True, deviation="field-order")
    return out


# ---------------------------------------------------------------------------------------------

def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--gliner2-src", default=os.environ.get("GLINER2_SRC"))
    parser.add_argument("--datasets", default=os.environ.get("DATASETS_DIR", os.path.join(ROOT, "datasets")))
    args = parser.parse_args()
    if not args.gliner2_src:
        raise SystemExit("give the GLiNER2 checkout with --gliner2-src or GLINER2_SRC")
    if os.environ.get("PYTHONHASHSEED") != "0":
        os.environ["PYTHONHASHSEED"] = "0"
        os.execv(sys.executable, [sys.executable] + sys.argv)
    warnings.filterwarnings("ignore")
    with open(os.path.join(MICRO, "gliner2_config.json"), encoding="utf-8") as f:
        micro_config = json.load(f)
    want_sha = micro_config["source"]["weights_sha256"]
    weights = os.path.join(UPSTREAM_DIR, "model.safetensors")
    if not os.path.exists(weights):
        subprocess.run([sys.executable, os.path.join(ROOT, "native-models", "export_gliner2.py"), "--micro",
                        "--out", os.path.join(ROOT, "native-models", ".cache", "gliner2-micro-export"), "--save-upstream", UPSTREAM_DIR],
                       check=True, env={**os.environ, "GLINER2_SRC": args.gliner2_src})
    with open(weights, "rb") as f:
        have_sha = hashlib.sha256(f.read()).hexdigest()
    if have_sha != want_sha:
        raise SystemExit(f"{weights}: sha256 {have_sha}, but the committed micro model was exported from {want_sha}")

    sys.path.insert(0, args.gliner2_src)
    commit = subprocess.run(["git", "-C", args.gliner2_src, "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    import torch
    import transformers
    import gliner2
    import gliner2.processor as processor
    from gliner2 import GLiNER2
    torch.set_num_threads(1)
    with contextlib.redirect_stdout(io.StringIO()):
        model = GLiNER2.from_pretrained(UPSTREAM_DIR).eval()

    def run(case):
        schema = build_schema(case["schema"])
        kwargs = dict(threshold=case["threshold"], include_confidence=case["include_confidence"], include_spans=case["include_spans"])
        if case["mode"] == "long":
            return model.extract_long(case["text"], schema, chunk_size=case["chunk_size"], chunk_overlap=case["chunk_overlap"], **kwargs)
        return model.extract(case["text"], schema, **kwargs)

    def prompt_of(case):
        schema = build_schema(case["schema"]).build()
        batch = model.processor.collate_fn_inference([(case["text"], schema)])
        return {"input_ids": batch.input_ids[0].tolist(), "schema_tokens": batch.schema_tokens_list[0], "text_tokens": batch.text_tokens[0]}

    all_cases = cases(args.datasets)
    for case in all_cases:
        processor.set = OrderedSet if case.get("deviation") != "field-order" else builtins.set
        try:
            case["expected"] = json.dumps(run(case), ensure_ascii=False)
            if case["mode"] == "extract":
                case["prompt"] = prompt_of(case)
        finally:
            processor.set = OrderedSet
        if case.get("deviation") == "field-order":
            case["declaration_order_expected"] = json.dumps(run(case), ensure_ascii=False)
            case["declaration_order_prompt"] = prompt_of(case)

    words = ["Mail A.B-C_d@Mail.Example.COM now", "see www.example.com/x, http://a.b and https://ſ.example", "@User_1 @ſam @İx hi-there",
             "x-ray x_ray x--y _under_ 3.14 1,000 ĸ KELVIN", "İİ ıi ſS Straße ǅ", "a\u0085b\u001cc\u00a0d\u200be\ufeff",
             "e\u0301 \u0301x 🇫🇷 👩‍👩‍👧", "http://İ.com x@İ.com", "__init__ a-_b a_-b", "ab@cd.e ab@cd.ef AB@CD.EF"]
    word_cases = [{"text": t, "words": [list(w) for w in processor.WhitespaceTokenSplitter()(t, lower=True)],
                   "chunks": [[c.start_char, c.end_char, c.start_word, c.end_word] for c in gliner2.inference.chunking.split_text_into_chunks(t, 3, 1)]} for t in words]

    fixture = {
        "about": "fastino-ai/GLiNER2 extract / extract_long on the micro model (test/fixtures/gliner2-micro), written by test/parity/gliner2_fixture.py",
        "upstream": {"repo": "fastino-ai/GLiNER2", "commit": commit, "package": gliner2.__version__},
        "versions": {"python": sys.version.split()[0], "torch": torch.__version__, "transformers": transformers.__version__},
        "pythonhashseed": os.environ.get("PYTHONHASHSEED"),
        "weights_sha256": have_sha,
        "words": word_cases,
        "cases": all_cases,
    }
    # mtime 0: the same fixture gives the same bytes
    with open(OUT, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=9, mtime=0) as f:
        f.write(json.dumps(fixture, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
    groups = {}
    for c in all_cases:
        groups[c["group"]] = groups.get(c["group"], 0) + 1
    print(f"{len(all_cases)} cases: {groups}; {os.path.getsize(OUT) / 1e3:.0f} kB")


if __name__ == "__main__":
    main()
