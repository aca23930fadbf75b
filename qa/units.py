"""Units of a stored text: sentences a reader would recognise, and what is not prose.

``units(text)`` tiles ``text`` into ``Unit`` spans (whitespace between them
left out), each with a class:

- ``sentence``: prose, split at sentence ends (``split_prose``);
- ``list_item``: a bullet or numbered item ("• ...", "A. ...", "(2) ...",
  "``(A) ..."), also the items a PDF left below a column of lone bullets;
- ``heading``: a title line (Markdown '#', a short line without closing
  punctuation, a title-case question standing alone);
- ``table_row``: a Markdown/pipe table row;
- ``toc``: a table-of-contents line (dot leader and page number);
- ``furniture``: page numbers, running titles ("Congressional Research
  Service 2"), lone bullets, rules, metadata lines ("Title: ...",
  "**Author:** ..."), link-only lines;
- ``reference``: a footnote (a line opening with its number after a
  finished sentence) or a bibliography entry;
- ``bio``: an author biography, signature line or acknowledgement.

Only ``sentence`` and ``list_item`` units are answer evidence
(``EVIDENCE_KINDS``); everything stays searchable.

Layout first: a paragraph is a run of lines between blank lines, except in
double-spaced text (a blank line after every line), where only two or more
blank lines (or a short line ending a sentence) end one. Inside a paragraph,
line breaks are plain white space for the sentence splitter (offsets stay
those of ``text``: nothing is rewritten). Each line is first tested for the
structures above; the prose lines between them are split into sentences.

Pure, standard library only; linear in the text's length.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from qa.clean import BOILERPLATE

SENTENCE, LIST_ITEM, HEADING, TABLE_ROW, TOC = "sentence", "list_item", "heading", "table_row", "toc"
FURNITURE, REFERENCE, BIO = "furniture", "reference", "bio"
KINDS = (SENTENCE, LIST_ITEM, HEADING, TABLE_ROW, TOC, FURNITURE, REFERENCE, BIO)
EVIDENCE_KINDS = frozenset({SENTENCE, LIST_ITEM})

Splitter = Callable[[str, int, int], list[tuple[int, int]]]


@dataclass(frozen=True)
class Unit:
    """A span ``text[start:end]`` (trimmed) and its class."""

    start: int
    end: int
    kind: str

    @property
    def is_evidence(self) -> bool:
        return self.kind in EVIDENCE_KINDS


# ------------------------------------------------------------------ sentence splitting inside prose

# abbreviations after which a period does not end a sentence (lower-cased, without the final period)
ABBREVIATIONS = frozenset(
    [
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
        "reps",
        "pres",
        "amb",
        "hon",
        "rev",
        "vs",
        "v",
        "etc",
        "e.g",
        "i.e",
        "no",
        "nos",
        "vol",
        "vols",
        "pp",
        "p",
        "fig",
        "figs",
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
        "u.s.a",
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
        "art",
        "arts",
        "sec",
        "secs",
        "ch",
        "chs",
        "cl",
        "para",
        "paras",
        "cong",
        "sess",
        "h.r",
        "h.res",
        "h.con.res",
        "h.j.res",
        "s.res",
        "s.con.res",
        "s.j.res",
        "h.doc",
        "s.doc",
        "h.rept",
        "s.rept",
        "stat",
        "u.s.c",
        "c.f.r",
        "fed",
        "reg",
        "ed",
        "eds",
        "rev'd",
        "op",
        "cit",
        "ibid",
        "id",
        "mt",
        "ft",
        "ave",
        "blvd",
        "messrs",
        "mme",
        "mlle",
        "esq",
        "ex",
        "seq",
        "viz",
    ]
)
# after these, a number follows the period as part of the same reference ("No. 51", "S. 1429", "H.Res. 757")
_NUMBERED = frozenset({"no", "nos", "vol", "vols", "pp", "p", "art", "sec", "secs", "ch", "cl", "s", "h.r", "h.res"})
_END = re.compile(r"[.!?]+[\"'”’)\]]*(?:\d{1,3}(?=\s))?")
_OPENER = "\"'“‘([-–—•`"


def split_prose(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Sentence spans of the prose ``text[start:end]`` (line breaks are white space)."""
    spans: list[tuple[int, int]] = []
    cursor = start
    for m in _END.finditer(text, start, end):
        stop = m.end()
        if stop >= end or not text[stop].isspace():
            continue
        if _is_boundary(text, m.start(), stop, end):
            _append_trimmed(text, cursor, stop, spans)
            cursor = stop
    _append_trimmed(text, cursor, end, spans)
    return spans


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
    """Line ``i`` sits in double-spaced text: around it, lines are separated by exactly one blank line."""
    lo, hi = max(1, i - 3), min(len(lines), i + 4)
    window = [ln.blanks_before for ln in lines[lo:hi]]
    if len(window) < 4 or 0 in window or sum(b == 1 for b in window) < len(window) - 2:
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
    r"|special thanks|(?:is|are) grateful to|errors (?:that )?remain are (?:my|our) own|acknowledg(?:e|ement|ment)s?\b",
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
    if _BIO_LINE.match(t) and t[-1] not in ".!?":
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


