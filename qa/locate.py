"""Numbered divisions a question names ("under the 20th Amendment", "in Federalist No. 70", "Article II,
Section 1") and the evidence sentences that stand under them: the pre-score lifts those (``qa.prescore``),
so a sentence the Constitution writes twice ("The Congress shall assemble at least once in every year…")
is quoted from the division asked. A division is a heading line of the document that opens with its
number ("20th Amendment", "FEDERALIST No. 70", "Section 4: Elections"); a sentence stands under the last
one of each kind before it. Pure: records and ``re``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from qa.records import Chunk, Evidence

_KINDS = r"article|section|amendment|title|chapter|part|clause"
_ORDINALS = [
    "first",
    "second",
    "third",
    "fourth",
    "fifth",
    "sixth",
    "seventh",
    "eighth",
    "ninth",
    "tenth",
    "eleventh",
    "twelfth",
    "thirteenth",
    "fourteenth",
    "fifteenth",
    "sixteenth",
    "seventeenth",
    "eighteenth",
    "nineteenth",
    "twentieth",
]
_LOCATOR = re.compile(
    rf"\b(?P<kind>{_KINDS}|no\.|number)\s+(?P<num>\d+|[IVXL]+\b)"
    rf"|\b(?P<num2>\d+)(?:st|nd|rd|th)\s+(?P<kind2>{_KINDS})\b"
    rf"|\b(?P<word>{'|'.join(_ORDINALS)})\s+(?P<kind3>{_KINDS})\b",
    re.I,
)
_ROMAN = {"I": 1, "V": 5, "X": 10, "L": 50}
HEADING_CHARS = 80  # a heading line is at most this long
_HEADING_START = re.compile(rf"^(?:[A-Z]+\s+(?=no\.)|(?=\d+(?:st|nd|rd|th)\s)|(?=(?:{_KINDS})\s))", re.I)


def locators(text: str) -> frozenset[tuple[str, int]]:
    """The numbered divisions ``text`` names, as (kind, number): "the 20th Amendment" and "Amendment XX"
    are ("amendment", 20); "Federalist No. 70" is ("no", 70); "Article II, Section 1" names both."""
    out = set()
    for m in _LOCATOR.finditer(text):
        kind = (m.group("kind") or m.group("kind2") or m.group("kind3")).lower()
        kind = "no" if kind in ("no.", "number") else kind
        num = m.group("num") or m.group("num2")
        if m.group("word"):
            out.add((kind, _ORDINALS.index(m.group("word").lower()) + 1))
        elif num.isdigit():
            out.add((kind, int(num)))
        elif num.isupper():  # a Roman numeral ("Article II"), not a word ("part I think" is not one)
            values = [_ROMAN[c] for c in num]
            out.add((kind, sum(-v if v < w else v for v, w in zip(values, [*values[1:], 0], strict=True))))
    return frozenset(out)


def headings(chunks: Iterable[Chunk]) -> list[tuple[int, str, int]]:
    """(offset, kind, number) of each numbered heading line of a document's ``chunks``, in order."""
    found: dict[int, tuple[str, int]] = {}
    for chunk in chunks:
        offset = chunk.start
        for line in chunk.text.splitlines(keepends=True):
            where, offset = offset, offset + len(line)
            text = line.strip()
            if len(text) > HEADING_CHARS or not _HEADING_START.match(text):
                continue
            named = locators(text[:40])
            if len(named) == 1:
                found[where] = next(iter(named))
    return sorted((at, kind, num) for at, (kind, num) in found.items())


def located(
    question: str, candidates: Sequence[Evidence], chunks_of: Mapping[str, Sequence[Chunk]]
) -> frozenset[tuple[str, int]]:
    """Keys of the ``candidates`` standing under every division ``question`` names whose kind their
    document has headings of ("Article II, Section 1": the second article's first section); none when
    the question names no division. ``chunks_of``: source id -> that document's chunks."""
    asked = locators(question)
    if not asked:
        return frozenset()
    out = set()
    marks = {sid: headings(chunks) for sid, chunks in chunks_of.items()}
    for ev in candidates:
        heads = marks.get(ev.key[0], [])
        kinds = {k for _, k, _ in heads}
        wanted = {(k, n) for k, n in asked if k in kinds}
        if not wanted:
            continue
        current: dict[str, int] = {}
        for at, kind, num in heads:
            if at > ev.key[1]:
                break
            current[kind] = num
        if all(current.get(k) == n for k, n in wanted):
            out.add(ev.key)
    return frozenset(out)
