"""Index one file: read, clean, chunk, then embed its chunks and their
sentences (the sentence vectors feed max-sim scoring in qa/retrieve.py).

``sentence_vectors`` (a setting, part of the index fingerprint): "separate"
embeds each sentence on its own (one more transformer pass per sentence);
"pooled" takes each sentence's vector from its chunk's own pass, the mean of
the chunk's token states over the sentence's tokens (found by the tokenizer's
character offsets), so a chunk and its sentences cost one pass.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from qa import clean as cleaning
from qa.chunking import chunk_document, chunk_sentences
from qa.config import Settings, relpath
from qa.embedders import Embedder
from qa.errors import SourceError
from qa.index_plan import IndexReport, Plan, Todo
from qa.ingest import read_document
from qa.metadata import fallback_meta
from qa.records import Chunk, SourceInfo
from qa.store_write import write_extracted

Progress = Callable[[str, float, float], None]


@dataclass
class NewRows:
    """Chunks made by this run, with their vectors and their sentences' vectors."""

    chunks: list[Chunk] = field(default_factory=list)
    vectors: list[np.ndarray] = field(default_factory=list)
    sentences: list[np.ndarray] = field(default_factory=list)


def embedding_text(chunk: Chunk) -> str:
    """What is embedded for a chunk: its section heading, then its text."""
    if chunk.section and not chunk.clean_text.startswith(chunk.section):
        return f"{chunk.section}: {chunk.clean_text}"
    return chunk.clean_text


def sentence_spans_in(chunk: Chunk, text: str) -> list[tuple[int, int]]:
    """Character spans in ``text`` (the chunk's ``embedding_text``) of its ``chunk_sentences``."""
    base = len(text) - len(chunk.clean_text)  # the heading prefix, if any
    spans, pos = [], 0
    for sentence in chunk_sentences(chunk):
        start = chunk.clean_text.index(sentence, pos)
        pos = start + len(sentence)
        spans.append((base + start, base + pos))
    return spans


def embed_chunks(
    chunks: list[Chunk],
    embedder: Embedder,
    mode: str,
    report: IndexReport,
    tick: Callable[[int], None] | None = None,
) -> tuple[np.ndarray, list[np.ndarray]]:
    """The vectors of ``chunks`` and, per chunk, of its sentences (``mode``: separate or pooled)."""
    texts = [embedding_text(c) for c in chunks]
    t = time.perf_counter()
    if mode == "pooled":
        spans = [sentence_spans_in(c, x) for c, x in zip(chunks, texts)]
        vectors, sentences = embedder.embed_pooled(texts, spans, 0, tick)
        report.add_seconds("embed_chunks_s", time.perf_counter() - t)
        return vectors, sentences
    vectors = embedder.embed(texts, progress=tick)
    t2 = time.perf_counter()
    groups = [chunk_sentences(c) for c in chunks]
    flat = embedder.embed([s for g in groups for s in g], progress=tick)
    report.add_seconds("embed_chunks_s", t2 - t)
    report.add_seconds("embed_sentences_s", time.perf_counter() - t2)
    return vectors, split_rows(flat, [len(g) for g in groups])


def index_files(
    plan: Plan, index_dir: Path, embedder: Embedder, settings: Settings, report: IndexReport, progress: Progress | None
) -> NewRows:
    """Read, clean, chunk and embed the files one by one: memory holds one
    document (and the vectors made so far), never the whole corpus's text."""
    sizes = [t.path.stat().st_size for t in plan.todo]
    total, done = float(sum(sizes)), 0.0
    new = NewRows()

    def tick(n: int) -> None:
        nonlocal done
        done += step * n
        if progress:
            progress(item.name, step * n, total)

    for item, size in zip(plan.todo, sizes):
        chunks = read_and_chunk(item, plan, index_dir, embedder, settings, report)
        passes = len(chunks) if settings.sentence_vectors == "pooled" else len(chunks) + sum(map(_n_sentences, chunks))
        start, step = done, size / max(1, passes)
        vectors, sentences = embed_chunks(chunks, embedder, settings.sentence_vectors, report, tick)
        new.chunks += chunks
        new.vectors.append(vectors)
        new.sentences += sentences
        if progress:
            progress(item.name, start + size - done, total)
        done = start + size
    report.seconds["embed_s"] = report.seconds.get("embed_chunks_s", 0.0) + report.seconds.get("embed_sentences_s", 0.0)
    return new


def _n_sentences(chunk: Chunk) -> int:
    return len(chunk_sentences(chunk))


def read_and_chunk(
    item: Todo, plan: Plan, index_dir: Path, embedder: Embedder, settings: Settings, report: IndexReport
) -> list[Chunk]:
    """The chunks of one file (none, with a warning, when it cannot be read)."""
    t0 = time.perf_counter()
    try:
        doc = read_document(item.path, item.source_id, max_bytes=int(settings.max_file_mb * 1024 * 1024))
    except SourceError as exc:
        report.warnings.append(f"{exc.message}; skipped" + (f" ({exc.fix})" if exc.fix else ""))
        for ids in (report.added, report.changed):
            if item.source_id in ids:
                ids.remove(item.source_id)
        if item.previous is not None:  # keep what was indexed
            plan.sources[item.source_id] = item.previous
            plan.kept.add(item.source_id)
        return []
    report.warnings.extend(doc.warnings)
    stored = item.path if doc.text_is_file else write_extracted(index_dir, item.source_id, item.sha256, doc.text)
    plan.sources[item.source_id] = SourceInfo(
        item.source_id,
        relpath(stored),
        relpath(item.path),
        item.sha256,
        item.meta or fallback_meta(item.name, doc.text),
        0,
        item.path.suffix.lstrip(".").lower(),
    )
    t1 = time.perf_counter()
    cleaned = cleaning.clean(doc.text)
    t2 = time.perf_counter()
    chunks = chunk_document(
        doc,
        cleaned,
        embedder.count_tokens,
        cleaning.is_heading,
        target_tokens=settings.chunk_tokens,
        max_tokens=settings.chunk_max_tokens,
        overlap_sentences=settings.chunk_overlap_sentences,
    )
    if not chunks:
        report.warnings.append(f"{doc.path} has no text to index")
    for key, dt in (("read_s", t1 - t0), ("clean_s", t2 - t1), ("chunk_s", time.perf_counter() - t2)):
        report.add_seconds(key, dt)
    return chunks


def split_rows(vectors: np.ndarray, counts: list[int]) -> list[np.ndarray]:
    """``vectors`` cut into consecutive blocks of ``counts`` rows."""
    ends = np.cumsum(counts)
    return [vectors[e - n : e] for n, e in zip(counts, ends)]
