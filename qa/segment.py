"""Sentence ends inside prose: ``split_prose(text, start, end)`` gives the
sentence spans of ``text[start:end]`` (trimmed), keeping abbreviations
("H.Res. 757", "No. 51", "U.S.C.", "Jan."), numbered references, footnote
numbers after a stop ("vote.2 The"), speaker labels ("Ms. MURRAY.") and
inline lists together. Used by ``qa.units`` on the prose between structures.
Pure, standard library only; linear in the text's length.
"""

from __future__ import annotations

import re

from qa.sentences import _ABBREVIATIONS

# ------------------------------------------------------------------ sentence splitting inside prose

# abbreviations after which a period does not end a sentence (lower-cased, without the final period)
ABBREVIATIONS = frozenset(_ABBREVIATIONS) | frozenset(
    # legal and policy text besides the plain list of qa.sentences
    [
        "art",
        "arts",
        "ave",
        "blvd",
        "c.f.r",
        "ch",
        "chs",
        "cit",
        "cl",
        "cong",
        "ed",
        "eds",
        "esq",
        "ex",
        "fed",
        "figs",
        "ft",
        "h.con.res",
        "h.doc",
        "h.j.res",
        "h.r",
        "h.rept",
        "h.res",
        "ibid",
        "id",
        "messrs",
        "mlle",
        "mme",
        "mt",
        "op",
        "para",
        "paras",
        "reg",
        "reps",
        "rev'd",
        "s.con.res",
        "s.doc",
        "s.j.res",
        "s.rept",
        "s.res",
        "sec",
        "secs",
        "seq",
        "sess",
        "stat",
        "u.s.a",
        "u.s.c",
        "v",
        "viz",
        "vols",
    ]
)
# after these, a number follows the period as part of the same reference ("No. 51", "S. 1429", "H.Res. 757")
_NUMBERED = frozenset({"no", "nos", "vol", "vols", "pp", "p", "art", "sec", "secs", "ch", "cl", "s", "h.r", "h.res"})
# a sentence's end, with its closing quote and footnote mark ("communities.¹ Ten years…")
_END = re.compile(r"[.!?]+[\"'”’)\]]*(?:[\d¹²³⁴⁵⁶⁷⁸⁹⁰]{1,3}(?=\s))?")
_OPENER = "\"'“‘([-–—•`"


def split_prose(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Sentence spans of the prose ``text[start:end]`` (line breaks are white space). A quotation
    is not split inside (up to ``QUOTED_CHARS``): 'Bersin told the audience,
    "Make no mistake. A national security threat to Mexico is…"' is one sentence, its speaker kept."""
    spans: list[tuple[int, int]] = []
    cursor = start
    for m in _END.finditer(text, start, end):
        stop = m.end()
        if stop >= end or not text[stop].isspace():
            continue
        if _is_boundary(text, m.start(), stop, end) and not _inside_quotation(text, cursor, stop):
            _append_trimmed(text, cursor, stop, spans)
            cursor = stop
    _append_trimmed(text, cursor, end, spans)
    return spans


QUOTED_CHARS = 400  # a quotation longer than this is split like any text (an unclosed quote mark stops nothing)


def _inside_quotation(text: str, cursor: int, stop: int) -> bool:
    """Is ``stop`` inside a quotation (curly, straight or ``…'') opened in the sentence
    ``text[cursor:stop]``, short enough?"""
    if stop - cursor > QUOTED_CHARS:
        return False
    span = text[cursor:stop]
    if span.count("“") > span.count("”") or span.count("``") > span.count("''"):
        return True
    first = span.find('"')  # straight quotes: an odd count, the first one opening a quotation
    return span.count('"') % 2 == 1 and (first == 0 or span[first - 1] in " \n\t(,:")


def _is_boundary(text: str, punct_at: int, stop: int, end: int) -> bool:
    nxt = stop
    while nxt < end and text[nxt].isspace():
        nxt += 1
    if nxt >= end:
        return True
    ch = text[nxt]
    if not (ch.isupper() or ch.isdigit() or ch in _OPENER):
        return False
    if text[punct_at] != ".":
        return True
    # the token before the period
    i = punct_at
    while i > _token_floor(punct_at) and not text[i - 1].isspace() and text[i - 1] not in '("“':
        i -= 1
    token = text[i:punct_at].lower().strip("'’`")
    token = (
        token.rsplit("-", 1)[-1] if "-" in token else token
    )  # "Central America-D.C. Platform": the abbreviation ends it
    if token in ABBREVIATIONS:
        # only a few abbreviations end sentences ("etc. The"); "No. 51", "Dr. Smith", "U.S. Border" go on
        return token in _CAN_END and not ch.isdigit()
    if len(token) == 1 and token.isalpha():
        return False  # an initial ("J. Smith", "S. 1429")
    if ch.isdigit() and token in _NUMBERED:
        return False
    return not _label_lead(text, i, punct_at)


def _label_lead(text: str, token_at: int, punct_at: int) -> bool:
    """A speaker label or a bill number opening a paragraph ("Ms. MURRAY. Mr. President", "S. 1429. A bill"):
    the period ends a label, not a sentence."""
    before = text[max(0, token_at - 12) : token_at]
    token = text[token_at:punct_at]
    if re.fullmatch(r"\d{1,2}", token) and re.search(r"(?:[:;,]|\band|\bor)\s+$", before):
        return True  # an inline enumeration ("two areas: 1. Reviewing ..., and 2. Following ...")
    if sum(c.isupper() for c in token) >= 3 and token[:1].isupper() and re.search(r"\b(?:Mr|Mrs|Ms|Dr)\.\s+$", before):
        return True
    return token.isdigit() and re.search(r"(?:^|\n)\s*(?:S|H\.R|H\.Res|S\.Res)\.\s+$", before) is not None


_CAN_END = frozenset({"etc", "inc", "ltd", "corp", "jr", "sr", "a.m", "p.m", "co"})


def _token_floor(punct_at: int) -> int:
    """How far back a token is looked for (bounded, so a 2 MB line without spaces stays linear)."""
    return max(0, punct_at - 40)


def _append_trimmed(text: str, s: int, e: int, out: list[tuple[int, int]]) -> None:
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    if e > s:
        out.append((s, e))
