"""Answering: question -> (standalone question) -> passages -> constrained
generation -> Draft (``qa.parse``) -> citation keys checked and each sentence
verified -> Checked (``qa.verify``) -> citations numbered -> Answer.

Citations and refusals are built by the system, not trusted to the model:
the model must attach passage numbers to every sentence (JSON schema), keys
that point nowhere are dropped and counted, each sentence is checked against
the passages it cites (re-cited or removed when unsupported), and an answer
with nothing supported becomes the fixed refusal plus the closest passages.
"""

from __future__ import annotations

import contextlib
import time
import warnings
from collections.abc import Generator as Generator_
from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import Any

from qa import broad, decide, evidence, kinds, prompts
from qa.backends import Generator, make_generator
from qa.citations import number_citations, validate
from qa.config import Settings
from qa.errors import QAError
from qa.inputs import check_question
from qa.parse import draft_from_partial, parse_model_output
from qa.records import (
    Answer,
    Checked,
    CheckedSentence,
    Citation,
    Draft,
    DraftSentence,
    Evidence,
    Hit,
    Sentence,
    StreamEvent,
)
from qa.retrieve import Retriever, followup_query
from qa.verify import LexicalJudge, LLMJudge, SupportJudge, allowed_names, check_draft, check_evidence_sentence

History = Sequence[dict[str, str]]
PARTIAL_COVERAGE = 0.34  # a refusal quotes a related sentence only when it holds this share of the question's words


