"""Expansions in the index: each chunk row gets the questions and context
line the model wrote for it (``qa.expand``), filtered Doc2Query-- style and
embedded as extra vectors that point back to the row; the kept questions and
the context line also join the row's BM25 text. A hit's text, offsets and
quotes stay the chunk's own: expansions only help find it.

The filter keeps a question when its own chunk is among the ``keep_rank``
chunks nearest to it (cosine over the chunk vectors): a question that is
closer to many other chunks than to its own does not describe its chunk.
It is recomputed over all questions whenever the index is written, so it
follows the corpus as files come and go.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from qa.config import MODEL_SHA256, Settings
from qa.embedders import Embedder, get_embedder
from qa.expand import CACHE_NAME, Expansion, ExpansionCache, expansion_key, expansion_prompt
from qa.model_files import known_sha256
from qa.records import Chunk, RowExpansion, SourceInfo


class IndexRows(Protocol):
    """What this module reads and fills of an index (``qa.store.IndexData`` is one)."""

    manifest: dict[str, Any]
    chunks: list[Chunk]
    vectors: np.ndarray
    sources: dict[str, SourceInfo]
    expansions: list[RowExpansion | None]
    question_vectors: np.ndarray
    question_rows: np.ndarray

    def expansion(self, row: int) -> RowExpansion | None: ...


def row_keys(chunks: Sequence[Chunk], sources: dict[str, SourceInfo]) -> list[str]:
    """The expansion cache key of every chunk (the prompt its expansion is written from)."""
    keys = []
    for c in chunks:
        info = sources.get(c.source_id)
        keys.append(expansion_key(expansion_prompt(c, info.meta if info else None)[0]))
    return keys


def lexical_extra(e: RowExpansion | None) -> str:
    """What an expansion adds to its row's BM25 text: the context line and the kept questions."""
    if e is None:
        return ""
    return " ".join([e.context, *e.kept_questions])


def filter_questions(
    question_vectors: np.ndarray, owners: np.ndarray, chunk_vectors: np.ndarray, keep_rank: int, block: int = 2048
) -> np.ndarray:
    """Per question, True when its own chunk ranks within the ``keep_rank``
    chunks nearest to it (0: keep all)."""
    m = len(question_vectors)
    if keep_rank <= 0 or not m:
        return np.ones(m, dtype=bool)
    kept = np.zeros(m, dtype=bool)
    for s in range(0, m, block):
        sims = question_vectors[s : s + block] @ chunk_vectors.T
        own = sims[np.arange(len(sims)), owners[s : s + block]]
        rank = 1 + (sims > own[:, None]).sum(axis=1)
        kept[s : s + block] = rank <= keep_rank
    return kept


@dataclass
class ExpansionBlock:
    """The expansions of an index, row-aligned: per row its RowExpansion (or
    None) and the vectors of all its questions (kept and dropped)."""

    rows: list[RowExpansion | None]
    vectors: list[np.ndarray]

    @property
    def n_expanded(self) -> int:
        return sum(e is not None for e in self.rows)


def attach(
    chunks: Sequence[Chunk],
    keys: Sequence[str],
    chunk_vectors: np.ndarray,
    cache: ExpansionCache,
    old: dict[str, tuple[RowExpansion, np.ndarray]],
    embedder: Embedder | None,  # None when nothing new must be embedded
    keep_rank: int,
    dim: int,
) -> ExpansionBlock:
    """Row-aligned expansions of ``chunks``: reused from ``old`` (by key) when
    the index already held them, else from the cache (questions embedded now);
    rows the cache lacks get none. The filter is then applied over all rows."""
    rows: list[RowExpansion | None] = []
    vectors: list[np.ndarray] = []
    to_embed: list[tuple[int, Expansion]] = []
    for i, key in enumerate(keys):
        if key in old:
            e, v = old[key]
            rows.append(e)
            vectors.append(v)
            continue
        entry = cache.get(key)
        rows.append(None if entry is None else RowExpansion(key, entry.context, entry.questions, ()))
        vectors.append(np.zeros((0, dim), np.float32))
        if entry is not None and entry.questions:
            to_embed.append((i, entry))
    if to_embed:
        assert embedder is not None, "new questions to embed need an embedder"
        flat = embedder.embed([q for _, e in to_embed for q in e.questions])
        pos = 0
        for i, entry in to_embed:
            vectors[i] = flat[pos : pos + len(entry.questions)]
            pos += len(entry.questions)
    owners = np.repeat(np.arange(len(rows), dtype=np.int64), [len(v) for v in vectors])
    all_vectors = np.concatenate(vectors) if vectors and len(owners) else np.zeros((0, dim), np.float32)
    kept = filter_questions(all_vectors, owners, chunk_vectors, keep_rank)
    pos = 0
    for i, row in enumerate(rows):
        if row is None:
            continue
        n = len(row.questions)
        rows[i] = RowExpansion(row.key, row.context, row.questions, tuple(bool(k) for k in kept[pos : pos + n]))
        pos += n
    return ExpansionBlock(rows, vectors)


