"""Resuming a run: what makes two runs the same run (``run_identity``), how
they differ (``differences``, also used by ``qa eval compare``), and which
answers of an earlier run in the output folder may be kept."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from qa.errors import InputError
from qa.evaluation.dataset import Item

MANIFEST = "run.json"  # what the run is (dataset, settings, model, judge) and its time so far


def check_out(out_dir: str | Path, *, resume: bool = False, overwrite: bool = False) -> None:
    """Refuse, before any model is loaded, to write over a run without being told to."""
    out = Path(out_dir)
    if holds_run(out) and not (resume or overwrite):
        answers = out / "answers.jsonl"
        n = len(answers.read_bytes().splitlines()) if answers.exists() else 0
        raise InputError(
            f"{out} already holds a run ({n} answers)",
            "add --resume to finish it with the same settings, --overwrite to replace it, or choose another --out",
        )


def holds_run(out: Path) -> bool:
    answers = out / "answers.jsonl"
    return bool(answers.exists() and answers.stat().st_size) or (out / MANIFEST).exists()


def kept_answers(
    out: Path, identity: dict[str, Any], items: Sequence[Item], *, resume: bool, overwrite: bool
) -> tuple[dict[str, dict[str, Any]], float]:
    """The scored answers of an earlier run in ``out`` that may be kept, and its time so far."""
    if not holds_run(out):
        return {}, 0.0
    answers, manifest = out / "answers.jsonl", out / MANIFEST
    if overwrite:
        for name in (MANIFEST, "answers.jsonl", "metrics.json", "report.md", "scores.png", "latency.png"):
            (out / name).unlink(missing_ok=True)
        return {}, 0.0
    check_out(out, resume=resume, overwrite=overwrite)
    lines = answers.read_text(encoding="utf-8", errors="replace").splitlines() if answers.exists() else []
    try:
        before = json.loads(manifest.read_text(encoding="utf-8"))
        if not isinstance(before, dict):
            raise ValueError("not an object")
    except (OSError, ValueError) as exc:
        raise InputError(
            f"cannot resume {out}: its {MANIFEST} is missing or unreadable ({exc}), so its settings are unknown",
            "use --overwrite to start over, or choose another --out",
        ) from None
    changed = differences(run_identity(before), identity)
    if changed:
        raise InputError(
            f"cannot resume {out}: it was run otherwise: "
            + "; ".join(changed[:6])
            + ("; …" if len(changed) > 6 else ""),
            "resume with the same dataset, settings, model and --judge, or use --overwrite, or choose another --out",
        )
    wanted = {i.id for i in items}
    kept: dict[str, dict[str, Any]] = {}
    for line in lines:  # a line cut off by a hard kill, or a failed question, is asked again
        try:
            rec = json.loads(line)
        except ValueError:
            continue
        if isinstance(rec, dict) and rec.get("id") in wanted and rec.get("scores") and not rec.get("error"):
            kept[rec["id"]] = rec
    return kept, float(before.get("elapsed_s") or 0.0)


def run_identity(m: dict[str, Any]) -> dict[str, Any]:
    """What makes two runs the same run, from run.json, metrics.json or the arguments
    of ``run``, as it reads back from JSON. The model counts by its sha256, not by
    where its file lies."""
    model = {k: v for k, v in (m.get("model") or {}).items() if k != "model_path"}
    return json.loads(
        json.dumps(
            {
                "dataset_sha256": m.get("dataset_sha256"),
                "mode": m.get("mode"),
                "judge": m.get("judge"),
                "settings": m.get("settings") or {},
                "model": model,
            }
        )
    )


def differences(a: Any, b: Any, path: str = "") -> list[str]:
    """``key: old → new`` for every leaf that differs between two JSON-like values."""
    if isinstance(a, dict) and isinstance(b, dict):
        out: list[str] = []
        for k in sorted(set(a) | set(b), key=str):
            out += differences(a.get(k), b.get(k), f"{path}.{k}" if path else str(k))
        return out
    return [] if a == b else [f"{path}: {a!r} → {b!r}"]
