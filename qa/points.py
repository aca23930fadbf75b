"""The short answer that leads a summary or a list: the model names the points its quoted sentences make,
each a short phrase copied from one sentence, and each phrase is checked by aligning it with a sentence:
every word of it, in its order, in that sentence (a word may match on its first ``STEM`` letters:
"delinking" finds "delink"; a run of the sentence's words may sit between two of its words: "assist
Calderón administration" finds "assist the Calderón administration"). What is shown is the sentence's
own span from the first to the last aligned word, so the lead quotes the document, never the model's
paraphrase; a span a few words short of its clause's end runs on to it ("…linkages and organizational"
is shown as "…linkages and organizational arrangements"); a phrase that does not align, echoes the
question or repeats an earlier point is dropped.

    "In short: build up Mexico’s weak state; welcome U.S. collaboration. [2][4]"

One grammar-constrained JSON reply, ``{"points": ["…", "…"]}``; an unusable reply or a backend error
means no lead (the quotes stand alone, with a notice). Pure apart from the generator it is given.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from qa.answer_type import novelty
from qa.errors import QAError
from qa.pick import SYSTEM, numbered, reply_object
from qa.records import Evidence

MAX_POINTS = 4  # the lead names at most this many points
POINT_CHARS = 90  # the grammar's cap on one phrase
MIN_WORDS = 2  # a one-word span ("investigated") names no point
POINT_WORDS = 12  # an aligned span longer than this is not a short point
STEM = 5  # words of at least this many letters match on their first STEM letters
GAP = 3  # at most this many of the sentence's words between two aligned words
RUN_ON = 3  # a span runs on to its clause's end when at most this many words are left before it
LEAD = "In short:"

ASK = (
    "List the points that answer the question, most important first: each a short phrase (at most 8 words) "
    "copied exactly from one sentence. Reply as JSON: "
    '{"points": ["..."]}'
)
_LABEL = re.compile(r"^\s*(?:(?:option|point|step|item)\s+)?(?:\d{1,2}|[a-e]|[ivx]{1,4})\s*[:.)\-–]\s*", re.I)
_LOOSE = {"and", "or", "but", "the", "a", "an", "of", "by", "to", "in", "for", "with", "on", "at", "from", "that"}
_LOOSE |= {"which", "who", "as", "its", "their", "his", "her", "is", "are", "was", "were", "be"}  # a span ends on none
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?", re.U)


@dataclass(frozen=True)
class Point:
    """One checked point: the sentence's own words and the 1-based number of the sentence that holds them."""

    text: str
    holder: int


def messages(question: str, evidence: Sequence[Evidence]) -> list[dict[str, str]]:
    user = f"Sentences:\n{numbered(evidence)}\n\nQuestion: {question}\n\n{ASK}"
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user}]


def schema() -> dict[str, Any]:
    item = {"type": "string", "maxLength": POINT_CHARS}
    points = {"type": "array", "items": item, "minItems": 1, "maxItems": MAX_POINTS}
    return {"type": "object", "properties": {"points": points}, "required": ["points"]}


def ask(model: Any, question: str, evidence: Sequence[Evidence]) -> tuple[list[Point], str]:
    """The checked points of ``model``'s reply (a ``Generator``) and what went wrong ("" when it was usable)."""
    try:
        raw = model.generate(messages(question, evidence), max_tokens=30 + 25 * MAX_POINTS, json_schema=schema())
    except QAError as err:
        return [], f"the model failed to name the points ({err.one_line()}): the quotes stand alone"
    phrases = parse(raw)
    if phrases is None:
        return [], "the model's points were unreadable: the quotes stand alone"
    return checked(phrases, question, [e.text for e in evidence]), ""


def parse(raw: str) -> list[str] | None:
    """The reply's phrases; None when it is not the asked JSON."""
    obj = reply_object(raw)
    points = obj.get("points") if obj is not None else None
    if not isinstance(points, list):
        return None
    return [p for p in points if isinstance(p, str) and p.strip()]


