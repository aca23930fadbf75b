"""Lines and what a single line is (``qa.units`` builds units from them):
``_lines`` splits a text into lines with their offsets, ``_double_spaced``
tells double-spaced stretches, ``_line_kind`` classifies one line (list
item, table row, contents line, page furniture, footnote, biography…).
Pure, standard library only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from qa.clean import BOILERPLATE

SENTENCE, LIST_ITEM, HEADING, TABLE_ROW, TOC = "sentence", "list_item", "heading", "table_row", "toc"
FURNITURE, REFERENCE, BIO = "furniture", "reference", "bio"

# ------------------------------------------------------------------ lines and layout


@dataclass(frozen=True)
class _Line:
    start: int  # first non-space character
    end: int  # after the last non-space character
    text: str  # stripped
    blanks_before: int  # blank lines between this line and the previous content line


def _lines(text: str) -> list[_Line]:
    out: list[_Line] = []
    blanks = 0
    pos = 0
    n = len(text)
    while pos <= n:
        nl = text.find("\n", pos)
        nl = n if nl < 0 else nl
        s, e = pos, nl
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            out.append(_Line(s, e, text[s:e], blanks))
            blanks = 0
        else:
            blanks += 1
        pos = nl + 1
    return out


def _double_spaced(lines: list[_Line], i: int) -> bool:
    """Line ``i`` sits in double-spaced text: around it, lines are separated by exactly one blank line
    (one line glued to the one before allowed: the Federalist's indented "No man can be a")."""
    lo, hi = max(1, i - 3), min(len(lines), i + 4)
    window = [ln.blanks_before for ln in lines[lo:hi]]
    if len(window) < 4 or window.count(0) > 1 or sum(b == 1 for b in window) < len(window) - 2:
        return False
    # hard-wrapped lines (not one paragraph per line): short, most not ending a sentence
    texts = [ln.text for ln in lines[lo - 1 : hi]]
    open_ended = sum(t[-1] not in _TERMINAL for t in texts)
    return max(len(t) for t in texts) <= 100 and open_ended * 2 >= len(texts)


# ------------------------------------------------------------------ line classes

_BULLET = "•▪◦●■□➢►‣⁃"
_LONE_MARK = re.compile(rf"^[{_BULLET}*\-–]$")
_LIST_START = re.compile(
    rf"^(?:[{_BULLET}]\s*|[-*]\s+|(?:``|“|\")?\(?(?:\d{{1,2}}|[A-Za-z]|[ivxIVX]{{1,4}})\)\s+|\d{{1,2}}[.)]\s+(?=\S)"
    r"|[A-H]\.\s+(?=[A-Z]))"
)
_TOC = re.compile(r"(?:\.\s*){5,}\s*\d{0,4}$|\s\.{3,}\s*\d{1,4}$")
_PAGE = re.compile(r"^(?:page\s+)?[-–—]?\s*\d{1,4}\s*[-–—]?(?:\s+of\s+\d{1,4})?$|^[A-Z]{1,5}-?\d{1,6}$", re.I)
_RULE = re.compile(r"^[-_*=~#\s]{3,}$")
_META = re.compile(
    r"^(?:\*\*[^*]{1,40}:?\*\*:?|(?:title|author|authors|posting date|release date|last updated|language|"
    r"character set encoding|produced by|date|source|topics|report no\.?|updated|published)\s*:)\s*",
    re.I,
)
_LINKS_ONLY = re.compile(r"^(?:\s*\[[^\]]*\]\([^)]*\)\s*[|>]?\s*)+[\w\s>|.-]{0,40}$")
_RUNNING = re.compile(r"^([A-Z][^.!?]{3,80}?)(\s+)\d{1,4}$")
_FOOTNOTE_START = re.compile(r"^\d{1,3}\s+(?=[A-Z“\"(])")
_MONTH_DATE = re.compile(
    r"^(?:(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday),?\s+)?"
    r"(?:January|February|March|April|May|June|July|August|September|October|November|December)"
    r"(?:\s+\d{1,2},?)?\s+\d{4}\.?$"
)
_BIO_LINE = re.compile(
    r"^(?:(?:Senior |Associate |Assistant |Adjunct |Visiting |Distinguished )*(?:Professor|Director|Fellow|Specialist|"
    r"Lecturer|Researcher|Analyst|Chair|President|Editor)\s+(?:of|on|for|in|at)\b)",
)
_BIO_TEXT = re.compile(
    r"\b(?:is|was|has been|serves as)\s+(?:an?\s+|the\s+)?(?:acknowledged expert|(?:senior |associate |assistant |adjunct |"
    r"visiting |former |distinguished )*(?:professor|director|fellow|lecturer|researcher|scholar|specialist|chair)\b)"
    r"|\b(?:earned|received|holds)\s+(?:his|her|a)\s+(?:ph\.?\s?d|doctorate|master|m\.a|b\.a|degree)"
    r"|special thanks|(?:is|are) grateful to|errors (?:that )?remain are (?:my|our) own|^\W*acknowledge?ments?\b"
    r"|\b(?:I|we) (?:would like to|wish to) (?:thank|acknowledge)\b"
    r"|^\W*this (?:report|paper|study|article|brief|chapter) was (?:originally |initially |first )?(?:written|prepared"
    r"|authored|drafted) by\b",
    re.I,
)
_REFERENCE_TEXT = re.compile(
    r"\bpp?\.\s?\d|\b(?:ibid|op\. cit|retrieved from|accessed (?:on )?\w+ \d)|https?://|\bvol\.\s?\d", re.I
)
_TERMINAL = '.!?:;"”’)'
_SENTENCE_END = re.compile(r"[.!?:;\"”’)]\d{0,3}$")  # also after a footnote number ("privilege.”8")


def _line_kind(ln: _Line) -> str | None:
    """The class of a line that is a unit by itself, else None (prose or a list item's start)."""
    t = ln.text
    if len(t) > 400:
        return None  # structure lines are short (and the patterns below stay linear)
    if _LONE_MARK.match(t) or _RULE.match(t) or _PAGE.match(t):
        return FURNITURE
    if t.startswith("|") or t.count(" | ") >= 2 or t.count("\t") >= 2:
        return TABLE_ROW
    if _TOC.search(t):
        return TOC
    if _META.match(t) or _LINKS_ONLY.match(t) or _running_title(t) or _MONTH_DATE.match(t):
        return FURNITURE
    if (t[0] == "[" and t[-1] == "]") or (t.startswith(("http://", "https://", "www.")) and " " not in t):
        return FURNITURE
    if BOILERPLATE.match(t):
        return FURNITURE
    if t.startswith("#") or _all_caps_title(t):
        return HEADING
    if _BIO_LINE.match(t) and t[-1] not in ".!?" and not re.search(r"[.!?]\s", t) and len(t.split()) <= 12:
        return BIO
    return None


_SMALL = frozenset(
    ["a", "an", "the", "of", "and", "or", "in", "on", "at", "to", "for", "by", "with", "from", "as", "vs", "v"]
)


def _all_caps_title(t: str) -> bool:
    """A line in capitals ("SEC. 212. TALENT SEARCH.", "HAMILTON OR MADISON")."""
    letters = [c for c in t if c.isalpha()]
    return len(letters) >= 4 and len(t.split()) <= 16 and all(c.isupper() for c in letters)


def _running_title(t: str) -> bool:
    """A page header or footer: a title followed by the page number ("Congressional Research Service   2")."""
    m = _RUNNING.match(t)
    if not m:
        return False
    words = m.group(1).split()
    caps = sum(1 for w in words if w[:1].isupper() or w.lower() in _SMALL)
    return len(m.group(2)) >= 2 or (len(words) <= 8 and caps == len(words))


_NUMBERED_TITLE = re.compile(r"(?:title|chapter|part|section|article|sec\.)\s+[ivxlc\d]+\b", re.I)


def _title_like(t: str) -> bool:
    """A line that may be a title: at most 16 words, starting upper-case or with a digit, no closing
    period; a question or a line ending in ':' must be in title case, any other line mostly so."""
    words = t.split()
    if not words or len(words) > 16 or len(t) > 120:
        return False
    if not (t[0].isupper() or t[0].isdigit() or t[0] in '“"(['):
        return False
    if t.rstrip("\"”’'")[-1:] in ".,;!" or t.count("(") > t.count(")"):  # also '…President.”'
        return False
    caps = sum(1 for w in words if w[:1].isupper() or w[:1].isdigit() or w.lower() in _SMALL or not w[:1].isalnum())
    share = caps / len(words)
    if len(words) >= 10 and len(words) - caps >= 2 and t[-1] not in "?:" and not _NUMBERED_TITLE.match(t):
        return False  # "Then Secretary of National Defense Gen. Ricardo Clemente Vega Garcia also testified in the Mexican"
    if t[-1] in "?:":
        return share >= 0.75
    return share >= 0.6 or len(words) <= 4
