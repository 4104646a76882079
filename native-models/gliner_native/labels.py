"""Label generalisation for training prompts, GLiNER style.

Every CrossNER type is asked for in plain words with several phrasings (the file's own name stays the
most frequent, so `eval --labels politicalparty,...` keeps working); negative labels are sampled from
the sentence's own domain, from other domains' types that cannot name the same thing, and from generic
types that CrossNER never annotates (a prompt for `date` must learn to return nothing rather than the
nearest entity); positives are dropped at random so that a prompt asking for some of the labels present
does not pull the other entities into them; label counts and orders vary."""

# The file's label name first, then plain-word phrasings.
PHRASES = {
    "person": ["person", "people", "person name", "name of a person", "human", "individual", "PERSON", "Person"],
    "organisation": ["organisation", "organization", "company or institution", "organizations", "Organization",
                     "ORGANIZATION", "org", "company"],
    "location": ["location", "place", "geographic location", "locations", "Location", "LOCATION", "geographical place"],
    "misc": ["misc", "miscellaneous", "other entity", "MISC", "miscellaneous entity"],
    "country": ["country", "nation", "countries", "sovereign state"],
    "algorithm": ["algorithm", "algorithms", "computational method", "machine learning algorithm"],
    "conference": ["conference", "academic conference", "scientific conference", "conferences"],
    "field": ["field", "field of study", "research field", "research area"],
    "metrics": ["metrics", "metric", "evaluation metric", "performance measure"],
    "product": ["product", "products", "commercial product", "software product"],
    "programlang": ["programlang", "programming language", "programming languages", "coding language"],
    "researcher": ["researcher", "scientist or researcher", "researchers", "academic researcher"],
    "task": ["task", "research task", "machine learning task", "problem"],
    "university": ["university", "universities", "college", "academic institution"],
    "award": ["award", "prize", "awards", "honour"],
    "book": ["book", "books", "novel", "literary work"],
    "event": ["event", "events", "historical event", "happening"],
    "literarygenre": ["literarygenre", "literary genre", "genre of literature", "literary form"],
    "magazine": ["magazine", "magazines", "periodical", "journal or magazine"],
    "poem": ["poem", "poems", "poetry work"],
    "writer": ["writer", "author", "writers", "novelist or poet"],
    "album": ["album", "music album", "albums", "record"],
    "band": ["band", "music group", "bands", "musical group"],
    "musicalartist": ["musicalartist", "musical artist", "musician", "singer", "music artist"],
    "musicalinstrument": ["musicalinstrument", "musical instrument", "instrument", "musical instruments"],
    "musicgenre": ["musicgenre", "music genre", "genre of music", "musical style"],
    "song": ["song", "songs", "single", "track"],
    "election": ["election", "elections", "vote", "electoral event"],
    "politicalparty": ["politicalparty", "political party", "party", "political parties"],
    "politician": ["politician", "political figure", "politicians", "statesman"],
    "academicjournal": ["academicjournal", "academic journal", "scientific journal", "journal"],
    "astronomicalobject": ["astronomicalobject", "astronomical object", "celestial body", "planet or star"],
    "chemicalcompound": ["chemicalcompound", "chemical compound", "compound", "chemical substance"],
    "chemicalelement": ["chemicalelement", "chemical element", "element", "chemical elements"],
    "discipline": ["discipline", "academic discipline", "scientific discipline", "branch of science"],
    "enzyme": ["enzyme", "enzymes"],
    "protein": ["protein", "proteins"],
    "scientist": ["scientist", "scientists", "physicist or chemist", "researcher in science"],
    "theory": ["theory", "scientific theory", "theories", "hypothesis"],
}

# Types that never occur in these data (CrossNER and CoNLL leave them untagged): safe negatives anywhere.
GENERIC_NEGATIVES = ["date", "time", "year", "money", "percentage", "quantity", "number", "email address",
                     "phone number", "url", "drug", "disease", "dosage", "food", "animal", "colour", "vehicle",
                     "sports team", "job title", "language", "religion"]

