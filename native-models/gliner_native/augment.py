"""Robustness augmentation: emoji, symbols and non-Latin script around or inside a passage must not
destroy recall on the rest, and names written in other scripts are still names.

Noise words are inserted at the start, the end or between words (never inside an entity) and are
tagged O; some person and location entities are replaced by the same kind of name in Cyrillic, Greek,
Arabic, Chinese, Japanese, Korean or Devanagari script. The word lists are small and hand-written, so
the model learns that such characters are ordinary text, not that it knows these languages."""

EMOJI = ["🎉", "😀", "👍", "🚀", "🔥", "✨", "💡", "📈", "🙂", "😂", "🤔", "👏", "🌍", "⚽", "🎵", "📚", "💬", "✅", "❌", "⭐"]
SYMBOLS = ["•", "→", "★", "©", "®", "™", "§", "¶", "#", "@", "|", "~", "^", "*", "»", "«", "…", "–", "—", "±", "€", "£", "¥", "°"]
FOREIGN_TEXT = ["Привет", "мир", "новости", "Καλημέρα", "κόσμε", "مرحبا", "بالعالم", "你好", "世界", "新闻",
                "こんにちは", "ニュース", "안녕하세요", "뉴스", "नमस्ते", "समाचार", "שלום", "สวัสดี"]
FOREIGN_NAMES = {
    "person": [["Владимир", "Путин"], ["Анна", "Каренина"], ["Αλέξης", "Τσίπρας"], ["Μαρία", "Κάλλας"],
               ["محمد", "عبدالله"], ["فاطمة", "الزهراء"], ["习近平"], ["李白"], ["王", "芳"], ["安倍", "晋三"],
               ["村上", "春樹"], ["김", "정은"], ["박", "지성"], ["नरेंद्र", "मोदी"], ["Ирина", "Шейк"]],
    "location": [["Москва"], ["Санкт-Петербург"], ["Αθήνα"], ["Θεσσαλονίκη"], ["القاهرة"], ["دبي"], ["北京"],
                 ["上海"], ["東京"], ["大阪"], ["서울"], ["부산"], ["मुंबई"], ["दिल्ली"], ["Київ"]],
}
FOREIGN_NAMES["politician"] = FOREIGN_NAMES["person"][:2] + [["Αλέξης", "Τσίπρας"], ["习近平"], ["नरेंद्र", "मोदी"]]
FOREIGN_NAMES["country"] = [["Россия"], ["Ελλάδα"], ["مصر"], ["中国"], ["日本"], ["한국"], ["भारत"]]
FOREIGN_NAMES["city"] = FOREIGN_NAMES["location"]


def noise_word(rng):
    r = rng.random()
    if r < 0.4:
        return rng.choice(EMOJI)
    if r < 0.7:
        return rng.choice(SYMBOLS)
    return rng.choice(FOREIGN_TEXT)


def replace_names(words, spans, rng, rate=0.3):
    """Replace some person/location/country entities by a name in another script."""
    out_words, out_spans, shift = [], [], 0
    cursor = 0
    for s, e, label in sorted(spans):
        out_words += words[cursor:s]
        names = FOREIGN_NAMES.get(label)
        if names and rng.random() < rate:
            new = rng.choice(names)
            out_spans.append((s + shift, s + shift + len(new) - 1, label))
            out_words += new
            shift += len(new) - (e - s + 1)
        else:
            out_spans.append((s + shift, e + shift, label))
            out_words += words[s:e + 1]
        cursor = e + 1
    out_words += words[cursor:]
    return out_words, out_spans


def insert_noise(words, spans, rng, max_insertions=4):
    """Insert 1..max_insertions noise words at the edges or at word boundaries outside entities."""
    inside = set()
    for s, e, _ in spans:
        inside.update(range(s + 1, e + 1))  # positions i where inserting before word i splits an entity
    slots = [i for i in range(len(words) + 1) if i not in inside]
    picks = []
    for _ in range(rng.randint(1, max_insertions)):
        r = rng.random()
        picks.append(0 if r < 0.35 else len(words) if r < 0.55 else rng.choice(slots))
    out_words, out_spans = list(words), list(spans)
    for pos in sorted(picks, reverse=True):
        out_words.insert(pos, noise_word(rng))
        out_spans = [(s + 1, e + 1, l) if s >= pos else (s, e, l) for s, e, l in out_spans]
    return out_words, out_spans


def augment(words, spans, rng, noise_rate=0.25, name_rate=0.15):
    """One passage, possibly with noise words and foreign-script names. Spans are inclusive word ranges."""
    if rng.random() < name_rate:
        words, spans = replace_names(words, spans, rng)
    if rng.random() < noise_rate:
        words, spans = insert_noise(words, spans, rng)
    return words, spans


def vocabulary_lines():
    """Text for the tokenizer's training corpus, so these scripts get pieces instead of [UNK]."""
    names = [w for v in FOREIGN_NAMES.values() for n in v for w in n]
    return [" ".join(EMOJI + SYMBOLS + FOREIGN_TEXT + names)]
