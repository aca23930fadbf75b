"""The index folder on disk: self-describing, checked on load, swapped atomically.

Layout of ``index/``::

    CURRENT                 name of the live generation (replaced atomically)
    .lock                   held by a running ``qa index``
    extracted/<id>-<sha>.txt  stored text of sources that are not UTF-8 text files
    gen-<stamp>/            one complete build:
        manifest.json       format version, settings fingerprint, sources + sha256
        chunks.jsonl        one Chunk per line, in vector row order
        vectors.npy         float32 (n, dim), L2-normalised
        sentences.npy       float32 (m, dim): the sentences of every chunk, for max-sim scoring
        sentence_rows.npy   int32 (m,): the chunk row of each sentence vector (ascending)
        expansions.jsonl    per chunk row, its expansion or null (qa.expand_index; optional)
        questions.npy       float32 (q, dim): every expansion question (kept or not)
        question_rows.npy   int32 (q,): the chunk row of each question (ascending)
        dense.faiss         FAISS index over vectors
        bm25/               lexical index over chunk clean_text

A build writes a new generation folder completely, then points CURRENT at
it; an interrupted build leaves CURRENT (and the old generation) untouched.

This module loads and checks a generation; ``qa.store_write`` writes one and
holds the writers' lock.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from qa.config import INDEX_FORMAT_VERSION, Settings
from qa.errors import IndexCorruptError, IndexMismatchError, IndexMissingError
from qa.lexical import LexicalIndex
from qa.records import Chunk, RowExpansion, SourceInfo
from qa.vectors import VectorIndex

MANIFEST = "manifest.json"


def rebuild_hint(index_dir: str | Path) -> str:
    return f"rebuild it with: qa index --rebuild --index {index_dir}"


@dataclass
class IndexData:
    """Everything a generation holds, in memory."""

    manifest: dict[str, Any]
    chunks: list[Chunk]
    vectors: np.ndarray
    sources: dict[str, SourceInfo] = field(default_factory=dict)
    sentence_vectors: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.float32))
    sentence_rows: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    expansions: list[RowExpansion | None] = field(default_factory=list)  # per row; [] when none
    question_vectors: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.float32))
    question_rows: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))

    def expansion(self, row: int) -> RowExpansion | None:
        return self.expansions[row] if self.expansions else None

    @property
    def n_expanded(self) -> int:
        """Chunk rows that have an expansion."""
        return sum(e is not None for e in self.expansions)

    def kept_questions(self) -> tuple[np.ndarray, np.ndarray]:
        """Vectors and chunk rows of the questions that passed the filter."""
        if not len(self.question_rows):
            return self.question_vectors, self.question_rows
        kept = np.fromiter(
            (k for e in self.expansions if e is not None for k in e.kept), dtype=bool, count=len(self.question_rows)
        )
        return self.question_vectors[kept], self.question_rows[kept]


@dataclass
class LoadedIndex:
    """A checked index. Its FAISS and BM25 parts load on first use, so
    listing sources imports neither faiss nor bm25s."""

    folder: Path
    data: IndexData
    embed_dim: int
    _dense: VectorIndex | None = None
    _lexical: LexicalIndex | None = None

    @property
    def dense(self) -> VectorIndex:
        if self._dense is None:
            self.load_search_parts()
        assert self._dense is not None
        return self._dense

    @property
    def lexical(self) -> LexicalIndex:
        if self._lexical is None:
            self.load_search_parts()
        assert self._lexical is not None
        return self._lexical

    def load_search_parts(self) -> None:
        """Load and check the FAISS and BM25 indexes (once)."""
        if self._dense is not None and self._lexical is not None:
            return
        gen = current_generation(self.folder)
        assert gen is not None
        try:
            dense = VectorIndex.load(gen / "dense.faiss")
            lexical = LexicalIndex.load(gen / "bm25", len(self.data.chunks))
        except Exception as exc:  # faiss raises RuntimeError, bm25s OSError/ValueError
            raise IndexCorruptError(
                f"the index at {self.folder} is damaged ({type(exc).__name__}: {exc})", rebuild_hint(self.folder)
            ) from exc
        if dense.ntotal != len(self.data.chunks) or (len(self.data.chunks) and dense.dim != self.embed_dim):
            raise IndexCorruptError(
                f"the dense index at {self.folder} holds {dense.ntotal} vectors of dim {dense.dim}, "
                f"expected {len(self.data.chunks)} of dim {self.embed_dim}",
                rebuild_hint(self.folder),
            )
        self._dense, self._lexical = dense, lexical

    @property
    def chunks(self) -> list[Chunk]:
        return self.data.chunks

    def following(self, chunk: Chunk, n: int) -> list[Chunk]:
        """Up to ``n`` chunks of ``chunk``'s document that start after it, in the document's order."""
        later = [c for c in self.data.chunks if c.source_id == chunk.source_id and c.start > chunk.start]
        return sorted(later, key=lambda c: c.start)[:n]

    @property
    def sources(self) -> dict[str, SourceInfo]:
        return self.data.sources

    @property
    def manifest(self) -> dict[str, Any]:
        return self.data.manifest


def current_generation(index_dir: Path) -> Path | None:
    """The live generation folder, or None when there is no index."""
    pointer = index_dir / "CURRENT"
    if not pointer.exists():
        return None
    name = pointer.read_text(encoding="utf-8").strip()
    return index_dir / name if name else None


def read_data(index_dir: Path) -> IndexData | None:
    """The live generation's data (no FAISS/BM25), or None when there is none."""
    gen = current_generation(index_dir)
    if gen is None:
        return None
    try:
        manifest = json.loads((gen / MANIFEST).read_text(encoding="utf-8"))
        chunks = [Chunk.from_dict(json.loads(line)) for line in _lines(gen / "chunks.jsonl")]
        vectors = np.load(gen / "vectors.npy")
        if manifest.get("format_version") == INDEX_FORMAT_VERSION:
            sentence_vectors = np.load(gen / "sentences.npy")
            sentence_rows = np.load(gen / "sentence_rows.npy")
        else:  # an older format: check_fingerprint names the rebuild
            sentence_vectors, sentence_rows = np.zeros((0, vectors.shape[-1]), np.float32), np.zeros(0, np.int32)
        sources = {k: SourceInfo.from_dict(v) for k, v in manifest["sources"].items()}
        expansions, question_vectors, question_rows = _read_expansions(gen, len(chunks), vectors.shape[-1])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise IndexCorruptError(
            f"the index at {index_dir} is damaged ({type(exc).__name__}: {exc})",
            rebuild_hint(index_dir),
        ) from exc
    if len(chunks) != len(vectors) or manifest.get("n_chunks") != len(chunks):
        raise IndexCorruptError(
            f"the index at {index_dir} is inconsistent: {len(chunks)} chunks, "
            f"{len(vectors)} vectors, manifest says {manifest.get('n_chunks')}",
            rebuild_hint(index_dir),
        )
    if len(sentence_rows) != len(sentence_vectors) or (
        len(sentence_rows) and (sentence_rows.min() < 0 or sentence_rows.max() >= len(chunks))
    ):
        raise IndexCorruptError(
            f"the index at {index_dir} is inconsistent: {len(sentence_vectors)} sentence vectors, "
            f"{len(sentence_rows)} sentence rows for {len(chunks)} chunks",
            rebuild_hint(index_dir),
        )
    return IndexData(
        manifest, chunks, vectors, sources, sentence_vectors, sentence_rows, expansions, question_vectors, question_rows
    )


