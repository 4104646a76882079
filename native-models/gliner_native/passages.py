"""Training passages: consecutive sentences of one document, up to the window length, so the model
sees sentence boundaries as real text has them (CoNLL-2003's documents; in CrossNER's files, which
carry no document marks, consecutive sentences of the file).

Each passage's length target is drawn between one sentence and `max_words`, so the model also keeps
seeing single sentences. A sentence longer than `max_words` is cut at `max_words` words (entities
crossing the cut are dropped)."""


def join(sentences):
    words, spans = [], []
    for sw, ss in sentences:
        base = len(words)
        words += sw
        spans += [(s + base, e + base, l) for s, e, l in ss]
    return words, spans


def cut(words, spans, max_words):
    if len(words) <= max_words:
        return words, spans
    return words[:max_words], [(s, e, l) for s, e, l in spans if e < max_words]


def make_passages(docs, max_words, rng, single_rate=0.25):
    """docs: list of documents (lists of (words, spans)). Returns a list of (words, spans).

    With probability `single_rate` a passage is one sentence; otherwise its target length is uniform
    in [max_words / 4, max_words]."""
    out = []
    for doc in docs:
        i = 0
        while i < len(doc):
            target = 1 if rng.random() < single_rate else rng.randint(max(1, max_words // 4), max_words)
            group, n = [doc[i]], len(doc[i][0])
            i += 1
            while i < len(doc) and n + len(doc[i][0]) <= target:
                group.append(doc[i])
                n += len(doc[i][0])
                i += 1
            out.append(cut(*join(group), max_words))
    return out
