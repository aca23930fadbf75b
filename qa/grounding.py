"""Is a committed phrase about the asked thing? Mechanical checks of what a
question pins down, on the sentence (and passage) that holds the phrase:
its years, for who/when/where a word of its predicate, for "how many
<things>" the counted noun (``grounded``). Used by
``qa.commit.check_phrase``. Pure: standard library, records and ``qa.text``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from qa.asks import Ask
from qa.records import Evidence
from qa.text import NAME_TITLES, base_form, name_groups, name_runs, names, tokenize

_QUESTION_YEAR = re.compile(r"\b(?:1[89]\d\d|20\d\d)\b")
_NOUN_STOPS = frozenset(
    [
        "did",
        "does",
        "do",
        "has",
        "have",
        "had",
        "was",
        "were",
        "is",
        "are",
        "will",
        "would",
        "could",
        "can",
        "should",
        "to",
        "in",
        "of",
        "for",
        "from",
        "at",
        "on",
        "by",
        "since",
        "per",
        "a",
        "an",
        "the",
        "did",
        "over",
        "during",
        "under",
        "with",
        "between",
        "among",
        "against",
        "about",
        "across",
        "into",
        "within",
        "after",
        "before",
        "through",
        "that",
        "which",
        "who",
    ]
)
_GENERIC_TERMS = frozenset(["year", "time", "date", "day", "month", "many", "much", "long", "name", "first", "last"])
GENERIC_COUNTS = frozenset(
    [
        "people",
        "person",
        "money",
        "fund",
        "funding",
        "time",
        "year",
        "month",
        "day",
        "dollar",
        "number",
        "amount",
        "total",
        "percent",
        "share",
    ]
)


# a numbered bill, resolution, report, law or Congress: "H.Res. 757", "S. 1439", "Report 98-317", "Public Law
# 109-13", "the 119th Congress"
# (not "No. 51", "Article I", "Section 2": a passage inside them need not repeat their heading)
_IDENTIFIER = re.compile(
    r"\b(?:(?:H|S)\.\s?(?:J\.\s?|Con\.\s?)?(?:Res\.\s?)?|H\.R\.\s?|(?:Report|Resolution|Public Law|P\.L\.)\s+)"
    r"(?P<n>\d+(?:-\d+)?)\b|\b(?P<c>\d+)(?:st|nd|rd|th)\s+Congress\b",
)


def identifiers(text: str) -> list[str]:
    """The numbers of the bills, resolutions, reports, laws and Congresses ``text`` names ("H.Res. 757" ->
    "757", "the 119th Congress" -> "119")."""
    return [m.group("n") or m.group("c") for m in _IDENTIFIER.finditer(text)]


def grounded(question: str, ask: Ask, ev: Evidence, shortlist: Sequence[Evidence] = ()) -> bool:
    """Does the holder sentence answer *this* question, not a neighbouring one?
    Mechanical checks of what the question pins down:

    - every year the question names is in the holder's passage, section,
      source title or the source's own date ("Who won the 2024 election?" is
      not answered by a passage on the 2018 one), and so is every numbered
      identifier (``identifiers``: "Which Member offered H.Res. 757…?" is not
      answered by a passage on a 1910 resolution); when a ``shortlist`` sentence
      names them and the holder does not, the holder's years are not all
      other than theirs (the passage naming H.Res. 757 of 2023 goes on to a
      1910 vote);
    - a question asking for the original ("Who originally wrote…?", "When was it first published?",
      ``ORIGINAL_ASKED``) is answered by a holder sentence that says so (originally, initially, first…);
    - for who, when and where, the holder sentence shares a word with what the
      question says besides its names, or names three of its names ("Where
      does Eric Olson work?" is not answered by a sentence naming him that
      says nothing of work);
    - for a thing ("What was the verdict in X's trial?"), the holder's passage names
      each name of two words or more the question asks about (``names_asked_about``);
    - for "how many/much <things>", the counted noun is in the holder's passage
      (prefix match: "homicides" ~ "homicide"), unless it is generic (people,
      money, time): "10,000" from a sentence on victims answers no question
      about DEA agents or visas.
    """
    meta = ev.hit.source.meta
    where = " ".join((ev.hit.chunk.text, ev.text, ev.hit.chunk.section or "", meta.title, (meta.date or "")[:4]))
    if set(_QUESTION_YEAR.findall(question)) - set(_QUESTION_YEAR.findall(where)):
        return False
    ids = set(identifiers(question))
    if ids - set(re.findall(r"\d+(?:-\d+)?", where)):
        return False
    naming = [e.text for e in shortlist if _names_ids(ids, e.text)] if ids else []
    if naming and not _names_ids(ids, ev.text):  # another event of the passage: years, none of theirs
        here, there = set(_QUESTION_YEAR.findall(ev.text)), set(_QUESTION_YEAR.findall(" ".join(naming)))
        if here and there and not here & there:
            return False
    if not says_original(question, ev.text):
        return False
    if ask.kind in ("who", "when", "where"):
        return shares_predicate(question, ev.text)
    if ask.kind == "thing" and not names_asked_about(question, where):
        return False
    noun = counted_noun(question) if ask.kind == "number" else ""
    if noun and noun not in GENERIC_COUNTS:
        return noun[:5] in {t[:5] for t in tokenize(f"{ev.text} {ev.hit.chunk.text}")}
    return True


# a question asking for the original author, date or version is answered only by a sentence that says
# it was the original: "Publication Date: 04/13/2026" does not say when a report was first published,
# "… all by Valerie Heitshusen" not who originally wrote it
ORIGINAL_ASKED = re.compile(
    r"\b(?:originally|initially|original)\b"
    r"|\bfirst\s+(?:published|written|wrote|issued|released|introduced|drafted|authored|printed)\b",
    re.I,
)
_ORIGINAL_SAID = re.compile(r"\b(?:originally|initially|original|first|formerly|previously|earlier|former)\b", re.I)


def says_original(question: str, sentence: str) -> bool:
    """Does ``sentence`` say it gives the original, when ``question`` asks for it (``ORIGINAL_ASKED``)?
    True for any other question."""
    return not ORIGINAL_ASKED.search(question) or bool(_ORIGINAL_SAID.search(sentence))


def names_asked_about(question: str, where: str) -> bool:
    """Does ``where`` (a holder's passage) name each person or thing of two words or more the question asks
    about, by one of its own words (titles aside)? "What prison sentence did General Jesús Gutiérrez Rebollo
    receive?" is not answered by a passage on "three high-ranking Mexican army generals" that never names him."""
    held = set(tokenize(where))
    for _, terms in name_runs(question):
        own = {t for t in terms if len(t) >= 4} - NAME_TITLES
        if len(terms - NAME_TITLES) >= 2 and own and not own & held:
            return False
    return True


def _names_ids(ids: set[str], text: str) -> bool:
    return ids <= set(identifiers(text))


def predicate_overlap(question: str, sentence: str) -> tuple[int, int]:
    """How many words of what ``question`` says besides its names (prefix match) ``sentence``
    holds, and how many there are."""
    return _overlaps(question, _held(sentence))


def shares_predicate(question: str, sentence: str) -> bool:
    """Does ``sentence`` share a word with what ``question`` says besides its names (prefix match),
    or name every one of its names when they run to three words or more (one word shared only inside a name
    of the sentence is not enough: ``_plain``) ("When was Zambada taken from
    Sinaloa?" / "abducted from … Sinaloa"; "Who proposed a North American Security Treaty?")? A sentence
    naming "El Mayo Zambada" but not "New York" is not about his New York trial."""
    held = _held(sentence)
    shared, asked = _overlaps(question, held)
    if not asked or shared > 1:
        return True
    if shared == 1 and _overlaps(question, _held(_plain(sentence)) | (held & {"work"}))[0] == 1:
        return True
    groups = name_groups(question)
    return sum(map(len, groups)) >= 3 and all({t[:5] for t in g} & held for g in groups)


# a post named beside a person says where they work ("Eric Olson, director of … at the Seattle
# International Foundation" answers "Where does Eric Olson work?")
_WORK_ROLES = ("direc", "profe", "fello", "analy", "resea", "chief", "head", "presi", "chair", "emplo", "staff")


def _plain(sentence: str) -> str:
    """``sentence`` without its capitalised words past the first: a lone predicate word it holds only
    in a name ("national" of "Secretary of National Defense") does not make it about the question
    ("When was Mexico's national guard created?"); two do ("the National Guard")."""
    words = re.findall(r"[\w'’.-]+", sentence)
    return " ".join(w for i, w in enumerate(words) if i == 0 or not w[:1].isupper())


def _held(sentence: str) -> set[str]:
    """The sentence's words by 5-letter prefix (and "work" when it names a post)."""
    held = {base_form(t)[:5] for t in tokenize(sentence)}
    return held | {"work"} if held & set(_WORK_ROLES) else held


# verbs of one event, by 5-letter prefix: "When did the Mérida Initiative begin?" is answered by
# "…an accord … adopted in 2008"; a question's verb is held when the sentence writes one of its group
_SAME_EVENT = (
    frozenset(["begin", "start", "launc", "initi", "adopt", "creat", "estab", "found", "intro", "incep"]),
    frozenset(["kille", "kill", "died", "die", "death", "murde", "homic", "slain", "fatal"]),
    frozenset(["arres", "captu", "detai", "abduc", "appre", "extra", "taken"]),
    frozenset(["resig", "quit", "stepp"]),
)


def _overlaps(question: str, held: set[str]) -> tuple[int, int]:
    """(predicate words held, predicate words asked), by 5-letter prefix; ``held``: ``_held(sentence)``
    with the verbs of the same event (``_SAME_EVENT``)."""
    named = names(question)
    asked = {  # not a number: "20th" of "the 20th Amendment" is no predicate of "20th day of January"
        base_form(t)[:5]
        for t in tokenize(question)
        if t not in named and t not in _GENERIC_TERMS and not re.fullmatch(r"\d+(?:st|nd|rd|th|d)?", t)
    }
    verbs = held - {base_form(t)[:5] for t in named}  # not "Initiative" of the question's "Mérida Initiative"
    held = held | {t for group in _SAME_EVENT if group & verbs for t in group}
    return len(asked & held), len(asked)


def counted_noun(question: str) -> str:
    """The noun "how many/much" counts ("How many DEA agents has…" -> "agent"), as an index term; "" if none."""
    m = re.search(r"\bhow (?:many|much)\s+(.*)", question, re.I)
    if not m:
        return ""
    kept: list[str] = []
    for w in re.findall(r"[\w'’-]+", m.group(1)):
        low = w.lower()
        if low in _NOUN_STOPS or (kept and low.endswith("ed") and "-" not in low):
            break  # "has", "in", or a verb after the noun ("weapons seized in…", "people died")
        kept.append(w)
    terms = tokenize(" ".join(kept))
    return terms[-1] if terms else ""


_KIND_ASKED = re.compile(r"^\W*(?i:what|which)\s+(?P<w>[a-z][\w-]*)(?:\s+(?P<v>[a-z][\w-]*))?")


def restates_kind(question: str, phrase: str) -> bool:
    """Does ``phrase`` only name the kind of thing a "What/Which <noun> …?" question asks for, not one
    of them: it opens with that noun and names nothing the question does not (no name, no number)?
    "Equipment transfers made possible through the Mérida Initiative" is no answer to "What equipment
    did the United States provide…?"; "Treaty of Guadalupe Hidalgo" answers "Which treaty…?"."""
    m = _KIND_ASKED.match(" ".join(question.split()))
    first = tokenize(phrase)[:1]
    if not m or not first:
        return False
    heads = {t for w in (m.group("w"), m.group("v") or "") if w.lower() not in _NOUN_STOPS for t in tokenize(w)}
    return first[0] in heads and not (names(phrase) - set(tokenize(question))) and not _DIGIT.search(phrase)


_DIGIT = re.compile(r"\d")


_PART_NOUN = re.compile(r"^\W*(?:installments?|instalments?|tranches?|portions?|payments?)\b", re.I)


def a_part_asked_whole(question: str, phrase: str, sentence: str) -> bool:
    """Is ``phrase`` an amount ``sentence`` gives for a part ("The US$100 million installment of U.S.
    drug-fighting aid … was held up") of what ``question`` asks about as a whole ("How much money did
    Congress appropriate for the Mérida Initiative?")? Not when the question names the part or shares
    the sentence's predicate ("How much Mérida aid was held up…?")."""
    at = sentence.lower().find(phrase.lower().lstrip("$"))
    if at < 0:
        return False
    after = sentence[at + len(phrase.lstrip("$")) :]
    part = _PART_NOUN.match(after)
    if not part:
        return False
    return part.group(0).strip(" ,").lower()[:7] not in question.lower() and not shares_predicate(question, sentence)
