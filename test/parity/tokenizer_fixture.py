"""Tokenizer parity fixture: what the Rust `tokenizers` library makes of every BMP code point and of
emoji, modifier and combining sequences, with the embedded model's tokenizer.json.

Not run by `npm test` (it needs Python); its output, test/fixtures/tokenizer-parity.json.gz, is
committed and test/inference/tokenizer-parity.test.ts compares our tokenizer with it.

    python3 -m venv /tmp/parity && /tmp/parity/bin/pip install tokenizers==0.23.2
    /tmp/parity/bin/python test/parity/tokenizer_fixture.py

Layout (JSON, gzipped): {"tokenizers": version, "model": path,
  "bmp": {"alone": [ids per code point], "inside": [ids of "a" + c + "b"]} over every code point
  0..0xFFFF except surrogates (the test rebuilds the texts), ids as "1 2 3" strings;
  "sequences": [[text, "ids"], ...]} for the explicit cases below.
"""
import gzip
import json
import os
import sys

import tokenizers

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
MODEL = "native-models/gliner-tiny/tokenizer.json"
OUT = os.path.join(ROOT, "test", "fixtures", "tokenizer-parity.json.gz")

ZWJ = "\u200d"
VS16 = "\ufe0f"
SKIN = [chr(c) for c in range(0x1F3FB, 0x1F400)]


