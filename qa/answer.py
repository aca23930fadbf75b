"""Answering: question -> (standalone question) -> passages -> constrained
generation -> citation keys checked -> each sentence verified -> Answer.

Citations and refusals are built by the system, not trusted to the model:
the model must attach passage numbers to every sentence (JSON schema), keys
that point nowhere are dropped and counted, each sentence is checked against
the passages it cites (re-cited or removed when unsupported), and an answer
with nothing supported becomes the fixed refusal plus the closest passages.
"""
from __future__ import annotations

import json
import re
import time
from typing import Any, Iterator, Sequence

from qa import prompts
from qa.citations import renumber, split_cited, validate
from qa.config import Settings
from qa.errors import InputError
from qa.backends import Generator, make_generator
from qa.records import Answer, Citation, Hit, Sentence, StreamEvent, Verdict
from qa.retrieve import Retriever, followup_query
from qa.verify import LLMJudge, LexicalJudge, Support, SupportJudge, check_sentence

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
            yield StreamEvent("final", answer=self._refusal(question, standalone, hits, timings, notices))
            return

        # generation, constrained to {sentences: [{passages, text}]} (an empty list declines)
        t2 = time.perf_counter()
        raw = ""
        draft = ""
        first_token = None
        may_decline = self.settings.model_may_decline
        messages = prompts.answer_messages(standalone, passages, self.settings.passage_words, self.settings.few_shot,
                                           may_decline)
        schema = prompts.answer_schema(len(passages), may_decline=may_decline)
        for piece in self.generator.stream(messages, max_tokens=self.settings.max_new_tokens, json_schema=schema):
            if first_token is None:
                first_token = time.perf_counter() - t0
            raw += piece
            new_draft = draft_from_partial(raw)
            if new_draft.startswith(draft) and len(new_draft) > len(draft):
                yield StreamEvent("token", text=new_draft[len(draft):])
                draft = new_draft
        timings["generate_s"] = time.perf_counter() - t2
        timings["first_token_s"] = first_token if first_token is not None else timings["generate_s"]

        t3 = time.perf_counter()
        answer = self._checked(question, standalone, raw, passages, hits, notices)
        timings["verify_s"] = time.perf_counter() - t3
        timings["total_s"] = time.perf_counter() - t0
        yield StreamEvent("final", answer=_with(answer, timings=timings, model=self._model_info(raw)))

    # -- steps ---------------------------------------------------------------

    def _check_question(self, question: str) -> tuple[str, list[str]]:
        if not isinstance(question, str) or not question.strip():
            raise InputError("the question is empty", "type a question about the sources")
        notices: list[str] = []
        question = " ".join(question.split())
        limit = self.settings.max_question_chars
        if len(question) > limit:
            notices.append(f"the question was {len(question):,} characters; only the first {limit:,} were used")
            question = question[:limit].rsplit(" ", 1)[0]
        return question, notices

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
        self, question: str, standalone: str, raw: str, passages: list[Hit], hits: Sequence[Hit], notices: list[str]
    ) -> Answer:
        found, parsed = parse_model_output(raw)
        if not found or not parsed:
            notices.append("the model found no answer in the passages")
            return self._refusal(question, standalone, hits, {}, notices, raw=raw)
        invalid = 0
        kept: list[tuple[str, list[Support], list[Verdict]]] = []
        removed: list[str] = []
        for text, keys in parsed:
            good, bad = validate(keys, len(passages))
            invalid += bad
            if self.judge is None and self.settings.verify is False:
                supports = [_unchecked(k, passages[k - 1]) for k in good]
                verdicts = [s.verdict for s in supports]
            else:
                supports, verdicts = check_sentence(text, good, passages, self.judge, around=self.settings.judge_context)
            if supports:
                kept.append((text, supports, verdicts))
            else:
                removed.append(text)
        if not kept:
            notices.append("no sentence of the draft answer was supported by the passages")
            return self._refusal(question, standalone, hits, {}, notices, raw=raw, removed=removed, invalid=invalid)
        draft = " ".join(text for text, _s, _v in kept)
        if self.settings.answer_check and not self._answers(standalone, draft):
            notices.append("the supported sentences do not give what the question asks for")
            return self._refusal(question, standalone, hits, {}, notices, raw=raw,
                                 removed=removed, invalid=invalid)
        sentences, citations = _number(kept, passages)
        if removed:
            notices.append(f"{len(removed)} sentence(s) removed: not supported by the cited passages")
        text = " ".join(f"{s.text} " + "".join(f"[{n}]" for n in s.citations) for s in sentences)
        return Answer(
            question=question, standalone_question=standalone, answer=text.strip(), refused=False,
            sentences=tuple(sentences), citations=tuple(citations), retrieved=tuple(hits),
            notices=tuple(notices), removed_sentences=tuple(removed), invalid_citations=invalid, raw_answer=raw,
        )

    def _answers(self, question: str, draft: str) -> bool:
        """The judge's view of whether ``draft`` answers ``question``; judges that cannot tell say yes."""
        check = getattr(self.judge, "answers", None)
        return True if check is None else bool(check(question, draft))

    def _refusal(
        self, question: str, standalone: str, hits: Sequence[Hit], timings: dict[str, float],
        notices: list[str], raw: str = "", removed: Sequence[str] = (), invalid: int = 0,
    ) -> Answer:
        return Answer(
            question=question, standalone_question=standalone, answer=prompts.REFUSAL, refused=True,
            sentences=(), citations=(), retrieved=tuple(hits), timings=timings, model=self._model_info(raw),
            notices=tuple(notices), removed_sentences=tuple(removed), invalid_citations=invalid, raw_answer=raw,
        )

    def _model_info(self, raw: str) -> dict[str, Any]:
        info = dict(self.generator.info())
        info["embed_model"] = self.settings.embed_model
        info["judge"] = getattr(self.judge, "name", None)
        if raw:
            try:
                info["completion_tokens"] = self.generator.count_tokens(raw)
            except Exception:  # token counts are informative only
                pass
        return info


