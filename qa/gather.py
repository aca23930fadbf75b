"""The evidence stage of the answer path (``gather``): a turn's plan (its parts, the sources it names),
the pool of passages, their sentences pre-scored per query, and the shortlist in reading order, as a
``Gathered`` record: what the model's one turn reads (``qa.pick``). Title blocks and signatures join
the sentences when the question asks who wrote a document or when (``qa.frontmatter``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from qa import evidence, frontmatter, locate, prescore
from qa.asks import Ask, ask_of
from qa.docread import document_view
from qa.records import Evidence
from qa.shortlist import choose, reading_order
from qa.turn import Searcher, Turn

if TYPE_CHECKING:
    from qa.config import Settings


@dataclass(frozen=True)
class Gathered:
    """The evidence stage's result: the plan, what each part asks, the numbered shortlist."""

    plan: evidence.Plan
    asks: tuple[Ask, ...]
    shortlist: tuple[Evidence, ...]
    front: frozenset[tuple[str, int]] = frozenset()  # keys of title blocks and signatures (front matter asked)

    @property
    def phrase_parts(self) -> tuple[str, ...]:
        return tuple(p for p, a in zip(self.plan.parts, self.asks) if a.wants_phrase)

    @property
    def free_parts(self) -> tuple[str, ...]:
        """Parts answered by a quote, not a phrase (why, how, views), when the question has several parts."""
        if len(self.plan.parts) < 2:
            return ()
        return tuple(p for p, a in zip(self.plan.parts, self.asks) if not a.wants_phrase)

    @property
    def topic(self) -> str:
        return self.asks[0].target if len(self.asks) == 1 and self.asks[0].kind == "topic" else ""

    @property
    def defined(self) -> str:
        """What a one-part "What is X?" question asks about ("" otherwise)."""
        return self.asks[0].target if len(self.asks) == 1 and self.asks[0].kind == "define" else ""


def gather(turn: Turn, retriever: Searcher, settings: Settings) -> Gathered:
    """The plan, the pool of passages, their sentences pre-scored, the shortlist in reading order."""
    t = time.perf_counter()
    the_plan = evidence.plan(turn.standalone, retriever.named_sources(turn.standalone))
    if the_plan.capped:
        turn.notices.append(
            f"the question has {len(the_plan.parts) + the_plan.capped} parts; "
            f"only the first {len(the_plan.parts)} were answered: ask the others separately"
        )
    pool = evidence.pool(turn.standalone, turn.hits, the_plan, retriever.search, settings.evidence_passages)
    queries = evidence.queries(turn.standalone, the_plan)
    embed = retriever.embed
    q = turn.standalone
    front = frontmatter.asks_front_matter(q)
    if front and retriever.index is not None:  # a signature ends the section before it: read on
        pool = frontmatter.read_on(retriever.index, pool)
    blocks = frontmatter.front_blocks(pool, q) if front else []
    candidates = blocks + evidence.sentences_of(pool, bios=evidence.asks_background(q))
    located: frozenset[tuple[str, int]] = frozenset()
    if retriever.index is not None and locate.locators(q):  # "…under the 20th Amendment?"
        sids = {e.key[0] for e in candidates}
        located = locate.located(q, candidates, {sid: document_view(retriever.index, sid).chunks for sid in sids})
    ranked = prescore.prescore(candidates, queries, embed, located=located)
    shortlist = reading_order(choose(ranked, the_plan, settings.evidence_sentences, q))
    turn.timings["prescore_s"] = time.perf_counter() - t
    return Gathered(
        the_plan, tuple(ask_of(p) for p in the_plan.parts), tuple(shortlist), frozenset(e.key for e in blocks)
    )
