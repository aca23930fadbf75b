"""The metadata sidecar ``<sources>/metadata.json``: bibliographic data kept
beside the texts, never inside them. Keys are file names relative to the
sources folder. Standard library only.
"""

from __future__ import annotations

import json
from pathlib import Path

from qa.errors import SourceError
from qa.records import SourceMeta

SIDECAR = "metadata.json"


def load_sidecar(sources_dir: Path) -> dict[str, SourceMeta]:
    """File name -> metadata; an absent sidecar is an empty mapping."""
    path = sources_dir / SIDECAR
    if not path.exists():
        return {}
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SourceError(
            f"cannot read the metadata sidecar {path}: {exc}",
            f"fix the JSON in {path} (or remove it to index without metadata)",
        ) from exc
    if not isinstance(raw, dict):
        raise SourceError(f"{path} must hold a JSON object keyed by file name", f"fix {path}")
    return {str(k): SourceMeta.from_dict(v) for k, v in raw.items() if isinstance(v, dict)}


def fallback_meta(name: str, text: str) -> SourceMeta:
    """Metadata for a file the sidecar doesn't describe: title from its first short line."""
    for line in text.splitlines()[:5]:
        line = line.strip().lstrip("#").strip()
        if 3 <= len(line) <= 150:
            return SourceMeta(title=line)
    return SourceMeta(title=Path(name).stem.replace("_", " "))
