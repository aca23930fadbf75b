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
from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import Any

from qa import prompts
from qa.backends import Generator, make_generator
from qa.citations import number_citations
from qa.config import Settings
from qa.inputs import check_question
from qa.parse import draft_from_partial, parse_model_output
from qa.records import Answer, Checked, Draft, Hit, StreamEvent
from qa.retrieve import Retriever, followup_query
from qa.verify import LexicalJudge, LLMJudge, SupportJudge, check_draft

History = Sequence[dict[str, str]]


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

        passages = self._select(hits)
        if not passages:
            timings["total_s"] = time.perf_counter() - t0
            notices.append("no retrieved passage was relevant enough; the model was not asked")
            yield StreamEvent("final", answer=self._refusal(question, standalone, hits, notices, timings=timings))
            return

        # generation, constrained to {sentences: [{passages, text}]} (an empty list declines)
        t2 = time.perf_counter()
        raw = ""
        draft = ""
        first_token = None
        may_decline = self.settings.model_may_decline
        messages = prompts.answer_messages(
            standalone, passages, self.settings.passage_words, self.settings.few_shot, may_decline
        )
        schema = prompts.answer_schema(len(passages), may_decline=may_decline)
        for piece in self.generator.stream(messages, max_tokens=self.settings.max_new_tokens, json_schema=schema):
            if first_token is None:
                first_token = time.perf_counter() - t0
            raw += piece
            new_draft = draft_from_partial(raw)
            if new_draft.startswith(draft) and len(new_draft) > len(draft):
                yield StreamEvent("token", text=new_draft[len(draft) :])
                draft = new_draft
        timings["generate_s"] = time.perf_counter() - t2
        timings["first_token_s"] = first_token if first_token is not None else timings["generate_s"]

        t3 = time.perf_counter()
        answer = self._checked(question, standalone, parse_model_output(raw), passages, hits, notices)
        timings["verify_s"] = time.perf_counter() - t3
        timings["total_s"] = time.perf_counter() - t0
        yield StreamEvent("final", answer=replace(answer, timings=timings, model=self._model_info(raw)))

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
            removed_sentences=checked.removed,
            invalid_citations=checked.invalid_citations,
            raw_answer=draft.raw,
        )

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
