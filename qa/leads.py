"""How a checked answer phrase is shown as the answer's lead sentence: in its quote's own words
(``as_written``: "five helicopters" for the phrase "5 helicopters"; a phrase the model cut short with
"..." run on to its clause's end; an acronym as its quote spells it out, "National Action Party (PAN)";
a number the quote gives as a range as the range, "six to eight") and as a sentence (``lead_text``). Pure: standard library and
``qa.commit``'s normalisation.
"""

from __future__ import annotations

import re

from qa.asks import NAME_JOINERS
from qa.commit import bare, normalise
from qa.grounding import counted_noun
from qa.text import tokenize


def as_written(phrase: str, sentence: str) -> str:
    """``phrase`` in ``sentence``'s own words when it matched only after normalising ("5 helicopters" in
    "…handover of five helicopters…" -> "five helicopters"): the quote then holds every number the lead
    states; ``phrase`` itself when it is written so or not found. A phrase the model cut short ("…and
    a long-term agreement governing cross-border training and...") runs on to the end of its clause."""
    if _CUT_SHORT.search(phrase):
        return _clause_from(phrase, sentence)
    if _ACRONYM.fullmatch(phrase.strip()):
        return spelled_out(phrase.strip(), sentence)
    return with_range(_written(phrase, sentence), sentence)


def _written(phrase: str, sentence: str) -> str:
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


_NUMBER = (
    r"(?:\d[\d,.]*|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|"
    r"forty|fifty|hundreds?|thousands?)"
)
_TO_BOUND = rf"\s*(?:to|or|-|–)\s*{_NUMBER}"  # a range's second bound ("six to eight")


def with_range(phrase: str, sentence: str) -> str:
    """A number the sentence gives as a range, shown as the range ("six" in "from six to eight major
    cartels" -> "six to eight"): the first bound alone misstates it."""
    p = phrase.strip()
    if not re.fullmatch(rf"{_NUMBER}(?:\s+\S+){{0,3}}", p, re.I):
        return phrase
    words = p.split()
    m = re.search(rf"(?<!\w){re.escape(words[0])}({_TO_BOUND})(?!\w)", sentence, re.I)
    if not m:
        return phrase
    return f"{words[0]}{m.group(1)}{' ' + ' '.join(words[1:]) if len(words) > 1 else ''}"


def with_noun(phrase: str, sentence: str, question: str) -> str:
    """A bare number with the noun "how many" counts when the sentence writes it right after, within
    three words ("two" -> "two Witnesses", "five" -> "five Bell helicopters"): the number alone does not
    say what it counts."""
    noun = counted_noun(question)
    p = phrase.strip()
    if not noun or not re.fullmatch(rf"{_NUMBER}(?:{_TO_BOUND})?", p, re.I):
        return phrase
    m = re.search(rf"(?<!\w){re.escape(p)}((?:\s+[\w’'-]+){{1,3}})", sentence, re.I)
    if not m:
        return phrase
    words = m.group(1).split()
    for n, w in enumerate(words, start=1):
        if any(t[:5] == noun[:5] for t in tokenize(w)):
            return f"{p} {' '.join(words[:n])}"
    return phrase


_CUT_SHORT = re.compile(r"(?:\.\.\.|…)\W*$")
_ACRONYM = re.compile(r"[A-Z][A-Z&]{1,7}")
_NAME_WORD = r"[A-Z][\w’'.-]*"
_JOINER = "(?:" + "|".join(sorted(NAME_JOINERS)) + ")"


def spelled_out(acronym: str, sentence: str) -> str:
    """An acronym as the sentence spells it out before it in brackets ("PAN" in "…of the ruling National
    Action Party (PAN)…" -> "National Action Party (PAN)"): a reader may not know "PAN"; the acronym
    itself when the sentence does not spell it out (two or more capitalised words right before "(PAN)")."""
    m = re.search(
        rf"({_NAME_WORD}(?:\s+(?:{_JOINER}\s+)*{_NAME_WORD}){{1,7}})\s*\(\s*{re.escape(acronym)}\s*\)", sentence
    )
    return f"{' '.join(m.group(1).split())} ({acronym})" if m else acronym


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
    p = phrase.strip().strip("\"'“”‘’").rstrip(",;: ")  # 'the “Aztec Eagles,”' as 'the “Aztec Eagles”'
    if p.count('"') % 2 or p.count("“") > p.count("”"):  # 'U.S. "Border Czar"': its closing quote stays
        p += "”" if "“" in p else '"'
    p = p[:1].upper() + p[1:]
    return p if p.endswith((".", "!", "?")) else p + "."
