"""A sentence running over a page break (``qa.units``): its line left open, then a page's
interruption (page number, running title, footnotes, a citation line), then a line going on in
lower case. The interruption becomes the unit's ``gaps``. Pure: standard library and ``qa.layout``.
"""

from __future__ import annotations

import re

from qa.layout import _FOOTNOTE_START, _SENTENCE_END, _TERMINAL, FURNITURE, _Line, _line_kind


def open_prose(line: str) -> bool:
    """Does ``line`` end a run of prose mid-sentence (not a citation or a URL cut at the page's edge)?"""
    return not _SENTENCE_END.search(line) and "://" not in line and not reads_like_reference(line)


def resumes_after(
    lines: list[_Line], i: int, running: frozenset[str] = frozenset(), most: int = 6, most_notes: int = 40
) -> int:
    """Index of the line that resumes an open sentence after up to ``most`` lines that interrupt it at a
    page break (a page number, running title, footnotes, a citation line), ``i`` if line ``i`` opens no
    such interruption. The resuming line opens in lower case after a blank line or after a finished
    interrupting line; a line straight after a footnote's line (no blank between) goes on with that
    footnote, whatever its case, and a page's block of footnotes may run to ``most_notes`` lines;
    ``running``: the document's repeated running titles, which interrupt too; also a figure's caption
    (``after_caption``)."""
    found = _after_notes(lines, i, running, most, most_notes)
    return found if found > i else after_caption(lines, i)


def after_caption(lines: list[_Line], i: int, most: int = 3) -> int:
    """Index of the line resuming an open sentence after a figure's caption set between blank lines
    ("…are the most controversial, painful," / "" / "Bell-412 Helicopter formal delivery ceremony…," /
    "which marked the official handover … Initiative." / "" / "and divisive for the United States."):
    one block of up to ``most`` lines, opening upper-case, ending a sentence; ``i`` when none."""
    if i >= len(lines) or not lines[i].blanks_before or not lines[i].text[:1].isupper():
        return i
    for j in range(i + 1, min(len(lines), i + most + 1)):
        ln = lines[j]
        if ln.blanks_before:
            ended = lines[j - 1].text[-1:] in _TERMINAL
            return j if ended and ln.text[:1].islower() and _line_kind(ln) is None else i
    return i


def _after_notes(lines: list[_Line], i: int, running: frozenset[str], most: int, most_notes: int) -> int:
    in_note = False
    for j in range(i, min(len(lines), i + most_notes + 1)):
        ln = lines[j]
        if ln.text[:1].islower() and _line_kind(ln) is None:
            if j == i:
                return i
            previous = lines[j - 1]
            if ln.blanks_before or previous.text[-1:] in _TERMINAL or _line_kind(previous) == FURNITURE:
                return j
            continue  # a footnote's second line
        if in_note and not ln.blanks_before and _line_kind(ln) is None:
            continue  # "Member-elect.": the footnote goes on
        if not (_interrupts(ln) or ln.text in running) or (j - i >= most and not in_note):
            return i
        in_note = in_note or bool(_FOOTNOTE_START.match(ln.text))
    return i


def _interrupts(ln: _Line) -> bool:
    t = ln.text
    return (
        _line_kind(ln) == FURNITURE
        or bool(_FOOTNOTE_START.match(t))
        or t[:1] in "¹²³⁴⁵⁶⁷⁸⁹⁰*†‡"
        or (len(t.split()) <= 40 and reads_like_reference(t) and t[-1:] in '.”"')
    )


def reads_like_reference(sentence: str, min_words: int = 8) -> bool:
    """Mostly capitalised words, numbers and commas (or fewer than ``min_words`` words): a citation
    rather than a statement."""
    words = sentence.split()
    lower = sum(1 for w in words if re.fullmatch(r"[a-z][a-z'’-]*[.,;:]?", w))
    return len(words) < min_words or lower / len(words) < 0.5
