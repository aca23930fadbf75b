"""The answer path, one for every backend: question -> (standalone question)
-> passages -> evidence sentences (``qa.evidence``) -> the model's one turn:
its pick and, per part asking for a thing, a short answer phrase
(``qa.pick``) -> the phrases checked (``qa.commit``) -> the answer's
sentences (``qa.compose``) -> every sentence checked against its quote
(``qa.verify``) -> answer or refuse (``qa.decide``) -> citations numbered
-> Answer.

The orchestrator calls the stages; the stages decide. When the model's
reply is unusable the best pre-scored sentences stand in for its pick
(``pipeline="fallback"``, with a notice); nothing unchecked is ever shown.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import Any

from qa import broad, compose, enumeration, evidence, frontmatter, kinds, pick, points, prompts, refusal
from qa.backends import Generator, make_generator
from qa.backends.base import warn_without_yes_no
from qa.citations import number_citations, see_also
from qa.config import Settings
from qa.decide import PARTIAL_COVERAGE, Decider
from qa.extract import committed
from qa.gather import Gathered, gather
from qa.inputs import check_question
from qa.records import Answer, CheckedSentence, Evidence, Hit, StreamEvent
from qa.retrieve import Retriever, followup_query
from qa.shortlist import cover_sources, with_top
from qa.text import without_carried_topic
from qa.turn import Searcher, Turn, standalone
from qa.verify import LexicalJudge, LLMJudge, SupportJudge, allowed_names, check_answer

History = Sequence[dict[str, str]]


class QA:
    """The assistant: one searcher, one generator, one judge, one decision; safe to share across threads."""

    def __init__(
        self, settings: Settings, retriever: Searcher, generator: Generator, judge: SupportJudge | None = None
    ) -> None:
        self.settings = settings
        self.retriever = retriever
        self.generator = generator
        llm = settings.judge == "llm"
        self.judge = judge or (LLMJudge(generator) if llm else LexicalJudge())
        self.decider = Decider.from_file(generator.for_role("check") if llm else None, settings.calibration_file)
        if llm:
            warn_without_yes_no(generator)  # once, at start-up: every record's decision says it too

    @classmethod
    def from_settings(
        cls,
        settings: Settings | None = None,
        *,
        retriever: Searcher | None = None,
        generator: Generator | None = None,
        judge: SupportJudge | None = None,
    ) -> QA:
        settings = settings or Settings.load()
        retriever = retriever or Retriever.from_settings(settings)
        generator = generator or make_generator(settings)
        return cls(settings, retriever, generator, judge)

    def ask(self, question: str, history: History | None = None) -> Answer:
        """The checked answer (blocking)."""
        final = None
        for event in self.stream(question, history):
            if event.kind == "final":
                final = event.answer
        assert final is not None
        return final

    def stream(self, question: str, history: History | None = None) -> Iterator[StreamEvent]:
        """Events: status, retrieved (hits), evidence (the chosen sentences), token (the answer), final (Answer)."""
        text, notices = check_question(question, self.settings.max_question_chars)
        turn = Turn(text, text, notices=notices, t0=time.perf_counter())
        if history:
            yield StreamEvent("status", text="Understanding the follow-up question…")
            turn.standalone = self._rewrite(text, history)
            turn.timings["rewrite_s"] = time.perf_counter() - turn.t0
        t = time.perf_counter()
        turn.hits = tuple(
            self.retriever.search(turn.standalone, k=self.settings.top_k, also=followup_query(text, history))
        )
        turn.timings["retrieve_s"] = time.perf_counter() - t
        for name in self.retriever.unknown_sources(turn.standalone):
            turn.notices.append(
                f"no indexed source is by or mentions “{name}”: answered from the indexed sources "
                "(`qa sources` lists them; `qa index` adds one)"
            )
        yield StreamEvent("retrieved", hits=turn.hits, standalone_question=turn.standalone)
        unknown = " or ".join(f"“{n}”" for n in self.retriever.unknown_names(turn.standalone))
        if unknown or not self._relevant(turn.hits):
            why = f"no indexed source mentions {unknown}" if unknown else "no retrieved passage was relevant enough"
            turn.notices.append(f"{why}; the model was not asked")
            said = f"The sources don't mention {unknown}, so they don't answer this." if unknown else ""
            yield self._final(turn, refusal.refusal(turn, said))
            return
        found = self._broad(turn) if self.settings.broad_answers else None
        if found is not None:  # summaries, lists, comparisons: whole documents, in blocks (qa/broad.py)
            yield from self._broad_answer(turn, found)
            return
        gathered = gather(turn, self.retriever, self.settings)
        if not gathered.shortlist:
            turn.notices.append("the retrieved passages hold no sentence to use as evidence")
            yield self._final(turn, refusal.refusal(turn))
            return
        yield StreamEvent("status", text="Choosing the sentences that answer…")
        chosen_pick, pipeline = self._pick(turn, gathered)
        ids = chosen_pick.ids
        if pick.uninformative(ids):  # a listed run, not a choice: every sentence stays a candidate (qa/pick.py)
            ids = tuple(range(1, len(gathered.shortlist) + 1))
        chosen = with_top(ids, gathered.shortlist, self.settings.evidence_prescore_keep)
        chosen = cover_sources(chosen, gathered.shortlist, gathered.plan.sources)
        turn.timings["first_evidence_s"] = time.perf_counter() - turn.t0
        yield StreamEvent("evidence", evidence=tuple(gathered.shortlist[i - 1] for i in chosen))
        t = time.perf_counter()
        answer = self._answer(turn, gathered, chosen_pick, chosen)
        turn.timings["verify_s"] = time.perf_counter() - t
        for sentence in answer.sentences:
            yield StreamEvent("token", text=sentence.text + " ")
        yield self._final(turn, replace(answer, pipeline=pipeline, raw_answer=chosen_pick.raw))

    # -- stages -----------------------------------------------------------------------------

    def _rewrite(self, question: str, history: History) -> str:
        out = self.generator.for_role("rewrite").generate(prompts.rewrite_messages(question, history), max_tokens=60)
        out = out.strip().strip('"').splitlines()[0].strip() if out.strip() else ""
        return standalone(question, out, history)  # a rewrite that lost the question or resolved nothing is not used

    def _relevant(self, hits: Sequence[Hit]) -> bool:
        """Is any passage worth asking the model about?"""
        best = max((h.dense_score or 0.0 for h in hits), default=0.0)
        return bool(hits) and (best >= self.settings.min_relevance or any(h.lexical_rank for h in hits[:3]))

    def _broad(self, turn: Turn) -> broad.Broad | None:
        """The blocks of a summary, list or comparison (or of a question whose parts ask for
        no single phrase); None for the phrase path."""
        kind = kinds.kind_of(turn.standalone)
        if self.retriever.index is None or (
            kind == kinds.PARTS and any(broad.phrase_part(p) for p in evidence.split_parts(turn.standalone)[0])
        ):
            return None
        named = self.retriever.named_sources(turn.standalone)

        def query_vector() -> Any:
            return self.retriever.embed([turn.standalone])[0]

        return broad.gather(kind, turn.standalone, self.retriever, turn.hits, named, query_vector, self.retriever.embed)

    def _broad_answer(self, turn: Turn, found: broad.Broad) -> Iterator[StreamEvent]:
        """No model pick: the blocks' sentences are the answer, checked and decided like any other."""
        shortlist = list(found.evidence)
        turn.timings["first_evidence_s"] = time.perf_counter() - turn.t0
        yield StreamEvent("evidence", evidence=tuple(shortlist))
        everything = list(range(1, len(shortlist) + 1))
        allowed = allowed_names(turn.standalone, shortlist)
        kept, removed, rejected = check_answer(broad.draft(found), shortlist, self.judge, allowed, everything)
        decision = self.decider.decide(turn.standalone, found.weighed([k.text for k in kept]), False, False)
        if kept and decision.answers and broad.takes_lead(found):
            kept = self._points_lead(turn, shortlist, allowed) + kept
        sentences, citations = number_citations(kept, [e.hit for e in shortlist])
        base: dict[str, Any] = {"evidence": tuple(shortlist), "removed_sentences": tuple(removed)}
        if not kept or not decision.answers:
            turn.notices.append(compose.why_refused([], bool(kept)))
            yield self._final(turn, replace(refusal.refusal(turn), decision=decision.details, **base))
            return
        text = " ".join(f"{s.text} " + "".join(f"[{n}]" for n in s.citations) for s in sentences)
        answer = Answer(
            question=turn.question,
            standalone_question=turn.standalone,
            answer=text,
            refused=False,
            sentences=tuple(sentences),
            citations=tuple(citations),
            retrieved=turn.hits,
            decision={**decision.details, "kind": found.kind},
            rejected_sentences=rejected,
            see_also=see_also([e for b in found.blocks for e in b.beside], citations),
            **base,
        )
        for sentence in answer.sentences:
            yield StreamEvent("token", text=sentence.text + " ")
        yield self._final(turn, broad.labelled(answer, found))

    def _points_lead(self, turn: Turn, shortlist: list[Evidence], allowed: frozenset[str]) -> list[CheckedSentence]:
        """A summary's or list's short answer ("In short: …; …."), its points checked spans of the quotes
        (``qa.points``), as the first answer sentence; none when the model names no point that checks."""
        t = time.perf_counter()
        found, problem = points.ask(self.generator.for_role("answer"), turn.standalone, shortlist)
        turn.timings["points_s"] = time.perf_counter() - t
        if problem:
            turn.notices.append(problem)
        said = points.lead(found)
        if said is None:
            return []
        everything = list(range(1, len(shortlist) + 1))
        return check_answer([said], shortlist, self.judge, allowed, everything)[0]

    def _pick(self, turn: Turn, g: Gathered) -> tuple[pick.Pick, str]:
        """The model's pick and phrases; on an unusable reply or a backend error, the
        best pre-scored sentences and no phrases (``fallback``, with a notice)."""
        t = time.perf_counter()
        n = len(g.shortlist)
        got, raw, problem = pick.ask(
            self.generator.for_role("answer"),
            turn.standalone,
            g.shortlist,
            g.phrase_parts,
            self.settings.evidence_max_chosen,
        )
        turn.timings["select_s"] = time.perf_counter() - t
        if got is not None:
            return got, "evidence"
        turn.notices.append(f"{problem}: answered from the best pre-scored sentences, with no answer phrase")
        best = sorted(range(1, n + 1), key=lambda i: -g.shortlist[i - 1].score)[:2]
        return pick.Pick(tuple(best), (), raw), "fallback"

    def _answer(self, turn: Turn, g: Gathered, got: pick.Pick, chosen: list[int]) -> Answer:
        """The phrases checked, the answer composed and checked, then answered or refused."""
        parts = g.phrase_parts if got.answers else ()
        asks = [a for a in g.asks if a.wants_phrase]
        commitments = [committed(p, a, x, g.shortlist, chosen) for p, a, x in zip(parts, asks, got.answers)]
        commitments = [frontmatter.waived(c, g.shortlist, g.front) for c in commitments]
        # a phrase that stands leads; failures that say the sources lack it refuse; a phrase the
        # model failed to copy says nothing of the sources: the chosen quotes are decided instead
        standing = any(c.ok for c in commitments)
        leading = commitments if standing or all(c.refutes for c in commitments) else []
        own = without_carried_topic(turn.question) if turn.question.strip() != turn.standalone.strip() else ""
        composed = compose.compose(
            turn.standalone,
            leading,
            g.shortlist,
            chosen,
            got.ids,
            g.plan.sources,
            g.topic,
            g.free_parts,
            g.defined,
            own,
            several=any(a.plural for a in g.asks),
        )
        if not leading and not g.topic and not g.defined:
            g, composed = self._enumerated(g, composed)
        shown = [(text, (holder,)) for text, holder in composed.leads]
        shown += [(g.shortlist[i - 1].text, (i,)) for i in composed.quotes]
        allowed = allowed_names(turn.standalone, [g.shortlist[i - 1] for i in chosen])
        usable = sorted(set(chosen) | {h for _, h in composed.leads} | set(composed.quotes))
        kept, removed, rejected = check_answer(shown, g.shortlist, self.judge, allowed, usable)
        base: dict[str, Any] = {
            "evidence": tuple(g.shortlist[i - 1] for i in chosen),
            "commitments": tuple(c.to_json() for c in commitments),
            "removed_sentences": tuple(removed),
            "rejected_sentences": rejected,
        }
        if rejected:
            turn.notices.append(f"{rejected} sentence(s) removed: a number or name not in the quotes they cite")
        weighed = [k.text for k in kept] + [g.shortlist[i - 1].text for i in composed.beside] if kept else []
        decision = self.decider.decide(turn.standalone, weighed, bool(leading), standing)
        sentences, citations = number_citations(kept, [e.hit for e in g.shortlist])
        if not kept or not decision.answers:
            turn.notices.append(compose.why_refused(commitments, bool(kept), bool(shown) or bool(commitments)))
            holders = [c.holder for c in commitments if c.ok]
            related = compose.related(turn.standalone, g.shortlist, chosen, PARTIAL_COVERAGE, holders)
            refused = replace(refusal.refusal(turn), decision=decision.details, **base)
            return refusal.partial(refused, related, g.shortlist, commitments) if related else refused
        if composed.open_parts:
            turn.notices.append("the sources do not say: " + "; ".join(composed.open_parts))
        text = " ".join(f"{s.text} " + "".join(f"[{n}]" for n in s.citations) for s in sentences)
        if composed.open_parts:
            text += " The sources do not say: " + " ".join(composed.open_parts)
        return Answer(
            question=turn.question,
            standalone_question=turn.standalone,
            answer=text.strip(),
            refused=False,
            sentences=tuple(sentences),
            citations=tuple(citations),
            retrieved=turn.hits,
            decision=decision.details,
            open_parts=composed.open_parts,
            see_also=see_also([g.shortlist[i - 1] for i in composed.beside], citations),
            **base,
        )

    def _enumerated(self, g: Gathered, composed: compose.Composed) -> tuple[Gathered, compose.Composed]:
        """An open answer whose first quote introduces an enumeration ("…would afford the next president
        several advantages.") quotes the items after it instead ("First, …", "Second, …"; ``qa.enumeration``),
        which the shortlist may not hold: they join it, numbered after it."""
        index = self.retriever.index
        if index is None or composed.leads or not composed.quotes:
            return g, composed
        first = composed.quotes[0]
        items = enumeration.items_after(index, g.shortlist[first - 1])
        if not items:
            return g, composed
        shortlist, numbers = enumeration.numbered_with(g.shortlist, items)
        opens = items[0].key == g.shortlist[first - 1].key
        quotes = ([first] if opens else []) + [n for n in numbers if n != first]
        return replace(g, shortlist=shortlist), replace(composed, quotes=tuple(quotes[: compose.MAX_LISTED]), beside=())

    def _final(self, turn: Turn, answer: Answer) -> StreamEvent:
        turn.timings["total_s"] = time.perf_counter() - turn.t0
        notices = tuple(turn.notices) + tuple(n for n in answer.notices if n not in turn.notices)
        done = replace(answer, timings=dict(turn.timings), notices=notices, model=self._model_info(answer))
        return StreamEvent("final", answer=done)

    def _model_info(self, answer: Answer) -> dict[str, Any]:
        info = dict(self.generator.info())
        info["embed_model"] = self.settings.embed_model
        info["judge"] = self.judge.name
        if answer.raw_answer:
            with contextlib.suppress(Exception):  # token counts are informative only
                info["completion_tokens"] = self.generator.count_tokens(answer.raw_answer)
        return info