def _title_like(t: str) -> bool:
    """A line that may be a title: at most 16 words, starting upper-case or with a digit, no closing
    period; a question or a line ending in ':' must be in title case, any other line mostly so."""
    words = t.split()
    if not words or len(words) > 16 or len(t) > 120:
        return False
    if not (t[0].isupper() or t[0].isdigit() or t[0] in '“"(['):
        return False
    if t[-1] in ".,;!" or t.count("(") > t.count(")"):
        return False
    caps = sum(1 for w in words if w[:1].isupper() or w[:1].isdigit() or w.lower() in _SMALL or not w[:1].isalnum())
    share = caps / len(words)
    if t[-1] in "?:":
        return share >= 0.75
    return share >= 0.6 or len(words) <= 4


# ------------------------------------------------------------------ units


def units(text: str, split: Splitter = split_prose) -> list[Unit]:
    """The units of ``text`` in order, classified (see the module docstring)."""
    lines = _lines(text)
    out: list[Unit] = []
    prose: list[_Line] = []  # the current run of prose lines
    run_kind = SENTENCE  # LIST_ITEM: the run is a list item; REFERENCE: a footnote
    pending_items = 0  # list items still due after a column of lone bullets
    i = 0

    def flush() -> None:
        nonlocal prose, run_kind
        if prose:
            _emit_prose(text, prose, run_kind, split, out)
        prose, run_kind = [], SENTENCE

    while i < len(lines):
        ln = lines[i]
        # 1. paragraph breaks: a blank line, unless the text is double-spaced here
        if ln.blanks_before and (ln.blanks_before >= 2 or not _double_spaced(lines, i)):
            flush()
        kind = _line_kind(ln)
        if kind is not None:
            flush()
            if kind == FURNITURE and ln.text in _BULLET:
                pending_items += 1
                if out and out[-1].kind == FURNITURE and text[out[-1].start] in _BULLET:
                    out[-1] = Unit(out[-1].start, ln.end, FURNITURE)  # a column of lone bullets is one unit
                    i += 1
                    continue
            if _extends(text, out, kind, ln):
                out[-1] = Unit(out[-1].start, ln.end, kind)
            else:
                out.append(Unit(ln.start, ln.end, kind))
            i += 1
            continue
        if out and not prose and out[-1].kind in (BIO, FURNITURE) and _goes_on(text, out[-1], ln):
            out[-1] = Unit(
                out[-1].start, ln.end, out[-1].kind
            )  # "Specialist on Congress and" / "the Legislative Process"
            i += 1
            continue
        sentence_ended = not prose or _SENTENCE_END.search(prose[-1].text) is not None
        # 2. a heading: title-like lines that neither continue a sentence nor are continued by one
        if sentence_ended:
            stop = _heading_lines(lines, i, _double_spaced(lines, i + 1) if i + 1 < len(lines) else False)
            if stop > i:
                flush()
                out.append(Unit(ln.start, lines[stop - 1].end, HEADING))
                i = stop
                continue
        # 3. a list item starts a unit of its own (also the items below a column of lone bullets)
        clause_ended = not prose or prose[-1].text.endswith((*_TERMINAL, "--", " and", " or"))
        if (_LIST_START.match(ln.text) and clause_ended) or (
            pending_items and sentence_ended and ln.text[:1].isupper()
        ):
            flush()
            pending_items = max(0, pending_items - 1)
            prose, run_kind = [ln], LIST_ITEM
            i += 1
            continue
        # 4. a footnote: a number opening a line after a finished sentence
        if _FOOTNOTE_START.match(ln.text) and sentence_ended:
            flush()
            prose, run_kind = [ln], REFERENCE
            i += 1
            continue
        prose.append(ln)
        i += 1
    flush()
    return out


def _heading_lines(lines: list[_Line], i: int, double: bool) -> int:
    """End (exclusive line index) of a heading starting at line ``i``, or ``i`` when none starts there.
    A heading is one title-like line not continued by the next, or up to three lines that read as one
    title ("Electing the Speaker of the House of" / "Representatives: Frequently Asked Questions"), or a
    short line standing alone in title case ("From the New York Packet. Friday, February 8, 1788.")."""
    first = lines[i].text
    nxt = lines[i + 1] if i + 1 < len(lines) else None
    alone = lines[i].blanks_before >= 1 and (nxt is None or (nxt.blanks_before >= 1 and not nxt.text[:1].islower()))
    if alone and len(first.split()) <= 10 and _short_title(first, 1.0) and first[-1] not in ",;":
        return i + 1
    if not _title_like(first) or (_LIST_START.match(first) and not _short_title(first)):
        return i
    j, joined = i + 1, first
    while j < min(len(lines), i + 3) and lines[j].blanks_before <= 1:
        following = lines[j].text
        if lines[j].blanks_before and not (double or following[:1].islower()):
            break
        if re.search(r"[.!?]\s+[A-Z]", following):
            break  # a line holding a sentence end is prose
        goes_on = joined.split()[-1].lower() in _SMALL or joined[-1] in ":-–," or following[:1].islower()
        candidate = joined + " " + following
        if not goes_on or _line_kind(lines[j]) is not None or not _short_title(candidate):
            break
        joined, j = candidate, j + 1
    if j > i + 1:
        return j if joined[-1] not in ".!" else i
    return i if _continues(lines[i], nxt) else i + 1