def _read_expansions(gen: Path, n_chunks: int, dim: int) -> tuple[list[RowExpansion | None], np.ndarray, np.ndarray]:
    """A generation's expansions (none when it was built without them), checked for consistency."""
    if not (gen / "expansions.jsonl").exists():
        return [], np.zeros((0, dim), np.float32), np.zeros(0, np.int32)
    rows = [json.loads(line) for line in _lines(gen / "expansions.jsonl")]
    expansions = [None if r is None else RowExpansion.from_dict(r) for r in rows]
    vectors, owners = np.load(gen / "questions.npy"), np.load(gen / "question_rows.npy")
    n_questions = sum(len(e.questions) for e in expansions if e is not None)
    if len(expansions) != n_chunks or len(vectors) != len(owners) or len(owners) != n_questions:
        raise ValueError(
            f"{len(expansions)} expansion rows for {n_chunks} chunks, {len(vectors)} question vectors, "
            f"{len(owners)} question rows, {n_questions} questions"
        )
    return expansions, vectors, owners


def check_fingerprint(manifest: dict[str, Any], settings: Settings, index_dir: Path) -> None:
    """Fail, naming the rebuild command, when the index was built differently."""
    found = manifest.get("fingerprint", {})
    if manifest.get("format_version") != INDEX_FORMAT_VERSION:
        raise IndexMismatchError(
            f"the index at {index_dir} has format version {manifest.get('format_version')}, "
            f"this program reads version {INDEX_FORMAT_VERSION}",
            rebuild_hint(index_dir),
        )
    wanted = settings.index_fingerprint()
    diffs = [f"{k}: index {found.get(k)!r} vs settings {v!r}" for k, v in wanted.items() if found.get(k) != v]
    if diffs:
        raise IndexMismatchError(
            f"the index at {index_dir} was built with other settings ({'; '.join(diffs)})",
            rebuild_hint(index_dir),
        )


def check_embedder(manifest: dict[str, Any], backend: str, index_dir: Path) -> None:
    """Fail when the index's vectors come from a backend that does not agree
    with ``backend`` within the tolerance (e.g. int8 vs fp32): never mix them."""
    from qa.embedders import family

    built = manifest.get("embed_backend") or "torch"
    if family(built) != family(backend):
        raise IndexMismatchError(
            f"the index at {index_dir} holds {built} vectors; searching it with {backend} vectors would "
            f"mix embeddings beyond the {manifest.get('embed_tolerance', 'stated')} tolerance",
            f"set QA_EMBED_BACKEND={built}, or {rebuild_hint(index_dir)}",
        )


def load_index(settings: Settings, index_dir: str | Path | None = None) -> LoadedIndex:
    """Load and check the live index; errors name the command that fixes them."""
    folder = Path(index_dir or settings.index_dir)
    data = read_data(folder)
    if data is None:
        raise IndexMissingError(
            f"no index at {folder}",
            f"build it with: qa index --sources {settings.sources_dir} --index {folder}",
        )
    check_fingerprint(data.manifest, settings, folder)
    return LoadedIndex(folder, data, settings.embed_dim)


def _lines(path: Path) -> Iterator[str]:
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield line