def sequences():
    out = []
    # Emoji ZWJ sequences: families, couples, professions, gendered activities, flags with ZWJ.
    people = ["\U0001F468", "\U0001F469", "\U0001F467", "\U0001F466", "\U0001F9D1"]
    for a in people:
        for b in people:
            out.append(a + ZWJ + b)
            for c in people[2:4]:
                out.append(a + ZWJ + b + ZWJ + c)
    jobs = ["\U0001F4BB", "\U0001F52C", "\U0001F680", "\U0001F692", "\u2695" + VS16, "\u2696" + VS16, "\U0001F373",
            "\U0001F3A8", "\U0001F33E", "\U0001F3EB"]
    for p in people[:2] + [people[4]]:
        for j in jobs:
            out.append(p + ZWJ + j)
            for s in SKIN:
                out.append(p + s + ZWJ + j)
    for base in ["\U0001F3C3", "\U0001F3CA", "\U0001F937", "\U0001F926", "\U0001F481"]:
        for sign in ["\u2640" + VS16, "\u2642" + VS16]:
            out.append(base + ZWJ + sign)
            out.append(base + SKIN[2] + ZWJ + sign)
    out += ["\U0001F3F3" + VS16 + ZWJ + "\U0001F308", "\U0001F3F4" + ZWJ + "\u2620" + VS16, "\U0001F415" + ZWJ + "\U0001F9BA",
            "\U0001F441" + VS16 + ZWJ + "\U0001F5E8" + VS16, "\u2764" + VS16 + ZWJ + "\U0001F525",
            "\U0001F469" + ZWJ + "\u2764" + VS16 + ZWJ + "\U0001F48B" + ZWJ + "\U0001F468"]
    # Modifier sequences: skin tones on hands and people, keycaps, flags, tag sequences.
    for base in ["\U0001F44D", "\U0001F44B", "\u270C", "\u261D", "\U0001F9D1", "\U0001F476", "\U0001F64F"]:
        out.append(base)
        for s in SKIN:
            out.append(base + s)
    for key in "0123456789#*":
        out.append(key + VS16 + "\u20E3")
        out.append(key + "\u20E3")
    for flag in ["US", "FR", "DE", "JP", "IN", "GB", "UA", "BR"]:
        out.append("".join(chr(0x1F1E6 + ord(ch) - ord("A")) for ch in flag))
    for tag in ["gbeng", "gbsct", "gbwls"]:
        out.append("\U0001F3F4" + "".join(chr(0xE0000 + ord(ch)) for ch in tag) + "\U000E007F")
    out += ["\u00A9" + VS16, "\u00AE" + VS16, "\u2122" + VS16, "\u263A" + VS16, "\u263A\uFE0E"]
    # Combining sequences: bases of 1, 2 and 3 UTF-8 bytes, some the charsmap maps (ﬁ, Ⅻ, full-width,
    # ligatures, compatibility letters), followed by combining marks (1 and 2 marks).
    bases = ["a", "e", "o", "n", "A", "i", "\u0131", "\u00DF", "\u00E6", "\u00F8", "\uFB01", "\uFB02", "\u216B", "\uFF21",
             "\uFF41", "\u3131", "\u1100", "\u0915", "\u05D0", "\u0627", "\u0E01", "\u00BD", "\u2460", "\u1D43", "\u02B0",
             "\u0130", "\u212B", "\u2126", "\u01C4", "\u0149", "\u1E9E", "\u0041\u030A"]
    marks = [chr(c) for c in range(0x0300, 0x0370)] + ["\u0483", "\u0591", "\u064B", "\u093C", "\u0951", "\u0E31",
                                                     "\u1AB0", "\u1DC0", "\u20D0", "\u20E3", "\uFE20", "\u302A",
                                                     "\u3099", "\u309A", VS16, "\uFE0E", ZWJ, "\u200C"]
    for base in bases:
        for mark in marks:
            out.append(base + mark)
        for m1, m2 in [("\u0301", "\u0323"), ("\u0323", "\u0301"), ("\u0308", "\u0304"), ("\u0300", ZWJ)]:
            out.append(base + m1 + m2)
    # Indic conjuncts and vowel signs (virama + ZWJ / ZWNJ), Hangul jamo, Thai, Tamil, Bengali.
    deva = [chr(c) for c in range(0x0915, 0x0939)]
    for c1 in deva[:12]:
        for c2 in ["\u0937", "\u0930", "\u092F", "\u0924"]:
            out.append(c1 + "\u094D" + c2)
            out.append(c1 + "\u094D" + ZWJ + c2)
            out.append(c1 + "\u094D" + "\u200C" + c2)
        out += [c1 + v for v in ["\u093E", "\u093F", "\u0940", "\u0947", "\u094C", "\u0902", "\u0901", "\u0903"]]
    out += ["\u0915\u094D\u0937\u0924\u094D\u0930\u093F\u092F", "\u0936\u094D\u0930\u0940", "\u0930\u094D\u092F",
            "\u0915\u094D\u200D", "\u0995\u09CD\u09B7", "\u09B0\u09CD\u200D\u09AF", "\u0B95\u0BCD\u0BB7", "\u0D15\u0D4D\u200D",
            "\u0E01\u0E33", "\u0E01\u0E34\u0E48", "\u1100\u1161", "\u1100\u1161\u11A8", "\u110B\u1175\u11AF",
            "\u0644\u0627", "\u0644\u0623", "\u05E9\u05C1\u05B8"]
    # Unicode 14+ letters and other characters the issue names; CR LF and other multi-code-point clusters.
    out += ["\uA7F2", "\uA7F3", "\uA7F4", "\uA7F2\uA7F3\uA7F4", "a\r\nb", "\r\n", "x" + ZWJ + "y", ZWJ, ZWJ + ZWJ,
            "\u00AD", "x\u00ADy", "\uFEFF", "\u2581", "a\u2581b", "\u200B", "x\u200By", "\u0085", "a\u0085b",
            "\u3000a", "a\u3000b", "\uFF5E", "a\uFF5Eb"]
    # Words as GLiNER feeds them, mixing the above with letters.
    out += ["Rome" + ZWJ, "caf\u00E9", "cafe\u0301", "\uFB01nance", "\uFB01\u0301", "\u216Bth", "\uFF21\uFF22\uFF23",
            "na\u0131\u0308ve", "Stra\u00DFe", "\u0130stanbul", "x\U0001F468" + ZWJ + "\U0001F4BBy", "\U0001F600", "\U0001F600\U0001F601",
            "\u65E5\u672C\u8A9E", "\uD55C\uAD6D\uC5B4", "\u0928\u092E\u0938\u094D\u0924\u0947"]
    return list(dict.fromkeys(out))


def main():
    tok = tokenizers.Tokenizer.from_file(os.path.join(ROOT, MODEL))

    def ids(text):
        return " ".join(str(i) for i in tok.encode(text, add_special_tokens=False).ids)

    points = [c for c in range(0x10000) if not 0xD800 <= c <= 0xDFFF]
    bmp = {"alone": [ids(chr(c)) for c in points], "inside": [ids("a" + chr(c) + "b") for c in points]}
    seqs = [[text, ids(text)] for text in sequences()]
    data = {"tokenizers": tokenizers.__version__, "model": MODEL, "bmp": bmp, "sequences": seqs}
    raw = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    with open(OUT, "wb") as f:
        f.write(gzip.compress(raw, 9, mtime=0))
    print(f"{len(points)} code points x 2, {len(seqs)} sequences -> {OUT} ({os.path.getsize(OUT)} bytes)")


if __name__ == "__main__":
    sys.exit(main())
