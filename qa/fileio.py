"""Writing a file so that readers see the old version or the whole new one,
never a part; the sha256 of a file or of bytes in memory. Standard library only."""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Callable
from pathlib import Path

_BLOCK = 8 << 20  # bytes read and hashed at a time


def atomic_write(path: Path, text: str) -> None:
    """Write ``text`` to a hidden temp file beside ``path``, sync it, then rename it over ``path``."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:6]}.tmp")
    # newline="" so the file reads back (in text mode) exactly as ``text``
    with open(tmp, "w", encoding="utf-8", newline="") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def file_sha256(path: str | Path, progress: Callable[[float], None] | None = None) -> str:
    """Hex sha256 of a file, read in blocks; ``progress(fraction)`` after each block."""
    h = hashlib.sha256()
    total = max(Path(path).stat().st_size, 1) if progress else 1
    done = 0
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(_BLOCK), b""):
            h.update(block)
            done += len(block)
            if progress:
                progress(done / total)
    return h.hexdigest()


def bytes_sha256(data: bytes) -> str:
    """Hex sha256 of ``data`` (a file already read into memory)."""
    return hashlib.sha256(data).hexdigest()
