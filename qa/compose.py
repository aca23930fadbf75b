"""The answer's sentences, from the checked phrases and the chosen evidence.

- Each part whose phrase stands (``qa.commit``) gets a lead sentence, the
  phrase itself citing the sentence that holds it, then that sentence.
- A question with no phrase part (why, how, views; a topic) is answered by
  the chosen sentences themselves, echoes of the question and questions
  dropped: for an open question, the one holding most of what it asks
  first (``asked_share``; ties in the model's order), at most
  ``MAX_OPEN_QUOTES``: a further one only when the model itself chose it (not
  a listed run, ``qa.pick.uninformative``) or the question asks for several
  things, and when it holds at least half as much of the question
  (``SECOND``); none from a passage lacking a year the question
  names (for "What is X?" whose phrase failed, only sentences naming X);
  a topic's sentences only when they name the topic;
  each named source's best sentence kept.
- Every named source of a comparison keeps its best sentence; at most
  ``MAX_QUOTES`` quoted sentences and ``MAX_WORDS`` words of quotes.
- Parts asked for a phrase that none stands for are listed as open.

A quoted sentence that answers no part is not part of the answer. Pure:
standard library, records and ``qa.commit``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from qa.answer_type import novelty
from qa.asks import VIEW, Ask
from qa.commit import Commitment, names_defined, names_topic
from qa.grounding import grounded
from qa.leads import as_written, lead_text, with_noun
from qa.pick import uninformative
from qa.records import Evidence
from qa.text import base_form, content_terms, flat, without_carried_topic

MAX_QUOTES = 3  # quoted sentences in an answer (policy staff want the answer, then what holds it)
MAX_WORDS = 80  # words of quoted sentences in an answer (the first always fits)
MAX_OPEN_QUOTES = 2  # an open question (why, how, views): the sentence that answers it, and one more
SECOND = 0.5  # an open answer's further quote holds at least this share of what its first holds of the question
MAX_LISTED = 5  # … or the items of an enumeration its first quote introduces ("several advantages." "First, …")
_INVERTED = re.compile(
    r"^\W*(?:who|whom|what|when|where|which|why|how)(?:\s+(?:many|much|long|often|far|old|large|big))?(?:\s+[\w’'-]+){0,3}?"
    r"\s+(?:did|does|do|has|have|had|is|are|was|were|will|would|can|could|should)\b",
    re.I,
)
OPEN = Ask("")  # what an open question asks: no single phrase
ECHO = 0.2  # a sentence with less than this share of new content words only restates the question


@dataclass(frozen=True)
class Composed:
    """The answer's parts: lead phrases (text, shortlist number), quoted
    sentence numbers in order, the parts left open."""

    leads: tuple[tuple[str, int], ...]
    quotes: tuple[int, ...]
    open_parts: tuple[str, ...]
    # an open answer's further sentence not shown beside it (the model did not choose it): not part of
    # the answer, but still weighed by the answer/refuse decision, which was fitted with it
    beside: tuple[int, ...] = ()


def is_answer_sentence(ev: Evidence, question: str) -> bool:
    """Not a question, and not an echo of ``question``."""
    return novelty(ev.text, question) >= ECHO and not ev.text.rstrip("”\"’' ").endswith("?")


def compose(
    question: str,
    commitments: Sequence[Commitment],
    shortlist: Sequence[Evidence],
    chosen: Sequence[int],
    model_ids: Sequence[int],
    sources: Sequence[str] = (),
    topic: str = "",
    free_parts: Sequence[str] = (),
    defined: str = "",
    own: str = "",
    several: bool = False,
) -> Composed:
    """The answer for ``question`` (see the module docstring); numbers are 1-based in ``shortlist``.
    ``free_parts``: the parts of a several-part question that ask for no phrase (why, how, what
    it would do): each gets the chosen sentence most about it, after the leads' holders. ``defined``: what
    a "What is X?" question whose phrase failed asks about; only sentences naming it are quoted. ``own``:
    a follow-up's own words ("How did the Mexican government react?") when ``question`` is its rewrite
    with the conversation's topic: an open answer's first quote is the one holding most of them.
    ``several``: the question asks for several things ("What advantages would…?")."""
    leads = tuple(
        (lead_text(with_noun(as_written(c.phrase, text := shortlist[c.holder - 1].text), text, c.part)), c.holder)
        for c in commitments
        if c.ok
    )
    open_parts = tuple(c.part for c in commitments if c.refutes)
    quotes: list[int] = []
    for _, holder in leads:
        if holder not in quotes:
            quotes.append(holder)
    if leads:
        for part in free_parts:
            # the part's own words, not the topic carried from the question's first part; the chosen
            # sentences first, then the rest of the shortlist by score
            rest = sorted(range(1, len(shortlist) + 1), key=lambda i: -shortlist[i - 1].score)
            picked = [i for i in [*model_ids, *chosen] if i in chosen]
            best = most_about(without_carried_topic(part), shortlist, [*picked, *rest], quotes) or most_about(
                part, shortlist, picked, quotes
            )  # a part of few words of its own ("what would it handle?"): with its carried topic, among the chosen
            if best:
                quotes.append(best)
    must = len(quotes)
    max_quotes = MAX_QUOTES
    beside: list[int] = []
    if not commitments:
        order = [i for i in model_ids if i in chosen] + [i for i in chosen if i not in model_ids]
        order = [i for i in order if is_answer_sentence(shortlist[i - 1], question)]
        if topic:  # sentences that name the topic: the chosen first, then the rest of the shortlist by score
            rest = sorted(range(1, len(shortlist) + 1), key=lambda i: -shortlist[i - 1].score)
            order = [i for i in order + rest if names_topic(shortlist[i - 1].text, topic)]
            order = best_per_source(order, shortlist) + order
        else:  # an open question: the sentence holding most of what it asks first, and one more;
            # none from a passage without the years it names ("…in 2025?": a 2024 brief does not say)
            order = [i for i in order if grounded(question, OPEN, shortlist[i - 1])]
            if defined:  # "What is BEST?" whose phrase failed: only sentences that name it
                order = [i for i in order if names_defined(shortlist[i - 1].text, defined)]
            order = answering_order(question, order, shortlist, own)
            if order:  # a further quote holding under half as much of the question is related, not the answer
                first = asked_share(question, shortlist[order[0] - 1])
                order = order[:1] + [i for i in order[1:] if asked_share(question, shortlist[i - 1]) >= SECOND * first]
                if not several:  # a sentence the model did not choose, beside the answer, is related
                    chose = () if uninformative(model_ids) else tuple(model_ids)
                    beside = [i for i in order[1:MAX_OPEN_QUOTES] if i not in chose]
                    order = order[:1] + [i for i in order[1:] if i in chose]
            max_quotes = max(MAX_OPEN_QUOTES, len(sources))
        quotes += [i for i in order if i not in quotes]
    elif not leads:
        return Composed((), (), open_parts)
    quotes = quotes[:must] + sources_first(quotes[must:], shortlist, sources, chosen, quotes[:must])
    keep = fit_length([shortlist[i - 1].text for i in quotes], max_quotes, MAX_WORDS, must=must)
    # a lead that restates its whole quote (a title block's phrase) is said once, by the quote
    leads = tuple((t, h) for t, h in leads if _plain(t) != _plain(shortlist[h - 1].text))
    # a question asking for several ("Which … institutions does Downie point to?") is not answered by the one
    # phrase the model copied: the quote holding it, which names the others, leads instead
    listing = {c.holder for c in commitments if c.ok and c.ask.plural}
    leads = tuple((t, h) for t, h in leads if h not in listing)
    return Composed(leads, tuple(quotes[j] for j in keep), open_parts, tuple(beside))


def _plain(text: str) -> str:
    return flat(text).rstrip(" .")


def answering_order(question: str, order: Sequence[int], shortlist: Sequence[Evidence], own: str = "") -> list[int]:
    """``order`` (the model's picks first) re-ranked by how much of ``question`` each sentence
    holds (``asked_share``), first of a follow-up's ``own`` words when given (the topic it carries
    over is what the earlier answer was about, not what is asked now); ties keep the model's order.
    A "why" question's sentence that gives a cause ("…were too corrupt…, so he decided…") counts
    ``CAUSE`` more: a why-question's answer is a cause, a related sentence only its topic (cue
    phrases of causal relations, as in discourse-based why-answering, Verberne et al. 2007)."""
    why = bool(_WHY.match(without_carried_topic(question).strip()))

    def share(i: int) -> float:
        text = shortlist[i - 1].text
        return asked_share(question, shortlist[i - 1]) + (CAUSE if why and _CAUSAL.search(text) else 0.0)

    return sorted(order, key=lambda i: (-asked_share(own, shortlist[i - 1]) if own else 0.0, -share(i)))


CAUSE = 0.15  # a why-question's sentence giving a cause: this much more of the question's share
_WHY = re.compile(r"^(?:and\s+|but\s+|so\s+)?(?:why|for what reason|what (?:made|led|caused|drove|explains))\b", re.I)
_CAUSAL = re.compile(  # not "since" (mostly a date here: "since 2007") nor "in order to" (a purpose, often an aside)
    r"\b(?:because|due to|owing to|as a result|result(?:s|ed)? (?:in|from)|led (?:to|him|her|them)|"
    r"(?:so|therefore|thus|hence|consequently),? (?:he|she|they|it|the|this|mexico|washington)\b|reasons?|"
    r"caused?|made (?:\w+ ){1,4}(?:appear|seem|look)|stems? from|rooted in|for fear|out of (?:fear|concern))\b",
    re.I,
)


def asked_share(question: str, ev: Evidence) -> float:
    """The share of ``question``'s words (names and predicate, by 5-letter prefix) the sentence
    holds, not counting its frame (think, say, argue…) or its own source's authors (a sentence
    of Starr's article rarely names Starr): for an open question, the sentence that answers it
    is about all of it, a related one about part ("Why might the White House shy away from pushing gun restrictions?":
    "…pushing gun control could take Democrats back to the 1994 election…")."""
    own = {t[:5] for author in ev.hit.source.meta.authors for t in content_terms(author)}
    asked = {base_form(t)[:5] for t in content_terms(question) if not VIEW.fullmatch(t)} - own
    held = {base_form(t)[:5] for t in content_terms(ev.text)}
    return len(asked & held) / len(asked) if asked else 0.0


def most_about(part: str, shortlist: Sequence[Evidence], candidates: Sequence[int], taken: Sequence[int]) -> int:
    """Of ``candidates`` (in preference order), the answer sentence sharing most
    content words with ``part`` (at least one), not one of ``taken``; 0 if none."""
    terms = set(content_terms(part))
    best, best_n = 0, 0
    for i in dict.fromkeys(candidates):
        if i in taken or not is_answer_sentence(shortlist[i - 1], part):
            continue
        n = len(terms & set(content_terms(shortlist[i - 1].text)))
        if n > best_n:
            best, best_n = i, n
    return best


def best_per_source(order: Sequence[int], shortlist: Sequence[Evidence]) -> list[int]:
    """The first sentence of each source in ``order`` (order kept)."""
    seen: set[str] = set()
    out = []
    for i in order:
        sid = shortlist[i - 1].hit.source.source_id
        if sid not in seen:
            seen.add(sid)
            out.append(i)
    return out


def sources_first(
    order: Sequence[int],
    shortlist: Sequence[Evidence],
    sources: Sequence[str],
    chosen: Sequence[int] = (),
    before: Sequence[int] = (),
) -> list[int]:
    """``order`` with each named source's sentence first (unless one of
    ``before``, quoted ahead of it, is from that source): its first in
    ``order``, else its best in ``chosen`` (a comparison of two named sources
    quotes both)."""
    out = [i for i in dict.fromkeys(order) if i not in before]
    lead: list[int] = []
    for sid in sources:
        if any(shortlist[i - 1].hit.source.source_id == sid for i in before):
            continue
        own = [i for i in out if shortlist[i - 1].hit.source.source_id == sid]
        if not own:
            own = sorted(
                (i for i in chosen if shortlist[i - 1].hit.source.source_id == sid and i not in before),
                key=lambda i: -shortlist[i - 1].score,
            )
        if own:
            lead.append(own[0])
    return lead + [i for i in out if i not in lead]


def fit_length(texts: Sequence[str], max_sentences: int, max_words: int, must: int = 0) -> list[int]:
    """Positions of the first of ``texts`` that fit: at most ``max_sentences``
    (never fewer than ``must``) and ``max_words`` words; the first always fits."""
    out: list[int] = []
    words = 0
    for i, text in enumerate(texts):
        n = len(text.split())
        if i >= max(must, 1) and (len(out) >= max_sentences or words + n > max_words):
            continue
        out.append(i)
        words += n
    return out


def related(
    question: str,
    shortlist: Sequence[Evidence],
    chosen: Sequence[int],
    min_coverage: float,
    exclude: Sequence[int] = (),
) -> int:
    """For a refusal: the chosen sentence most about ``question`` (shares the most
    of its content words), when it shares at least ``min_coverage``; else 0.
    ``exclude``: sentences holding a checked answer (a refusal never offers
    one of them as "the closest they come")."""
    q_terms = set(content_terms(question))
    if not q_terms:
        return 0

    def cover(i: int) -> float:
        return len(q_terms & set(content_terms(shortlist[i - 1].text))) / len(q_terms)

    usable = [i for i in chosen if i not in exclude and is_answer_sentence(shortlist[i - 1], question)]
    best = max(usable, key=cover, default=0)
    return best if best and cover(best) >= min_coverage else 0


def refusal_lead(commitments: Sequence[Commitment], refusal: str) -> str:
    """ "The sources don't say who replaced him." for the parts no phrase answers, else ``refusal``."""
    parts = [c.part.split("? (")[0].rstrip("?. ") for c in commitments if c.refutes]
    if not parts:
        return refusal
    if any(_INVERTED.match(p) for p in parts):  # "when did X pass…" reads wrong after "don't say"
        return "The sources don't answer " + " or ".join(f"“{p[:1].upper() + p[1:]}?”" for p in parts)
    what = "; ".join(p[:1].lower() + p[1:] if p[1:2].islower() else p for p in parts)
    return f"The sources don't say {what}."


def why_refused(commitments: Sequence[Commitment], supported: bool, shown: bool = True) -> str:
    """The notice of a refusal: what failed (``shown``: was any sentence offered as the answer)."""
    if not shown:
        return (
            "no chosen sentence can stand as the answer: each restates the question, is from a passage "
            "without a year it names, or does not name what it asks about"
        )
    if not supported:
        return "no sentence of the answer was supported by its quote"
    failed = [f"{c.phrase or 'no phrase'!r}: {c.why}" for c in commitments if not c.ok]
    if failed:
        return "no checked answer to what the question asks (" + "; ".join(failed) + ")"
    return "the quoted sentences do not give what the question asks for"
