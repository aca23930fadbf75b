"""Enumerations in a document's sentences: "…would afford the next president several advantages."
"First, …" "Second, …" "Third, …" "Finally, …".

A policy text often announces a count ("four strategic options", "several advantages", "two methods")
and then gives the items as sentences opening with ordinals, with other sentences between them. The
sentence that introduces the list is what a question's words match ("What advantages would a
police-led strategy offer?"); the items, which hold the answer, share few of them. A ``Run`` ties them
together so a selection that finds the introduction can quote the items.

An item opens with the next ordinal: "First, / Second(ly) / Third(ly) …", "The first/second … <noun>",
"One <noun> … Another <noun>" (the same noun: "One school of thought … Another school of thought"),
and "Finally, / Lastly," closes a run; each item comes within ``WINDOW`` sentences of the one before
(``WINDOW_NAMED`` for "One …/Another …", whose items run longer). The introduction is the sentence
just before the first item when it announces a count or a list. ``items_after`` reads a sentence's
neighbourhood from the index (its chunk and the next few). Pure apart from records and ``qa.evidence``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from qa.evidence import sentences_of
from qa.records import Evidence, Hit

if TYPE_CHECKING:
    from qa.store import LoadedIndex

WINDOW = 8  # sentences from one item to the next ("First, …" / a paragraph of detail / "Second, …")
WINDOW_NAMED = 10  # "One school of thought …" … "Another school of thought …"
WINDOW_DIVISION = 30  # "Title I of the bill…" … "Title II of the bill…": a section's paragraphs between
MAX_ITEMS = 6
_DIVISIONS = {"title", "part", "chapter", "article"}
_COUNT_WORDS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6}
RUN_AMONG = 8  # a counted question's enumeration is quoted whole when a member scores among the best this many
COUNTED_FLOOR = 0.35  # … or, read across the whole document, when a member (or the sentence before) has this cosine
CHUNKS_AFTER = 3  # chunks read after the one holding an introduction
CHUNKS_AFTER_DIVISION = 8  # … after one holding a document's first division ("Title I of the bill…")

_NUMBER = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6}
_ORDINAL = re.compile(
    r"^\W*(?:(?P<n>first|second|third|fourth|fifth|sixth)(?:ly)?\b\s*[,.:;—–-]"
    r"|(?P<last>finally|lastly)\b\s*,"
    r"|(?:the|a) (?P<the>first|second|third|fourth|fifth|sixth) (?P<noun>[a-z]+)"
    r"|(?P<one>one|another) (?P<named>[a-z]+(?: of [a-z]+)?)\b"
    # a bill's or report's divisions described in turn: "Title I of the bill would…", "Title II establishes…"
    r"|(?P<div>title|part|chapter|article) (?P<numeral>[IVX]{1,4}|[1-9])\b)",
    re.I,
)
_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5, "vi": 6, "vii": 7, "viii": 8, "ix": 9, "x": 10}
_ANNOUNCES = re.compile(
    r"\b(?:two|three|four|five|six|several|various|a number of|twofold|threefold|the following|as follows)\b"
    r"|:\s*$",
    re.I,
)


@dataclass(frozen=True)
class Run:
    """Sentence positions: the introduction (or None) and the items, in order."""

    intro: int | None
    items: tuple[int, ...]


@dataclass(frozen=True)
class _Opening:
    number: int  # 1, 2, …; 0 for "Finally"/"Lastly"; -1 for "Another"
    noun: str  # "option" of "The second option", "school of thought" of "One school of thought"


def _opening(text: str) -> _Opening | None:
    m = _ORDINAL.match(text)
    if not m:
        return None
    if m.group("n"):
        return _Opening(_NUMBER[m.group("n").lower()], "")
    if m.group("last"):
        return _Opening(0, "")
    if m.group("the"):
        return _Opening(_NUMBER[m.group("the").lower()], m.group("noun").lower())
    if m.group("div"):
        numeral = m.group("numeral").lower()
        return _Opening(int(numeral) if numeral.isdigit() else _ROMAN.get(numeral, 99), m.group("div").lower())
    named = m.group("named").lower()
    return _Opening(1 if m.group("one").lower() == "one" else -1, named)


def opens_division(text: str) -> bool:
    """Does ``text`` open with one of a document's numbered divisions ("Title II of the bill…")?"""
    opening = _opening(text)
    return opening is not None and opening.noun in _DIVISIONS


