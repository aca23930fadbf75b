"""Build and incrementally update an index: sources -> documents -> chunks ->
vectors -> a new generation on disk.

Only new or changed files (by sha256) are read, chunked and embedded; chunks
of deleted files are dropped; metadata-only changes are applied without
re-embedding. A change of index-shaping settings rebuilds everything.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from qa.backends.base import Generator
from qa.config import Settings
from qa.embed_file import NewRows, Progress, embedding_text, index_files, split_rows
from qa.embedders import EMBED_TOLERANCE, Embedder, family, get_embedder
from qa.errors import SourceError
from qa.expand import ExpandReport, ExpansionCache, Tick, expand_chunks
from qa.expand_index import add_expansions, expansions_differ, missing_chunks, open_cache, writer_settings
from qa.index_plan import IndexReport, make_plan, previous_index, source_id_for
from qa.ingest import list_source_files
from qa.metadata import load_sidecar
from qa.records import Chunk, SourceInfo
from qa.store import IndexData, read_data
from qa.store_write import IndexLock, write_generation

__all__ = ["IndexReport", "build_index", "embedding_text", "source_id_for", "write_missing"]


def build_index(
    settings: Settings,
    *,
    rebuild: bool = False,
    embedder: Embedder | None = None,
    progress: Progress | None = None,
    expansions: ExpansionCache | None = None,
) -> IndexReport:
    """Bring ``settings.index_dir`` up to date with ``settings.sources_dir``.
    ``progress(file name, bytes just done, bytes to do)`` as files are indexed.
    Chunks whose expansion is in the cache (``expansions``, else the
    configured file when ``settings.expand``) get it; none is generated here
    (``qa.expand.expand_chunks`` writes them, then a second call adds them)."""
    sources_dir, index_dir = Path(settings.sources_dir), Path(settings.index_dir)
    report = IndexReport()
    t0 = time.perf_counter()
    if not sources_dir.is_dir():
        raise SourceError(
            f"sources folder {sources_dir} does not exist", "create it and copy .txt/.md/.html/.pdf files into it"
        )
    with IndexLock(index_dir):
        old = None if rebuild else previous_index(settings, index_dir, report)
        files = list_source_files(sources_dir)
        if not files:
            raise SourceError(
                f"no supported documents (.txt .md .html .pdf) in {sources_dir}",
                f"copy documents into {sources_dir}, then run: qa index",
            )
        sidecar = load_sidecar(sources_dir)
        plan = make_plan(files, sources_dir, old, sidecar, report)
        cache = expansions if expansions is not None else open_cache(settings)
        report.expand_off = cache is None
        if cache is not None:
            report.warnings.extend(cache.messages())
        if plan.todo:
            embedder = embedder or get_embedder(settings.embed_model, settings)
            if old is not None and family(embedder.backend) != family(old.manifest.get("embed_backend")):
                report, old = _other_family(old, embedder, report), None
                plan = make_plan(files, sources_dir, old, sidecar, report)
        report.rebuilt = old is None
        report.seconds["scan_s"] = time.perf_counter() - t0
        changed = report.added or report.changed or report.removed or report.metadata_updated
        if old is not None and not changed and not expansions_differ(old, cache, plan.sources, settings):
            report.n_chunks = len(old.chunks)
            report.unchanged = sorted(plan.sources)
            report.expanded = old.n_expanded
            return report
        new = NewRows()
        if plan.todo and embedder is not None:
            new = index_files(plan, index_dir, embedder, settings, report, progress)
        t3 = time.perf_counter()
        backend = (
            embedder.backend
            if embedder is not None and plan.todo
            else (old.manifest.get("embed_backend") if old else None)
        )
        data = _assemble(settings, old, plan.kept, new, plan.sources, backend)
        t4 = time.perf_counter()
        embedder = add_expansions(data, old, cache, embedder, settings)
        report.expanded = data.n_expanded
        report.seconds["expansions_s"] = time.perf_counter() - t4
        t3 += time.perf_counter() - t4
        write_generation(index_dir, data, settings.ann_threshold)
        report.seconds["write_s"] = time.perf_counter() - t3
        report.written = True
        report.n_chunks = len(data.chunks)
        report.new_chunks = len(new.chunks)
        report.new_sentences = sum(len(s) for s in new.sentences)
        report.seconds["total_s"] = time.perf_counter() - t0
    return report


def _other_family(old: IndexData, embedder: Embedder, report: IndexReport) -> IndexReport:
    """A fresh report for a rebuild: the old vectors come from a backend that does not agree with this one."""
    report.warnings.append(
        f"the index holds {old.manifest.get('embed_backend') or 'torch'} vectors, this run embeds "
        f"with {embedder.backend} (beyond the {EMBED_TOLERANCE} tolerance); rebuilding from scratch"
    )
    return IndexReport(warnings=report.warnings)


def _assemble(
    settings: Settings,
    old: IndexData | None,
    kept: set[str],
    new: NewRows,
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


def _sentences_by_row(data: IndexData) -> list[np.ndarray]:
    """The sentence vectors of each chunk row of ``data`` (rows are stored ascending)."""
    counts = (
        np.bincount(data.sentence_rows, minlength=len(data.chunks))
        if len(data.sentence_rows)
        else np.zeros(len(data.chunks), int)
    )
    return split_rows(data.sentence_vectors, [int(n) for n in counts])


def write_missing(settings: Settings, tick: Tick | None = None, generator: Generator | None = None) -> ExpandReport:
    """Step two of ``qa index``: the model writes the expansions the live index
    lacks, into the cache (each kept as soon as written; Ctrl-C keeps them).
    A second ``build_index`` adds them."""
    cache = open_cache(settings)
    todo = missing_chunks(read_data(Path(settings.index_dir)), cache)
    if not todo or cache is None:
        return ExpandReport()
    if generator is None:
        from qa.backends import make_generator

        generator = make_generator(writer_settings(settings)).for_role("expand")
    metas = {info.source_id: info.meta for _, info in todo}
    return expand_chunks([c for c, _ in todo], metas, generator, cache, tick)
