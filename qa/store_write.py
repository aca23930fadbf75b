"""Writing the index folder (layout in ``qa.store``): a new generation
written completely, then made live by replacing CURRENT; old generations and
unused extracted texts collected; the lock held by a writer.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import uuid
from pathlib import Path

import numpy as np

from qa.errors import IndexLockedError
from qa.expand_index import lexical_extra
from qa.fileio import atomic_write
from qa.lexical import LexicalIndex
from qa.records import Chunk, SourceInfo
from qa.store import MANIFEST, IndexData
from qa.vectors import VectorIndex


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
        if data.expansions:
            with open(tmp / "expansions.jsonl", "w", encoding="utf-8") as f:
                for e in data.expansions:
                    f.write(json.dumps(e.to_dict() if e else None, ensure_ascii=False) + "\n")
            np.save(tmp / "questions.npy", np.ascontiguousarray(data.question_vectors, dtype=np.float32))
            np.save(tmp / "question_rows.npy", np.asarray(data.question_rows, dtype=np.int32))
        dense = VectorIndex.build(data.vectors, ann_threshold)
        dense.save(tmp / "dense.faiss")
        texts = [lexical_text(c, data.sources) for c in data.chunks]
        if data.expansions:
            texts = [f"{t} {lexical_extra(data.expansions[i])}" for i, t in enumerate(texts)]
        LexicalIndex.build(texts).save(tmp / "bm25")
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
