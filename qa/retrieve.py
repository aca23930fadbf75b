"""Hybrid retrieval: dense (FAISS) + lexical (BM25), fused by weighted
reciprocal rank, optionally filtered by source, with overlapping chunks of
one source de-duplicated. ``fuse`` and ``dedupe`` are pure and tested alone.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from qa.config import Settings
from qa.embed import Embedder, get_embedder
from qa.errors import InputError
from qa.records import Chunk, Hit
from qa.store import LoadedIndex, load_index

MAX_QUERY_CHARS = 2000  # the embedding window is 256 word pieces; BM25 gains nothing past this


def fuse(
    rankings: Sequence[Sequence[int]], weights: Sequence[float], k: int = 60
) -> list[tuple[int, float]]:
    """Weighted reciprocal-rank fusion: sum of w / (k + rank) over the rankings."""
    scores: dict[int, float] = {}
    for ranking, w in zip(rankings, weights):
        for rank, row in enumerate(ranking, start=1):
            scores[row] = scores.get(row, 0.0) + w / (k + rank)
    return sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))


def overlap_ratio(a: Chunk, b: Chunk) -> float:
    """Share of the shorter chunk covered by the other (0 for different sources)."""
    if a.source_id != b.source_id:
        return 0.0
    inter = min(a.end, b.end) - max(a.start, b.start)
    shorter = min(a.end - a.start, b.end - b.start)
    return max(0, inter) / shorter if shorter > 0 else 0.0


def dedupe(chunks: Sequence[Chunk], max_overlap: float = 0.5) -> list[int]:
    """Positions of ``chunks`` to keep: drop any that overlaps a better one by more than ``max_overlap``."""
    kept: list[int] = []
    for i, c in enumerate(chunks):
        if all(overlap_ratio(c, chunks[j]) <= max_overlap for j in kept):
            kept.append(i)
    return kept


class Retriever:
    """Searches one loaded index."""

    def __init__(self, index: LoadedIndex, embedder: Embedder, settings: Settings) -> None:
        self.index = index
        self.embedder = embedder
        self.settings = settings

    @classmethod
    def from_settings(cls, settings: Settings, embedder: Embedder | None = None) -> Retriever:
        index = load_index(settings)
        return cls(index, embedder or get_embedder(settings.embed_model), settings)

    def search(
        self,
        query: str,
        k: int | None = None,
        source_ids: Sequence[str] | None = None,
        also: str | None = None,
    ) -> list[Hit]:
        """The ``k`` best chunks for ``query``, best first. ``also`` is a second
        wording of the same need (a follow-up with its conversation, see
        ``followup_query``): its rankings join the fusion at ``also_weight``."""
        query = check_query(query)
        k = k or self.settings.top_k
        chunks = self.index.chunks
        allowed = self._allowed_rows(source_ids)
        n_cand = max(self.settings.candidates, 2 * k)
        qvec = self.embedder.embed_query(query)
        dense = self._dense(qvec, n_cand, allowed)
        lexical = self._lexical(query, n_cand, allowed)
        rankings = [[r for r, _ in dense], [r for r, _ in lexical]]
        weights = [self.settings.dense_weight, self.settings.lexical_weight]
        if also and also.strip() and " ".join(also.split()) != query:
            also = check_query(also)
            rankings += [[r for r, _ in self._dense(self.embedder.embed_query(also), n_cand, allowed)],
                         [r for r, _ in self._lexical(also, n_cand, allowed)]]
            weights += [self.settings.also_weight * w for w in weights]
        fused = fuse(rankings, weights, self.settings.rrf_k)
        dense_rank = {r: i for i, (r, _) in enumerate(dense, 1)}
        lex_rank = {r: i for i, (r, _) in enumerate(lexical, 1)}
        dense_score = dict(dense)
        rows = [r for r, _ in fused]
        keep = dedupe([chunks[r] for r in rows])
        hits = []
        for pos in keep[:k]:
            row, score = fused[pos]
            hits.append(Hit(
                rank=len(hits) + 1, score=score, chunk=chunks[row],
                source=self.index.sources[chunks[row].source_id],
                dense_rank=dense_rank.get(row), lexical_rank=lex_rank.get(row),
                dense_score=dense_score.get(row, float(self.index.data.vectors[row] @ qvec)),
            ))
        return hits

    def _allowed_rows(self, source_ids: Sequence[str] | None) -> set[int] | None:
        if not source_ids:
            return None
        unknown = set(source_ids) - set(self.index.sources)
        if unknown:
            raise InputError(
                f"unknown source id(s): {', '.join(sorted(unknown))}",
                "list the indexed sources with: qa sources",
            )
        wanted = set(source_ids)
        return {i for i, c in enumerate(self.index.chunks) if c.source_id in wanted}

    def _lexical(self, query: str, n: int, allowed: set[int] | None) -> list[tuple[int, float]]:
        found = self.index.lexical.search(query, n if allowed is None else len(self.index.chunks))
        return [(r, s) for r, s in found if allowed is None or r in allowed][:n]

    def _dense(self, qvec: np.ndarray, n: int, allowed: set[int] | None) -> list[tuple[int, float]]:
        if allowed is None:
            return self.index.dense.search(qvec, n)
        # filtered: exact scores over the allowed rows only
        rows = np.fromiter(sorted(allowed), dtype=np.int64)
        scores = self.index.data.vectors[rows] @ qvec
        order = np.argsort(-scores, kind="stable")[:n]
        return [(int(rows[i]), float(scores[i])) for i in order]


def check_query(query: str, max_chars: int = MAX_QUERY_CHARS) -> str:
    """A usable query: not empty; very long ones are cut (callers may add a notice)."""
    if not isinstance(query, str) or not query.strip():
        raise InputError("the question is empty", "type a question, e.g. qa search \"What is the Mérida Initiative?\"")
    query = " ".join(query.split())
    return query[:max_chars]


def followup_query(question: str, history: Sequence[dict[str, str]] | None, max_chars: int = 300) -> str | None:
    """A follow-up joined to the user's previous question (no model needed):
    "How did the Mexican government react?" after a question about an
    operation carries that operation's words into retrieval."""
    previous = [str(t.get("content", "")) for t in (history or []) if t.get("role") == "user"]
    if not previous or not previous[-1].strip():
        return None
    return " ".join(previous[-1].split())[:max_chars] + " " + question
