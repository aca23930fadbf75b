"""Pure ranking rules of hybrid retrieval (``qa.retrieve`` applies them):
weighted reciprocal-rank fusion and z-score fusion of per-retriever scores,
the prior for sources a query names, and de-duplication of overlapping
chunks. Standard library and records only.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence

from qa.records import Chunk, SourceMeta
from qa.text import tokenize


def fuse(rankings: Sequence[Sequence[int]], weights: Sequence[float], k: int = 60) -> list[tuple[int, float]]:
    """Weighted reciprocal-rank fusion: sum of w / (k + rank) over the rankings."""
    scores: dict[int, float] = {}
    for ranking, w in zip(rankings, weights):
        for rank, row in enumerate(ranking, start=1):
            scores[row] = scores.get(row, 0.0) + w / (k + rank)
    return sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))


def zscore_fuse(scores: Sequence[Mapping[int, float]], weights: Sequence[float]) -> dict[int, float]:
    """Weighted sum of z-normalised scores. Each mapping scores the same
    candidate rows (one retriever's raw scores); z-normalising over the
    candidates makes cosines and BM25 comparable per query, and, unlike rank
    fusion, keeps how far ahead a clear winner is."""
    fused: dict[int, float] = {}
    for score, w in zip(scores, weights):
        if not score:
            continue
        # 1. mean and spread of this retriever's scores over the candidates
        mean = sum(score.values()) / len(score)
        std = math.sqrt(sum((v - mean) ** 2 for v in score.values()) / len(score))
        # 2. a retriever that cannot tell the candidates apart adds nothing (but keeps them)
        if std <= 1e-12:
            for row in score:
                fused.setdefault(row, 0.0)
            continue
        for row, v in score.items():
            fused[row] = fused.get(row, 0.0) + w * (v - mean) / std
    return fused


def source_terms(meta: SourceMeta) -> frozenset[str]:
    """Index terms of the names of a source: its authors and publisher (titles
    are topical words, already in the BM25 text of every chunk)."""
    return frozenset(tokenize(" ".join([*meta.authors, meta.publisher or ""])))


def named_terms(query: str) -> list[str]:
    """Index terms of the capitalised words of ``query``: names ("Arzt",
    "Baker Institute") count, lower-case topical words ("policy") do not."""
    return tokenize(" ".join(w for w in query.split() if w[:1].isupper()))


_NAME = r"((?:[A-Z][\w'’.&-]*)(?:\s+(?:(?:of|on|for|and|&|de|la|del)\s+)?[A-Z][\w'’.&-]*)*)"
_CITED = (
    re.compile(rf"\b[Aa]ccording to (?:the\s+)?{_NAME}"),
    re.compile(
        rf"\b(?:does|did|do)\s+(?:the\s+)?{_NAME}\s+(?:say|argue|recommend|write|claim|conclude|propose|report|find)\b"
    ),
    re.compile(
        rf"\b(?:the|a|an)\s+(?:\d{{4}}\s+)?{_NAME}(?:['’]s)?\s+(?:report|brief|study|paper|article|analysis|testimony|memo)\b"
    ),
)


def cited_names(query: str) -> list[str]:
    """Names ``query`` cites as a source: "according to RAND", "What does Brookings say…",
    "the 2020 CSIS report" (capitalised words in a source's place)."""
    out: list[str] = []
    for pattern in _CITED:
        for m in pattern.finditer(query):
            name = re.sub(r"^(?:The|A|An)\s+", "", m.group(1)).strip(" .,'’")
            if name and name not in out:
                out.append(name)
    return out


def source_prior(query_terms: Sequence[str], terms: Mapping[str, frozenset[str]]) -> dict[str, float]:
    """How strongly the query names each source, in 0..1: the summed idf
    (over sources) of query terms in the source's metadata, divided by the
    best source's. Terms every source shares ("security") count for nothing."""
    n = len(terms)
    df: dict[str, int] = {}
    for ts in terms.values():
        for t in ts:
            df[t] = df.get(t, 0) + 1
    wanted = set(query_terms)
    raw = {sid: sum(math.log(n / df[t]) for t in wanted & ts) for sid, ts in terms.items()}
    best = max(raw.values(), default=0.0)
    return {sid: v / best for sid, v in raw.items()} if best > 0 else {}


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
