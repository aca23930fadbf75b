"""A document's lists as the whole-document selection (``qa.wholedoc``) reads them: a sentence cut where a
list starts or a bullet opens a line (``list_pieces``), each piece without its leading bullets
(``without_bullets``), and whether a sentence is a list item (``is_list_item``). Pure: standard library,
records and ``qa.evidence``.
"""

from __future__ import annotations

import re
from dataclasses import replace

from qa import evidence as ev_mod
from qa.records import Evidence

# a list's introduction ("The following recommendations are offered:"), not a text's signpost ("The following
# section briefly reviews the history…")
INTRODUCER = re.compile(
    r":\s*$|\bthe following\b(?!\s+(?:section|chapter|paper|report|discussion|analysis|pages?|parts?)\b)|\bas follows\b",
    re.I,
)
_BULLET = re.compile(r"[\s•▪◦·●○■□*–—-]+")
# a letter or number opening a list item ("A. Maintain…", "2) Review…"), not a bill's designation ("S. 1439. A bill…")
_MARKER = re.compile(r"(?:[A-Z]|\d{1,2})[.)]\s(?!\d)")
_DASH_BULLET = re.compile(r"(?:^|\n)[ \t]*[-–][ \t]+$")  # a line opened by a hyphen or en dash bullet

# a list starts after a colon ending a line (unless the next line goes on in lower case, as a double-spaced
# book's "…mischiefs of faction:" / "the one, by…" does) or where a bullet opens a line
_LIST_BREAK = re.compile(r"(?<=:)[ \t]*\n(?=[\s•▪◦●*]*[^\sa-z])[\s•▪◦●*]*|\n[ \t]*[•▪◦●*][\s•▪◦●*]*")


def list_pieces(ev: Evidence) -> list[Evidence]:
    """``ev`` cut where a list starts or a bullet opens a line ("…are offered:\n•\n•\n Demonstrate…" -> two),
    each piece's span exact and its leading bullets left out."""
    quote = ev.quote
    cuts = [0] + [m.end() for m in _LIST_BREAK.finditer(quote) if 0 < m.end() < len(quote)] + [len(quote)]
    if len(cuts) == 2:
        return [without_bullets(ev)]
    pieces = []
    for a, b in zip(cuts, cuts[1:]):
        raw = quote[a:b]
        end = a + len(raw.rstrip())
        text = ev_mod.reading_text(quote[a:end], ev.hit.chunk.clean_text)
        if end > a and text and not ev_mod.is_furniture(text):
            pieces.append(without_bullets(replace(ev, start=ev.start + a, end=ev.start + end, text=text)))
    return pieces


def without_bullets(ev: Evidence) -> Evidence:
    """The sentence with a leading run of bullet marks left out of its span ("• • • Demonstrate…" -> "Demonstrate…");
    an item that goes on with its introduction in lower case ("• in 1923 (68th Congress), …;") is shown after one
    bullet, so that it reads as the list item it is (its quote still starts at the text)."""
    m = _BULLET.match(ev.quote)
    if not m or m.end() == 0 or m.end() >= len(ev.quote):
        return ev
    text = _BULLET.sub("", ev.text, count=1) if _BULLET.match(ev.text) else ev.text
    if "•" in m.group(0) and text[:1].islower():
        text = "• " + text
    return replace(ev, start=ev.start + m.end(), text=text)


def is_list_item(chunk_text: str, start: int, text: str, previous: str, after_item: bool) -> bool:
    """A list item: a short sentence opening its own line, after a bullet, a list's introduction
    (ending in ":" or saying "the following") or another list item."""
    before = chunk_text[max(0, start - 40) : start]
    dash = bool(_DASH_BULLET.search(before))  # "- Trade." (a Markdown or plain-text bullet)
    own_line = not before.strip(" \t") or before.rstrip(" \t").endswith("\n") or bool(re.search(r"[•▪◦●*]\s*$", before))
    own_line = own_line or dash
    bulleted = dash or bool(re.search(r"[•▪◦●]", before)) or bool(_MARKER.match(text))
    short = len(text.split()) <= 30
    line_start = chunk_text.rfind("\n", 0, start) + 1
    last_line = chunk_text[chunk_text.rfind("\n", 0, max(0, line_start - 1)) + 1 : line_start]
    dashed_before = bool(re.match(r"[ \t]*[-–][ \t]+\S", last_line))  # a dash list ends at a line without one
    # a blank line ends a list
    run_on = after_item and not re.search(r"\n[ \t]*\n", before) and not (dashed_before and not dash)
    return short and own_line and (bulleted or run_on or bool(INTRODUCER.search(previous)))