class QA:
    """The assistant: one retriever, one generator, one judge; safe to share across threads."""

    def __init__(
        self,
        settings: Settings,
        retriever: Retriever,
        generator: Generator,
        judge: SupportJudge | None = None,
    ) -> None:
        self.settings = settings
        self.retriever = retriever
        self.generator = generator
        if judge is None and settings.verify:
            judge = LLMJudge(generator) if settings.judge == "llm" else LexicalJudge()
        self.judge = judge
        self.calibration_problem = ""
        self.calibration = self._load_calibration()

    def _load_calibration(self) -> decide.Calibration | None:
        """The fitted decision, or None (with a warning) when missing or invalid: the yes/no chain decides."""
        path = self.settings.calibration_file
        if not path or self.settings.judge != "llm" or not self.settings.answer_check:
            return None
        try:
            return decide.load_calibration(path)
        except QAError as err:
            warnings.warn(f"{err.one_line()}; answering with the yes/no check instead", stacklevel=2)
            self.calibration_problem = err.one_line()
            return None

    @classmethod
    def from_settings(
        cls,
        settings: Settings | None = None,
        *,
        retriever: Retriever | None = None,
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
        """Events: status, retrieved (hits), token (draft text), final (checked Answer)."""
        t0 = time.perf_counter()
        timings: dict[str, float] = {}
        question, notices = self._check_question(question)
        standalone = question
        if history:
            yield StreamEvent("status", text="Understanding the follow-up question…")
            standalone = self._rewrite(question, history)
            timings["rewrite_s"] = time.perf_counter() - t0
        t1 = time.perf_counter()
        hits = self.retriever.search(standalone, k=self.settings.top_k, also=followup_query(question, history))
        timings["retrieve_s"] = time.perf_counter() - t1
        yield StreamEvent("retrieved", hits=tuple(hits), standalone_question=standalone)

        if self.settings.answer_mode == "evidence":
            yield from self._evidence_path(question, standalone, hits, notices, timings, t0)
        else:
            yield from self._single_path(question, standalone, hits, notices, timings, t0)

    # -- the single-prompt path: top passages -> one constrained draft -> verified ----------

    def _single_path(
        self,
        question: str,
        standalone: str,
        hits: Sequence[Hit],
        notices: list[str],
        timings: dict[str, float],
        t0: float,
        path: str = "single",
    ) -> Iterator[StreamEvent]:
        passages = self._select(hits)
        if not passages:
            timings["total_s"] = time.perf_counter() - t0
            notices.append("no retrieved passage was relevant enough; the model was not asked")
            answer = self._refusal(question, standalone, hits, notices, timings=timings)
            yield StreamEvent("final", answer=replace(answer, pipeline=path))
            return

        # generation, constrained to {sentences: [{passages, text}]} (an empty list declines)
        t2 = time.perf_counter()
        may_decline = self.settings.model_may_decline
        messages = prompts.answer_messages(
            standalone, passages, self.settings.passage_words, self.settings.few_shot, may_decline
        )
        schema = prompts.answer_schema(len(passages), may_decline=may_decline)
        raw = yield from self._draft(self.generator, messages, schema, timings, t0, t2)

        t3 = time.perf_counter()
        answer = self._checked(question, standalone, parse_model_output(raw), passages, hits, notices)
        timings["verify_s"] = time.perf_counter() - t3
        timings["total_s"] = time.perf_counter() - t0
        yield StreamEvent("final", answer=replace(answer, timings=timings, model=self._model_info(raw), pipeline=path))

    def _draft(
        self,
        generator: Generator,
        messages: list[dict[str, str]],
        schema: dict[str, Any],
        timings: dict[str, float],
        t0: float,
        t2: float,
    ) -> Generator_[StreamEvent, None, str]:
        """Stream a JSON draft's readable text as token events; return the raw reply."""
        raw = ""
        draft = ""
        first_token = None
        for piece in generator.stream(messages, max_tokens=self.settings.max_new_tokens, json_schema=schema):
            if first_token is None:
                first_token = time.perf_counter() - t0
            raw += piece
            new_draft = draft_from_partial(raw)
            if new_draft.startswith(draft) and len(new_draft) > len(draft):
                yield StreamEvent("token", text=new_draft[len(draft) :])
                draft = new_draft
        timings["generate_s"] = time.perf_counter() - t2
        timings["first_token_s"] = first_token if first_token is not None else timings["generate_s"]
        return raw

    # -- the evidence-first path: sentences pre-scored -> the model picks -> composes from them --

    def _evidence_path(
        self,
        question: str,
        standalone: str,
        hits: Sequence[Hit],
        notices: list[str],
        timings: dict[str, float],
        t0: float,
    ) -> Iterator[StreamEvent]:
        s = self.settings
        if not self._select(hits):
            timings["total_s"] = time.perf_counter() - t0
            notices.append("no retrieved passage was relevant enough; the model was not asked")
            answer = self._refusal(question, standalone, hits, notices, timings=timings)
            yield StreamEvent("final", answer=replace(answer, pipeline="evidence"))
            return
        t1 = time.perf_counter()
        named: dict[str, float] = getattr(self.retriever, "named_sources", lambda q: {})(standalone)
        # -- issue 27 (qa/broad.py): summary, list, comparison and two-part questions answered in blocks
        found = self._broad(standalone, hits, named) if s.broad_answers and s.evidence_compose == "extractive" else None
        if found is not None:
            yield from self._broad_answer(question, standalone, found, hits, notices, timings, t0)
            return
        the_plan = evidence.plan(standalone, named)
        if the_plan.capped:
            notices.append(
                f"the question has {len(the_plan.parts) + the_plan.capped} parts; "
                f"only the first {len(the_plan.parts)} were answered: ask the others separately"
            )
        pool = self._evidence_pool(standalone, hits, the_plan)
        candidates = evidence.sentences_of(pool)
        queries = [standalone, *the_plan.parts] if len(the_plan.parts) > 1 else [standalone]
        ranked = evidence.prescore(candidates, queries, self._embed_fn())
        shortlist = evidence.reading_order(evidence.choose(ranked, the_plan, s.evidence_sentences))
        timings["prescore_s"] = time.perf_counter() - t1
        if not shortlist:
            notices.append("the retrieved passages hold no sentence to use as evidence")
            yield from self._fallback(question, standalone, hits, notices, timings, t0)
            return

        yield StreamEvent("status", text="Choosing the sentences that answer…")
        t2 = time.perf_counter()
        select = evidence.select_messages(standalone, shortlist)
        answerer = self.generator.for_role("answer")
        try:
            picked = answerer.generate(
                select, max_tokens=40, json_schema=evidence.select_schema(len(shortlist), s.evidence_max_chosen)
            )
        except QAError as err:
            notices.append(f"choosing evidence failed ({err.one_line()})")
            yield from self._fallback(question, standalone, hits, notices, timings, t0)
            return
        timings["select_s"] = time.perf_counter() - t2
        model_ids = evidence.parse_selection(picked, len(shortlist))
        if not model_ids:
            notices.append("the model's choice of evidence was unreadable")
            yield from self._fallback(question, standalone, hits, notices, timings, t0)
            return
        ids = evidence.with_top(model_ids, shortlist, s.evidence_prescore_keep)
        ids = evidence.cover_sources(ids, shortlist, the_plan.sources)
        chosen = [shortlist[i - 1] for i in ids]
        timings["first_evidence_s"] = time.perf_counter() - t0
        yield StreamEvent("evidence", evidence=tuple(chosen))

        t3 = time.perf_counter()
        if s.evidence_compose == "extractive":
            # the answer is the chosen sentences themselves (the model's picks first), each citing itself
            order = [i for i in model_ids if i in ids] + [i for i in ids if i not in model_ids]
            # a question or an echo of the question is no answer; each named source's first sentence leads
            order = [
                i
                for i in order
                if evidence.novelty(shortlist[i - 1].text, standalone) >= 0.2
                and not shortlist[i - 1].text.rstrip("”\"’' ").endswith("?")
            ]
            order = evidence.sources_first(order, shortlist, the_plan.sources)
            fits = evidence.fit_length([shortlist[i - 1].text for i in order], s.evidence_answer_sentences)
            draft = Draft(tuple(DraftSentence(shortlist[order[j] - 1].text, (order[j],)) for j in fits), "")
            raw = ""
            for sentence in draft.sentences:
                yield StreamEvent("token", text=sentence.text + " ")
            timings["generate_s"] = time.perf_counter() - t3
        else:
            raw = yield from self._draft(
                answerer,
                evidence.compose_messages(select, picked, ids),
                evidence.compose_schema(ids, s.evidence_answer_sentences),
                timings,
                t0,
                t3,
            )
            draft = parse_model_output(raw)
        if not draft.sentences:
            notices.append("the answer written from the chosen evidence was unreadable")
            yield from self._fallback(question, standalone, hits, notices, timings, t0)
            return
        t4 = time.perf_counter()
        answer = self._checked_evidence(question, standalone, draft, shortlist, ids, hits, notices)
        timings["verify_s"] = time.perf_counter() - t4
        timings["total_s"] = time.perf_counter() - t0
        answer = replace(answer, timings=timings, model=self._model_info(raw), raw_answer=picked + "\n" + raw)
        yield StreamEvent("final", answer=answer)

    # -- issue 27: broad questions, the blocks of qa/broad.py checked like extractive evidence -------

    def _broad(self, standalone: str, hits: Sequence[Hit], named: dict[str, float]) -> broad.Broad | None:
        """The blocks of a summary, list, comparison or two-part question; None for a fact question."""
        kind = kinds.kind_of(standalone)  # a fact naming two sources by author becomes a comparison in gather

        def query_vector() -> Any:  # only summaries and comparisons need it
            return self.retriever.embedder.embed_query(standalone)

        return broad.gather(kind, standalone, self.retriever, hits, named, query_vector, self._embed_fn())

    def _broad_answer(
        self,
        question: str,
        standalone: str,
        found: broad.Broad,
        hits: Sequence[Hit],
        notices: list[str],
        timings: dict[str, float],
        t0: float,
    ) -> Iterator[StreamEvent]:
        """No model pick: the blocks' sentences are the answer, checked and decided as on the extractive path."""
        shortlist = list(found.evidence)
        timings["first_evidence_s"] = time.perf_counter() - t0
        yield StreamEvent("evidence", evidence=tuple(shortlist))
        draft = broad.draft(found)
        for sentence in draft.sentences:
            yield StreamEvent("token", text=sentence.text + " ")
        timings["generate_s"] = 0.0
        t4 = time.perf_counter()
        ids = list(range(1, len(shortlist) + 1))
        answer = self._checked_evidence(question, standalone, draft, shortlist, ids, hits, notices)
        timings["verify_s"] = time.perf_counter() - t4
        timings["total_s"] = time.perf_counter() - t0
        answer = broad.labelled(answer, found)
        answer = replace(
            answer, timings=timings, model=self._model_info(""), decision={**answer.decision, "kind": found.kind}
        )
        yield StreamEvent("final", answer=answer)

    def _fallback(
        self,
        question: str,
        standalone: str,
        hits: Sequence[Hit],
        notices: list[str],
        timings: dict[str, float],
        t0: float,
    ) -> Iterator[StreamEvent]:
        notices.append("answered with the single-prompt path instead")
        yield from self._single_path(question, standalone, hits, notices, timings, t0, path="fallback")

    def _evidence_pool(self, standalone: str, hits: Sequence[Hit], the_plan: evidence.Plan) -> list[Hit]:
        """The passages sentences are drawn from: the best ``evidence_passages``
        hits, plus the best few of each part and of each named source."""
        s = self.settings
        pool = list(hits[: s.evidence_passages])
        extra: list[Hit] = []
        if len(the_plan.parts) > 1:
            for part in the_plan.parts:
                extra += self.retriever.search(part, k=4)
        for sid in the_plan.sources:
            extra += self.retriever.search(standalone, k=3, source_ids=[sid])
        seen = {h.chunk.chunk_id for h in pool}
        for h in extra:
            if h.chunk.chunk_id not in seen:
                seen.add(h.chunk.chunk_id)
                pool.append(h)
        return pool

    def _embed_fn(self) -> evidence.Embed | None:
        try:
            embedder = self.retriever.embedder
        except (AttributeError, QAError):
            return None
        return getattr(embedder, "embed", None)

    def _checked_evidence(
        self,
        question: str,
        standalone: str,
        draft: Draft,
        shortlist: Sequence[Evidence],
        ids: Sequence[int],
        hits: Sequence[Hit],
        notices: list[str],
    ) -> Answer:
        """The composed draft checked sentence by sentence against the quotes it
        cites (numbers into ``shortlist``; only the chosen ``ids`` count)."""
        chosen = [shortlist[i - 1] for i in ids]
        allowed = allowed_names(standalone, chosen)
        kept: list[CheckedSentence] = []
        removed: list[str] = []
        invalid = 0
        rejected = 0
        for sentence in draft.sentences:
            good, bad = validate(sentence.keys, len(shortlist))
            invalid += bad + sum(1 for k in good if k not in ids)
            good = tuple(k for k in good if k in ids)
            checked, why = check_evidence_sentence(sentence.text, good, shortlist, self.judge, allowed, ids)
            if checked.supports:
                kept.append(checked)
            else:
                removed.append(sentence.text)
                rejected += why in ("number", "name")
        base: dict[str, Any] = {"pipeline": "evidence", "evidence": tuple(chosen), "rejected_sentences": rejected}
        checked_all = Checked(tuple(kept), tuple(removed), invalid)
        if rejected:
            notices.append(f"{rejected} sentence(s) removed: a number or name not in the quotes they cite")
        if not kept:
            notices.append("no sentence of the draft answer was supported by the chosen evidence")
            answer = self._refusal(question, standalone, hits, notices, raw=draft.raw, checked=checked_all)
            return replace(answer, **base)
        sentences, citations = number_citations(kept, [e.hit for e in shortlist])
        if self.settings.answer_check:
            ok, base["decision"] = self._decide(standalone, [k.text for k in kept])
            if not ok:
                notices.append("the supported sentences do not give what the question asks for")
                answer = self._refusal(question, standalone, hits, notices, raw=draft.raw, checked=checked_all)
                return self._partial(standalone, replace(answer, **base), sentences, citations)
        if len(removed) > rejected:
            notices.append(f"{len(removed) - rejected} sentence(s) removed: not supported by the cited sentences")
        answer = self._answered(question, standalone, sentences, citations, hits, notices, draft.raw)
        return replace(answer, removed_sentences=tuple(removed), invalid_citations=invalid, **base)

    # -- steps ---------------------------------------------------------------

    def _check_question(self, question: str) -> tuple[str, list[str]]:
        return check_question(question, self.settings.max_question_chars)

    def _rewrite(self, question: str, history: History) -> str:
        out = self.generator.for_role("rewrite").generate(prompts.rewrite_messages(question, history), max_tokens=60)
        out = out.strip().strip('"').splitlines()[0].strip() if out.strip() else ""
        # a rewrite that lost the question or ran away is not used
        if not out or len(out) > 4 * len(question) + 200:
            return question
        return out

    def _select(self, hits: Sequence[Hit]) -> list[Hit]:
        """The passages the model sees, most relevant last; none when nothing is relevant."""
        if not hits:
            return []
        best = max(h.dense_score or 0.0 for h in hits)
        if best < self.settings.min_relevance and not any(h.lexical_rank for h in hits[:3]):
            return []
        shown = prompts.close_to_best(hits[: self.settings.context_passages], self.settings.passage_min_share)
        return shown if self.settings.best_passage_first else prompts.order_passages(shown)

    def _checked(
        self, question: str, standalone: str, draft: Draft, passages: list[Hit], hits: Sequence[Hit], notices: list[str]
    ) -> Answer:
        """The draft verified and cited, or the refusal when nothing of it stands."""
        if not draft.sentences:
            notices.append("the model found no answer in the passages")
            return self._refusal(question, standalone, hits, notices, raw=draft.raw)
        checked = check_draft(
            draft,
            passages,
            self.judge,
            verify=self.judge is not None or self.settings.verify,
            around=self.settings.judge_context,
        )
        if not checked.kept:
            notices.append("no sentence of the draft answer was supported by the passages")
            return self._refusal(question, standalone, hits, notices, raw=draft.raw, checked=checked)
        if self.settings.answer_check and not self._answers(standalone, " ".join(s.text for s in checked.kept)):
            notices.append("the supported sentences do not give what the question asks for")
            return self._refusal(question, standalone, hits, notices, raw=draft.raw, checked=checked)
        sentences, citations = number_citations(checked.kept, passages)
        if checked.removed:
            notices.append(f"{len(checked.removed)} sentence(s) removed: not supported by the cited passages")
        answer = self._answered(question, standalone, sentences, citations, hits, notices, draft.raw)
        return replace(answer, removed_sentences=checked.removed, invalid_citations=checked.invalid_citations)

    def _answered(
        self,
        question: str,
        standalone: str,
        sentences: Sequence[Sentence],
        citations: Sequence[Citation],
        hits: Sequence[Hit],
        notices: list[str],
        raw: str,
    ) -> Answer:
        """An answer of verified, numbered sentences: "text [1][2] text [3]"."""
        text = " ".join(f"{s.text} " + "".join(f"[{n}]" for n in s.citations) for s in sentences)
        return Answer(
            question=question,
            standalone_question=standalone,
            answer=text.strip(),
            refused=False,
            sentences=tuple(sentences),
            citations=tuple(citations),
            retrieved=tuple(hits),
            notices=tuple(notices),
            raw_answer=raw,
        )

    def _decide(self, question: str, sentences: Sequence[str]) -> tuple[bool, dict[str, Any]]:
        """Answer or refuse: the fitted decision (``qa.decide``) when a
        calibration is loaded and the backend exposes Yes/No probabilities;
        else the judge's sampled yes/no (the previous chain)."""
        cal = self.calibration
        p_yes = None
        if cal is not None:
            p_yes = self.generator.for_role("check").yes_probability(
                prompts.answers_question_messages(question, " ".join(sentences))
            )
        if cal is None or p_yes is None:
            ok = self._answers(question, " ".join(sentences))
            found = {"by": "yes-no judge", "answers": ok}
            return ok, {**found, "warning": self.calibration_problem} if self.calibration_problem else found
        x = decide.features(question, sentences, p_yes)
        ok, prob = cal.answers(x)
        return ok, {
            "by": "calibrated",
            "answers": ok,
            "probability": round(prob, 4),
            "threshold": round(cal.threshold, 4),
            "p_yes": round(p_yes, 4),
            "features": {k: round(v, 4) for k, v in x.items()},
        }

    def _partial(
        self, question: str, refusal: Answer, sentences: Sequence[Sentence], citations: Sequence[Citation]
    ) -> Answer:
        """A refusal that also says what the sources do say nearby: the first
        supported sentence most about the question, cited (still ``refused``:
        it is not the answer), when it holds ``PARTIAL_COVERAGE`` of the question's words."""
        if not sentences:
            return refusal
        first = max(sentences, key=lambda x: decide.coverage(question, x.text))
        if decide.coverage(question, first.text) < PARTIAL_COVERAGE:
            return refusal
        cited = [c for c in citations if c.n in first.citations]
        mapping = {c.n: i for i, c in enumerate(cited, start=1)}
        related = replace(first, citations=tuple(mapping[n] for n in first.citations))
        renumbered = tuple(replace(c, n=mapping[c.n]) for c in cited)
        marks = "".join(f"[{n}]" for n in related.citations)
        text = f"{refusal.answer} The closest they come: {related.text} {marks}"
        return replace(refusal, answer=text, related=(related,), citations=renumbered)

    def _answers(self, question: str, draft: str) -> bool:
        """The judge's view of whether ``draft`` answers ``question``; judges that cannot tell say yes."""
        check = getattr(self.judge, "answers", None)
        return True if check is None else bool(check(question, draft))

    def _refusal(
        self,
        question: str,
        standalone: str,
        hits: Sequence[Hit],
        notices: list[str],
        *,
        timings: dict[str, float] | None = None,
        raw: str = "",
        checked: Checked | None = None,
    ) -> Answer:
        """The fixed refusal, with the closest passages and whatever the check removed."""
        return Answer(
            question=question,
            standalone_question=standalone,
            answer=prompts.REFUSAL,
            refused=True,
            sentences=(),
            citations=(),
            retrieved=tuple(hits),
            timings=timings or {},
            model=self._model_info(raw),
            notices=tuple(notices),
            removed_sentences=checked.removed if checked else (),
            invalid_citations=checked.invalid_citations if checked else 0,
            raw_answer=raw,
        )

    def _model_info(self, raw: str) -> dict[str, Any]:
        info = dict(self.generator.info())
        info["embed_model"] = self.settings.embed_model
        info["judge"] = getattr(self.judge, "name", None)
        if raw:
            with contextlib.suppress(Exception):  # token counts are informative only
                info["completion_tokens"] = self.generator.count_tokens(raw)
        return info
