"""Front matter as evidence: a document's title block ("FEDERALIST No. 10 / … / Friday, November 23,
1787. / MADISON") or a section's signature ("Howard J. Wiarda / Professor of National Security Policy")
is no prose, so it is never evidence, except for a question asking who wrote a document or when it was
published (``asks_front_matter``): then each run of heading, dateline and byline units is one quotable
unit (``front_blocks``), exact span and all; ``read_on`` adds the chunk after each top hit. Pure apart
from the index ``read_on`` reads: records and ``qa.units``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from qa.commit import Commitment
from qa.grounding import says_original
from qa.records import Evidence, Hit
from qa.text import numbers
from qa.units import BIO, FURNITURE, HEADING, SENTENCE, Unit, units

if TYPE_CHECKING:
    from qa.store import LoadedIndex

FRONT_HITS = 3  # a front-matter question ("Who wrote the preface…?") also reads the chunk after each of these

_FRONT_MATTER = re.compile(
    r"\b(?:who (?:wrote|authored|signed|penned)|(?:the )?authors? of|by whom|when was\b[^?]*\b(?:published|written"
    r"|dated|issued|released|printed)|(?:publication|release) date|where was\b[^?]*\b(?:published|printed))\b",
    re.I,
)
_FRONT_KINDS = frozenset({HEADING, FURNITURE, BIO})
FRONT_WORDS = 12  # a title block's or signature's lines are short (an acknowledgement ends it)
_DESIGNATION = re.compile(
    r"\b(?:No|Nos|Number|S|H\.\s?R|H\.\s?Res|Sec|Section|Art|Article|Title|Chapter|Ch|Vol|Volume)\.?\s*\d+", re.I
)
_DESIGNATION_SPACE = re.compile(r"[\s.]+")


def asks_front_matter(question: str) -> bool:
    """Does ``question`` ask what a document's front matter says (who wrote it, when it was published),
    which only its heading lines, datelines and signatures hold? Then those are evidence too."""
    return bool(_FRONT_MATTER.search(question))


def front_matter(text: str, found: Sequence[Unit]) -> list[Unit]:
    """Runs of two or more heading, furniture or biography units (a short sentence between them
    allowed) as one unit each: a title block ("FEDERALIST No. 10 / … / From the New York Packet. /
    Friday, November 23, 1787. / MADISON") or a signature ("Howard J. Wiarda / Professor of…")."""
    out: list[Unit] = []
    run: list[Unit] = []

    def flush() -> None:
        if sum(u.kind in _FRONT_KINDS for u in run) >= 2:
            out.append(Unit(run[0].start, run[-1].end, HEADING))
        run.clear()

    for u in found:
        short = len(text[u.start : u.end].split()) <= FRONT_WORDS
        if (u.kind in _FRONT_KINDS and (short or u.kind != BIO)) or (run and u.kind == SENTENCE and short):
            run.append(u)
        else:
            flush()
    flush()
    return out


def _names_its_numbers(question: str, block: str) -> bool:
    """Does ``block`` hold every numbered designation ``question`` names ("No. 10", "S. 1439"), or,
    when it names none, every number?"""
    flat = _DESIGNATION_SPACE.sub("", block.lower())
    named = [_DESIGNATION_SPACE.sub("", d.lower()) for d in _DESIGNATION.findall(question)]
    if named:
        return all(re.search(rf"{re.escape(d)}(?!\d)", flat) for d in named)
    return numbers(question) <= numbers(block)


def front_blocks(hits: Sequence[Hit], question: str) -> list[Evidence]:
    """The title blocks and signatures of ``hits`` (``front_matter``) for a question asking for front
    matter, each once, those holding every numbered designation it names ("Federalist No. 10")."""
    seen: set[tuple[str, int]] = set()
    out: list[Evidence] = []
    for hit in hits:
        text = hit.chunk.text
        for u in front_matter(text, units(text)):
            ev = Evidence(hit, u.start, u.end, " ".join(text[u.start : u.end].split()))
            if ev.key not in seen and _names_its_numbers(question, ev.text):
                seen.add(ev.key)
                out.append(ev)
    return out


def read_on(index: LoadedIndex, pool: Sequence[Hit]) -> list[Hit]:
    """``pool`` and the chunk after each of its first ``FRONT_HITS`` (a signature closes the section
    before it, in a chunk of its own), each chunk once."""
    seen = {h.chunk.chunk_id for h in pool}
    after = []
    for c in (c for h in pool[:FRONT_HITS] for c in index.following(h.chunk, 1)):
        if c.chunk_id not in seen:
            seen.add(c.chunk_id)
            after.append(c)
    return [*pool, *(Hit(len(pool) + n + 1, 0.0, c, index.sources[c.source_id]) for n, c in enumerate(after))]


def waived(c: Commitment, shortlist: Sequence[Evidence], front: frozenset[tuple[str, int]]) -> Commitment:
    """``c`` on topic when its holder is a title block or signature (``front``): a signature or dateline
    names nothing of what the question asks about ("Howard J. Wiarda / Professor of…" under a preface),
    read beside the passage it closes. Not for a question asking for the original: a masthead's "Updated
    April 13, 2026" does not say when a report was first published (``qa.grounding.says_original``)."""
    if c.why != "off topic" or not c.holder or shortlist[c.holder - 1].key not in front:
        return c
    return replace(c, why="") if says_original(c.part, shortlist[c.holder - 1].text) else c
