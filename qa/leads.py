"""How a checked answer phrase is shown as the answer's lead sentence: in its quote's own words
(``as_written``: "five helicopters" for the phrase "5 helicopters"; a phrase the model cut short with
"..." run on to its clause's end) and as a sentence (``lead_text``). Pure: standard library and
``qa.commit``'s normalisation.
"""

from __future__ import annotations

import re

from qa.commit import bare, normalise


def as_written(phrase: str, sentence: str) -> str:
    """``phrase`` in ``sentence``'s own words when it matched only after normalising ("5 helicopters" in
    "…handover of five helicopters…" -> "five helicopters"): the quote then holds every number the lead
    states; ``phrase`` itself when it is written so or not found. A phrase the model cut short ("…and
    a long-term agreement governing cross-border training and...") runs on to the end of its clause."""
    if _CUT_SHORT.search(phrase):
        return _clause_from(phrase, sentence)
    target = bare(phrase)
    if not target or target in normalise(sentence) and phrase.strip() in sentence:
        return phrase
    spans = [m.span() for m in re.finditer(r"\S+", sentence)]
    width = len(phrase.split()) + 3
    for i in range(len(spans)):
        for j in range(i, min(len(spans), i + width)):
            candidate = sentence[spans[i][0] : spans[j][1]].strip(" \t\"'.,;:!?()[]“”‘’")
            if bare(candidate) == target:
                return candidate
    return phrase


_CUT_SHORT = re.compile(r"(?:\.\.\.|…)\W*$")
_CLAUSE_END = re.compile(r"[;.!?](?=\s|$)|:\s")


def _clause_from(phrase: str, sentence: str) -> str:
    """``phrase`` (ending in "..." or "…") run on in ``sentence`` to the end of its clause; without the
    ellipsis (and a last word that joins nothing: "and", "of") when its start is not found."""
    head = _CUT_SHORT.sub("", phrase).strip()
    words = head.split()
    flat = " ".join(sentence.split())
    at = flat.lower().find(" ".join(words).lower()) if words else -1
    if at >= 0:
        end = _CLAUSE_END.search(flat, at + len(" ".join(words)))
        return flat[at : end.start() if end else len(flat)].rstrip(" ,")
    while words and words[-1].lower() in ("and", "or", "of", "the", "a", "an", "to", "for", "in", "on", "with"):
        words.pop()
    return " ".join(words)


def lead_text(phrase: str) -> str:
    """A phrase as an answer sentence: its first letter up, a full stop."""
    p = phrase.strip().strip("\"'“”‘’")
    if p.count('"') % 2 or p.count("“") > p.count("”"):  # 'U.S. "Border Czar"': its closing quote stays
        p += "”" if "“" in p else '"'
    p = p[:1].upper() + p[1:]
    return p if p.endswith((".", "!", "?")) else p + "."
