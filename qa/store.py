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
        dense.faiss         FAISS index over vectors
        bm25/               lexical index over chunk clean_text

A build writes a new generation folder completely, then points CURRENT at
it; an interrupted build leaves CURRENT (and the old generation) untouched.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from qa.config import INDEX_FORMAT_VERSION, Settings
from qa.errors import (
    IndexCorruptError,
    IndexLockedError,
    IndexMismatchError,
    IndexMissingError,
)
from qa.fileio import atomic_write
from qa.lexical import LexicalIndex
from qa.records import Chunk, SourceInfo
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
    return IndexData(manifest, chunks, vectors, sources, sentence_vectors, sentence_rows)


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
    from qa.embed import family

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


def write_generation(index_dir: Path, data: IndexData, ann_threshold: int) -> Path:
    """Write ``data`` as a new generation and make it live atomically."""
    index_dir.mkdir(parents=True, exist_ok=True)
    name = f"gen-{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:6]}"
    tmp = index_dir / f".tmp-{name}"
    tmp.mkdir()
    try:
        with open(tmp / "chunks.jsonl", "w", encoding="utf-8") as f:
            for c in data.chunks:
                f.write(json.dumps(c.to_dict(), ensure_ascii=False) + "\n")
        np.save(tmp / "vectors.npy", np.ascontiguousarray(data.vectors, dtype=np.float32))
        np.save(tmp / "sentences.npy", np.ascontiguousarray(data.sentence_vectors, dtype=np.float32))
        np.save(tmp / "sentence_rows.npy", np.asarray(data.sentence_rows, dtype=np.int32))
        dense = VectorIndex.build(data.vectors, ann_threshold)
        dense.save(tmp / "dense.faiss")
        LexicalIndex.build([lexical_text(c, data.sources) for c in data.chunks]).save(tmp / "bm25")
        data.manifest["dense_index"] = dense.kind
        data.manifest["n_chunks"] = len(data.chunks)
        data.manifest["sources"] = {k: v.to_dict() for k, v in sorted(data.sources.items())}
        (tmp / MANIFEST).write_text(json.dumps(data.manifest, indent=2, ensure_ascii=False), "utf-8")
        _fsync_tree(tmp)
        os.replace(tmp, index_dir / name)
        atomic_write(index_dir / "CURRENT", name + "\n")
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _collect_garbage(index_dir, keep=name, data=data)
    return index_dir / name


def lexical_text(chunk: Chunk, sources: dict[str, SourceInfo]) -> str:
    """What BM25 indexes for a chunk: its text, section, and its source's title,
    authors and publisher (so "what did Arzt say about ..." finds Arzt's paper)."""
    info = sources.get(chunk.source_id)
    meta = info.meta if info else None
    parts = [chunk.clean_text, chunk.section or ""]
    if meta:
        parts += [meta.title, " ".join(meta.authors), meta.publisher or ""]
    return " ".join(p for p in parts if p)


def _collect_garbage(index_dir: Path, keep: str, data: IndexData) -> None:
    """Remove old generations, abandoned temp folders and unused extracted texts."""
    for p in index_dir.iterdir():
        if p.is_dir() and (p.name.startswith("gen-") or p.name.startswith(".tmp-")) and p.name != keep:
            shutil.rmtree(p, ignore_errors=True)
    used = {Path(s.source_file).name for s in data.sources.values()}
    extracted = index_dir / "extracted"
    if extracted.is_dir():
        for p in extracted.iterdir():
            if p.name not in used:
                p.unlink(missing_ok=True)


def write_extracted(index_dir: Path, source_id: str, sha256: str, text: str) -> Path:
    """Store the extracted text of a non-text source (content-addressed, never overwritten)."""
    folder = index_dir / "extracted"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{source_id.replace('/', '__')}-{sha256[:12]}.txt"
    if not path.exists():
        atomic_write(path, text)
    return path


def _fsync_tree(folder: Path) -> None:
    for p in folder.rglob("*"):
        if p.is_file():
            with open(p, "rb") as f:
                os.fsync(f.fileno())


def _lines(path: Path) -> Iterator[str]:
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield line


class IndexLock:
    """Exclusive lock for writers of one index folder."""

    def __init__(self, index_dir: Path, wait_s: float = 600.0) -> None:
        from filelock import FileLock

        index_dir.mkdir(parents=True, exist_ok=True)
        self._lock = FileLock(str(index_dir / ".lock"))
        self._dir = index_dir
        self._wait = wait_s

    def __enter__(self) -> IndexLock:
        from filelock import Timeout

        try:
            self._lock.acquire(timeout=0)
        except Timeout:
            print(f"another `qa index` is running on {self._dir}; waiting up to {self._wait:.0f}s ...")
            try:
                self._lock.acquire(timeout=self._wait)
            except Timeout:
                raise IndexLockedError(
                    f"another `qa index` still holds {self._dir / '.lock'}",
                    "wait for it to finish, then run the command again",
                ) from None
        return self

    def __exit__(self, *exc: object) -> None:
        self._lock.release()