def chunks_after(text: str) -> int:
    """How many chunks after the one holding ``text`` its run may reach: ``CHUNKS_AFTER``, and
    ``CHUNKS_AFTER_DIVISION`` for a document's divisions ("Title I of the bill…"); 0 when it opens none."""
    opening = _opening(text)
    if opening is None or opening.number != 1:
        return 0
    return CHUNKS_AFTER_DIVISION if opening.noun in _DIVISIONS else CHUNKS_AFTER


def announces(text: str) -> bool:
    """Does ``text`` announce a count or a list ("…several advantages.", "…as follows:")?"""
    return _ANNOUNCES.search(text) is not None


def run_from(texts: Sequence[str], first: int) -> Run | None:
    """The run whose first item is ``texts[first]`` (two items at least), else None."""
    opening = _opening(texts[first])
    if opening is None or opening.number != 1:
        return None
    named = opening.noun and not re.match(r"^\W*(?:the|a) ", texts[first], re.I)  # "One school of thought"
    division = opening.noun in _DIVISIONS  # "Title I of the bill…": each title a section of its own
    window = WINDOW_DIVISION if division else WINDOW_NAMED if named else WINDOW
    items, expected, last = [first], 2, first
    k = first + 1
    while k < len(texts) and k - last <= window and len(items) < MAX_ITEMS:
        o = _opening(texts[k])
        if o is not None:
            if division:  # "Title VI of the bill…" after "Title IV…": a title described otherwise between
                follows = o.noun == opening.noun and expected <= o.number < 99
            elif named:  # "One school of thought …": only "Another/A second school of thought …" goes on
                follows = o.noun == opening.noun and o.number in (-1, expected)
            else:
                follows = o.number in (0, expected) and (not opening.noun or not o.noun or o.noun == opening.noun)
            if follows:
                items.append(k)
                last, expected = k, max(expected, o.number) + 1
                if o.number == 0:
                    break
        k += 1
    if len(items) < 2:
        return None
    intro = first - 1 if first > 0 and announces(texts[first - 1]) else None
    # an ordinal standing alone ("First." / "Secondly."): the item is the sentence after it
    items = [k + 1 if len(texts[k].split()) <= 2 and k + 1 < len(texts) else k for k in items]
    return Run(intro, tuple(items))


def run_at(texts: Sequence[str], i: int) -> Run | None:
    """The run ``texts[i]`` introduces (the next sentence opens it) or opens, else None."""
    if i + 1 < len(texts) and announces(texts[i]):
        found = run_from(texts, i + 1)
        if found is not None:
            return found
    return run_from(texts, i)


def runs(texts: Sequence[str]) -> list[Run]:
    """Every run in ``texts``, in order."""
    out: list[Run] = []
    for i in range(len(texts)):
        found = run_from(texts, i)
        if found is not None and not any(i in r.items for r in out):
            out.append(found)
    return out


def items_after(index: LoadedIndex, ev: Evidence, chunks_after: int = CHUNKS_AFTER) -> tuple[Evidence, ...]:
    """The items of the run ``ev`` introduces or opens, read from its chunk and the next
    ``chunks_after`` of its document (in the document's order); () when it opens none."""
    source = ev.hit.source
    rows = [ev.hit.chunk, *index.following(ev.hit.chunk, chunks_after)]
    hits = [Hit(rank=n + 1, score=0.0, chunk=c, source=source) for n, c in enumerate(rows)]
    sentences = sorted(sentences_of(hits), key=lambda e: e.key[1])
    at = next((k for k, e in enumerate(sentences) if e.key == ev.key), None)
    found = run_at([e.text for e in sentences], at) if at is not None else None
    return tuple(sentences[k] for k in found.items) if found is not None else ()


def lift_runs(
    found: Sequence[Run],
    in_order: Sequence[Evidence],
    scored: Sequence[Evidence],
    penalty: Mapping[tuple[str, int], float] | None = None,
) -> list[Evidence]:
    """``scored`` with each item of an enumeration (``qa.enumeration``: "several advantages." "First, …"
    "Second, …") scored as high as the best of its run and introduction, best first: the question's
    words match the introduction, the answer is in the items. ``penalty``: what a member's score lost for
    being an introduction, given back when its items are lifted from it."""
    score = {e.key: e.score for e in scored}
    back = penalty or {}
    lifted = dict(score)
    for run in found:
        members = [in_order[k].key for k in (*([run.intro] if run.intro is not None else []), *run.items)]
        best = (
            max(score.get(k, 0.0) + back.get(k, 0.0) for k in members if k in score)
            if any(k in score for k in members)
            else 0.0
        )
        for k in run.items:
            key = in_order[k].key
            if key in lifted:
                lifted[key] = max(lifted[key], best)
    return sorted((replace(e, score=lifted[e.key]) for e in scored), key=lambda e: -e.score)


