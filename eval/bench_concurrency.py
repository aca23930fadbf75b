"""Several users at once against a running chat page: prints numbers, asserts nothing.

  .venv/bin/python eval/bench_concurrency.py --url http://127.0.0.1:7860/ --users 1 4 8 [--rounds 1] [--out FILE]

For each user count N, N threads each send ``--rounds`` questions to the
page's ``/ask`` API (``gradio_client``, as an API user or the page itself
would; every answer waits in the page's one queue), all starting together.
Per N it prints the latency of every question (submit to answer) as p50,
p95 and max, the wall time, answers per minute, how many questions waited
behind another and were told their place in the queue (and an estimate) by
the page's queue, and the errors (a Gradio
error or an answer that is not one: no ``answer`` field, or another
question's). The questions are the first ones of the benchmark dataset
(``--dataset``), so each user asks a different question.

Start the page first, e.g. ``qa serve --port 7860`` (the built-in backend)
or ``qa serve --backend openai --base-url http://127.0.0.1:8080/v1`` with
``QA_SERVE_CONCURRENCY`` set to the server's parallel slots; see docs/serving.md.
"""

from __future__ import annotations

import argparse
import json
import statistics
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Round:
    """What one user count gave."""

    users: int
    latencies_s: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    wall_s: float = 0.0
    queued: int = 0  # questions the queue told their place (rank 0: next in line)
    with_eta: int = 0  # of those, how many were also told an estimate

    def summary(self) -> dict:
        lat = sorted(self.latencies_s)
        return {
            "users": self.users,
            "answers": len(lat),
            "errors": len(self.errors),
            "p50_s": round(statistics.median(lat), 1) if lat else None,
            "p95_s": round(percentile(lat, 0.95), 1) if lat else None,
            "max_s": round(lat[-1], 1) if lat else None,
            "wall_s": round(self.wall_s, 1),
            "answers_per_min": round(60 * len(lat) / self.wall_s, 2) if self.wall_s else None,
            "waited_with_a_place": self.queued,
            "waited_with_an_eta": self.with_eta,
        }


def percentile(sorted_values: list[float], q: float) -> float:
    """The q-quantile by linear interpolation (numpy's default), of values sorted ascending."""
    pos = (len(sorted_values) - 1) * q
    lo = int(pos)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


def questions(path: Path, n: int) -> list[str]:
    """The first ``n`` standalone questions of the dataset (no follow-ups: the API takes no history)."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line) if line.strip() else {}
        if row.get("question") and not row.get("history"):
            out.append(row["question"])
        if len(out) == n:
            break
    return out


def watch(job: Any, deadline: float) -> tuple[int, bool]:
    """Poll a job's status until it is done: the largest place in the queue it was told
    (0: next in line; -1: never told one) and whether it was told an estimate."""
    from gradio_client.utils import Status

    place, eta = -1, False
    while not job.done() and time.perf_counter() < deadline:
        s = job.status()
        if s.code == Status.IN_QUEUE and s.rank is not None:
            place = max(place, s.rank)
            eta = eta or s.eta is not None
        time.sleep(0.25)
    return place, eta


def run(url: str, users: int, asked: list[str], timeout_s: float) -> Round:
    """``users`` threads, each asking its questions one after another, started together."""
    from gradio_client import Client

    result = Round(users)
    lock = threading.Lock()
    start = threading.Barrier(users)

    def user(mine: list[str]) -> None:
        try:
            client = Client(url, verbose=False)
        except Exception as exc:  # the page is not up: each of this user's questions is an error
            with lock:
                result.errors += [f"{q[:50]}: cannot connect: {type(exc).__name__}: {exc}" for q in mine]
            start.wait()
            return
        start.wait()
        for q in mine:
            t = time.perf_counter()
            try:
                job = client.submit(q, api_name="/ask")
                place, eta = watch(job, t + timeout_s)
                obj = job.result(timeout=max(1.0, t + timeout_s - time.perf_counter()))
                problem = (
                    None if isinstance(obj, dict) and obj.get("question") == q and "answer" in obj else "not its answer"
                )
            except Exception as exc:  # a Gradio error, a timeout, a dropped connection: counted, shown
                problem = f"{type(exc).__name__}: {str(exc)[:160]}"
            with lock:
                result.queued += place >= 0
                result.with_eta += place >= 0 and eta
                if problem:
                    result.errors.append(f"{q[:50]}: {problem}")
                else:
                    result.latencies_s.append(time.perf_counter() - t)

    per_user = [asked[i::users] for i in range(users)]
    threads = [threading.Thread(target=user, args=(mine,)) for mine in per_user]
    t0 = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    result.wall_s = time.perf_counter() - t0
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", default="http://127.0.0.1:7860/")
    ap.add_argument("--users", type=int, nargs="+", default=[1, 4, 8])
    ap.add_argument("--rounds", type=int, default=1, help="questions per user (default: 1)")
    ap.add_argument("--dataset", default=str(ROOT / "eval" / "datasets" / "questions.jsonl"))
    ap.add_argument("--timeout", type=float, default=1800.0, help="seconds one question may take, queue included")
    ap.add_argument("--out", help="also write the results as JSON here")
    ap.add_argument("--warmup", action="store_true", help="first ask one question, not counted (the model loads)")
    args = ap.parse_args()

    results = []
    offset = 0
    pool = questions(Path(args.dataset), sum(args.users) * args.rounds + 1)
    if args.warmup:
        r = run(args.url, 1, pool[:1], args.timeout)
        print(f"warm-up: {r.summary()['max_s']} s, {len(r.errors)} errors {r.errors}", flush=True)
        offset = 1
    for n in args.users:
        asked = pool[offset : offset + n * args.rounds]  # fresh questions per round: no answer is a repeat
        offset += n * args.rounds
        r = run(args.url, n, asked, args.timeout)
        s = r.summary()
        results.append({**s, "errors_list": r.errors, "latencies_s": [round(x, 2) for x in r.latencies_s]})
        print(
            f"{n} user(s): {s['answers']} answers, {s['errors']} errors; p50 {s['p50_s']} s, p95 {s['p95_s']} s, "
            f"max {s['max_s']} s; wall {s['wall_s']} s ({s['answers_per_min']} answers/min); "
            f"{s['waited_with_a_place']} were told their place in the queue ({s['waited_with_an_eta']} with an estimate)",
            flush=True,
        )
        for e in r.errors:
            print(f"    error: {e}")
        if args.out:  # after every round: an interrupted run keeps the rounds done
            Path(args.out).write_text(json.dumps({"url": args.url, "results": results}, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
