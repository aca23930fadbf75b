"""Running a dataset through the assistant (or retrieval alone) and writing
answers.jsonl, metrics.json, report.md and plots to an output folder."""

from __future__ import annotations

import functools
import json
import resource
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from itertools import islice
from pathlib import Path
from typing import Any

from qa.errors import QAError
from qa.evaluation.dataset import Item, load_dataset
from qa.evaluation.metrics import aggregate, by_type, score_answer
from qa.evaluation.resume import MANIFEST, kept_answers, run_identity
from qa.fileio import atomic_write, file_sha256
from qa.verify import SupportJudge

AskFn = Callable[[str, list[dict[str, str]] | None], dict[str, Any]]
SearchFn = Callable[[str, int, list[dict[str, str]] | None], list[dict[str, Any]]]


class RunInterrupted(QAError):
    """Ctrl-C during a run: the answers so far are kept for ``--resume``."""

    exit_code = 130


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
    resume: bool = False,
    overwrite: bool = False,
    stored: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Evaluate; with ``search`` and no ``ask``, only retrieval is measured.

    An output folder that already holds a run is refused unless ``resume``
    (keep its scored answers, ask only the rest; the dataset, settings, model
    and judge must be the same) or ``overwrite``. Answers are written as they
    come, so an interrupted run loses at most the questions in flight.
    """
    dataset_sha = file_sha256(dataset)  # of the file as it was read
    items = load_dataset(dataset, stored=stored)[: limit or None]
    out = Path(out_dir)
    mode = "answers" if ask else "retrieval-only"
    identity = _identity(dataset_sha, mode, judge, settings_fingerprint or {}, model_info or {})
    earlier, elapsed_before = kept_answers(out, identity, items, resume=resume, overwrite=overwrite)
    out.mkdir(parents=True, exist_ok=True)
    started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    t0 = time.perf_counter()
    manifest = {"dataset": str(dataset), **identity, "model": model_info or {}, "started_at": started}
    save_manifest = _manifest_writer(out / MANIFEST, manifest, elapsed_before, t0)

    # the kept answers first, in dataset order; new ones are appended as they come
    _write_answers(out / "answers.jsonl", [earlier[i.id] for i in items if i.id in earlier])
    save_manifest()
    todo = [i for i in items if i.id not in earlier]
    one = functools.partial(_one, ask=ask, search=search, judge=judge)
    new = _answer_all(out, todo, one, workers, earlier, len(items), progress, save_manifest)
    records = [earlier.get(i.id) or new[i.id] for i in items]
    _write_answers(out / "answers.jsonl", records)
    run_facts = {
        "dataset": str(dataset),
        "dataset_sha256": dataset_sha,
        "started_at": started,
        "wall_s": round(elapsed_before + time.perf_counter() - t0, 1),
        "resumed_answers": len(earlier),
        "mode": identity["mode"],
        "judge": identity["judge"],
        "settings": settings_fingerprint or {},
        "model": model_info or {},
    }
    metrics = _metrics(run_facts, records)
    atomic_write(out / "metrics.json", json.dumps(metrics, indent=2, ensure_ascii=False))
    from qa.evaluation.report import write_report

    write_report(out, metrics, records)
    return metrics


def _identity(
    dataset_sha: str, mode: str, judge: SupportJudge, settings: dict[str, Any], model: dict[str, Any]
) -> dict[str, Any]:
    """The identity (``run_identity``) of the run ``run`` is asked for."""
    return run_identity(
        {
            "dataset_sha256": dataset_sha,
            "mode": mode,
            "judge": {"name": judge.name, "version": judge.version},
            "settings": settings,
            "model": model,
        }
    )


def _write_answers(path: Path, records: Sequence[dict[str, Any]]) -> None:
    """answers.jsonl: one JSON record per line."""
    atomic_write(path, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))


def _manifest_writer(path: Path, manifest: dict[str, Any], elapsed_before: float, t0: float) -> Callable[[], None]:
    """A function writing ``manifest`` to ``path`` with the run's time so far (``elapsed_s``)."""

    def save() -> None:
        elapsed = round(elapsed_before + time.perf_counter() - t0, 1)
        atomic_write(path, json.dumps({**manifest, "elapsed_s": elapsed}, indent=2, ensure_ascii=False))

    return save