def counted_run(
    count_word: str, found: Sequence[Run], in_order: Sequence[Evidence], scored: Sequence[Evidence]
) -> list[Evidence]:
    """For a question that counts (``count_word``: "two views" of "What are the two competing views…"),
    the enumeration of that many items whose introduction or items score among the best ``RUN_AMONG``:
    its introduction and items, in the document's order; [] when none."""
    words = count_word.lower().split()
    count = _COUNT_WORDS.get(words[0]) if words else None
    if count is None:
        return []
    rank = {e.key: n for n, e in enumerate(scored)}
    inline = inline_count(count_word, scored)
    best: tuple[int, list[Evidence]] | None = None
    for run in found:
        if len(run.items) != count:
            continue
        members = [in_order[k] for k in (*([run.intro] if run.intro is not None else []), *run.items)]
        top = min(rank.get(e.key, len(rank)) for e in members)
        if inline is not None and inline < top and scored[inline] not in members:
            continue
        if top < RUN_AMONG and (best is None or top < best[0]):
            best = (top, members)
    return best[1] if best else []


def division_run(question: str, found: Sequence[Run], in_order: Sequence[Evidence]) -> list[Evidence]:
    """For a question asking division by division ("What does the Act do, title by title?"), the items of the
    longest enumeration of those divisions ("Title I of the bill…", "Title II…"), in order; [] when none."""
    m = _DIVISION_BY_DIVISION.search(question)
    if m is None:
        return []
    noun = m.group(1).lower()
    runs_of = [r for r in found if (o := _opening(in_order[r.items[0]].text)) is not None and o.noun == noun]
    best = max(runs_of, key=lambda r: len(r.items), default=None)
    return [in_order[k] for k in best.items] if best is not None else []


_DIVISION_BY_DIVISION = re.compile(r"\b(title|part|chapter|article)s? by \1\b", re.I)


def inline_count(count_word: str, scored: Sequence[Evidence]) -> int | None:
    """The rank in ``scored`` of the first sentence naming the counted things itself ("There are two methods
    of curing …: the one, by …; the other, by …" for ``count_word`` "two methods"): above a run, it answers
    on its own. None if none does."""
    words = count_word.lower().split()
    if len(words) < 2:
        return None
    return next((n for n, e in enumerate(scored) if " ".join(words) in e.text.lower()), None)


def counted_in_document(count_word: str, in_order: Sequence[Evidence], cos: Sequence[float]) -> list[Evidence]:
    """For a question that counts, when no enumeration of that many items is among the passages read: the
    document's (``in_order``, every sentence with its ``cos``ine to the question) whose items, introduction
    or the sentence just before reads most like the question (at least ``COUNTED_FLOOR``): "the two
    competing views" are "One school of thought …" / "Another school of thought …" pages apart, after "The
    question is whether relations will continue to strengthen…". Its introduction and items; [] when none."""
    words = count_word.lower().split()
    count = _COUNT_WORDS.get(words[0]) if words else None
    if count is None:
        return []
    best: tuple[float, list[Evidence]] | None = None
    for run in runs([e.text for e in in_order]):
        if len(run.items) != count:
            continue
        members = [*([run.intro] if run.intro is not None else []), *run.items]
        top = max(cos[k] for k in (members[0] - 1, *members) if k >= 0)
        if top >= COUNTED_FLOOR and (best is None or top > best[0]):
            best = (top, [in_order[k] for k in members])
    return best[1] if best else []


def numbered_with(shortlist: Sequence[Evidence], more: Sequence[Evidence]) -> tuple[tuple[Evidence, ...], list[int]]:
    """``shortlist`` with those of ``more`` it lacks appended, and the (1-based) number of each of ``more``."""
    out = list(shortlist)
    numbers = {e.key: n for n, e in enumerate(out, 1)}
    for ev in more:
        if ev.key not in numbers:
            out.append(ev)
            numbers[ev.key] = len(out)
    return tuple(out), [numbers[e.key] for e in more]