def checked(phrases: Sequence[str], question: str, sentences: Sequence[str]) -> list[Point]:
    """Each phrase aligned with a sentence (see the module docstring), in the reply's order; those that
    do not align, echo the question or overlap an earlier point are dropped; at most ``MAX_POINTS``."""
    out: list[Point] = []
    for phrase in phrases:
        found = align(phrase, sentences)
        if found is None:
            continue
        text, holder = found
        if novelty(text, question) < 0.3:
            continue
        if any(p.holder == holder and (text.lower() in p.text.lower() or p.text.lower() in text.lower()) for p in out):
            continue
        out.append(Point(text, holder))
        if len(out) == MAX_POINTS:
            break
    return out


def align(phrase: str, sentences: Sequence[str]) -> tuple[str, int] | None:
    """The shortest span of a sentence holding ``phrase``'s words in order (see the module docstring),
    with the sentence's 1-based number; None when no sentence holds it in ``MIN_WORDS`` to ``POINT_WORDS`` words."""
    wanted = [w.lower() for w in _WORD.findall(_LABEL.sub("", phrase))]
    if not wanted:
        return None
    best: tuple[int, int, int, int] | None = None  # (words, sentence number, span start, span stop)
    for n, sentence in enumerate(sentences, start=1):
        words = list(_WORD.finditer(sentence))
        for start in range(len(words)):
            end = _match_from(wanted, words, start)
            if end is None:
                continue
            while end > start and words[end].group(0).lower() in _LOOSE:  # "… and the ratification" ends there
                end -= 1
            length = end - start + 1
            if re.search(r"['’]s$", words[end].group(0)):
                continue  # "… followed Secretary William Perry’s" stops before what it owns
            if MIN_WORDS <= length <= POINT_WORDS and (best is None or length < best[0]):
                stop = words[end].end()
                if sentence[words[start].start() : stop].count("“") > sentence[words[start].start() : stop].count("”"):
                    stop = sentence.find("”", stop) + 1 or stop  # “Window of Opportunity” keeps its closing mark
                best = (length, n, words[start].start(), stop)
    if best is None:
        return None
    _, n, begin, stop = best
    sentence = sentences[n - 1]
    return sentence[begin : _run_on(sentence, stop)], n


_CLAUSE_MARK = re.compile(r"[,;:.!?()—–]|\s-\s|$")  # always matches: at worst the sentence's end


def _run_on(sentence: str, stop: int) -> int:
    """Where a span ending at ``stop`` should end: at the next clause mark when at most ``RUN_ON`` words
    lie before it ("…defense linkages and organizational" runs on to "…organizational arrangements"), a
    phrase the model cut a word or two short of its end; else at ``stop``."""
    mark = _CLAUSE_MARK.search(sentence, stop)
    assert mark is not None
    rest = sentence[stop : mark.start()]
    if len(_WORD.findall(rest)) > RUN_ON or "“" in rest or '"' in rest:
        return stop
    return stop + len(rest.rstrip())


def _match_from(wanted: Sequence[str], words: Sequence[re.Match[str]], start: int) -> int | None:
    """The index of the last sentence word when ``wanted`` aligns from ``words[start]`` on, else None."""
    if not _same(wanted[0], words[start].group(0)):
        return None
    at = start
    for w in wanted[1:]:
        for step in range(1, GAP + 2):
            if at + step < len(words) and _same(w, words[at + step].group(0)):
                at += step
                break
        else:
            return None
    return at


def _same(wanted: str, word: str) -> bool:
    word = word.lower().replace("’", "'")
    wanted = wanted.replace("’", "'")
    if word == wanted:
        return True
    return len(wanted) >= STEM and len(word) >= STEM and word[:STEM] == wanted[:STEM]


def lead(points: Sequence[Point]) -> tuple[str, tuple[int, ...]] | None:
    """The lead sentence and the sentences it cites (each once, in the points' order); None without points."""
    if not points:
        return None
    body = "; ".join(p.text for p in points)
    holders = tuple(dict.fromkeys(p.holder for p in points))
    return f"{LEAD} {body}.", holders
