"""Comparing two runs: metric deltas and the questions whose outcome changed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from qa.errors import InputError
from qa.evaluation.report import flat
from qa.evaluation.resume import differences, run_identity


def load_run(folder: str | Path) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    folder = Path(folder)
    try:
        metrics = json.loads((folder / "metrics.json").read_text("utf-8"))
        records = {}
        for line in (folder / "answers.jsonl").read_text("utf-8").splitlines():
            if line.strip():
                r = json.loads(line)
                records[r["id"]] = r
    except (OSError, ValueError) as exc:
        raise InputError(
            f"{folder} is not a finished run ({exc})", "pass a folder written by: qa eval run --out DIR"
        ) from exc
    return metrics, records


def _outcome(r: dict[str, Any]) -> dict[str, Any]:
    s = r.get("scores", {})
    return {
        "refused": s.get("refused"),
        "key_facts_pass": s.get("key_facts_pass"),
        "citation_recall": s.get("citation_recall"),
        "first_gold_rank": s.get("first_gold_rank"),
        "error": r.get("error"),
    }


def compare(run_a: str | Path, run_b: str | Path) -> str:
    """A Markdown report of B against A."""
    ma, ra = load_run(run_a)
    mb, rb = load_run(run_b)
    a, b = dict(flat(ma["overall"])), dict(flat(mb["overall"]))
    lines = [f"# {run_b} vs {run_a}", "", "| metric | A | B | Δ |", "|---|---|---|---|"]
    for k in [*a, *(k for k in b if k not in a)]:
        va, vb = a.get(k), b.get(k)
        delta = f"{vb - va:+.3f}" if isinstance(va, (int, float)) and isinstance(vb, (int, float)) else "–"
        lines.append(f"| {k} | {va if va is not None else '–'} | {vb if vb is not None else '–'} | {delta} |")
    if ma.get("judge") != mb.get("judge"):
        lines.append(
            f"\nwarning: the runs used different judges ({ma.get('judge')} vs {mb.get('judge')}): "
            "the citation metrics are not comparable"
        )
    lines += ["", "## What differs between the runs", ""]
    setup = differences(run_identity(ma), run_identity(mb))
    lines += [f"- {d}" for d in setup] or ["nothing recorded (same dataset, settings, sources, model and judge)"]
    lines += ["", "## Questions whose outcome changed", ""]
    changed = 0
    for qid in sorted(set(ra) & set(rb)):
        oa, ob = _outcome(ra[qid]), _outcome(rb[qid])
        diffs = [f"{k}: {oa[k]} → {ob[k]}" for k in oa if oa[k] != ob[k]]
        if diffs:
            changed += 1
            lines.append(f"- `{qid}` {ra[qid].get('question', '')[:80]} — " + "; ".join(diffs))
    if not changed:
        lines.append("none")
    only = sorted(set(ra) ^ set(rb))
    if only:
        lines.append(f"\nquestions in only one run: {', '.join(only)}")
    return "\n".join(lines)
