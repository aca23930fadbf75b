"""Evaluation datasets: JSONL, one question per line, every gold quote checked
verbatim against its stored source file. Standard library only."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qa.config import PROJECT_ROOT
from qa.errors import InputError

REQUIRED = ("id", "question", "answerable")


@dataclass(frozen=True)
class GoldSpan:
    source_file: str
    start: int
    end: int
    quote: str


@dataclass(frozen=True)
class Item:
    id: str
    question: str
    answerable: bool
    gold: tuple[GoldSpan, ...]
    key_facts: tuple[str, ...]
    type: str
    history: tuple[dict[str, str], ...] = ()
    raw: dict[str, Any] = field(default_factory=dict, compare=False)


def _resolve(source_file: str, root: Path) -> Path:
    p = Path(source_file)
    return p if p.is_absolute() else root / p


def _stored(source_file: str, root: Path, stored: Mapping[str, str]) -> str:
    """The stored text a gold entry quotes: its own path when that is a file,
    else the index's stored text of the document of that name (a PDF's
    extracted text, a document in another folder)."""
    if not source_file or _resolve(source_file, root).is_file():
        return source_file
    return stored.get(source_file) or stored.get(Path(source_file).name) or source_file


def load_dataset(path: str | Path, root: Path = PROJECT_ROOT, stored: Mapping[str, str] | None = None) -> list[Item]:
    """Items of a dataset file; every problem (bad JSON, missing field,
    non-verbatim quote) is collected and reported together.

    ``stored`` maps an indexed document's file name (and original path) to
    the stored text its offsets refer to, so a dataset on another folder may
    name its documents (``crs_speaker_election_faq.pdf``); gold spans then
    point into the stored text, as retrieved passages and citations do."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"dataset {path} does not exist", "pass --dataset eval/datasets/questions.jsonl")
    items: list[Item] = []
    problems: list[str] = []
    texts: dict[str, str] = {}
    seen: set[str] = set()
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"line {n}: not JSON ({exc.msg})")
            continue
        missing = [k for k in REQUIRED if k not in row]
        if missing:
            problems.append(f"line {n}: missing {', '.join(missing)}")
            continue
        if row["id"] in seen:
            problems.append(f"line {n}: duplicate id {row['id']}")
        seen.add(row["id"])
        spans = []
        for g in row.get("gold") or []:
            f = _stored(g.get("source_file", ""), root, stored or {})
            if f not in texts:
                try:
                    texts[f] = _resolve(f, root).read_text(encoding="utf-8")
                except OSError:
                    problems.append(f"line {n} ({row['id']}): source file {f!r} not found")
                    texts[f] = ""
            start = texts[f].find(g.get("quote", "\0"))
            if start < 0 or not g.get("quote"):
                problems.append(f"line {n} ({row['id']}): quote not verbatim in {f}: {g.get('quote', '')[:70]!r}")
                continue
            spans.append(GoldSpan(f, start, start + len(g["quote"]), g["quote"]))
        items.append(
            Item(
                id=str(row["id"]),
                question=row["question"],
                answerable=bool(row["answerable"]),
                gold=tuple(spans),
                key_facts=tuple(row.get("key_facts") or ()),
                type=row.get("type", "fact"),
                history=tuple(row.get("history") or ()),
                raw=row,
            )
        )
    if problems:
        raise InputError(
            f"{len(problems)} problem(s) in {path}:\n  " + "\n  ".join(problems),
            "fix the lines above (quotes must be copied exactly from the stored file); for a dataset on another "
            "folder, index that folder (qa index --sources <folder> --index <dir>) and pass the same --index",
        )
    return items
