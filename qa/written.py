"""Names a question writes word for word (``qa.asks.exact_names``: "the Center for Research and National
Security") and the chunks that write them, case and line breaks aside: the retriever lifts the few such
chunks, and such a name's words name no source ("Center" of a publisher) unless it is a source's author or
publisher. Pure: records and text; each name's rows are found once per index.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from qa.asks import exact_names
from qa.records import Chunk, SourceInfo
from qa.text import flat, tokenize

CACHED = 4096  # names whose rows are kept (a long-running page asks about many)


class WrittenNames:
    """The chunks of one index, searched for the names a question writes."""

    def __init__(self, chunks: Sequence[Chunk], sources: Iterable[SourceInfo]) -> None:
        self._chunks = chunks
        self._source_names = [flat(" ; ".join([*s.meta.authors, s.meta.publisher or ""])) for s in sources]
        self._flat: list[str] | None = None  # each chunk's text, lower case, one space apart
        self._rows: dict[str, frozenset[int]] = {}

    def topics(self, query: str) -> list[tuple[str, frozenset[int]]]:
        """Each name of ``query`` that is no source's author or publisher, with the rows that write it."""
        out = []
        for name in exact_names(query):
            written = flat(name)
            if not any(written in names for names in self._source_names):  # else: the source prior's
                out.append((name, self.rows(written)))
        return out

    def rows(self, written: str) -> frozenset[int]:
        """The chunk rows whose text writes ``written`` (lower case, one space apart)."""
        if written not in self._rows:
            if self._flat is None:
                self._flat = [flat(c.text) for c in self._chunks]
            if len(self._rows) >= CACHED:
                self._rows.clear()
            self._rows[written] = frozenset(r for r, text in enumerate(self._flat) if written in text)
        return self._rows[written]

    def boosted(self, query: str, share: float, allowed: set[int] | None = None) -> set[int]:
        """The rows writing a name of ``query`` written in at most ``share`` of the chunks (at least 3):
        "the Center for Research and National Security" finds the passage that says what it is, where its
        common words alone ("research", "national", "security") find dozens."""
        most = max(3, int(share * len(self._chunks)))
        out: set[int] = set()
        for _, rows in self.topics(query):
            if len(rows) <= most:
                out |= rows if allowed is None else rows & allowed
        return out

    def naming_no_source(self, query: str, terms: Sequence[str]) -> list[str]:
        """``terms`` (a query's capitalised words) less those of a name the passages write that is no
        source's author or publisher: "What is the Center for Research and National Security?" names an
        agency, not the paper published by a "Center"."""
        drop = {t for name, rows in self.topics(query) if rows for t in tokenize(name)}
        return [t for t in terms if t not in drop]
