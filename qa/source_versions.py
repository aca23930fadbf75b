"""Replaced sources are kept, never lost: before a file in the sources folder
is overwritten (a same-name upload from the page, or a restore), its bytes
are copied to ``<sources>/.replaced/<name>.<UTC stamp>``, and one line per
action is appended to ``<sources>/.replaced/log.jsonl`` (what was replaced or
restored, when, its sha256 and size). ``restore`` puts a kept version back;
the version it replaces is kept in turn, so a restore can be undone too.

The folder's name starts with a dot: the indexer skips hidden paths
(``qa.ingest.list_source_files``), so a kept version is never a source.
Writing a new version goes through a hidden temp file renamed over the
target: a reader sees the old bytes or the new ones, never a part.

Standard library only.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from qa.errors import InputError
from qa.fileio import file_sha256

REPLACED_DIR = ".replaced"
LOG_NAME = "log.jsonl"
STAMP_FORMAT = "%Y%m%dT%H%M%SZ"


@dataclass(frozen=True)
class KeptVersion:
    """One logged action: ``name`` was replaced (by an upload) or restored; the
    bytes it had before are in ``kept`` (a file name inside ``.replaced/``)."""

    action: str  # "replaced" | "restored"
    name: str  # the file's name in the sources folder
    kept: str  # the previous bytes, as a file in .replaced/
    at: str  # UTC, ISO 8601
    sha256: str  # of the kept bytes
    size: int  # of the kept bytes
    new_sha256: str  # of what took its place

    @property
    def stamp(self) -> str:
        """The version's id as the CLI and the page name it (the UTC stamp in ``kept``)."""
        return self.kept.rsplit(".", 1)[-1]


def replaced_dir(sources_dir: Path) -> Path:
    return Path(sources_dir) / REPLACED_DIR


def write_version(
    sources_dir: Path, name: str, new_bytes_from: Path, action: str = "replaced", now: Callable[[], float] = time.time
) -> KeptVersion | None:
    """Put the file ``new_bytes_from`` at ``sources_dir/name``. When a file of
    that name with other bytes is there, keep it first and log it; returns the
    kept version, or None (nothing was there, or the same bytes)."""
    sources_dir = Path(sources_dir)
    dest = sources_dir / name
    if dest.is_symlink():  # copying would write wherever the link points
        raise InputError(f"{name} in the sources folder is a symlink", "remove that link, or rename the upload")
    new_sha = file_sha256(new_bytes_from)
    kept: KeptVersion | None = None
    if dest.exists():
        old_sha = file_sha256(dest)
        if old_sha == new_sha:
            return None
        kept = _keep(sources_dir, name, old_sha, new_sha, action, now())
    tmp = sources_dir / f".{name}.{uuid.uuid4().hex[:6]}.tmp"  # hidden: never indexed
    try:
        shutil.copyfile(new_bytes_from, tmp)
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
    return kept


def _keep(sources_dir: Path, name: str, old_sha: str, new_sha: str, action: str, at: float) -> KeptVersion:
    """Copy ``sources_dir/name`` into ``.replaced/`` under a stamped name and log it."""
    folder = replaced_dir(sources_dir)
    folder.mkdir(exist_ok=True)
    stamp = time.strftime(STAMP_FORMAT, time.gmtime(at))
    target = folder / f"{name}.{stamp}"
    n = 1
    while target.exists():  # two replacements within one second: both kept
        target = folder / f"{name}.{stamp}-{n}"
        n += 1
    shutil.copy2(sources_dir / name, target)
    version = KeptVersion(
        action=action,
        name=name,
        kept=target.name,
        at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(at)),
        sha256=old_sha,
        size=target.stat().st_size,
        new_sha256=new_sha,
    )
    with open(folder / LOG_NAME, "a", encoding="utf-8") as log:
        log.write(json.dumps(asdict(version), ensure_ascii=False) + "\n")
        log.flush()
        os.fsync(log.fileno())
    return version


def kept_versions(sources_dir: Path, name: str | None = None) -> list[KeptVersion]:
    """The kept versions still on disk (of ``name``, or of every file), newest first."""
    log = replaced_dir(sources_dir) / LOG_NAME
    if not log.is_file():
        return []
    out = []
    for line in log.read_text(encoding="utf-8").splitlines():
        try:
            version = KeptVersion(**json.loads(line))
        except (ValueError, TypeError):
            continue  # a line cut by a crash: the other versions stay listed
        if (name is None or version.name == name) and (replaced_dir(sources_dir) / version.kept).is_file():
            out.append(version)
    return out[::-1]


def restore(
    sources_dir: Path, name: str, stamp: str | None = None, now: Callable[[], float] = time.time
) -> tuple[KeptVersion, KeptVersion | None]:
    """Put the kept version ``stamp`` (default: the newest) of ``name`` back in the
    sources folder. Returns it, and the version this replaced (kept and logged in turn)."""
    versions = kept_versions(sources_dir, name)
    if not versions:
        known = sorted({v.name for v in kept_versions(sources_dir)})
        raise InputError(
            f"no kept version of {name!r} in {replaced_dir(sources_dir)}",
            f"kept: {', '.join(known)}" if known else "nothing has been replaced yet (qa restore lists kept versions)",
        )
    chosen = next((v for v in versions if stamp in (None, v.stamp, v.kept)), None)
    if chosen is None:
        raise InputError(
            f"{name} has no kept version {stamp!r}",
            f"use one of: {', '.join(v.stamp for v in versions)} (qa restore {name} --version STAMP)",
        )
    replaced = write_version(sources_dir, name, replaced_dir(sources_dir) / chosen.kept, action="restored", now=now)
    return chosen, replaced


def describe(version: KeptVersion, sources_dir: Path) -> str:
    """One line for the page and the CLI: what was kept, where, and how to get it back."""
    where = replaced_dir(sources_dir) / version.kept
    return (
        f"{version.name} {version.action} at {version.at}; the previous version ({version.size:,} bytes) "
        f"is kept as {where} (restore: qa restore {version.name} --version {version.stamp})"
    )
