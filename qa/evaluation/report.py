"""report.md with tables and matplotlib plots (imported here only)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any


def _fmt(v: Any) -> str:
    if v is None:
        return "–"
    return f"{v:.3f}" if isinstance(v, float) else str(v)


def _table(rows: list[tuple[str, Any]]) -> str:
    return "| metric | value |\n|---|---|\n" + "\n".join(f"| {k} | {_fmt(v)} |" for k, v in rows)


def flat(metrics: dict[str, Any]) -> list[tuple[str, Any]]:
    rows = []
    for group in ("retrieval", "answer", "citations", "refusals", "pipeline"):
        for k, v in metrics.get(group, {}).items():
            rows.append((f"{group}.{k}", v))
    return rows


def write_report(out: Path, metrics: dict[str, Any], records: Sequence[dict[str, Any]]) -> None:
    overall = metrics["overall"]
    plots = _plots(out, overall, records)
    settings = dict(metrics.get("settings", {}))
    sources = settings.pop("sources", None) or {}
    lines = _header(metrics, len(settings), len(sources))
    lines += ["", "## Overall", "", _table(flat(overall)), ""]
    if overall.get("latency"):
        lines += ["## Latency (seconds)", "", "| stage | p50 | p95 | mean |", "|---|---|---|---|"]
        lines += [f"| {k} | {v['p50']} | {v['p95']} | {v['mean']} |" for k, v in overall["latency"].items()]
        lines.append("")
    lines += _by_type(metrics["by_type"])
    lines += ["", "## Worst questions", ""]
    lines += _worst_lines(records)
    lines += ["", *[f"![{p.stem}]({p.name})" for p in plots], ""]
    lines += _settings(settings, sources)
    (out / "report.md").write_text("\n".join(lines), "utf-8")


def _header(metrics: dict[str, Any], n_settings: int, n_sources: int) -> list[str]:
    """The report's title and what was run: dataset, mode, time, judge, model, settings."""
    overall = metrics["overall"]
    return [
        "# Evaluation report",
        "",
        f"- dataset: `{metrics['dataset']}` (sha256 `{metrics['dataset_sha256'][:16]}…`), {overall['questions']} questions, {overall['errors']} errors",
        f"- mode: {metrics['mode']}; started {metrics['started_at']}; wall time {metrics['wall_s']} s; peak RSS {metrics['peak_rss_mb']} MB"
        + (
            f" (resumed: {metrics['resumed_answers']} answers from an earlier invocation, whose time is included; "
            "peak RSS is this invocation's)"
            if metrics.get("resumed_answers")
            else ""
        ),
        f"- support judge: **{metrics['judge']['name']}** v{metrics['judge']['version']}",
        f"- model: `{metrics.get('model', {})}`",
        f"- settings: {n_settings} recorded, listed at the end; {n_sources} sources",
    ]


