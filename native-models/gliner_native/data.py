"""CrossNER CoNLL reading (sentences and documents), GLiNER word splitting and label-prompt sampling.

Data: the five CrossNER domains ship in the repository (`datasets/crossner`, MIT); CoNLL-2003 does not
(Reuters terms) and is read from $CONLL_DIR (a folder holding train/dev/test.txt) when given, else from
`$DATASETS_DIR/crossner/conll2003` if that exists. Without it, training uses the five domains only."""
import os
import random
import re

WORD_RE = re.compile(r"\w+(?:[-_]\w+)*|\S")
CROSSNER = ["ai", "literature", "music", "politics", "science"]
DOMAINS = ["conll2003"] + CROSSNER


def split_words(text):
    """GLiNER's WhitespaceTokenSplitter: (word, start, end) in code points."""
    return [(m.group(), m.start(), m.end()) for m in WORD_RE.finditer(text)]


def datasets_dir():
    here = os.path.dirname(os.path.abspath(__file__))
    default = os.path.join(here, "..", "..", "datasets")
    return os.path.abspath(os.environ.get("DATASETS_DIR", default))


def domain_path(domain, split):
    """The file for one domain's split, or None where CoNLL-2003 is not available."""
    if domain == "conll2003":
        base = os.environ.get("CONLL_DIR") or os.path.join(datasets_dir(), "crossner", "conll2003")
        path = os.path.join(base, split + ".txt")
        return path if os.path.exists(path) else None
    return os.path.join(datasets_dir(), "crossner", domain, split + ".txt")


def available_domains():
    return [d for d in DOMAINS if domain_path(d, "train") is not None]


def read_conll_docs(path):
    """Returns documents, each a list of (words, spans) with spans = [(start, end_inclusive, label)].

    A document starts at a -DOCSTART- line or at two blank lines in a row (CrossNER's CoNLL-2003 copy
    dropped the -DOCSTART- lines); a file with neither is one document of consecutive sentences.
    Each CoNLL token is re-split with the GLiNER regex so training sees the same words as inference;
    the tag is carried (B- on the first piece, I- on the rest)."""
    docs, sents, words, tags = [], [], [], []
    blanks = 0

    def flush():
        if words:
            sents.append((list(words), tags_to_spans(tags)))
        words.clear()
        tags.clear()

    def new_doc():
        flush()
        if sents:
            docs.append(list(sents))
        sents.clear()

    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line.strip():
                flush()
                blanks += 1
                if blanks == 2:
                    new_doc()
                continue
            blanks = 0
            if line.startswith("-DOCSTART-"):
                new_doc()
                continue
            parts = line.split("\t")
            if len(parts) < 2:
                parts = line.split()
            tok, tag = parts[0], parts[-1]
            pieces = [m.group() for m in WORD_RE.finditer(tok)]
            for j, p in enumerate(pieces):
                words.append(p)
                if tag == "O":
                    tags.append("O")
                elif j == 0:
                    tags.append(tag)
                else:
                    tags.append("I-" + tag[2:])
    new_doc()
    return docs


def read_conll(path):
    """All sentences of a file, in order: a list of (words, spans)."""
    return [s for doc in read_conll_docs(path) for s in doc]


def tags_to_spans(tags):
    spans, start, label = [], None, None
    for i, t in enumerate(tags + ["O"]):
        if t == "O" or t.startswith("B-") or (t.startswith("I-") and t[2:] != label):
            if start is not None:
                spans.append((start, i - 1, label))
                start, label = None, None
            if t.startswith("B-") or t.startswith("I-"):
                start, label = i, t[2:]
    return spans


def load_split(split, domains=None):
    """{domain: sentences} for the domains given (default: every available one)."""
    out = {}
    for d in domains or available_domains():
        path = domain_path(d, split)
        if path is not None:
            out[d] = read_conll(path)
    return out


def load_docs(split, domains=None):
    """{domain: documents} (see read_conll_docs)."""
    out = {}
    for d in domains or available_domains():
        path = domain_path(d, split)
        if path is not None:
            out[d] = read_conll_docs(path)
    return out


def label_sets(data):
    return {d: sorted({s[2] for _, spans in sents for s in spans}) for d, sents in data.items()}


# Surface variants: the model must key on the label text, and answer US/UK spellings and casings.
VARIANTS = {
    "organisation": ["organisation", "organization", "Organisation", "Organization",
                     "ORGANIZATION", "ORGANISATION", "organizations", "org"],
    "person": ["person", "people", "PERSON", "Person", "name", "persons"],
    "location": ["location", "LOCATION", "Location", "place", "locations"],
    "misc": ["misc", "miscellaneous", "MISC", "Misc", "other"],
}

# Labels that never name something a CoNLL person/organisation/location/misc could be,
# so they are safe negatives for CoNLL sentences.
SAFE_FOR_CONLL = {"programlang", "algorithm", "metrics", "task", "field", "musicalinstrument",
                  "musicgenre", "literarygenre", "chemicalelement", "chemicalcompound", "enzyme",
                  "protein", "theory", "discipline", "astronomicalobject"}


def surface(label, rng):
    v = VARIANTS.get(label)
    if not v:
        return label
    if rng.random() < 0.45:
        return v[0]
    return rng.choice(v)


def make_example(words, spans, domain, domain_labels, all_labels, rng, max_neg_foreign=2, pos_drop=0.0):
    """Builds (prompt_labels, spans_with_class_index) GLiNER style: positives + sampled negatives
    from the domain's own label set, a few label names from other domains that cannot apply,
    shuffled; label names replaced by surface variants."""
    pos = sorted({s[2] for s in spans})
    if pos_drop and len(pos) > 1 and rng.random() < pos_drop:
        # ask for only some of the labels present: the others' spans become negatives, so a
        # single-label prompt does not pull every entity into that label
        keep = set(rng.sample(pos, rng.randint(1, len(pos) - 1)))
        spans = [s for s in spans if s[2] in keep]
        domain_labels = [l for l in domain_labels if l in keep or l not in pos]
        pos = sorted(keep)
    own_neg = [l for l in domain_labels if l not in pos]
    keep_p = 1.0 if rng.random() < 0.5 else rng.uniform(0.3, 1.0)
    neg = [l for l in own_neg if rng.random() < keep_p]
    if domain == "conll2003":
        foreign = sorted(SAFE_FOR_CONLL)
    else:
        foreign = [l for l in all_labels if l not in domain_labels and l in SAFE_FOR_CONLL]
    if foreign and rng.random() < 0.5:
        neg += rng.sample(foreign, min(len(foreign), rng.randint(1, max_neg_foreign)))
    labels = pos + neg
    rng.shuffle(labels)
    names = [surface(l, rng) for l in labels]
    idx = {l: i for i, l in enumerate(labels)}
    tspans = [(s, e, idx[l]) for s, e, l in spans]
    return names, tspans
