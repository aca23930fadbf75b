"""Running a dataset through the assistant (or retrieval alone) and writing
answers.jsonl, metrics.json, report.md and plots to an output folder."""

from __future__ import annotations

import json
import resource
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from itertools import islice
from pathlib import Path
from typing import Any

from qa.errors import InputError, QAError
from qa.evaluation.dataset import Item, load_dataset
from qa.evaluation.metrics import aggregate, by_type, score_answer
from qa.fileio import atomic_write, file_sha256
from qa.verify import SupportJudge

AskFn = Callable[[str, list[dict[str, str]] | None], dict[str, Any]]
SearchFn = Callable[[str, int, list[dict[str, str]] | None], list[dict[str, Any]]]


MANIFEST = "run.json"  # what the run is (dataset, settings, model, judge) and its time so far


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
) -> dict[str, Any]:
    """Evaluate; with ``search`` and no ``ask``, only retrieval is measured.

    An output folder that already holds a run is refused unless ``resume``
    (keep its scored answers, ask only the rest; the dataset, settings, model
    and judge must be the same) or ``overwrite``. Answers are written as they
    come, so an interrupted run loses at most the questions in flight.
    """
    dataset_sha = file_sha256(dataset)  # of the file as it was read
    items = load_dataset(dataset)[: limit or None]
    out = Path(out_dir)
    identity = run_identity(
        {
            "dataset_sha256": dataset_sha,
            "mode": "answers" if ask else "retrieval-only",
            "judge": {"name": judge.name, "version": judge.version},
            "settings": settings_fingerprint or {},
            "model": model_info or {},
        }
    )
    earlier, elapsed_before = _earlier(out, identity, items, resume=resume, overwrite=overwrite)
    out.mkdir(parents=True, exist_ok=True)
    started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    t0 = time.perf_counter()
    manifest = {"dataset": str(dataset), **identity, "model": model_info or {}, "started_at": started}

    def save_manifest() -> None:
        atomic_write(
            out / MANIFEST,
            json.dumps(
                {**manifest, "elapsed_s": round(elapsed_before + time.perf_counter() - t0, 1)},
                indent=2,
                ensure_ascii=False,
            ),
        )

    def one(item: Item) -> dict[str, Any]:
        return _one(item, ask, search, judge)

    # the kept answers first, in dataset order; new ones are appended as they come
    atomic_write(
        out / "answers.jsonl",
        "".join(json.dumps(earlier[i.id], ensure_ascii=False) + "\n" for i in items if i.id in earlier),
    )
    save_manifest()
    todo = [i for i in items if i.id not in earlier]
    new = _answer_all(out, todo, one, workers, earlier, len(items), progress, save_manifest)
    records = [earlier.get(i.id) or new[i.id] for i in items]
    atomic_write(out / "answers.jsonl", "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
    wall = round(elapsed_before + time.perf_counter() - t0, 1)
    metrics = {
        "dataset": str(dataset),
        "dataset_sha256": dataset_sha,
        "started_at": started,
        "wall_s": wall,
        "resumed_answers": len(earlier),
        "mode": identity["mode"],
        "judge": identity["judge"],
        "settings": settings_fingerprint or {},
        "model": model_info or {},
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "overall": aggregate(records),
        "by_type": by_type(records),
    }
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


def check_out(out_dir: str | Path, *, resume: bool = False, overwrite: bool = False) -> None:
    """Refuse, before any model is loaded, to write over a run without being told to."""
    out = Path(out_dir)
    if _holds_run(out) and not (resume or overwrite):
        answers = out / "answers.jsonl"
        n = len(answers.read_bytes().splitlines()) if answers.exists() else 0
        raise InputError(
            f"{out} already holds a run ({n} answers)",
            "add --resume to finish it with the same settings, --overwrite to replace it, or choose another --out",
        )


def _holds_run(out: Path) -> bool:
    answers = out / "answers.jsonl"
    return bool(answers.exists() and answers.stat().st_size) or (out / MANIFEST).exists()


def _earlier(
    out: Path, identity: dict[str, Any], items: Sequence[Item], *, resume: bool, overwrite: bool
) -> tuple[dict[str, dict[str, Any]], float]:
    """The scored answers of an earlier run in ``out`` that may be kept, and its time so far."""
    if not _holds_run(out):
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


def _one(item: Item, ask: AskFn | None, search: SearchFn | None, judge: SupportJudge) -> dict[str, Any]:
    base = {
        "id": item.id,
        "type": item.type,
        "answerable": item.answerable,
        "gold": [g.__dict__ for g in item.gold],
        "key_facts": list(item.key_facts),
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
