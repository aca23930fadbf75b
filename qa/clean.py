"""Cleaning for indexing, with a map from every cleaned character back to its
offset in the stored text.

What it does: drops web and PDF debris (sharing/subscription boilerplate,
page-number lines, running headers that repeat on many lines), joins hard
line wraps and end-of-line hyphenation, collapses white space, strips
Markdown heading marks, and puts headings and list items in paragraphs of
their own. What it leaves: the words, in order; it never rewrites text.

Output contract (the chunker relies on it): paragraphs separated by exactly
"\\n\\n", no other newline, single spaces. Standard library only.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


class _Texted(Protocol):
    @property
    def text(self) -> str: ...


# Lines that are page furniture, not content (matched on the stripped line,
# case-insensitive). Kept conservative: a real sentence never matches.
BOILERPLATE = re.compile(
    r"^(?:[-•*]\s*)?(?:"
    r"share(?: this(?: publication| article| page)?)?|print(?: this (?:publication|article|page))?"
    r"|cite this (?:publication|article)(?: copy citation)?|copy citation|table of contents|author\(s\)"
    r"|find a member|subscribe(?: now| to our newsletter)?|sign up for (?:our|the) newsletter"
    r"|listen to the full conversation below:?|download(?: the)? (?:pdf|report)|related (?:content|articles)"
    r"|back to top|skip to (?:main )?content|advertisement|read more|email|facebook|twitter|linkedin"
    r"|get involved|you are reading a free article|subscribe to [\w ]{1,60} to get unlimited access"
    r"|more by [\w .'-]{1,60}|paywall-free reading of .*|unlock access to .{0,40}apps? .*"
    r"|six issues a year in print and online.*|[_*=~-]{3,}"
    r")\.?$",
    re.I,
)
PAGE_NUMBER = re.compile(r"^(?:page\s+)?[-–—]?\s*\d{1,4}\s*[-–—]?(?:\s+of\s+\d{1,4})?$|^[A-Z]{2,5}-\d{1,4}$", re.I)
LIST_ITEM = re.compile(r"^(?:[-•*▪◦]\s+|\(?[0-9]{1,2}[.)]\s+|\(?[A-Ha-h][.)]\s+(?=[A-Z]))")
_TERMINAL = '.!?:;"”’)'
# boilerplate glued to the end of a content line by a page scrape
BOILERPLATE_TAIL = re.compile(r"\s*(?:Share this (?:Publication|Article|Page)|Print This Publication)$", re.I)


@dataclass(frozen=True)
class Cleaned:
    """Cleaned text and, per character, its offset in the stored text."""

    text: str
    offsets: tuple[int, ...]

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """Stored-text span of the cleaned span [start, end)."""
        if end <= start:
            o = self.offsets[start] if start < len(self.offsets) else (self.offsets[-1] + 1 if self.offsets else 0)
            return o, o
        return self.offsets[start], self.offsets[end - 1] + 1


def is_heading(paragraph: str) -> bool:
    """A short line without closing punctuation that starts like a title."""
    p = paragraph.strip()
    if not p or len(p) > 100 or len(p.split()) > 14 or "\n" in p:
        return False
    if p[-1] in '.,;!?"”’-–' or PAGE_NUMBER.match(p):
        return False
    return p[0].isupper() or p[0].isdigit()


@dataclass
class _Line:
    start: int  # offset of the first kept character in the stored text
    text: str  # stripped content (Markdown '#' marks removed)
    marked: bool = False  # a Markdown '#' heading


def clean(text: str) -> Cleaned:
    """Clean ``text`` (the stored text of one source)."""
    lines = _single_spaced(_lines(text))
    repeated = running_headers(lines)
    paragraphs = _paragraphs([ln for ln in lines if ln is None or ln.text not in repeated], _is_wrapped(lines))
    out: list[str] = []
    offsets: list[int] = []
    for para in paragraphs:
        if out:
            out.append("\n\n")
            last = offsets[-1] + 1
            offsets.extend((last, last))
        _emit(para, out, offsets)
    return Cleaned("".join(out), tuple(offsets))


def _lines(text: str) -> list[_Line | None]:
    """Content lines with their offsets; None marks a blank or dropped line (a paragraph break)."""
    result: list[_Line | None] = []
    pos = 0
    for raw in text.split("\n"):
        start = pos
        pos += len(raw) + 1
        stripped = raw.strip()
        if not stripped or BOILERPLATE.match(stripped) or PAGE_NUMBER.match(stripped):
            result.append(None)
            continue
        lead = len(raw) - len(raw.lstrip())
        stripped = BOILERPLATE_TAIL.sub("", stripped) or stripped
        m = re.match(r"#{1,6}\s+", stripped)
        if m:
            lead += m.end()
            stripped = stripped[m.end() :]
        result.append(_Line(start + lead, stripped, marked=bool(m)))
    return result


def _single_spaced(lines: list[_Line | None]) -> list[_Line | None]:
    """Double-spaced text (a blank line after every line, as in parts of the Federalist Papers) read as
    single-spaced: a lone blank line between two short lines of such a run is no paragraph break."""
    out = list(lines)
    for i in range(1, len(lines) - 1):
        if lines[i] is None and lines[i - 1] is not None and lines[i + 1] is not None and _alternates(lines, i):
            out[i] = _DROP
    return [ln for ln in out if ln is not _DROP]


_DROP = _Line(-1, "")


def _alternates(lines: list[_Line | None], i: int) -> bool:
    """Around the blank line ``i``, on one side at least, lines alternate wrapped text (30-100 characters) / one blank line."""

    def run(step: int) -> bool:
        # the lines at i+step, i+2*step, ... : text, blank, text, blank, text
        picks = [i + k * step for k in range(1, 6)]
        if min(picks) < 0 or max(picks) >= len(lines):
            return False
        kinds = [lines[j] is None for j in picks]
        texts = [lines[j] for j in picks[::2]]
        return kinds == [False, True, False, True, False] and all(
            t is not None and 30 <= len(t.text) <= 100 for t in texts
        )

    return run(1) or run(-1)


def running_headers(lines: Sequence[_Texted | None]) -> set[str]:
    """Short lines repeated many times (PDF running headers/footers); also ``qa.units``'s page breaks."""
    counts = Counter(ln.text for ln in lines if ln is not None and len(ln.text) <= 80)
    return {
        t
        for t, n in counts.items()
        if n >= 5 and len(t) >= 8 and len(t.split()) >= 2 and t[-1] not in ".!?" and not LIST_ITEM.match(t)
    }