def _metrics(run_facts: dict[str, Any], records: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """metrics.json: what the run was (``run_facts``), its peak memory and the aggregated scores."""
    return {
        **run_facts,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        **_aggregates(records),
    }


def _aggregates(records: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Overall, per type, and per kind and split when the dataset gives them."""
    out: dict[str, Any] = {"overall": aggregate(records), "by_type": by_type(records)}
    for name in ("kind", "split"):
        if any(r.get(name) for r in records):
            out[f"by_{name}"] = by_type(records, name)
    return out


def rescore(
    out_dir: str | Path, dataset: str | Path, judge: SupportJudge, stored: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Score a finished run's answers again with today's metrics (no model call):
    answers.jsonl's scores, metrics.json's aggregates and the report are rewritten."""
    out = Path(out_dir)
    records = [json.loads(ln) for ln in (out / "answers.jsonl").read_text("utf-8").splitlines() if ln.strip()]
    items = {i.id: i for i in load_dataset(dataset, stored=stored)}
    for r in records:
        if r["id"] in items and not r.get("error"):
            r["scores"] = score_answer(items[r["id"]], r, judge)
        for name in ("kind", "split"):
            if r["id"] in items and items[r["id"]].raw.get(name):
                r[name] = items[r["id"]].raw[name]
    metrics = {**json.loads((out / "metrics.json").read_text("utf-8")), **_aggregates(records)}
    _write_answers(out / "answers.jsonl", records)
    atomic_write(out / "metrics.json", json.dumps(metrics, indent=2, ensure_ascii=False))
    from qa.evaluation.report import write_report

    write_report(out, metrics, records)
    return metrics


def _answer_all(
    out: Path,
    todo: Sequence[Item],
    one: Callable[[Item], dict[str, Any]],
    workers: int,
    earlier: dict[str, dict[str, Any]],
    n_items: int,
    progress: bool,
    save_manifest: Callable[[], None],
) -> dict[str, dict[str, Any]]:
    """Answer ``todo``, appending each scored record to answers.jsonl as it
    comes; Ctrl-C stops after the questions in flight (``RunInterrupted``)."""
    new: dict[str, dict[str, Any]] = {}
    bar = _bar(n_items, progress, initial=n_items - len(todo))
    pool = ThreadPoolExecutor(max(1, workers))
    try:
        with open(out / "answers.jsonl", "a", encoding="utf-8") as f:
            for item, rec in zip(todo, _in_order(pool, one, todo, max(1, workers))):
                new[item.id] = rec
                f.write(json.dumps(rec, ensure_ascii=False) + "\n")
                f.flush()
                save_manifest()
                if bar is not None:
                    bar.update(1)
                    bar.set_postfix(_running([*earlier.values(), *new.values()]))
    except KeyboardInterrupt:
        pool.shutdown(wait=False, cancel_futures=True)
        if bar is not None:
            bar.close()
        raise RunInterrupted(
            f"interrupted: {len(earlier) + len(new)} of {n_items} answers are kept in {out / 'answers.jsonl'}",
            f"run the same command with --resume to answer the other {len(todo) - len(new)}",
        ) from None
    pool.shutdown()
    if bar is not None:
        bar.close()
    return new


def _in_order(
    pool: ThreadPoolExecutor, fn: Callable[[Item], dict[str, Any]], items: Sequence[Item], in_flight: int
) -> Iterator[dict[str, Any]]:
    """``pool.map`` with at most ``in_flight`` questions submitted: an interrupt leaves nothing queued."""
    rest = iter(items)
    pending = deque(pool.submit(fn, item) for item in islice(rest, in_flight))
    while pending:
        result = pending.popleft().result()
        for item in islice(rest, 1):
            pending.append(pool.submit(fn, item))
        yield result


def _one(item: Item, ask: AskFn | None, search: SearchFn | None, judge: SupportJudge) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": item.id,
        "type": item.type,
        "answerable": item.answerable,
        "gold": [g.__dict__ for g in item.gold],
        "key_facts": list(item.key_facts),
        **{k: item.raw[k] for k in ("kind", "split") if k in item.raw},  # the independent sets' halves
    }
    try:
        if ask is not None:
            answer = ask(item.question, list(item.history) or None)
        else:
            assert search is not None
            t = time.perf_counter()
            hits = search(item.question, 10, list(item.history) or None)
            answer = {
                "question": item.question,
                "retrieved": hits,
                "refused": False,
                "sentences": [],
                "citations": [],
                "answer": "",
                "timings": {"retrieve_s": time.perf_counter() - t},
            }
        scores = score_answer(item, answer, judge)
        if ask is None:
            scores = {
                k: v
                for k, v in scores.items()
                if k in ("first_gold_rank", "recall@1", "recall@5", "recall@10", "rr", "all_evidence@10")
            }
        return {**base, **answer, "question": item.question, "scores": scores}
    except Exception as exc:  # one failing question must not stop the run
        return {**base, "question": item.question, "error": f"{type(exc).__name__}: {exc}", "scores": {}}


def _running(records: Sequence[dict[str, Any]]) -> dict[str, str]:
    sc = [r["scores"] for r in records if r.get("scores")]

    def m(k: str) -> str:
        xs = [s[k] for s in sc if s.get(k) is not None]
        return f"{sum(xs) / len(xs):.2f}" if xs else "-"

    return {
        "R@5": m("recall@5"),
        "facts": m("key_facts_pass"),
        "cite_rec": m("citation_recall"),
        "refuse_ok": m("correct_refusal"),
    }


def _bar(total: int, enabled: bool, initial: int = 0) -> Any:
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(total=total, initial=initial, desc="questions", unit="q")
