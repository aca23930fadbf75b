"""Writing a file so that readers see the old version or the whole new one,
never a part. Standard library only."""
from __future__ import annotations

import os
import uuid
from pathlib import Path


def atomic_write(path: Path, text: str) -> None:
    """Write ``text`` to a hidden temp file beside ``path``, sync it, then rename it over ``path``."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:6]}.tmp")
    # newline="" so the file reads back (in text mode) exactly as ``text``
    with open(tmp, "w", encoding="utf-8", newline="") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
