"""Running a dataset through the assistant (or retrieval alone) and writing
answers.jsonl, metrics.json, report.md and plots to an output folder."""
from __future__ import annotations

import json
import resource
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable, Sequence

from qa.evaluation.dataset import Item, file_sha256, load_dataset
from qa.evaluation.metrics import SupportJudge, aggregate, by_type, score_answer

AskFn = Callable[[str, list[dict[str, str]] | None], dict[str, Any]]
SearchFn = Callable[[str, int, list[dict[str, str]] | None], list[dict[str, Any]]]


def run(
    dataset: str | Path,
    out_dir: str | Path,
    *,
    ask: AskFn | None = None,
    search: SearchFn | None = None,
    judge: SupportJudge,
    limit: int | None = None,
    workers: int = 1,
    settings_fingerprint: dict[str, Any] | None = None,
    model_info: dict[str, Any] | None = None,
    progress: bool = True,
) -> dict[str, Any]:
    """Evaluate; with ``search`` and no ``ask``, only retrieval is measured."""
    dataset_sha = file_sha256(dataset)  # of the file as it was read
    items = load_dataset(dataset)[: limit or None]
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    t0 = time.perf_counter()

    def one(item: Item) -> dict[str, Any]:
        return _one(item, ask, search, judge)

    records: list[dict[str, Any]] = []
    bar = _bar(len(items), progress)
    with open(out / "answers.jsonl", "w", encoding="utf-8") as f, ThreadPoolExecutor(max(1, workers)) as pool:
        for rec in pool.map(one, items):
            records.append(rec)
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")
            f.flush()
            if bar is not None:
                bar.update(1)
                bar.set_postfix(_running(records))
    if bar is not None:
        bar.close()
    metrics = {
        "dataset": str(dataset), "dataset_sha256": dataset_sha, "started_at": started,
        "wall_s": round(time.perf_counter() - t0, 1), "mode": "answers" if ask else "retrieval-only",
        "judge": {"name": judge.name, "version": judge.version},
        "settings": settings_fingerprint or {}, "model": model_info or {},
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "overall": aggregate(records), "by_type": by_type(records),
    }
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2, ensure_ascii=False), "utf-8")
    from qa.evaluation.report import write_report

    write_report(out, metrics, records)
    return metrics


def _one(item: Item, ask: AskFn | None, search: SearchFn | None, judge: SupportJudge) -> dict[str, Any]:
    base = {"id": item.id, "type": item.type, "answerable": item.answerable,
            "gold": [g.__dict__ for g in item.gold], "key_facts": list(item.key_facts)}
    try:
        if ask is not None:
            answer = ask(item.question, list(item.history) or None)
        else:
            assert search is not None
            t = time.perf_counter()
            hits = search(item.question, 10, list(item.history) or None)
            answer = {"question": item.question, "retrieved": hits, "refused": False, "sentences": [],
                      "citations": [], "answer": "", "timings": {"retrieve_s": time.perf_counter() - t}}
        scores = score_answer(item, answer, judge)
        if ask is None:
            scores = {k: v for k, v in scores.items() if k in ("first_gold_rank", "recall@1", "recall@5", "recall@10", "rr", "all_evidence@10")}
        return {**base, **answer, "question": item.question, "scores": scores}
    except Exception as exc:  # one failing question must not stop the run
        return {**base, "question": item.question, "error": f"{type(exc).__name__}: {exc}", "scores": {}}


def _running(records: Sequence[dict[str, Any]]) -> dict[str, str]:
    sc = [r["scores"] for r in records if r.get("scores")]
    def m(k: str) -> str:
        xs = [s[k] for s in sc if s.get(k) is not None]
        return f"{sum(xs) / len(xs):.2f}" if xs else "-"
    return {"R@5": m("recall@5"), "facts": m("key_facts_pass"), "cite_rec": m("citation_recall"), "refuse_ok": m("correct_refusal")}


def _bar(total: int, enabled: bool) -> Any:
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(total=total, desc="questions", unit="q")
