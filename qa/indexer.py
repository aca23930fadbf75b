"""Build and incrementally update an index: sources -> documents -> chunks ->
vectors -> a new generation on disk.

Only new or changed files (by sha256) are read, chunked and embedded; chunks
of deleted files are dropped; metadata-only changes are applied without
re-embedding. A change of index-shaping settings rebuilds everything.
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
from qa.embed import EMBED_TOLERANCE, Embedder, family, get_embedder
from qa.errors import IndexCorruptError, IndexMismatchError, SourceError
from qa.fileio import file_sha256
from qa.ingest import list_source_files, read_document
from qa.metadata import fallback_meta, load_sidecar
from qa.records import Chunk, SourceInfo, SourceMeta
from qa.store import IndexData, check_fingerprint, read_data
from qa.store_write import IndexLock, write_extracted, write_generation


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
        for label, ids in (
            ("added", self.added),
            ("changed", self.changed),
            ("removed", self.removed),
            ("metadata updated", self.metadata_updated),
        ):
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
    progress: Callable[[str, float, float], None] | None = None,
) -> IndexReport:
    """Bring ``settings.index_dir`` up to date with ``settings.sources_dir``.
    ``progress(file name, bytes just done, bytes to do)`` as files are indexed."""
    sources_dir, index_dir = Path(settings.sources_dir), Path(settings.index_dir)
    report = IndexReport()
    t0 = time.perf_counter()
    if not sources_dir.is_dir():
        raise SourceError(
            f"sources folder {sources_dir} does not exist", "create it and copy .txt/.md/.html/.pdf files into it"
        )
    with IndexLock(index_dir):
        old = None if rebuild else _previous(settings, index_dir, report)
        files = list_source_files(sources_dir)
        if not files:
            raise SourceError(
                f"no supported documents (.txt .md .html .pdf) in {sources_dir}",
                f"copy documents into {sources_dir}, then run: qa index",
            )
        sidecar = load_sidecar(sources_dir)
        plan = _plan(files, sources_dir, old, sidecar, report)
        if plan.todo:
            embedder = embedder or get_embedder(settings.embed_model, settings)
            if old is not None and family(embedder.backend) != family(old.manifest.get("embed_backend")):
                report.warnings.append(
                    f"the index holds {old.manifest.get('embed_backend') or 'torch'} vectors, this run embeds "
                    f"with {embedder.backend} (beyond the {EMBED_TOLERANCE} tolerance); rebuilding from scratch"
                )
                old, report = None, IndexReport(warnings=report.warnings)
                plan = _plan(files, sources_dir, old, sidecar, report)
        report.rebuilt = old is None
        report.seconds["scan_s"] = time.perf_counter() - t0
        changed = report.added or report.changed or report.removed or report.metadata_updated
        if old is not None and not changed:
            report.n_chunks = len(old.chunks)
            report.unchanged = sorted(plan.sources)
            return report
        new = _NewRows()
        if plan.todo and embedder is not None:
            new = _index_files(plan, index_dir, embedder, settings, report, progress)
        t3 = time.perf_counter()
        backend = (
            embedder.backend
            if embedder is not None and plan.todo
            else (old.manifest.get("embed_backend") if old else None)
        )
        data = _assemble(settings, old, plan.kept, new, plan.sources, backend)
        write_generation(index_dir, data, settings.ann_threshold)
        report.seconds["write_s"] = time.perf_counter() - t3
        report.written = True
        report.n_chunks = len(data.chunks)
        report.new_chunks = len(new.chunks)
        report.new_sentences = sum(len(s) for s in new.sentences)
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


@dataclass(frozen=True)
class _Todo:
    """A file to (re)read, chunk and embed."""

    path: Path
    source_id: str
    name: str  # path below the sources folder (the metadata sidecar's key)
    sha256: str
    meta: SourceMeta | None  # from the sidecar
    previous: SourceInfo | None


@dataclass
class _Plan:
    """What a run keeps and what it (re)indexes."""

    sources: dict[str, SourceInfo] = field(default_factory=dict)  # every source the new index holds
    kept: set[str] = field(default_factory=set)  # sources whose old rows are kept
    todo: list[_Todo] = field(default_factory=list)


@dataclass
class _NewRows:
    """Chunks made by this run, with their vectors and their sentences' vectors."""

    chunks: list[Chunk] = field(default_factory=list)
    vectors: list[np.ndarray] = field(default_factory=list)
    sentences: list[np.ndarray] = field(default_factory=list)