def _is_wrapped(lines: list[_Line | None]) -> bool:
    """Hard-wrapped text: most lines stop near one width."""
    kept = [ln.text for ln in lines if ln is not None]
    if len(kept) < 20:
        return False
    median = sorted(len(t) for t in kept)[len(kept) // 2]
    ending = sum(t[-1] in _TERMINAL for t in kept) / len(kept)
    return median <= 130 and ending < 0.45


def _paragraphs(lines: list[_Line | None], wrapped: bool) -> list[list[_Line]]:
    widths = sorted(len(ln.text) for ln in lines if ln is not None)
    width = widths[int(0.75 * (len(widths) - 1))] if widths else 0
    paras: list[list[_Line]] = []
    current: list[_Line] = []

    def flush() -> None:
        nonlocal current
        if current:
            paras.append(current)
        current = []

    for i, ln in enumerate(lines):
        if ln is None:
            flush()
            continue
        # headings and list items stand alone / start a paragraph
        following = lines[i + 1] if i + 1 < len(lines) else None
        if _stands_as_heading(ln, current[-1] if current else None, following, wrapped, width):
            flush()
            paras.append([ln])
            continue
        if LIST_ITEM.match(ln.text) or not wrapped:
            flush()
        current.append(ln)
        # in hard-wrapped text a short line ending a sentence ends the paragraph
        if wrapped and ln.text[-1] in _TERMINAL and len(ln.text) < 0.7 * width:
            flush()
    flush()
    return paras


def _stands_as_heading(line: _Line, previous: _Line | None, following: _Line | None, wrapped: bool, width: int) -> bool:
    """A Markdown heading, or a heading-like line that neither continues the
    previous line's sentence nor (in hard-wrapped text) starts a paragraph
    that wraps on."""
    if line.marked:
        return True
    if not is_heading(line.text):
        return False
    if not wrapped:
        return True
    return (previous is None or previous.text[-1:] in _TERMINAL) and not _wraps_on(line, following, width)


def _wraps_on(line: _Line, following: _Line | None, width: int) -> bool:
    """In hard-wrapped text: ``line`` is the first line of a paragraph that
    goes on, not a heading ("This country and this people seem to have been
    made for each" / "other, and it ..."): the next line continues it in lower
    case, or the line itself runs to the wrap width."""
    if following is None:
        return False
    return following.text[:1].islower() or len(line.text) >= 0.8 * width


def _emit(para: list[_Line], out: list[str], offsets: list[int]) -> None:
    """Join a paragraph's lines (de-hyphenating) with single spaces, recording offsets."""
    for i, ln in enumerate(para):
        text, start = ln.text, ln.start
        nxt = para[i + 1].text if i + 1 < len(para) else ""
        dehyphen = len(text) > 2 and text.endswith("-") and text[-2].islower() and nxt[:1].islower()
        if dehyphen:
            text = text[:-1]
        prev_space = bool(out) and out[-1] in (" ", "\n\n")
        for j, ch in enumerate(text):
            if ch.isspace():
                if prev_space:
                    continue
                ch, prev_space = " ", True
            else:
                prev_space = False
            out.append(ch)
            offsets.append(start + j)
        # join wrapped lines with a space, except after a kept hyphen ("U.S.-" + "Mexico")
        if i + 1 < len(para) and not dehyphen and not text.endswith(("-", "–", "—")):
            out.append(" ")
            offsets.append(start + len(text))
