"""The answer path's own types: ``Turn``, one question in flight through the
stages, and ``Searcher``, what the path needs of a retriever (the real one
and test fakes implement it); ``standalone``, a follow-up's rewrite checked.
Standard library, records and ``qa.text`` only.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from qa.records import Hit
from qa.text import content_terms

# a follow-up that leans on the conversation: "And López Obrador?", "Why not handle them…", "Where does she say…"
_DEPENDENT = re.compile(
    r"^\W*(?:and|but|so|also|what about|how about)\b|\b(?:he|she|it|they|them|his|her|him|its|their|this|these|those|"
    r"himself|herself|itself|themselves)\b",
    re.I,
)


@dataclass
class Turn:
    """One question in flight through the answer path: what was asked, the
    standalone form, what was retrieved, and the notices and timings so far."""

    question: str
    standalone: str = ""
    hits: tuple[Hit, ...] = ()
    notices: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    t0: float = 0.0


class Searcher(Protocol):
    """What the answer path needs of a retriever (``qa.retrieve.Retriever``; test fakes implement it too).
    ``index``: the loaded index whole documents are read from (summaries, comparisons), or None."""

    index: Any

    def search(
        self, query: str, k: int | None = None, source_ids: Sequence[str] | None = None, also: str | None = None
    ) -> list[Hit]: ...

    def named_sources(self, query: str) -> dict[str, float]: ...

    def unknown_sources(self, query: str) -> list[str]:
        """Names the query cites as a source that no indexed source is by or mentions."""
        ...

    def unknown_names(self, query: str) -> list[str]:
        """Names the query asks about that no indexed source or passage holds (most of their words)."""
        ...

    def embed(self, texts: Sequence[str]) -> Any:
        """Unit vectors (n, dim) of ``texts``, or None when the searcher has no embedder."""
        ...


def standalone(question: str, rewrite: str, history: Sequence[dict[str, str]]) -> str:
    """A follow-up's standalone form: the model's ``rewrite`` when it keeps half the follow-up's words
    (by 5-letter prefix) and adds one from the conversation; else the follow-up with the user's previous
    question as its topic in brackets ("Why not handle them one at a time? (Which issues do Payan and
    Montes de Oca say should be negotiated together)") when it leans on the conversation (a pronoun, "And
    …?"), else the question as asked: a rewrite that dropped what was asked ("Why not negotiate all these
    issues together?") or resolved nothing ("And López Obrador?") is not used."""
    asked = {t[:5] for t in content_terms(question)}
    said = {t[:5] for turn in history for t in content_terms(str(turn.get("content", "")))}
    got = {t[:5] for t in content_terms(rewrite)}
    kept = len(asked & got) >= len(asked) / 2  # "How long was he willing to stay?": "willing" may go
    if rewrite and len(rewrite) <= 4 * len(question) + 200 and kept and (got - asked) & said:
        return rewrite
    previous = [
        str(t.get("content", "")) for t in history if t.get("role") == "user" and str(t.get("content", "")).strip()
    ]
    if not previous or not _DEPENDENT.search(question):
        return question  # a question that stands on its own ("What is the recipe for an omelette?"): as asked
    topic = " ".join(previous[-1].split()).rstrip("?.! ")
    return f"{question.rstrip()} ({topic})"
