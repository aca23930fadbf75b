"""Build and incrementally update an index: sources -> documents -> chunks ->
vectors -> a new generation on disk.

Only new or changed files (by sha256) are read, chunked and embedded; chunks
of deleted files are dropped; metadata-only changes are applied without
re-embedding. A change of index-shaping settings rebuilds everything.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from qa import clean as cleaning
from qa.chunking import chunk_document, chunk_sentences
from qa.config import Settings, relpath
from qa.embed import Embedder, get_embedder
from qa.errors import IndexCorruptError, IndexMismatchError, SourceError
from qa.fileio import file_sha256
from qa.ingest import list_source_files, read_document
from qa.metadata import fallback_meta, load_sidecar
from qa.records import Chunk, Document, SourceInfo
from qa.store import IndexData, IndexLock, check_fingerprint, read_data, write_extracted, write_generation


@dataclass
class IndexReport:
    """What one ``qa index`` run did."""

    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    metadata_updated: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    rebuilt: bool = False
    written: bool = False
    n_chunks: int = 0
    new_chunks: int = 0
    new_sentences: int = 0
    seconds: dict[str, float] = field(default_factory=dict)

    def summary(self) -> str:
        lines = []
        for label, ids in (("added", self.added), ("changed", self.changed), ("removed", self.removed),
                           ("metadata updated", self.metadata_updated)):
            if ids:
                lines.append(f"{label:>16}: {', '.join(ids)}")
        lines.append(f"{'unchanged':>16}: {len(self.unchanged)} source(s)")
        if not self.written:
            lines.append("index is up to date; nothing written")
        emb = self.seconds.get("embed_s", 0.0)
        rate = f" ({(self.new_chunks + self.new_sentences) / emb:.1f} texts/s)" if emb > 0 else ""
        lines.append(
            f"{self.n_chunks} chunks in index; {self.new_chunks} chunks + {self.new_sentences} sentences embedded{rate}; "
            + ", ".join(f"{k} {v:.2f}s" for k, v in self.seconds.items())
        )
        lines.extend(f"warning: {w}" for w in self.warnings)
        return "\n".join(lines)


def source_id_for(path: Path, sources_dir: Path) -> str:
    """Stable id of a source: its path below the sources folder, without suffix."""
    rel = path.relative_to(sources_dir)
    return rel.with_suffix("").as_posix()


def build_index(
    settings: Settings,
    *,
    rebuild: bool = False,
    embedder: Embedder | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> IndexReport:
    """Bring ``settings.index_dir`` up to date with ``settings.sources_dir``."""
    sources_dir, index_dir = Path(settings.sources_dir), Path(settings.index_dir)
    report = IndexReport()
    t0 = time.perf_counter()
    if not sources_dir.is_dir():
        raise SourceError(f"sources folder {sources_dir} does not exist",
                          "create it and copy .txt/.md/.html/.pdf files into it")
    with IndexLock(index_dir):
        old = None if rebuild else _previous(settings, index_dir, report)
        report.rebuilt = old is None
        files = list_source_files(sources_dir)
        if not files:
            raise SourceError(
                f"no supported documents (.txt .md .html .pdf) in {sources_dir}",
                f"copy documents into {sources_dir}, then run: qa index",
            )
        sidecar = load_sidecar(sources_dir)
        sources, kept, fresh_docs = _plan(files, sources_dir, index_dir, old, sidecar, settings, report)
        t1 = time.perf_counter()
        report.seconds["scan_s"] = t1 - t0
        changed = report.added or report.changed or report.removed or report.metadata_updated
        if old is not None and not changed:
            report.n_chunks = len(old.chunks)
            report.unchanged = sorted(sources)
            return report
        if fresh_docs:
            embedder = embedder or get_embedder(settings.embed_model)
        new_chunks = _chunk_all(fresh_docs, embedder, settings, report) if fresh_docs else []
        t2 = time.perf_counter()
        report.seconds["chunk_s"] = t2 - t1
        # each new chunk, then its sentences (for max-sim scoring at query time), is embedded
        sentences = [chunk_sentences(c) for c in new_chunks]
        flat = [s for group in sentences for s in group]
        total = len(new_chunks) + len(flat)
        tick = (lambda n: progress("embed", n, total)) if progress else None
        empty = np.zeros((0, settings.embed_dim), np.float32)
        new_vectors = (
            embedder.embed([embedding_text(c) for c in new_chunks], progress=tick)
            if embedder is not None and new_chunks else empty
        )
        new_sentence_vectors = embedder.embed(flat, progress=tick) if embedder is not None and flat else empty
        t3 = time.perf_counter()
        report.seconds["embed_s"] = t3 - t2
        data = _assemble(settings, old, kept, new_chunks, new_vectors, sources,
                         _split_rows(new_sentence_vectors, [len(g) for g in sentences]))
        write_generation(index_dir, data, settings.ann_threshold)
        report.seconds["write_s"] = time.perf_counter() - t3
        report.written = True
        report.n_chunks = len(data.chunks)
        report.new_chunks = len(new_chunks)
        report.new_sentences = len(flat)
        report.seconds["total_s"] = time.perf_counter() - t0
    return report


def embedding_text(chunk: Chunk) -> str:
    """What is embedded for a chunk: its section heading, then its text."""
    if chunk.section and not chunk.clean_text.startswith(chunk.section):
        return f"{chunk.section}: {chunk.clean_text}"
    return chunk.clean_text


def _previous(settings: Settings, index_dir: Path, report: IndexReport) -> IndexData | None:
    try:
        old = read_data(index_dir)
        if old is not None:
            check_fingerprint(old.manifest, settings, index_dir)
        return old
    except (IndexMismatchError, IndexCorruptError) as exc:
        report.warnings.append(f"{exc.message}; rebuilding from scratch")
        return None


def _plan(
    files: list[Path],
    sources_dir: Path,
    index_dir: Path,
    old: IndexData | None,
    sidecar: dict,
    settings: Settings,
    report: IndexReport,
) -> tuple[dict[str, SourceInfo], set[str], list[tuple[SourceInfo, Document]]]:
    """Decide per file: keep its chunks, (re)read it, or drop it."""
    old_sources = old.sources if old else {}
    sources: dict[str, SourceInfo] = {}
    kept: set[str] = set()
    fresh: list[tuple[SourceInfo, Document]] = []
    max_bytes = int(settings.max_file_mb * 1024 * 1024)
    for path in files:
        sid = source_id_for(path, sources_dir)
        name = path.relative_to(sources_dir).as_posix()
        try:
            sha = file_sha256(path)
        except OSError as exc:
            report.warnings.append(f"cannot read {path}: {exc}; skipped")
            if sid in old_sources:
                sources[sid] = old_sources[sid]
                kept.add(sid)
            continue
        prev = old_sources.get(sid)
        if prev is not None and prev.sha256 == sha:
            meta = sidecar.get(name, prev.meta)
            if meta != prev.meta:
                report.metadata_updated.append(sid)
            sources[sid] = SourceInfo(sid, prev.source_file, relpath(path), sha, meta, prev.n_chunks, prev.kind)
            kept.add(sid)
            report.unchanged.append(sid)
            continue
        try:
            doc = read_document(path, sid, max_bytes=max_bytes)
        except SourceError as exc:
            report.warnings.append(f"{exc.message}; skipped" + (f" ({exc.fix})" if exc.fix else ""))
            if prev is not None:
                sources[sid] = prev
                kept.add(sid)
            continue
        report.warnings.extend(doc.warnings)
        stored = path if doc.text_is_file else write_extracted(index_dir, sid, sha, doc.text)
        meta = sidecar.get(name) or fallback_meta(name, doc.text)
        info = SourceInfo(sid, relpath(stored), relpath(path), sha, meta, 0, path.suffix.lstrip(".").lower())
        sources[sid] = info
        fresh.append((info, doc))
        (report.changed if prev is not None else report.added).append(sid)
    report.removed = sorted(set(old_sources) - set(sources))
    return sources, kept, fresh


def _chunk_all(
    docs: list[tuple[SourceInfo, Document]], embedder: Embedder, settings: Settings, report: IndexReport
) -> list[Chunk]:
    chunks: list[Chunk] = []
    for _info, doc in docs:
        cleaned = cleaning.clean(doc.text)
        got = chunk_document(
            doc, cleaned, embedder.count_tokens, cleaning.is_heading,
            target_tokens=settings.chunk_tokens, max_tokens=settings.chunk_max_tokens,
            overlap_sentences=settings.chunk_overlap_sentences,
        )
        if not got:
            report.warnings.append(f"{doc.path} has no text to index")
        chunks.extend(got)
    return chunks


def _assemble(
    settings: Settings,
    old: IndexData | None,
    kept: set[str],
    new_chunks: list[Chunk],
    new_vectors: np.ndarray,
    sources: dict[str, SourceInfo],
    new_sentences: list[np.ndarray],
) -> IndexData:
    """Kept rows of the old index plus the new rows, ordered by source and ordinal;
    each row carries its chunk vector and the vectors of its sentences."""
    rows: list[tuple[Chunk, np.ndarray, np.ndarray]] = []
    if old is not None:
        old_sentences = _sentences_by_row(old)
        rows += [(c, old.vectors[i], old_sentences[i]) for i, c in enumerate(old.chunks) if c.source_id in kept]
    rows += list(zip(new_chunks, new_vectors, new_sentences))
    rows.sort(key=lambda r: (r[0].source_id, r[0].ordinal))
    counts: dict[str, int] = {}
    for c, _, _ in rows:
        counts[c.source_id] = counts.get(c.source_id, 0) + 1
    sources = {
        sid: SourceInfo(s.source_id, s.source_file, s.original_file, s.sha256, s.meta, counts.get(sid, 0), s.kind)
        for sid, s in sources.items()
    }
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    manifest = {
        "format_version": settings.index_fingerprint()["format_version"],
        "fingerprint": settings.index_fingerprint(),
        "built_at": (old.manifest.get("built_at") if old else None) or now,
        "updated_at": now,
    }
    dim = settings.embed_dim
    vectors = np.stack([v for _, v, _ in rows]).astype(np.float32) if rows else np.zeros((0, dim), np.float32)
    blocks = [s for _, _, s in rows if len(s)]
    sentence_vectors = np.concatenate(blocks).astype(np.float32) if blocks else np.zeros((0, dim), np.float32)
    sentence_rows = np.repeat(np.arange(len(rows), dtype=np.int32), [len(s) for _, _, s in rows])
    return IndexData(manifest, [c for c, _, _ in rows], vectors, sources, sentence_vectors, sentence_rows)


def _split_rows(vectors: np.ndarray, counts: list[int]) -> list[np.ndarray]:
    """``vectors`` cut into consecutive blocks of ``counts`` rows."""
    ends = np.cumsum(counts)
    return [vectors[e - n : e] for n, e in zip(counts, ends)]


def _sentences_by_row(data: IndexData) -> list[np.ndarray]:
    """The sentence vectors of each chunk row of ``data`` (rows are stored ascending)."""
    counts = np.bincount(data.sentence_rows, minlength=len(data.chunks)) if len(data.sentence_rows) else np.zeros(len(data.chunks), int)
    return _split_rows(data.sentence_vectors, [int(n) for n in counts])
