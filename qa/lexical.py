"""BM25 lexical search over chunks, for names, numbers and rare terms.

Tokenising is ours (``qa.text.tokenize``: lower-case words, English stop
words dropped, a light plural stemmer); scoring and persistence are bm25s,
imported only here.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from qa.text import tokenize


class LexicalIndex:
    """BM25 over a fixed list of texts; rows match the chunk order."""

    def __init__(self, retriever: object, n_docs: int) -> None:
        self._bm25 = retriever
        self.n_docs = n_docs

    @classmethod
    def build(cls, texts: Sequence[str]) -> LexicalIndex:
        import bm25s

        corpus = [tokenize(t) or ["\u2205"] for t in texts]
        retriever = bm25s.BM25()
        if corpus:
            retriever.index(corpus, show_progress=False)
        return cls(retriever, len(corpus))

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        if self.n_docs:
            self._bm25.save(str(folder))  # type: ignore[attr-defined]

    @classmethod
    def load(cls, folder: Path, n_docs: int) -> LexicalIndex:
        import bm25s

        if not n_docs:
            return cls(None, 0)
        return cls(bm25s.BM25.load(str(folder)), n_docs)

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every row for ``query`` (zeros when no term is known)."""
        if not self.n_docs:
            return np.zeros(0, dtype=np.float32)
        vocab = self._bm25.vocab_dict  # type: ignore[attr-defined]
        terms = [t for t in tokenize(query) if t in vocab]
        if not terms:
            return np.zeros(self.n_docs, dtype=np.float32)
        return np.asarray(self._bm25.get_scores(terms), dtype=np.float32)  # type: ignore[attr-defined]

    def holds(self, term: str) -> bool:
        """Does any row hold the index term ``term``?"""
        return bool(self.n_docs) and term in self._bm25.vocab_dict  # type: ignore[attr-defined]

    def search(self, query: str, k: int) -> list[tuple[int, float]]:
        """Top ``k`` (row, score) pairs with a positive score, best first."""
        return top_positive(self.scores(query), k)


def top_positive(s: np.ndarray, k: int) -> list[tuple[int, float]]:
    """Top ``k`` (row, score) pairs of ``s`` with a positive score, best first."""
    if not len(s) or k < 1:
        return []
    k = min(k, len(s))
    top = np.argpartition(-s, k - 1)[:k]
    top = top[np.argsort(-s[top], kind="stable")]
    return [(int(i), float(s[i])) for i in top if s[i] > 0]