def _short_title(t: str, share: float = 0.75) -> bool:
    """Title case: at most 24 words, ``share`` of them capitalised (or small words, numbers)."""
    words = t.split()
    if len(words) > 24:
        return False
    caps = sum(1 for w in words if w[:1].isupper() or w[:1].isdigit() or w.lower() in _SMALL or not w[:1].isalnum())
    return caps / len(words) >= share


def _extends(text: str, out: list[Unit], kind: str, ln: _Line) -> bool:
    """A TOC entry wrapped over two lines: the first was taken for a heading."""
    return (
        kind == TOC
        and len(out) >= 2
        and out[-1].kind == HEADING
        and out[-2].kind == TOC
        and text.count("\n", out[-1].end, ln.start) == 1
    )


def _goes_on(text: str, last: Unit, ln: _Line) -> bool:
    """The line continues a biography line (lower-case start) or a metadata line (indented names)."""
    if text.count("\n", last.end, ln.start) != 1:
        return False
    if last.kind == BIO:
        return ln.text[:1].islower()
    line_start = text.rfind("\n", 0, ln.start) + 1
    meta = _META.match(text[text.rfind("\n", 0, last.start) + 1 : last.end])
    return meta is not None and ln.start - line_start >= 4 and len(ln.text.split()) <= 4


def _continues(ln: _Line, nxt: _Line | None) -> bool:
    """The next line goes on with this line's sentence, so this line is no heading."""
    if nxt is None or nxt.blanks_before >= 2 or (nxt.blanks_before == 1 and not nxt.text[:1].islower()):
        return False
    if nxt.text[:1].islower():
        return True
    if ln.text[-1:] in "?:" or _line_kind(nxt) is not None:
        return False
    return len(ln.text) >= 60 and not _title_like(nxt.text)


def _emit_prose(text: str, lines: list[_Line], run_kind: str, split: Splitter, out: list[Unit]) -> None:
    for j, (s, e) in enumerate(split(text, lines[0].start, lines[-1].end)):
        if run_kind == LIST_ITEM and j == 0:
            kind = LIST_ITEM
        elif run_kind == REFERENCE:
            kind = REFERENCE
        else:
            kind = classify_sentence(text[s:e])
        out.append(Unit(s, e, kind))


def classify_sentence(sentence: str) -> str:
    """A prose span's class: a biography/acknowledgement, a reference entry, or a sentence."""
    head = " ".join(sentence.split()[:40])
    if _BIO_TEXT.search(head):
        return BIO
    if _REFERENCE_TEXT.search(sentence) and _reads_like_reference(sentence):
        return REFERENCE
    return SENTENCE


def _reads_like_reference(sentence: str) -> bool:
    """Mostly capitalised words, numbers and commas: a citation rather than a statement."""
    words = sentence.split()
    lower = sum(1 for w in words if re.fullmatch(r"[a-z][a-z'’-]*[.,;:]?", w))
    return len(words) < 8 or lower / len(words) < 0.5


# ------------------------------------------------------------------ answer sentences (the fragment metric)

_LIST_MARK = re.compile(rf"^(?:[{_BULLET}\-*]|\(?\w{{1,3}}[.)])\s")


def answer_sentence_flaws(sentence: str) -> tuple[bool, bool]:
    """(fragment, non-prose) for an answer sentence: a fragment starts mid-sentence (a lower-case first
    letter not after a list marker) or ends without closing punctuation (list items aside); non-prose
    holds a unit that is not a sentence or list item (heading, footnote, biography, page furniture...)."""
    text = sentence.strip()
    if not text:
        return False, False
    found = units(text)
    # a column of bullets glued before the text ("• • • • • Demonstrate success...") is page furniture
    non_prose = any(not u.is_evidence for u in found) or re.match(rf"^(?:[{_BULLET}]\s*){{2,}}", text) is not None
    is_item = bool(found) and found[0].kind == LIST_ITEM or bool(_LIST_MARK.match(text))
    first = next((c for c in text if c.isalpha()), "")
    starts_mid = first.islower() and not is_item
    open_end = text.rstrip("\"'”’)]*")[-1:] not in ".!?:;" and not is_item
    return starts_mid or open_end, non_prose
