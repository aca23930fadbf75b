"""Typed records passed between pipeline stages.

Source -> Document -> Chunk -> Hit -> Turn -> Evidence -> Answer. Every record is a frozen
dataclass; character offsets always refer to the *stored text* of a source
(the file itself for UTF-8 text sources, the extracted text kept in the index
for PDF/HTML or re-encoded files), so any quote can be checked with
``open(source_file, encoding="utf-8").read()[start:end]``.

This module imports only the standard library.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any


@dataclass(frozen=True)
class SourceMeta:
    """Bibliographic metadata of one source (from the sidecar, never the text)."""

    title: str
    authors: tuple[str, ...] = ()
    publisher: str | None = None
    date: str | None = None
    url: str | None = None

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["authors"] = list(self.authors)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> SourceMeta:
        return cls(
            title=str(d.get("title") or ""),
            authors=tuple(d.get("authors") or ()),
            publisher=d.get("publisher"),
            date=d.get("date"),
            url=d.get("url"),
        )


@dataclass(frozen=True)
class Document:
    """A source file read into text, with where each page starts (PDF only)."""

    source_id: str
    path: str  # original file, relative to the project root when possible
    sha256: str  # of the original file's bytes
    text: str  # the stored text that offsets refer to
    text_is_file: bool  # True when ``text`` == open(path, encoding="utf-8").read()
    page_starts: tuple[int, ...] = ()  # offset in ``text`` where page i+1 starts
    warnings: tuple[str, ...] = ()

    def page_at(self, offset: int) -> int | None:
        """1-based page number holding ``offset``, or None when not paged."""
        if not self.page_starts:
            return None
        page = 0
        for i, start in enumerate(self.page_starts):
            if start <= offset:
                page = i
            else:
                break
        return page + 1


@dataclass(frozen=True)
class Chunk:
    """A retrievable passage and its exact span in the stored text."""

    chunk_id: str
    source_id: str
    ordinal: int
    start: int
    end: int
    text: str  # stored_text[start:end], verbatim
    clean_text: str  # cleaned text that is embedded, indexed and shown to the model
    section: str | None = None
    page: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Chunk:
        return cls(**d)


@dataclass(frozen=True)
class SourceInfo:
    """An indexed source as the index knows it."""

    source_id: str
    source_file: str  # stored text the offsets refer to, relative to project root when possible
    original_file: str  # the file as the maintainer added it
    sha256: str
    meta: SourceMeta
    n_chunks: int = 0
    kind: str = "txt"

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["meta"] = self.meta.to_dict()
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> SourceInfo:
        d = dict(d)
        d["meta"] = SourceMeta.from_dict(d["meta"])
        return cls(**d)


@dataclass(frozen=True)
class RowExpansion:
    """The expansion of one chunk row as the index stores it (written by ``qa.expand``, filtered by ``qa.expand_index``)."""

    key: str
    context: str
    questions: tuple[str, ...]  # every question written (kept or not)
    kept: tuple[bool, ...]  # per question: passed the filter

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "context": self.context, "questions": list(self.questions), "kept": list(self.kept)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RowExpansion:
        questions = tuple(str(q) for q in d["questions"])
        kept = tuple(bool(k) for k in d.get("kept", [True] * len(questions)))
        if len(kept) != len(questions):
            raise ValueError("kept and questions differ in length")
        return cls(str(d["key"]), str(d.get("context") or ""), questions, kept)

    @property
    def kept_questions(self) -> list[str]:
        return [q for q, k in zip(self.questions, self.kept) if k]


@dataclass(frozen=True)
class Hit:
    """One retrieved chunk with its fused score and rank (1-based)."""

    rank: int
    score: float
    chunk: Chunk
    source: SourceInfo
    dense_rank: int | None = None
    lexical_rank: int | None = None
    dense_score: float | None = None  # cosine of query and chunk

    def to_json(self) -> dict[str, Any]:
        """The stable ``qa search --json`` hit shape."""
        return {
            "rank": self.rank,
            "score": round(self.score, 6),
            "chunk_id": self.chunk.chunk_id,
            "source_id": self.source.source_id,
            "source_file": self.source.source_file,
            "title": self.source.meta.title,
            "authors": list(self.source.meta.authors),
            "date": self.source.meta.date,
            "start": self.chunk.start,
            "end": self.chunk.end,
            "page": self.chunk.page,
            "section": self.chunk.section,
            "text": self.chunk.text,
            "dense_rank": self.dense_rank,
            "lexical_rank": self.lexical_rank,
            "dense_score": None if self.dense_score is None else round(self.dense_score, 6),
        }


@dataclass(frozen=True)
class Evidence:
    """One candidate evidence sentence: an exact span of a retrieved chunk, the
    cleaned form the model reads, and its pre-score (``qa.evidence``)."""

    hit: Hit
    start: int  # offsets within hit.chunk.text
    end: int
    text: str  # cleaned: wraps joined, footnote markers and page furniture dropped
    score: float = 0.0

    @property
    def quote(self) -> str:
        """The verbatim stored span (what a citation shows)."""
        return self.hit.chunk.text[self.start : self.end]

    @property
    def key(self) -> tuple[str, int]:
        """Where it sits in the stored text: the same sentence seen in two overlapping chunks has one key."""
        return (self.hit.source.source_id, self.hit.chunk.start + self.start)

    def to_json(self) -> dict[str, Any]:
        return {
            "source_id": self.hit.source.source_id,
            "source_file": self.hit.source.source_file,
            "title": self.hit.source.meta.title,
            "chunk_id": self.hit.chunk.chunk_id,
            "start": self.hit.chunk.start + self.start,
            "end": self.hit.chunk.start + self.end,
            "quote": self.quote,
            "text": self.text,
            "score": round(self.score, 4),
        }


@dataclass(frozen=True)
class Citation:
    """A numbered reference: the exact supporting span inside a cited chunk."""

    n: int
    chunk_id: str
    source_id: str
    source_file: str
    title: str
    start: int
    end: int
    quote: str  # stored_text[start:end]

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Verdict:
    """Whether one cited passage supports one answer sentence, and who said so."""

    n: int
    supported: bool
    judge: str
    score: float | None = None


@dataclass(frozen=True)
class DraftSentence:
    """One sentence of the model's draft and the passage keys it cites, as written (not yet validated)."""

    text: str
    keys: tuple[int, ...]


