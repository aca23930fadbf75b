"""Per-sentence support checking: does a cited sentence state this answer sentence?

Two judges behind one protocol: ``LexicalJudge`` (content-word recall, numbers
must match; deterministic, no model) and ``LLMJudge`` (the answer model asked
a strict yes/no question); the benchmark's ALCE scores use them too.
``check_answer`` checks every sentence of an answer against the quotes it
cites (``check_evidence_sentence``: every number and name in them, the lexical
score as a fast filter and the judge for the cases between) and returns what
was kept and removed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from qa.citations import missing_names, support_score
from qa.prompts import answers_question_messages, judge_messages
from qa.records import CheckedSentence, Evidence, Support, Verdict
from qa.text import content_terms, names, numbers

LEXICAL_ACCEPT = 0.85  # content-word recall at which support is clear without a model
LEXICAL_FLOOR = 0.34  # below it the passage cannot support the claim


class SupportJudge(Protocol):
    """Does ``premise`` support ``claim``? Used by verification and by the benchmark's ALCE scores."""

    name: str
    version: str

    def supports(self, premise: str, claim: str) -> bool: ...


class LexicalJudge:
    """Supported when most content words of the claim (and all its numbers) are in the premise."""

    name = "lexical-recall"
    version = "2"  # 2: a name of the claim missing from the premise means no support

    def __init__(self, threshold: float = 0.7) -> None:
        self.threshold = threshold

    def supports(self, premise: str, claim: str) -> bool:
        return support_score(claim, premise) >= self.threshold and not missing_names(claim, premise)


class LLMJudge:
    """The answer model asked: does the passage support the claim? (yes/no)."""

    version = "1"

    def __init__(self, generator: object) -> None:
        self.generator = generator
        info: dict[str, Any] = getattr(generator, "info", lambda: {})()
        self.name = f"llm-yes-no:{info.get('model', getattr(generator, 'name', 'model'))}"

    def _role(self, role: str) -> object:
        for_role = getattr(self.generator, "for_role", None)
        return for_role(role) if for_role else self.generator

    def supports(self, premise: str, claim: str) -> bool:
        out = self._role("judge").generate(judge_messages(claim, premise), max_tokens=3)  # type: ignore[attr-defined]
        return out.strip().lower().startswith("yes")

    def answers(self, question: str, answer: str) -> bool:
        """Does ``answer`` give what ``question`` asks for (not only related background)?"""
        out = self._role("check").generate(answers_question_messages(question, answer), max_tokens=3)  # type: ignore[attr-defined]
        return out.strip().lower().startswith("yes")


# ------------------------------------------------------------------ evidence-first answers: claims against quoted sentences


def check_evidence_sentence(
    claim: str,
    cited: Sequence[int],
    evidence: Sequence[Evidence],
    judge: SupportJudge | None,
    allowed: frozenset[str] = frozenset(),
    usable: Sequence[int] | None = None,
) -> tuple[CheckedSentence, str]:
    """``claim`` checked against the evidence sentences it cites (1-based in
    ``evidence``), and why it was dropped ("" when kept).

    Stricter than ``check_sentence``: every number of the claim must be in a
    cited sentence, and every name too (``allowed``: names it may use besides,
    such as the cited sources' authors and the question's own names); the
    judge reads the cited sentences only. When a number or name is missing,
    the other chosen sentences holding it may be cited too (re-cited); else
    the claim is rejected ("number"/"name"). ``usable``: the numbers that may
    be re-cited (default: all). Each support's span is its
    sentence's exact span in its chunk, so a citation quotes it verbatim."""
    keys = [k for k in cited if 1 <= k <= len(evidence)]
    keys = _cover(claim, keys, evidence, allowed, usable)
    if not keys:
        return CheckedSentence(claim, (), ()), "uncited"
    joint = " ".join(evidence[k - 1].text for k in keys)
    if numbers(claim) - numbers(joint):
        return CheckedSentence(claim, (), (Verdict(keys[0], False, "numbers", 0.0),)), "number"
    if names(claim) - set(content_terms(joint)) - allowed:
        return CheckedSentence(claim, (), (Verdict(keys[0], False, "names", 0.0),)), "name"
    score = support_score(claim, joint, " ".join(allowed))
    if score >= LEXICAL_ACCEPT:
        ok, who = True, LexicalJudge.name
    elif score < LEXICAL_FLOOR or judge is None:
        ok, who = judge is None and score >= LexicalJudge().threshold, LexicalJudge.name
    else:
        premise = "\n".join(f"({_label(evidence[k - 1])}) {evidence[k - 1].text}" for k in keys)
        ok, who = judge.supports(premise, claim), judge.name
    # a cited sentence sharing nothing with the claim is not one of its supports
    claim_terms = set(content_terms(claim)) | numbers(claim)
    useful = [
        k for k in keys if claim_terms & (set(content_terms(evidence[k - 1].text)) | numbers(evidence[k - 1].text))
    ]
    useful = useful or keys[:1]
    verdicts = tuple(Verdict(k, ok, who, round(score, 3)) for k in useful)
    if not ok:
        return CheckedSentence(claim, (), verdicts), "unsupported"
    supports = tuple(Support(k, evidence[k - 1].start, evidence[k - 1].end, v) for k, v in zip(useful, verdicts))
    return CheckedSentence(claim, supports, verdicts), ""


def _cover(
    claim: str, keys: list[int], evidence: Sequence[Evidence], allowed: frozenset[str], usable: Sequence[int] | None
) -> list[int]:
    """``keys`` plus, for each number or name of the claim they lack, the first other evidence sentence holding it."""
    have = " ".join(evidence[k - 1].text for k in keys)
    wanted = [(n, True) for n in sorted(numbers(claim) - numbers(have))]
    wanted += [(t, False) for t in sorted(names(claim) - set(content_terms(have)) - allowed)]
    out = list(keys)
    for item, is_number in wanted:
        for k, ev in enumerate(evidence, start=1):
            if k in out or (usable is not None and k not in usable):
                continue
            if (item in numbers(ev.text)) if is_number else (item in set(content_terms(ev.text))):
                out.append(k)
                break
    return out


def _label(ev: Evidence) -> str:
    m = ev.hit.source.meta
    return ", ".join(x for x in (" ".join(m.authors) or m.title, m.date or "") if x)


def allowed_names(question: str, evidence: Sequence[Evidence]) -> frozenset[str]:
    """Names an answer sentence may use without a cited sentence stating them:
    the question's own, and the evidence sources' authors and publishers (never titles or dates)."""
    out = set(content_terms(" ".join(w for w in question.split() if w[:1].isupper())))
    for ev in evidence:
        m = ev.hit.source.meta
        out |= set(content_terms(" ".join(m.authors) + " " + (m.publisher or "")))
    return frozenset(out)


def check_answer(
    sentences: Sequence[tuple[str, tuple[int, ...]]],
    evidence: Sequence[Evidence],
    judge: SupportJudge | None,
    allowed: frozenset[str],
    usable: Sequence[int],
) -> tuple[list[CheckedSentence], list[str], int]:
    """Each (text, cited numbers) checked against ``evidence`` (numbers outside
    ``usable`` do not count): the kept sentences, the removed texts, and how many
    were removed for a number or name their quotes lack."""
    kept: list[CheckedSentence] = []
    removed: list[str] = []
    rejected = 0
    for text, keys in sentences:
        good = tuple(k for k in keys if k in usable)
        checked, why = check_evidence_sentence(text, good, evidence, judge, allowed, usable)
        if checked.supports:
            kept.append(checked)
        else:
            removed.append(text)
            rejected += why in ("number", "name")
    return kept, removed, rejected
