"""Per-sentence support checking: does a cited passage state this sentence?

Two judges behind one protocol: ``LexicalJudge`` (content-word recall, numbers
must match; deterministic, no model) and ``LLMJudge`` (the answer model asked
a strict yes/no question). ``check_sentence`` uses the lexical score as a fast
filter (clear support accepted, clear non-support rejected) and the judge for
the cases between; a sentence no cited passage supports may be re-cited to
another retrieved passage that does. ``check_draft`` does this for every
sentence of a draft and returns what was kept and removed (``Checked``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from qa.citations import best_span, missing_names, support_score, validate
from qa.prompts import answers_question_messages, judge_messages
from qa.records import Checked, CheckedSentence, Draft, Evidence, Hit, Support, Verdict
from qa.sentences import sentence_spans
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


def evidence_window(text: str, start: int, end: int, around: int = 1) -> str:
    """The supporting span plus ``around`` sentences either side, for the judge."""
    spans = sentence_spans(text)
    idx = [i for i, (s, e) in enumerate(spans) if e > start and s < end]
    if not idx:
        return text[start:end]
    lo, hi = max(0, idx[0] - around), min(len(spans) - 1, idx[-1] + around)
    return " ".join(text[spans[lo][0] : spans[hi][1]].split())


def check_draft(
    draft: Draft, passages: Sequence[Hit], judge: SupportJudge | None, *, verify: bool = True, around: int = 1
) -> Checked:
    """Every sentence of ``draft``: keys outside 1..n dropped and counted, then
    checked against its passages (kept when one supports it, else removed).
    Without ``verify`` each valid key counts as support by its whole passage."""
    invalid = 0
    kept: list[CheckedSentence] = []
    removed: list[str] = []
    for sentence in draft.sentences:
        good, bad = validate(sentence.keys, len(passages))
        invalid += bad
        if verify:
            checked = check_sentence(sentence.text, good, passages, judge, around=around)
        else:
            checked = _unchecked(sentence.text, good, passages)
        if checked.supports:
            kept.append(checked)
        else:
            removed.append(sentence.text)
    return Checked(tuple(kept), tuple(removed), invalid)


def _unchecked(claim: str, cited: Sequence[int], passages: Sequence[Hit]) -> CheckedSentence:
    supports = tuple(Support(k, 0, len(passages[k - 1].chunk.text), Verdict(k, True, "none")) for k in cited)
    return CheckedSentence(claim, supports, tuple(s.verdict for s in supports))


def check_sentence(
    claim: str, cited: Sequence[int], passages: Sequence[Hit], judge: SupportJudge | None, *, around: int = 1
) -> CheckedSentence:
    """Supports for ``claim`` among its cited passages (else among the other
    passages: re-cited), and every verdict reached on the way."""
    verdicts: list[Verdict] = []
    supports: list[Support] = []
    for key in cited:
        found = _check(claim, key, passages[key - 1], judge, around)
        verdicts.append(found.verdict)
        if found.verdict.supported:
            supports.append(found)
    if supports:
        return CheckedSentence(claim, tuple(supports), tuple(verdicts))
    # re-cite: the most promising other passages, best lexical score first
    others = sorted(
        (k for k in range(1, len(passages) + 1) if k not in cited),
        key=lambda k: -best_span(claim, passages[k - 1].chunk.text, context=source_context(passages[k - 1]))[2],
    )
    for key in others[:2]:
        found = _check(claim, key, passages[key - 1], judge, around)
        if found.verdict.score is not None and found.verdict.score < LEXICAL_FLOOR:
            break
        verdicts.append(found.verdict)
        if found.verdict.supported:
            return CheckedSentence(claim, (found,), tuple(verdicts))
    return CheckedSentence(claim, (), tuple(verdicts))


def source_context(hit: Hit) -> str:
    """What a claim may also rest on besides the passage text: who wrote it, when, what it is called."""
    m = hit.source.meta
    return " ".join(
        x for x in (m.title, " ".join(m.authors), m.publisher or "", m.date or "", hit.chunk.section or "") if x
    )


def _check(claim: str, key: int, hit: Hit, judge: SupportJudge | None, around: int = 1) -> Support:
    context = source_context(hit)
    s, e, score = best_span(claim, hit.chunk.text, context=context)
    # clear overlap is enough, unless the claim names someone or something the passage does not
    if score >= LEXICAL_ACCEPT and not missing_names(claim, hit.chunk.text, context):
        return Support(key, s, e, Verdict(key, True, LexicalJudge.name, round(score, 3)))
    if score < LEXICAL_FLOOR or judge is None:
        ok = judge is None and score >= LexicalJudge().threshold
        return Support(key, s, e, Verdict(key, ok, LexicalJudge.name, round(score, 3)))
    premise = f"({context}) {evidence_window(hit.chunk.text, s, e, around)}"
    ok = judge.supports(premise, claim)
    return Support(key, s, e, Verdict(key, ok, judge.name, round(score, 3)))


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
