"""The shortlist the model picks from, and its pick topped up (the second half of evidence
selection, after ``qa.evidence`` pre-scores the pool's sentences): ``choose`` takes each quota
(per part, per named source) then the best of the rest, at most a few per passage;
``reading_order`` puts them in the documents' order; ``with_top`` and ``cover_sources`` add the
best pre-scored sentences and each named source's best to the model's pick. Pure: records and
``qa.evidence``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from qa.answer_type import asked_type, holds_type
from qa.evidence import Plan
from qa.records import Evidence
from qa.text import tokenize


def choose(ranked: Sequence[Sequence[Evidence]], the_plan: Plan, limit: int = 12, question: str = "") -> list[Evidence]:
    """At most ``limit`` sentences for the model: first each quota (per part,
    per named source), then the best of the rest; at most two per passage
    for a summary or comparison, three otherwise, except a sentence holding
    the kind of thing ``question`` asks for (a name for "Which mayor…", a
    year for "When…": the passage's other sentences do not crowd it out).
    A sentence whose words repeat one already chosen (a report series'
    boilerplate, "CRS serves as nonpartisan shared staff…", in each of its
    reports) is not taken twice."""
    per_chunk = 2 if (the_plan.summary or the_plan.compare or the_plan.sources) else 3
    kind = asked_type(question) if question else ""
    chosen: dict[tuple[str, int], Evidence] = {}
    counts: dict[str, int] = {}
    said: set[str] = set()

    def take(ev: Evidence) -> bool:
        full = counts.get(ev.hit.chunk.chunk_id, 0) >= per_chunk and not (kind and holds_type(kind, ev.text, question))
        words = " ".join(tokenize(ev.text))
        if ev.key in chosen or full or len(chosen) >= limit or (words and words in said):
            return False
        chosen[ev.key] = ev
        said.add(words)
        counts[ev.hit.chunk.chunk_id] = counts.get(ev.hit.chunk.chunk_id, 0) + 1
        return True

    n_parts = len(ranked)
    quota_part = max(2, limit // (2 * max(1, n_parts))) if n_parts > 1 else 0
    for lst in ranked:
        _take_n(lst, quota_part, take)
    groups = list(the_plan.sources)
    if not groups and the_plan.compare:
        # "compare" without names: the two best-represented sources
        firsts: list[str] = []
        for ev in ranked[0]:
            if ev.hit.source.source_id not in firsts:
                firsts.append(ev.hit.source.source_id)
        groups = firsts[:2]
    if len(groups) >= 2:
        quota = max(2, limit // (2 * len(groups)))
        for sid in groups:
            _take_n([e for e in ranked[0] if e.hit.source.source_id == sid], quota, take)
    # the rest: round-robin over the parts' rankings, best first
    cursors = [0] * n_parts
    while len(chosen) < limit and any(c < len(lst) for c, lst in zip(cursors, ranked)):
        for i, lst in enumerate(ranked):
            if cursors[i] < len(lst):
                take(lst[cursors[i]])
                cursors[i] += 1
    return list(chosen.values())


def _take_n(lst: Sequence[Evidence], n: int, take: Callable[[Evidence], bool]) -> None:
    got = 0
    for ev in lst:
        if got >= n:
            return
        got += take(ev)


def reading_order(evidence: Sequence[Evidence], source_order: Sequence[str] = ()) -> list[Evidence]:
    """Grouped by source (in ``source_order``, else first appearance), then by position in the source."""
    order = {sid: i for i, sid in enumerate(source_order)}
    for ev in evidence:
        order.setdefault(ev.hit.source.source_id, len(order))
    return sorted(evidence, key=lambda e: (order[e.hit.source.source_id], e.key[1]))


# ------------------------------------------------------------------ after the model's pick


def with_top(ids: Sequence[int], shortlist: Sequence[Evidence], top: int) -> list[int]:
    """The model's choice plus the ``top`` best pre-scored sentences it left out
    (two selectors: a small model's pick alone missed the answering sentence)."""
    best = sorted(range(1, len(shortlist) + 1), key=lambda i: -shortlist[i - 1].score)[:top]
    return sorted(set(ids) | set(best))


def cover_sources(ids: Sequence[int], shortlist: Sequence[Evidence], sources: Sequence[str]) -> list[int]:
    """``ids`` plus, for each of ``sources`` none of them is from, that source's best pre-scored shortlist sentence
    (the quota carried through the pick: a comparison of two named sources quotes both)."""
    out = set(ids)
    for sid in sources:
        if any(shortlist[i - 1].hit.source.source_id == sid for i in out):
            continue
        own = [i for i in range(1, len(shortlist) + 1) if shortlist[i - 1].hit.source.source_id == sid]
        if own:
            out.add(max(own, key=lambda i: shortlist[i - 1].score))
    return sorted(out)