def parse_model_output(raw: str) -> tuple[bool, list[tuple[str, tuple[int, ...]]]]:
    """(answer_found, [(sentence, keys)]) from the model's JSON, or from free
    text with [n] markers when a backend could not enforce the schema."""
    text = raw.strip()
    m = re.search(r"\{.*\}", text, re.S)
    if m:
        try:
            obj = json.loads(m.group(0))
            found = bool(obj.get("answer_found", True))
            out = []
            for s in obj.get("sentences") or []:
                t = " ".join(str(s.get("text", "")).split())
                keys = tuple(int(k) for k in (s.get("passages") or []) if str(k).lstrip("-").isdigit())
                # markers the model also wrote inside the text count too
                for ps in split_cited(t) or []:
                    keys += ps.keys
                cleaned = " ".join(p.text for p in split_cited(t)) or t
                if cleaned:
                    out.append((cleaned, keys))
            return found, out
        except (json.JSONDecodeError, AttributeError, TypeError, ValueError):
            pass
    if text.startswith("{"):
        # broken JSON: keep only the sentence texts, never the syntax
        parts = [(json.loads('"' + m.group(2).rstrip("\\") + '"') if _valid_json_string(m.group(2)) else m.group(2),
                  tuple(int(k) for k in re.findall(r"\d+", m.group(1))))
                 for m in _PARTIAL.finditer(text) if m.group(2)]
        return bool(parts), [(" ".join(t.split()), keys) for t, keys in parts if t.strip()]
    if not text or prompts.REFUSAL.lower().rstrip(".") in text.lower():
        return False, []
    return True, [(p.text, p.keys) for p in split_cited(text)]


_PARTIAL = re.compile(r'"passages"\s*:\s*\[([\d,\s]*)\]?\s*,?\s*(?:"text"\s*:\s*"((?:[^"\\]|\\.)*)("?))?')


def _valid_json_string(body: str) -> bool:
    try:
        json.loads('"' + body.rstrip("\\") + '"')
        return True
    except json.JSONDecodeError:
        return False


def draft_from_partial(buf: str) -> str:
    """The readable draft inside a partial JSON answer, for streaming."""
    parts = []
    for m in _PARTIAL.finditer(buf):
        if m.group(2) is None:
            break
        try:
            text = json.loads('"' + m.group(2).rstrip("\\") + '"')
        except json.JSONDecodeError:
            text = m.group(2)
        keys = [k for k in re.findall(r"\d+", m.group(1))]
        closed = bool(m.group(3))
        parts.append(text + ((" " + "".join(f"[{k}]" for k in keys)) if closed else ""))
    return " ".join(parts)


def _unchecked(key: int, hit: Hit) -> Support:
    return Support(key, 0, len(hit.chunk.text), Verdict(key, True, "none"))


def _number(
    kept: list[tuple[str, list[Support], list[Verdict]]], passages: list[Hit]
) -> tuple[list[Sentence], list[Citation]]:
    """Citation numbers by first use of each distinct supporting span."""
    span_keys = [tuple((s.key, s.start, s.end) for s in supports) for _, supports, _ in kept]
    renumbered, mapping = renumber(span_keys)  # type: ignore[arg-type]
    citations = []
    for (key, start, end), n in sorted(mapping.items(), key=lambda kv: kv[1]):  # type: ignore[misc]
        hit = passages[key - 1]
        a, b = hit.chunk.start + start, hit.chunk.start + end
        citations.append(Citation(
            n=n, chunk_id=hit.chunk.chunk_id, source_id=hit.source.source_id, source_file=hit.source.source_file,
            title=hit.source.meta.title, start=a, end=b, quote=hit.chunk.text[start:end],
        ))
    key_to_n = {}
    for (key, _s, _e), n in mapping.items():  # type: ignore[misc]
        key_to_n.setdefault(key, n)
    sentences = []
    for (text, _supports, verdicts), ns in zip(kept, renumbered):
        vs = tuple(Verdict(key_to_n.get(v.n, 0), v.supported, v.judge, v.score) for v in verdicts)
        sentences.append(Sentence(text=text, citations=tuple(ns), supported=True, verdicts=vs))
    return sentences, citations


def _with(answer: Answer, **changes: Any) -> Answer:
    from dataclasses import replace

    return replace(answer, **changes)
