"""The run of words a model's failed answer phrase copied from a sentence.

A 1.5B model asked for "the shortest exact phrase" often answers with a
sentence of its own built around words it did copy: "Richard Downie was the
managing director of Delphi Strategic Communications at the time of the 2019
Pacific Council teleconference." The phrase fails its check (not verbatim, or
too long), yet the sentence it was read from holds "managing director of Delphi
Strategic Communications" word for word.

``copied`` finds the longest run of two or more words the phrase shares with a
shortlist sentence (the model's chosen sentences first), trimmed of function
words at its ends and widened to a closing quote or bracket the run opened,
that says something the question does not; the run must then pass every check
of ``qa.commit.check_phrase`` (verbatim, of the kind, new, on topic) and its
sentence must share the question's predicate. Nothing is invented: every word
shown was both the model's and the source's. Numbers and dates are salvaged by
``qa.commit`` itself (the typed span inside the reply). Pure: standard library,
records, ``qa.commit`` and ``qa.grounding``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from qa.asks import Ask
from qa.commit import PHRASE_WORDS, Commitment, adds_to, check_phrase, normalise, preferred
from qa.grounding import shares_predicate
from qa.records import Evidence
from qa.text import tokenize

# number and when: ``qa.commit`` salvages the typed span; a definition: a run cut from the model's own
# wording ("a successful example of coordination among the police, military, and…") is a fragment of it
KINDS = ("who", "where", "thing")
_TOKEN = re.compile(r"[\w$%]+(?:[.,'’-]\w+)*")
_FUNCTION_WORDS = (
    "the a an of in on at to and or by for with as from that which who whom whose is was were are be been "
    "his her their its this these those"
)
_EDGE = frozenset(_FUNCTION_WORDS.split())
_CLOSING = {"“": "”", '"': '"', "(": ")", "‘": "’", "[": "]"}


def copied(part: str, ask: Ask, phrase: str, shortlist: Sequence[Evidence], prefer: Sequence[int]) -> Commitment | None:
    """The longest checked run ``phrase`` copied from a shortlist sentence; None if none stands."""
    if ask.kind not in KINDS or ask.plural:  # one run names one of the several asked for
        return None
    order = preferred(range(1, len(shortlist) + 1), shortlist, prefer)
    found: list[tuple[int, int, str]] = []
    asked = set(tokenize(part))
    for rank, i in enumerate(order):
        for run in {_unechoed(r, asked) for r in runs(phrase, shortlist[i - 1].text)} - {""}:
            words = len(run.split())
            if 2 <= words <= PHRASE_WORDS and adds_to(run, part):
                found.append((-words, rank, run))
    for _, rank, run in sorted(found):
        i = order[rank]
        c = check_phrase(part, ask, run, shortlist, (i,))
        if c.ok and shares_predicate(part, shortlist[c.holder - 1].text):
            return c
    return None


def runs(phrase: str, text: str) -> set[str]:
    """The maximal runs of words ``phrase`` and ``text`` share (compared normalised, as
    ``qa.commit`` compares), each as ``text`` writes it, without function words at its ends."""
    mine = [normalise(m.group()) for m in _TOKEN.finditer(phrase)]
    spans = list(_TOKEN.finditer(text))
    theirs = [normalise(m.group()) for m in spans]
    out: set[str] = set()
    for i in range(len(theirs)):
        for j in range(len(mine)):
            if theirs[i] != mine[j] or (i and j and theirs[i - 1] == mine[j - 1]):
                continue  # not the start of a maximal run
            k = 0
            while i + k < len(theirs) and j + k < len(mine) and theirs[i + k] == mine[j + k]:
                k += 1
            a, b = i, i + k
            while a < b and theirs[a] in _EDGE:
                a += 1
            while b > a and theirs[b - 1] in _EDGE:
                b -= 1
            if b > a:
                out.add(_closed(text, spans[a].start(), spans[b - 1].end()))
    return out


def _unechoed(run: str, asked: set[str]) -> str:
    """``run`` without lower-case words at its ends that the question says (``asked``: its terms; "the
    Clerk of the House presides" for "Who presides over…?"), nor the function words they leave at its end."""
    words = run.split()
    while words and (
        (words[-1].islower() and set(tokenize(words[-1])) <= asked) or words[-1].lower().strip(".,;:") in _EDGE
    ):
        words.pop()
    while words and ((words[0].islower() and set(tokenize(words[0])) <= asked) or words[0].lower() in _EDGE):
        words.pop(0)
    return " ".join(words)


def _closed(text: str, start: int, end: int) -> str:
    """``text[start:end]`` with the closing quote or bracket of one it opens ("the “Aztec Eagles”")."""
    run = text[start:end]
    for opening, closing in _CLOSING.items():
        if run.count(opening) > run.count(closing) or (opening == closing and run.count(opening) % 2):
            rest = text[end : end + 3]
            at = rest.find(closing)
            if at >= 0:
                return text[start : end + at + 1]
    return run
