"""The pre-score of evidence sentences (no model), one ranking per query:
0.55 × the cosine of the query and the sentence (when an embedder is given)
+ 0.45 × the idf-weighted share of the query's terms the sentence holds,
+0.1 when it holds the kind of thing asked (a date for "when", a number for
"how many", a name for "who"), +0.1 when it names every word of what a
"What is X?" question defines or a topic question is about ("What does CRS
mean by the 'modern Congress'?": a sentence naming the modern Congress, not one
on CRS), +0.15 when it stands under the division the
question names ("under the 20th Amendment": ``qa.locate``), a passage-rank
prior, −0.2 for a sentence that only echoes the query. Pure apart from numpy: records, ``qa.evidence``
and ``qa.text``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace

import numpy as np

from qa.answer_type import asked_type, holds_type, novelty
from qa.asks import ask_of
from qa.records import Evidence
from qa.text import tokenize

Embed = Callable[[Sequence[str]], "np.ndarray | None"]  # texts -> unit vectors (n, dim); None: no embedder


def prescore(
    candidates: Sequence[Evidence],
    queries: Sequence[str],
    embed: Embed | None = None,
    hit_rank: Mapping[str, int] | None = None,
    located: frozenset[tuple[str, int]] = frozenset(),
) -> list[list[Evidence]]:
    """Per query, ``candidates`` with their pre-score, best first; ``located``: keys of those standing
    under the division the question names."""
    if not candidates:
        return [[] for _ in queries]
    texts = [c.text for c in candidates]
    cos: np.ndarray | None = None
    if embed is not None:
        vectors = embed(list(queries) + texts)
        if vectors is not None:
            cos = vectors[len(queries) :] @ vectors[: len(queries)].T  # (n, q)
    idf = _local_idf(texts)
    terms = [set(tokenize(t)) for t in texts]
    ranks = hit_rank or {}
    out = []
    for qi, q in enumerate(queries):
        q_terms = set(tokenize(q))
        total = sum(idf.get(t, _idf_unseen(len(texts))) for t in q_terms) or 1.0
        kind = asked_type(q)
        target = _target_terms(q)
        scored = []
        for i, c in enumerate(candidates):
            lex = sum(idf.get(t, 0.0) for t in q_terms & terms[i]) / total
            dense = float(cos[i, qi]) if cos is not None else 0.0
            score = 0.55 * dense + 0.45 * lex
            if kind and holds_type(kind, c.text, q):
                score += 0.1
            if target and target <= terms[i]:
                score += NAMES_TARGET
            score += 0.05 / ranks.get(c.hit.chunk.chunk_id, c.hit.rank or 1)
            score += LOCATED * (c.key in located)
            if novelty(c.text, q) < 0.2:
                score -= 0.2  # restates the question: no answer in it
            scored.append(replace(c, score=score))
        out.append(sorted(scored, key=lambda e: -e.score))
    return out


LOCATED = 0.15  # a sentence under the division the question names scores this much more
NAMES_TARGET = 0.1  # a sentence naming what a definition or topic question asks about scores this much more


def _target_terms(query: str) -> frozenset[str]:
    """The index terms of what ``query`` asks to define or asks about ("What is SEMAR?": {"semar"});
    empty for any other question."""
    ask = ask_of(query)
    return frozenset(tokenize(ask.target)) if ask.kind in ("define", "topic") else frozenset()


def _local_idf(texts: Sequence[str]) -> dict[str, float]:
    df: dict[str, int] = {}
    for t in texts:
        for term in set(tokenize(t)):
            df[term] = df.get(term, 0) + 1
    n = len(texts)
    return {t: math.log(1 + n / d) for t, d in df.items()}


def _idf_unseen(n: int) -> float:
    return math.log(1 + n)