@dataclass(frozen=True)
class Support:
    """One passage found to support a sentence, with the exact span in the chunk text."""

    key: int  # passage number in the prompt (1-based)
    start: int  # offsets within hit.chunk.text
    end: int
    verdict: Verdict


@dataclass(frozen=True)
class CheckedSentence:
    """A draft sentence after verification: the passages that support it (none: removed) and every verdict reached."""

    text: str
    supports: tuple[Support, ...]
    verdicts: tuple[Verdict, ...]


@dataclass(frozen=True)
class Sentence:
    """One answer sentence with its (renumbered) citation keys."""

    text: str
    citations: tuple[int, ...]
    supported: bool
    verdicts: tuple[Verdict, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "citations": list(self.citations),
            "supported": self.supported,
            "verdicts": [asdict(v) for v in self.verdicts],
        }


@dataclass(frozen=True)
class Answer:
    """The full, checked result of one question."""

    question: str
    standalone_question: str
    answer: str
    refused: bool
    sentences: tuple[Sentence, ...]
    citations: tuple[Citation, ...]
    retrieved: tuple[Hit, ...]
    timings: dict[str, float] = field(default_factory=dict)
    model: dict[str, Any] = field(default_factory=dict)
    notices: tuple[str, ...] = ()
    removed_sentences: tuple[str, ...] = ()
    invalid_citations: int = 0
    raw_answer: str = ""
    pipeline: str = (
        "evidence"  # "evidence" (the model picked), "fallback" (its pick failed: the best pre-scored sentences)
    )
    evidence: tuple[Evidence, ...] = ()  # the sentences chosen as evidence (evidence path)
    rejected_sentences: int = 0  # drafted sentences dropped for a number or name not in their quotes
    related: tuple[Sentence, ...] = ()  # a refusal's partial answer: supported sentences that come closest
    decision: dict[str, Any] = field(default_factory=dict)  # the answer/refuse decision: probability, features
    commitments: tuple[dict[str, Any], ...] = ()  # per asked part: the model's phrase and what the checks found
    open_parts: tuple[str, ...] = ()  # parts asked for that no checked phrase answers
    # sentences found beside the answer but not part of it (an open answer's further sentence the model did
    # not choose, a comparison side's second one): shown as related, never cited by the answer
    see_also: tuple[Citation, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The stable ``qa ask --json`` shape: every field by its name, records as their JSON, tuples as lists."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            out[f.name] = (
                [v.to_json() if hasattr(v, "to_json") else v for v in value] if isinstance(value, tuple) else value
            )
        return out


@dataclass(frozen=True)
class StreamEvent:
    """One step of a streamed answer, in order: status*, retrieved, evidence?, token*, final.

    kind: "status" (text: what is happening), "retrieved" (hits, standalone
    question), "evidence" (evidence: the chosen sentences, before the answer is written), "token" (text: the next piece of the draft answer) or "final"
    (answer: the checked Answer; citations and verdicts are settled only here).
    """

    kind: str
    text: str = ""
    hits: tuple[Hit, ...] = ()
    standalone_question: str | None = None
    answer: Answer | None = None
    evidence: tuple[Evidence, ...] = ()
