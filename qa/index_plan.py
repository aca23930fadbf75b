"""What one ``qa index`` run does: the per-file plan (keep, re-read or drop,
decided by sha256 against the previous index) and the report it prints."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from qa.config import PROJECT_ROOT, Settings, relpath
from qa.errors import IndexCorruptError, IndexMismatchError
from qa.fileio import file_sha256
from qa.metadata import HEADER_CHARS, fallback_meta
from qa.records import SourceInfo, SourceMeta
from qa.store import IndexData, check_fingerprint, read_data


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
    expanded: int = 0  # chunks with an expansion in the index
    expand_off: bool = False  # built with expansion off (qa index --no-expand)
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
        emb, total = self.seconds.get("embed_s", 0.0), self.seconds.get("total_s", 0.0)
        rate = ""
        if emb > 0:
            per_chunk = f", {self.new_chunks / total:.1f} chunks/s end to end" if total > 0 else ""
            rate = f" ({(self.new_chunks + self.new_sentences) / emb:.1f} texts/s{per_chunk})"
        lines.append(
            f"{self.n_chunks} chunks in index; {self.new_chunks} chunks + {self.new_sentences} sentences embedded{rate}; "
            + ", ".join(f"{k} {v:.2f}s" for k, v in self.seconds.items())
        )
        if self.n_chunks and self.expand_off:
            lines.append("built without expansions (qa index --expand adds them)")
        elif self.n_chunks and self.expanded < self.n_chunks:
            lines.append(
                f"{self.n_chunks - self.expanded} of {self.n_chunks} chunks have no expansion yet; they are found "
                "without one (qa index --expand writes them)"
            )
        lines.extend(f"warning: {w}" for w in self.warnings)
        return "\n".join(lines)

    def add_seconds(self, key: str, dt: float) -> None:
        self.seconds[key] = self.seconds.get(key, 0.0) + dt


@dataclass(frozen=True)
class Todo:
    """A file to (re)read, chunk and embed."""

    path: Path
    source_id: str
    name: str  # path below the sources folder (the metadata sidecar's key)
    sha256: str
    meta: SourceMeta | None  # from the sidecar
    previous: SourceInfo | None


@dataclass
class Plan:
    """What a run keeps and what it (re)indexes."""

    sources: dict[str, SourceInfo] = field(default_factory=dict)  # every source the new index holds
    kept: set[str] = field(default_factory=set)  # sources whose old rows are kept
    todo: list[Todo] = field(default_factory=list)


def source_id_for(path: Path, sources_dir: Path) -> str:
    """Stable id of a source: its path below the sources folder, without suffix."""
    rel = path.relative_to(sources_dir)
    return rel.with_suffix("").as_posix()


def previous_index(settings: Settings, index_dir: Path, report: IndexReport) -> IndexData | None:
    """The index to update, or None (with a warning) when it must be rebuilt."""
    try:
        old = read_data(index_dir)
        if old is not None:
            check_fingerprint(old.manifest, settings, index_dir)
        return old
    except (IndexMismatchError, IndexCorruptError) as exc:
        report.warnings.append(f"{exc.message}; rebuilding from scratch")
        return None


def _fallback_again(name: str, prev: SourceInfo) -> SourceMeta:
    """An unchanged file the sidecar does not describe: its metadata read again from its stored text's
    header (the rule may have improved since it was indexed); the stored metadata when that is unreadable."""
    p = Path(prev.source_file)
    try:
        with (p if p.is_absolute() else PROJECT_ROOT / p).open(encoding="utf-8") as f:
            head = f.read(HEADER_CHARS)
    except (OSError, UnicodeDecodeError):
        return prev.meta
    return fallback_meta(name, head)


def make_plan(files: list[Path], sources_dir: Path, old: IndexData | None, sidecar: dict, report: IndexReport) -> Plan:
    """Decide per file, by sha256: keep its chunks, (re)read it later, or drop it."""
    old_sources = old.sources if old else {}
    plan = Plan()
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
            meta = sidecar.get(name) or _fallback_again(name, prev)
            if meta != prev.meta:
                report.metadata_updated.append(sid)
            plan.sources[sid] = SourceInfo(sid, prev.source_file, relpath(path), sha, meta, prev.n_chunks, prev.kind)
            plan.kept.add(sid)
            report.unchanged.append(sid)
            continue
        plan.todo.append(Todo(path, sid, name, sha, sidecar.get(name), prev))
        (report.changed if prev is not None else report.added).append(sid)
    report.removed = sorted(set(old_sources) - set(plan.sources) - {t.source_id for t in plan.todo})
    return plan
