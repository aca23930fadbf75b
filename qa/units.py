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
- ``note``: a footnote's statement ("10 Rep. Jim Wright had announced his
  resignation…": a line opening with its number after a finished sentence;
  the reading text drops the number), a sentence of six words or
  more that is not a citation ("See …", a URL, page or volume numbers,
  mostly capitalised words);
- ``reference``: a footnote's citation or a bibliography entry;
- ``bio``: an author biography, signature line or acknowledgement.

Only ``sentence``, ``list_item`` and ``note`` units are answer evidence
(``EVIDENCE_KINDS``); everything stays searchable.

Layout first: a paragraph is a run of lines between blank lines, except in
double-spaced text (a blank line after every line; one line glued to the
one before allowed), where only two or more blank lines (or a short line
ending a sentence) end one. A line in capitals is a heading unless it goes on
with an open sentence already in capitals ("…that, IN THE USUAL" / "PROGRESS
OF THINGS, …": emphasis). Inside a paragraph,
line breaks are plain white space for the sentence splitter (offsets stay
those of ``text``: nothing is rewritten). Each line is first tested for the
structures above; the prose lines between them are split into sentences.

Pure, standard library only; linear in the text's length.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from qa.clean import running_headers
from qa.layout import (
    _BIO_TEXT,
    _BULLET,
    _FOOTNOTE_START,
    _LIST_START,
    _META,
    _REFERENCE_TEXT,
    _SENTENCE_END,
    _SMALL,
    _TERMINAL,
    BIO,
    FURNITURE,
    HEADING,
    LIST_ITEM,
    REFERENCE,
    SENTENCE,
    TABLE_ROW,
    TOC,
    _double_spaced,
    _Line,
    _line_kind,
    _lines,
    _title_like,
)
from qa.pagebreak import open_prose, reads_like_reference, resumes_after
from qa.segment import split_prose

NOTE = "note"
KINDS = (SENTENCE, LIST_ITEM, HEADING, TABLE_ROW, TOC, FURNITURE, REFERENCE, BIO, NOTE)
EVIDENCE_KINDS = frozenset({SENTENCE, LIST_ITEM, NOTE})
# a sentence that only sends the reader elsewhere: "See …", "For additional discussion of …, see CRS Report …",
# "… are addressed in the section … in CRS Report 98-411"
_POINTER = re.compile(
    r"^\W*(?:[Ss]ee\s+[A-Z\d]|(?i:for)\b[^.;]{0,160}?,?\s+see\s+(?:also\s+)?(?:the\s+)?[A-Z\d])"
    r"|^[^;]{0,250}\b(?:is|are) (?:addressed|discussed|treated|examined|covered) (?:in detail )?in (?:the section|CRS)"
)
_CITES = re.compile(  # a footnote that points elsewhere: "See …", "… can be found in …", a URL, "vol. i", "p. 117"
    r"^(?:see|vide|cf\.|for\b[^.]{0,120}\bsee)\b|\b(?:vol|chap|ch|pp?|§)\.?\s*(?:[ivxl]+\b|\d)"
    r"|\bcan be found in\b|\bavailable (?:online|at)\b|https?://|\bwww\.",
    re.I,
)
CELL_CHARS = 60  # a bulleted item wrapped in lines no longer than this, with no closing punctuation, is a table cell

Splitter = Callable[[str, int, int], list[tuple[int, int]]]


@dataclass(frozen=True)
class Unit:
    """A span ``text[start:end]`` (trimmed) and its class; ``gaps``: the spans inside it that
    interrupt a sentence running over a page break (page number, footnotes), not part of it."""

    start: int
    end: int
    kind: str
    gaps: tuple[tuple[int, int], ...] = ()

    def read(self, text: str) -> str:
        """The unit's text without its gaps (what a reader reads; a citation quotes the whole span)."""
        if not self.gaps:
            return text[self.start : self.end]
        pieces, at = [], self.start
        for s, e in self.gaps:
            pieces.append(text[at:s])
            at = e
        pieces.append(text[at : self.end])
        return " ".join(p.strip() for p in pieces if p.strip())

    @property
    def is_evidence(self) -> bool:
        return self.kind in EVIDENCE_KINDS


# ------------------------------------------------------------------ units


def units(text: str, split: Splitter = split_prose) -> list[Unit]:
    """The units of ``text`` in order, classified (see the module docstring)."""
    lines = _lines(text)
    out: list[Unit] = []
    prose: list[_Line] = []  # the current run of prose lines
    run_kind = SENTENCE  # LIST_ITEM: the run is a list item; REFERENCE: a footnote
    pending_items = 0  # list items still due after a column of lone bullets
    gaps: list[tuple[int, int]] = []  # page-break interruptions inside the current run
    running = frozenset(running_headers(lines))  # a PDF's running title, repeated on every page
    i = 0

    def flush() -> None:
        nonlocal prose, run_kind, gaps
        if prose:
            _emit_prose(text, prose, run_kind, split, out, gaps)
        prose, run_kind, gaps = [], SENTENCE, []

    while i < len(lines):
        ln = lines[i]
        # 0. a sentence running over a page break: page number and footnotes between its halves
        if prose and run_kind in (SENTENCE, LIST_ITEM) and open_prose(prose[-1].text):
            resume = resumes_after(lines, i, running)
            if resume > i:
                gaps.append((ln.start, lines[resume].start))
                prose.append(lines[resume])
                i = resume + 1
                continue
        # 1. paragraph breaks: a blank line, unless the text is double-spaced here
        if ln.blanks_before and (ln.blanks_before >= 2 or not _double_spaced(lines, i)):
            flush()
        kind = _line_kind(ln)
        if kind == HEADING and prose and _caps_run_goes_on(prose[-1].text):
            kind = None  # "…of mankind, that, IN THE USUAL" / "PROGRESS OF THINGS, …": emphasis, not a heading
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


def _caps_run_goes_on(previous: str) -> bool:
    """Does a line in capitals continue ``previous``, an open sentence whose last word is already in
    capitals (an emphasised clause running over lines)?"""
    words = previous.split()
    last = words[-1].strip("\"“”'‘’(,") if words else ""
    return previous[-1:] not in _TERMINAL and sum(c.isalpha() for c in last) >= 2 and last.isupper()


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


def _emit_prose(
    text: str, lines: list[_Line], run_kind: str, split: Splitter, out: list[Unit], gaps: list[tuple[int, int]]
) -> None:
    lo, hi = lines[0].start, lines[-1].end
    if gaps:  # split with the interruptions blanked out (offsets unchanged), over this run and a little before it
        ctx = max(0, lo - 80)  # what precedes the run ("\n" before "2. Certain…": a list item's number)
        run = list(text[ctx:hi])
        for gs, ge in gaps:
            run[gs - ctx : ge - ctx] = " " * (ge - gs)
        spans = [(s + ctx, e + ctx) for s, e in split("".join(run), lo - ctx, hi - ctx)]
    else:
        spans = split(text, lo, hi)
    cell = (run_kind == LIST_ITEM or (run_kind == SENTENCE and len(spans) == 1)) and _table_cell(lines)
    for j, (s, e) in enumerate(spans):
        inside = tuple(g for g in gaps if s < g[0] and g[1] <= e)
        if cell:
            kind = TABLE_ROW
        elif run_kind == LIST_ITEM and j == 0:
            kind = LIST_ITEM
        elif run_kind == REFERENCE:
            kind = _note(text, s, e, inside, first=j == 0)
        else:
            kind = classify_sentence(Unit(s, e, SENTENCE, inside).read(text))
        out.append(Unit(s, e, kind, inside))


def _note(text: str, s: int, e: int, gaps: tuple[tuple[int, int], ...], first: bool) -> str:
    """A footnote's span: ``note`` (a statement) or ``reference`` (a citation); the first span is read
    without its opening number (which stays in the unit: the reading text drops it)."""
    number = _FOOTNOTE_START.match(text[s:e]) if first else None
    read = Unit(s + number.end() if number else s, e, SENTENCE, gaps).read(text)
    if reads_like_reference(read, min_words=6) or _CITES.search(read) or classify_sentence(read) != SENTENCE:
        return REFERENCE
    return NOTE


def _table_cell(lines: list[_Line]) -> bool:
    """A "list item" or lone "sentence" that is a table's cell: wrapped over two or more narrow lines (a column of a PDF
    table: "Police reforms necessary for effective" / "transfer of lead role" / "will take years") and
    ending without closing punctuation."""
    return (
        len(lines) >= 2
        and max(len(ln.text) for ln in lines) <= CELL_CHARS
        and _SENTENCE_END.search(lines[-1].text) is None
        and re.search(r"(?:\band|\bor|--|[—,])$", lines[-1].text) is None  # a legal list's "…youths; and"
        and re.match(r"[`'\"]*\(\w{1,4}\)", lines[0].text) is None  # "(d) Certain Claims.--…": a bill's item
    )


def classify_sentence(sentence: str) -> str:
    """A prose span's class: a biography/acknowledgement, a reference entry (or a pointer to another
    work: "For a more detailed treatment…, see CRS Report RL30857…"), or a sentence."""
    head = " ".join(sentence.split()[:40])
    if _BIO_TEXT.search(head):
        return BIO
    if (_REFERENCE_TEXT.search(sentence) and reads_like_reference(sentence)) or _POINTER.match(sentence):
        return REFERENCE
    return SENTENCE