# Types that can name what another type names: never a negative for a sentence whose domain has one of
# the others (e.g. `politician` for a CoNLL person, `country` for a CoNLL location). `misc` is special:
# it can cover almost anything, so in a domain with `misc` only ABSTRACT types are foreign negatives.
OVERLAP = [
    {"person", "researcher", "writer", "musicalartist", "politician", "scientist"},
    {"location", "country"},
    {"organisation", "university", "band", "politicalparty", "conference", "magazine", "academicjournal"},
    {"chemicalcompound", "chemicalelement", "enzyme", "protein"},
    {"field", "discipline", "task", "theory", "algorithm", "literarygenre", "musicgenre"},
    {"book", "poem", "magazine", "album", "song"},
]
ABSTRACT = {"programlang", "algorithm", "metrics", "task", "field", "musicalinstrument", "musicgenre",
            "literarygenre", "chemicalelement", "chemicalcompound", "enzyme", "protein", "theory", "discipline",
            "astronomicalobject"}


def phrase(label, rng, canonical=0.4):
    options = PHRASES.get(label)
    if not options or rng.random() < canonical:
        return label
    return rng.choice(options)


def foreign_negatives(domain_labels, all_labels, excluded=()):
    """Other domains' types that cannot name anything this domain tags."""
    own = set(domain_labels)
    out = []
    for label in all_labels:
        if label in own or label in excluded or label == "misc":
            continue
        if "misc" in own and label not in ABSTRACT:
            continue
        if any(label in group and group & own for group in OVERLAP):
            continue
        out.append(label)
    return out


def make_prompt(spans, domain_labels, foreign, rng, pos_drop=0.3, max_labels=25, excluded=()):
    """(prompt label names, spans with class indices) for one passage.

    spans: [(start, end, label)]. Positives are dropped with probability `pos_drop` (at least one
    kept); the passage's own negatives are kept with a random rate; foreign and generic negatives are
    added some of the time; order is shuffled; each name is a random phrasing."""
    pos = sorted({s[2] for s in spans})
    if pos_drop and len(pos) > 1 and rng.random() < pos_drop:
        keep = set(rng.sample(pos, rng.randint(1, len(pos) - 1)))
        spans = [s for s in spans if s[2] in keep]
        dropped = [l for l in pos if l not in keep]
        pos = sorted(keep)
    else:
        dropped = []
    # Dropped positives are not negatives (their entities are untagged in this prompt, not absent).
    own_neg = [l for l in domain_labels if l not in pos and l not in dropped]
    keep_rate = 1.0 if rng.random() < 0.5 else rng.uniform(0.2, 1.0)
    neg = [l for l in own_neg if rng.random() < keep_rate]
    if foreign and rng.random() < 0.5:
        neg += rng.sample(foreign, min(len(foreign), rng.randint(1, 4)))
    generic = [g for g in GENERIC_NEGATIVES if g not in excluded]
    if rng.random() < 0.3:
        neg += rng.sample(generic, rng.randint(1, 2))
    labels = pos + [l for l in dict.fromkeys(neg) if l not in pos]
    labels = labels[:max_labels] if len(pos) <= max_labels else pos[:max_labels]
    rng.shuffle(labels)
    names = []
    for label in labels:
        name = phrase(label, rng)
        # Two labels must not end up with the same surface name in one prompt.
        names.append(label if name in names else name)
    idx = {l: i for i, l in enumerate(labels)}
    return names, [(s, e, idx[l]) for s, e, l in spans if l in idx]


def vocabulary_lines():
    """Text for the tokenizer's training corpus, so every phrasing has pieces."""
    words = sorted({w for v in PHRASES.values() for w in v} | set(GENERIC_NEGATIVES))
    return [" ".join(words)]