def old_expansions(
    expansions: Sequence[RowExpansion | None], vectors: np.ndarray, rows: np.ndarray
) -> dict[str, tuple[RowExpansion, np.ndarray]]:
    """An index's expansions by key, each with its question vectors (stored grouped by ascending row)."""
    counts = np.bincount(rows, minlength=len(expansions)) if len(rows) else np.zeros(len(expansions), int)
    ends = np.cumsum(counts)
    out = {}
    for i, e in enumerate(expansions):
        if e is not None:
            out[e.key] = (e, vectors[ends[i] - counts[i] : ends[i]])
    return out


# ---------------------------------------------------------------- used by qa.indexer


def writer_settings(settings: Settings) -> Settings:
    """The settings expansions are written with: always the local llama.cpp model
    (``model_path``, else the packaged one), whichever backend answers, so the
    committed cache stays valid when the answer backend changes."""
    return settings.replace(
        backend="llama_cpp", model_path=settings.model_path if settings.backend == "llama_cpp" else ""
    )


def expansion_model_id(settings: Settings) -> str:
    """Who writes expansions under ``settings``: the model file's sha256 (the
    packaged model's pinned one, without hashing)."""
    path = writer_settings(settings).model_path
    if not path:
        return MODEL_SHA256
    return known_sha256(Path(path)) or str(path)


def cache_path(settings: Settings) -> Path:
    """The expansions file: ``settings.expansions_file``, else beside the sources."""
    return Path(settings.expansions_file or Path(settings.sources_dir) / CACHE_NAME)


def open_cache(settings: Settings) -> ExpansionCache | None:
    """The configured expansions file (None when ``settings.expand`` is off)."""
    if not settings.expand:
        return None
    return ExpansionCache(cache_path(settings), expansion_model_id(settings))


def expansions_differ(
    old: IndexRows, cache: ExpansionCache | None, sources: dict[str, SourceInfo], settings: Settings
) -> bool:
    """True when the index ``old`` should be rewritten for its
    expansions alone: the cache holds ones it lacks, it holds stale ones, it
    holds some and expansion is off, or the filter setting changed."""
    if cache is None:
        return bool(old.expansions)
    built = old.manifest.get("expansions") or {}
    if old.expansions and (built.get("keep_rank") != settings.expand_keep_rank or built.get("model") != cache.model):
        return True
    for i, key in enumerate(row_keys(old.chunks, sources)):
        have = old.expansion(i)
        if have is not None and have.key != key:
            return True
        if have is None and cache.get(key) is not None:
            return True
    return False


def add_expansions(
    data: IndexRows, old: IndexRows | None, cache: ExpansionCache | None, embedder: Embedder | None, settings: Settings
) -> Embedder | None:
    """Fill ``data`` (just assembled) with the expansions of its rows; returns the embedder
    (loaded here when new questions must be embedded)."""
    if cache is None or not data.chunks:
        return embedder
    keys = row_keys(data.chunks, data.sources)
    reuse = {}
    if old is not None and (old.manifest.get("expansions") or {}).get("model") == cache.model:  # the same writer
        reuse = old_expansions(old.expansions, old.question_vectors, old.question_rows)
    if embedder is None and any(k not in reuse and cache.get(k) is not None for k in keys):
        embedder = get_embedder(settings.embed_model, settings)
    block = attach(
        data.chunks, keys, data.vectors, cache, reuse, embedder, settings.expand_keep_rank, settings.embed_dim
    )
    if not block.n_expanded:
        return embedder
    data.expansions = block.rows
    counts = [len(v) for v in block.vectors]
    data.question_vectors = np.concatenate(block.vectors).astype(np.float32)
    data.question_rows = np.repeat(np.arange(len(counts), dtype=np.int32), counts)
    n_kept = sum(sum(e.kept) for e in block.rows if e is not None)
    data.manifest["expansions"] = {
        "chunks": block.n_expanded,
        "questions": int(sum(counts)),
        "kept": int(n_kept),
        "keep_rank": settings.expand_keep_rank,
        "file": str(cache.path),
        "model": cache.model,
    }
    return embedder


def missing_chunks(data: IndexRows | None, cache: ExpansionCache | None) -> list[tuple[Chunk, SourceInfo]]:
    """Chunks of ``data`` with no expansion there nor in the cache (what the model must still write)."""
    if data is None or cache is None:
        return []
    out = []
    for i, (c, key) in enumerate(zip(data.chunks, row_keys(data.chunks, data.sources))):
        have = data.expansion(i)
        if cache.get(key) is None and (have is None or have.key != key):
            out.append((c, data.sources[c.source_id]))
    return out