def _plan(files: list[Path], sources_dir: Path, old: IndexData | None, sidecar: dict, report: IndexReport) -> _Plan:
    """Decide per file, by sha256: keep its chunks, (re)read it later, or drop it."""
    old_sources = old.sources if old else {}
    plan = _Plan()
    for path in files:
        sid = source_id_for(path, sources_dir)
        name = path.relative_to(sources_dir).as_posix()
        try:
            sha = file_sha256(path)
        except OSError as exc:
            report.warnings.append(f"cannot read {path}: {exc}; skipped")
            if sid in old_sources:
                plan.sources[sid] = old_sources[sid]
                plan.kept.add(sid)
            continue
        prev = old_sources.get(sid)
        if prev is not None and prev.sha256 == sha:
            meta = sidecar.get(name, prev.meta)
            if meta != prev.meta:
                report.metadata_updated.append(sid)
            plan.sources[sid] = SourceInfo(sid, prev.source_file, relpath(path), sha, meta, prev.n_chunks, prev.kind)
            plan.kept.add(sid)
            report.unchanged.append(sid)
            continue
        plan.todo.append(_Todo(path, sid, name, sha, sidecar.get(name), prev))
        (report.changed if prev is not None else report.added).append(sid)
    report.removed = sorted(set(old_sources) - set(plan.sources) - {t.source_id for t in plan.todo})
    return plan


def _index_files(
    plan: _Plan,
    index_dir: Path,
    embedder: Embedder,
    settings: Settings,
    report: IndexReport,
    progress: Callable[[str, float, float], None] | None,
) -> _NewRows:
    """Read, clean, chunk and embed the files one by one: memory holds one
    document (and the vectors made so far), never the whole corpus's text."""
    sizes = [t.path.stat().st_size for t in plan.todo]
    total, done = float(sum(sizes)), 0.0
    new = _NewRows()

    def tick(n: int) -> None:
        nonlocal done
        done += step * n
        if progress:
            progress(item.name, step * n, total)

    for item, size in zip(plan.todo, sizes):
        chunks = _read_and_chunk(item, plan, index_dir, embedder, settings, report)
        sentences = [chunk_sentences(c) for c in chunks]
        start, step = done, size / max(1, len(chunks) + sum(len(g) for g in sentences))
        t = time.perf_counter()
        vectors = embedder.embed([embedding_text(c) for c in chunks], progress=tick)
        t2 = time.perf_counter()
        flat = embedder.embed([s for g in sentences for s in g], progress=tick)
        _add(report.seconds, "embed_chunks_s", t2 - t)
        _add(report.seconds, "embed_sentences_s", time.perf_counter() - t2)
        new.chunks += chunks
        new.vectors.append(vectors)
        new.sentences += _split_rows(flat, [len(g) for g in sentences])
        if progress:
            progress(item.name, start + size - done, total)
        done = start + size
    report.seconds["embed_s"] = report.seconds.get("embed_chunks_s", 0.0) + report.seconds.get("embed_sentences_s", 0.0)
    return new


def _read_and_chunk(
    item: _Todo, plan: _Plan, index_dir: Path, embedder: Embedder, settings: Settings, report: IndexReport
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
        _add(report.seconds, key, dt)
    return chunks


def _add(seconds: dict[str, float], key: str, dt: float) -> None:
    seconds[key] = seconds.get(key, 0.0) + dt


def _assemble(
    settings: Settings,
    old: IndexData | None,
    kept: set[str],
    new: _NewRows,
    sources: dict[str, SourceInfo],
    backend: str | None,
) -> IndexData:
    """Kept rows of the old index plus the new rows, ordered by source and ordinal;
    each row carries its chunk vector and the vectors of its sentences."""
    rows: list[tuple[Chunk, np.ndarray, np.ndarray]] = []
    if old is not None:
        old_sentences = _sentences_by_row(old)
        rows += [(c, old.vectors[i], old_sentences[i]) for i, c in enumerate(old.chunks) if c.source_id in kept]
    new_vectors = [v for block in new.vectors for v in block]
    rows += list(zip(new.chunks, new_vectors, new.sentences))
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
        # vectors from another backend of the same family agree within the tolerance (1 - cosine)
        "embed_backend": backend or "torch",
        "embed_family": family(backend),
        "embed_tolerance": EMBED_TOLERANCE,
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
    counts = (
        np.bincount(data.sentence_rows, minlength=len(data.chunks))
        if len(data.sentence_rows)
        else np.zeros(len(data.chunks), int)
    )
    return _split_rows(data.sentence_vectors, [int(n) for n in counts])
