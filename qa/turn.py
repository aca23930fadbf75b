"""The answer path's own types: ``Turn``, one question in flight through the
stages, and ``Searcher``, what the path needs of a retriever (the real one
and test fakes implement it). Standard library and records only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from qa.records import Hit


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

    def embed(self, texts: Sequence[str]) -> Any:
        """Unit vectors (n, dim) of ``texts``, or None when the searcher has no embedder."""
        ...
