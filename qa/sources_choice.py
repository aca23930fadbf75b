"""Which documents a broad question reads (``choose_sources``: the ones it names by an author's surname or
the publisher, else the ones its hits weigh most; a comparison two or more) and how a block names its
source ("Downie (2011)", ``source_name``); the documents writing a name asked about "in each" (``in_each``).
Pure: standard library, records, ``qa.asks`` and ``qa.text``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from qa import kinds
from qa.asks import exact_names
from qa.records import Hit, SourceInfo
from qa.text import flat

if TYPE_CHECKING:
    from qa.store import LoadedIndex

ALL_SOURCES = 4  # a comparison of "each source" / "the different authors" reads at most this many
ALL_SOURCES_WEIGHT = 0.05  # … each weighing at least this share of the best source's hits (sum of 1/rank)
_EVERY_SOURCE = re.compile(
    r"\b(?:each|every|all|different|various)\s+(?:of\s+the\s+)?(?:sources?|authors?|documents?|reports?|papers?|"
    r"articles?|accounts?)\b|\bthe sources\b",
    re.I,
)


def source_name(source: SourceInfo) -> str:
    """ "Downie (2011)", "Payan and Montes de Oca (2024)": the authors' surnames (else publisher or title) and year."""
    m = source.meta
    if m.authors:
        surnames = [_surname(a) for a in m.authors]
        who = (
            surnames[0]
            if len(surnames) == 1
            else " and ".join(surnames)
            if len(surnames) == 2
            else surnames[0] + " et al."
        )
    else:
        who = m.publisher or m.title or source.source_id
    year = (m.date or "")[:4]
    return f"{who} ({year})" if year and year not in who else who  # a title dated already: "…(July 20, 2005)"


def _surname(author: str) -> str:
    """ "Richard Downie" -> "Downie"; "Rodrigo Montes de Oca" -> "Montes de Oca" (a particle keeps its neighbours)."""
    parts = author.split()
    for i, p in enumerate(parts[1:], start=1):
        if p.lower() in ("de", "del", "van", "von", "da", "la", "le", "dos"):
            return " ".join(parts[max(1, i - 1) :])
    return parts[-1] if parts else author


def choose_sources(
    kind: str, question: str, named: Mapping[str, float], hits: Sequence[Hit], sources: Mapping[str, SourceInfo]
) -> list[str]:
    """The documents to read: the sources the question names (strongly), else by summed hit scores;
    a comparison takes two or more (named ones in the question's order), a summary or list one (two when
    the second's hits weigh nearly as much)."""
    known = list(sources)
    chosen = [sid for sid, w in sorted(named.items(), key=lambda kv: -kv[1]) if w >= 0.5 and sid in known]
    chosen += [sid for sid in named_by_name(question, named, sources) if sid not in chosen]
    chosen.sort(key=lambda sid: mention(question, sources[sid]) if sid in sources else len(question))
    weight: dict[str, float] = {}
    for h in hits:
        weight[h.source.source_id] = weight.get(h.source.source_id, 0.0) + 1.0 / h.rank
    by_hits = [sid for sid, _ in sorted(weight.items(), key=lambda kv: -kv[1])]
    if kind == kinds.COMPARE:
        # "each source", "the different authors": every source the hits weigh (up to ALL_SOURCES), else two
        want = ALL_SOURCES if _EVERY_SOURCE.search(question) and not chosen else 2
        for sid in by_hits:
            if len(chosen) >= want or weight[sid] < ALL_SOURCES_WEIGHT * weight[by_hits[0]]:
                break
            if sid not in chosen:
                chosen.append(sid)
        return chosen
    if chosen:
        return chosen[:2]
    if not by_hits:
        return []
    out = by_hits[:1]
    if len(by_hits) > 1 and weight[by_hits[1]] >= 0.8 * weight[by_hits[0]]:
        out.append(by_hits[1])
    return out


def mention(question: str, source: SourceInfo) -> int:
    """Where ``question`` first names ``source`` (an author's surname or the publisher); its length when nowhere."""
    words = [_surname(a) for a in source.meta.authors] + ([source.meta.publisher] if source.meta.publisher else [])
    found = [m.start() for w in words if w for m in [re.search(rf"\b{re.escape(w)}\b", question, re.I)] if m]
    return min(found) if found else len(question)


def named_by_name(question: str, named: Mapping[str, float], sources: Mapping[str, SourceInfo]) -> list[str]:
    """The sources ``question`` names by an author's surname or the publisher, in the question's order
    ("How do Arzt and Payan and Montes de Oca…": both, although Payan's three names weigh more)."""
    found = [
        sid for sid, w in named.items() if w > 0 and sid in sources and mention(question, sources[sid]) < len(question)
    ]
    return sorted(found, key=lambda sid: mention(question, sources[sid]))


_IN_EACH = re.compile(
    r"\b(?:in each|in both|each of (?:them|these)|(?:both|two|three|four|several) (?:of the )?"
    r"(?:documents|sources|papers|reports|articles|briefs))\b",
    re.I,
)


def in_each(question: str, index: LoadedIndex) -> tuple[str, list[str]]:
    """A question about one name across documents ("Richard Downie appears in two of the documents: what
    position is he identified with in each?"): the name and the documents whose passages write it (at
    most ``ALL_SOURCES``, in the index's order), when two or more do; else ("", [])."""
    if not _IN_EACH.search(question):
        return "", []
    for name in exact_names(question):
        written = flat(name)
        sids: list[str] = []
        for chunk in index.chunks:
            if chunk.source_id not in sids and written in flat(chunk.text):
                sids.append(chunk.source_id)
        if len(sids) >= 2:
            return name, sids[:ALL_SOURCES]
    return "", []
