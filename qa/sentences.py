"""Rule-based sentence splitting and word tokenising shared by chunking,
citation parsing and verification.

Splits after . ! ? (optionally followed by closing quotes/brackets) when the
next non-space character starts a new sentence, and not after common
abbreviations (U.S., Dr., Mr., Jan., e.g.) or initials. Returns character
spans so callers keep exact offsets. Standard library only.
"""

from __future__ import annotations

import re

_ABBREVIATIONS = {
    "mr",
    "mrs",
    "ms",
    "dr",
    "prof",
    "sr",
    "jr",
    "st",
    "gen",
    "col",
    "lt",
    "sgt",
    "capt",
    "adm",
    "gov",
    "sen",
    "rep",
    "pres",
    "amb",
    "hon",
    "rev",
    "vs",
    "etc",
    "e.g",
    "i.e",
    "no",
    "nos",
    "vol",
    "pp",
    "p",
    "fig",
    "inc",
    "ltd",
    "co",
    "corp",
    "dept",
    "univ",
    "jan",
    "feb",
    "mar",
    "apr",
    "jun",
    "jul",
    "aug",
    "sep",
    "sept",
    "oct",
    "nov",
    "dec",
    "u.s",
    "u.n",
    "u.k",
    "d.c",
    "a.m",
    "p.m",
    "ph.d",
    "approx",
    "est",
    "cf",
    "al",
}
_END = re.compile(r"[.!?]+[\"'”’)\]]*(?=\s+|$)")
_BLANK = re.compile(r"\n[ \t]*\n\s*")
_WORD = re.compile(r"[A-Za-zÀ-ÖØ-öø-ÿ0-9]+(?:['’][A-Za-z]+)?")


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Spans [s, e) of the sentences in ``text[start:end]``, whitespace trimmed."""
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    # a blank line always ends a sentence (headings, list items)
    para_start = start
    for m in _BLANK.finditer(text, start, end):
        _split_paragraph(text, para_start, m.start(), spans)
        para_start = m.end()
    _split_paragraph(text, para_start, end, spans)
    return spans


def _split_paragraph(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> None:
    cursor = start
    for m in _END.finditer(text, start, end):
        stop = m.end()
        if not _is_boundary(text, m.start(), stop, end):
            continue
        _append_trimmed(text, cursor, stop, spans)
        cursor = stop
    _append_trimmed(text, cursor, end, spans)


def split_sentences(text: str) -> list[str]:
    """The sentences of ``text`` as strings."""
    return [text[s:e] for s, e in sentence_spans(text)]


def words(text: str) -> list[str]:
    """Lower-cased word tokens (letters and digits)."""
    return [w.lower() for w in _WORD.findall(text)]


def _is_boundary(text: str, punct_at: int, stop: int, end: int) -> bool:
    # what follows: a newline always ends a sentence; otherwise an upper-case
    # letter, digit, quote or bracket must start the next one
    nxt = stop
    while nxt < end and text[nxt] in " \t":
        nxt += 1
    if nxt >= end or text[nxt] in "\n\r":
        return True
    if not (text[nxt].isupper() or text[nxt].isdigit() or text[nxt] in "\"'“‘([-–—•"):
        return False
    if text[punct_at] != ".":
        return True
    # the token before the period: an abbreviation or an initial is no boundary
    i = punct_at
    while i > 0 and not text[i - 1].isspace() and text[i - 1] not in '("“':
        i -= 1
    token = text[i:punct_at].lower().strip("'’")
    if token in _ABBREVIATIONS:
        return False
    return not (len(token) == 1 and token.isalpha())  # an initial ("J. Smith")


def _append_trimmed(text: str, s: int, e: int, out: list[tuple[int, int]]) -> None:
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    if e > s:
        out.append((s, e))
