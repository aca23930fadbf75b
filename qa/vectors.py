"""Dense vector search with FAISS (imported only here).

Exact inner-product search (IndexFlatIP) for small corpora; HNSW above a
size threshold, whose recall against exact search is measured by
``eval/bench_index.py --search``. Vectors are L2-normalised, so inner product = cosine.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 128


class VectorIndex:
    """A FAISS index over the rows of a float32 matrix."""

    def __init__(self, index: Any, kind: str) -> None:  # a faiss.Index
        self._index = index
        self.kind = kind

    @classmethod
    def build(cls, vectors: np.ndarray, ann_threshold: int) -> VectorIndex:
        import faiss

        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        dim = vectors.shape[1]
        index: Any
        if len(vectors) > ann_threshold:
            index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
            index.hnsw.efSearch = HNSW_EF_SEARCH
            kind = "hnsw"
        else:
            index = faiss.IndexFlatIP(dim)
            kind = "flat"
        if len(vectors):
            index.add(vectors)
        return cls(index, kind)

    def save(self, path: Path) -> None:
        import faiss

        faiss.write_index(self._index, str(path))

    @classmethod
    def load(cls, path: Path) -> VectorIndex:
        import faiss

        index: Any = faiss.read_index(str(path))
        kind = "hnsw" if isinstance(index, faiss.IndexHNSWFlat) else "flat"
        if kind == "hnsw":
            index.hnsw.efSearch = HNSW_EF_SEARCH
        return cls(index, kind)

    @property
    def ntotal(self) -> int:
        return int(self._index.ntotal)

    @property
    def dim(self) -> int:
        return int(self._index.d)

    def search(self, query: np.ndarray, k: int) -> list[tuple[int, float]]:
        """Top ``k`` (row, cosine) pairs, best first."""
        if not self.ntotal:
            return []
        q = np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32)
        scores, rows = self._index.search(q, min(k, self.ntotal))
        return [(int(r), float(s)) for r, s in zip(rows[0], scores[0]) if r >= 0]
