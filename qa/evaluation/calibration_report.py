"""The calibration's report and plot (``qa eval calibrate``): refusal rates
per fold and kind of example at the fitted threshold, the curve over
thresholds. numpy; matplotlib only inside ``plot``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from qa import decide


def report(rows: Sequence[dict[str, Any]], cal: decide.Calibration) -> str:
    lines = ["coefficients: " + ", ".join(f"{f}={c:+.3f}" for f, c in zip(cal.features, cal.coef))]
    lines.append(
        f"intercept {cal.intercept:+.3f}; threshold {cal.threshold:.3f} (target false refusal {cal.target_false_refusal:.2f})"
    )
    lines.append("")
    lines.append("| set | n | unanswerable refused | answerable wrongly refused |")
    lines.append("|---|---:|---:|---:|")
    for name, sel in _sets(rows):
        if not sel:
            continue
        p = np.array([cal.probability(r["features"]) for r in sel])
        y = np.array([r["label"] for r in sel])
        rt = decide.rates(p, y, cal.threshold)
        lines.append(
            f"| {name} | {len(sel)} | {_pct(rt['unanswerable_refused'])} | {_pct(rt['answerable_wrongly_refused'])} |"
        )
    lines.append("")
    lines.append("curve on even ids, real questions (threshold: unanswerable refused / answerable wrongly refused):")
    even = [r for r in rows if r["fold"] == "even" and r["kind"] == "real"]
    if even:
        p = np.array([cal.probability(r["features"]) for r in even])
        y = np.array([r["label"] for r in even])
        for t in np.linspace(0.1, 0.9, 9):
            rt = decide.rates(p, y, float(t))
            lines.append(f"  {t:.1f}: {_pct(rt['unanswerable_refused'])} / {_pct(rt['answerable_wrongly_refused'])}")
    return "\n".join(lines)


def _sets(rows: Sequence[dict[str, Any]]) -> list[tuple[str, list[dict[str, Any]]]]:
    out = []
    for fold in ("odd", "even"):
        for kind in ("real", "all"):
            sel = [r for r in rows if r["fold"] == fold and (kind == "all" or r["kind"] == "real")]
            out.append((f"{fold} ids, {kind} examples", sel))
    out.append(("all ids, real questions", [r for r in rows if r["kind"] == "real"]))
    return out


def _pct(v: float | None) -> str:
    return "–" if v is None else f"{v:.2f}"


def _num(v: float | None) -> float:
    return float("nan") if v is None else v


def plot(rows: Sequence[dict[str, Any]], cal: decide.Calibration, out: Path) -> None:
    """Unanswerable refused against answerable wrongly refused, over thresholds, per fold."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 4))
    for fold in ("odd", "even"):
        sel = [r for r in rows if r["fold"] == fold]
        p = np.array([cal.probability(r["features"]) for r in sel])
        y = np.array([r["label"] for r in sel])
        pts = [decide.rates(p, y, float(t)) for t in np.linspace(0.01, 0.99, 99)]
        ax.plot(
            [_num(q["answerable_wrongly_refused"]) for q in pts],
            [_num(q["unanswerable_refused"]) for q in pts],
            label=f"{fold} ids" + (" (fit)" if fold == "odd" else ""),
        )
        at = decide.rates(p, y, cal.threshold)
        ax.scatter([_num(at["answerable_wrongly_refused"])], [_num(at["unanswerable_refused"])], marker="o")
    ax.set_xlabel("answerable wrongly refused")
    ax.set_ylabel("unanswerable refused")
    ax.set_title(f"answer/refuse decision (threshold {cal.threshold:.2f})")
    ax.legend()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    plt.close(fig)