def _by_type(by_type: dict[str, dict[str, Any]]) -> list[str]:
    """The table of the main scores per question type."""
    lines = [
        "## By question type",
        "",
        "| type | n | R@5 | key facts | ALCE recall | ALCE precision | refused (unans.) | wrongly refused |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for t, m in by_type.items():
        lines.append(
            f"| {t} | {m['questions']} | {_fmt(m['retrieval']['recall@5'])} | {_fmt(m['answer']['key_fact_accuracy'])} | "
            f"{_fmt(m['citations']['alce_recall'])} | {_fmt(m['citations']['alce_precision'])} | "
            f"{_fmt(m['refusals']['unanswerable_refused'])} | {_fmt(m['refusals']['answerable_wrongly_refused'])} |"
        )
    return lines


def _worst_lines(records: Sequence[dict[str, Any]]) -> list[str]:
    """One line per question of ``worst(records)``."""
    lines = []
    for r in worst(records):
        s = r.get("scores", {})
        lines.append(
            f"- `{r['id']}` ({r.get('type')}): {r['question']} — gold rank {s.get('first_gold_rank')}, "
            f"key facts {_fmt(s.get('key_facts_pass'))}, refused {bool(s.get('refused'))}"
            + (f", error {r['error']}" if r.get("error") else "")
        )
    return lines


def _settings(settings: dict[str, Any], sources: dict[str, str]) -> list[str]:
    """The settings table, and the sources with their sha256 when recorded."""
    lines = [
        "## Settings",
        "",
        "| setting | value |",
        "|---|---|",
        *[f"| {k} | `{v!r}` |" for k, v in settings.items()],
        "",
    ]
    if sources:
        lines += [
            "## Sources",
            "",
            "| file | sha256 |",
            "|---|---|",
            *[f"| `{f}` | `{sha}` |" for f, sha in sources.items()],
            "",
        ]
    return lines


def worst(records: Sequence[dict[str, Any]], n: int = 10) -> list[dict[str, Any]]:
    def badness(r: dict[str, Any]) -> float:
        if r.get("error"):
            return 10.0
        s = r.get("scores", {})
        b = 0.0
        b += 2 * (s.get("wrong_refusal") or 0) + 2 * (
            1 - (s.get("correct_refusal") if s.get("correct_refusal") is not None else 1)
        )
        b += 1 - (s.get("key_facts_pass") if s.get("key_facts_pass") is not None else 1)
        b += 1 - (s.get("recall@5") if s.get("recall@5") is not None else 1)
        b += 1 - (s.get("citation_recall") if s.get("citation_recall") is not None else 1)
        return b

    return sorted(records, key=badness, reverse=True)[:n]


def _plots(out: Path, overall: dict[str, Any], records: Sequence[dict[str, Any]]) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    paths = []
    rows = [(k, v) for k, v in flat(overall) if isinstance(v, float) and not k.startswith("pipeline.")]
    if rows:
        fig, ax = plt.subplots(figsize=(8, 0.35 * len(rows) + 1))
        ax.barh([k for k, _ in rows], [v for _, v in rows], color="#2b6cb0")
        ax.set_xlim(0, 1)
        ax.invert_yaxis()
        ax.set_title("Scores")
        paths.append(_save(plt, fig, out / "scores.png"))
    totals = [r.get("timings", {}).get("total_s") for r in records if r.get("timings", {}).get("total_s") is not None]
    if totals:
        fig, ax = plt.subplots(figsize=(7, 3.5))
        ax.hist(totals, bins=min(20, max(5, len(totals) // 3)), color="#38a169")
        ax.set_xlabel("seconds per question (total)")
        ax.set_ylabel("questions")
        ax.set_title("Latency distribution")
        paths.append(_save(plt, fig, out / "latency.png"))
    curve = refusal_curve(records)
    if curve:
        fig, ax = plt.subplots(figsize=(5, 4))
        ax.plot([c[2] for c in curve], [c[1] for c in curve], color="#805ad5")
        ax.set_xlabel("answerable wrongly refused")
        ax.set_ylabel("unanswerable refused")
        ax.set_title("Refusals as the decision threshold moves")
        paths.append(_save(plt, fig, out / "refusals.png"))
    return paths


def _save(plt: Any, fig: Any, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def refusal_curve(records: Sequence[dict[str, Any]]) -> list[tuple[float, float, float]]:
    """(threshold, unanswerable refused, answerable wrongly refused) as the
    calibrated decision's threshold moves; questions refused before the
    decision stay refused. Empty when no record has a decision probability."""
    ok = [r for r in records if not r.get("error")]
    if not any((r.get("decision") or {}).get("probability") is not None for r in ok):
        return []
    out = []
    for i in range(1, 100):
        t = i / 100
        refused = [
            (r["refused"] and (r.get("decision") or {}).get("probability") is None)
            or ((r.get("decision") or {}).get("probability") is not None and r["decision"]["probability"] < t)
            for r in ok
        ]
        neg = [x for x, r in zip(refused, ok) if not r.get("answerable")]
        pos = [x for x, r in zip(refused, ok) if r.get("answerable")]
        if neg and pos:
            out.append((t, sum(neg) / len(neg), sum(pos) / len(pos)))
    return out
