"""Answer benchmark: prints numbers, asserts nothing.

  .venv/bin/python eval/bench_answer.py [--n 12] [--dataset eval/datasets/questions.jsonl]

For a fixed set of questions (the first N of the dataset, answerable and not,
in file order) with the default settings: time to retrieved passages, time to
first token, total answer time p50/p95, generation tokens/second, peak RSS,
the share of draft sentences that survived verification, refusals, and how
often greedy grammar decoding could keep the model's top token.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qa.answer import QA  # noqa: E402
from qa.backends.llama_internals import GRAMMAR_PICKS  # noqa: E402
from qa.config import Settings  # noqa: E402
from qa.evaluation.metrics import percentile  # noqa: E402


def pct(xs, p):
    return round(percentile(xs, p), 2) if xs else None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=12)
    ap.add_argument("--dataset", default=str(ROOT / "eval" / "datasets" / "questions.jsonl"))
    args = ap.parse_args()
    rows = [json.loads(line) for line in Path(args.dataset).read_text("utf-8").splitlines() if line.strip()]
    rows = [r for r in rows if not r.get("history")][: args.n]

    t = time.perf_counter()
    qa = QA.from_settings(Settings.load())
    qa.generator.generate([{"role": "user", "content": "Say OK."}], max_tokens=2)  # load + warm up
    load_s = time.perf_counter() - t

    retrieved, first, total, tps, kept, drafted, refused = [], [], [], [], 0, 0, 0
    for r in rows:
        t0 = time.perf_counter()
        answer = None
        for ev in qa.stream(r["question"]):
            if ev.kind == "retrieved":
                retrieved.append(time.perf_counter() - t0)
            elif ev.kind == "final":
                answer = ev.answer
        total.append(time.perf_counter() - t0)
        first.append(answer.timings.get("first_token_s", answer.timings.get("total_s", 0)))
        toks = answer.model.get("completion_tokens")
        if toks and answer.timings.get("generate_s"):
            tps.append(toks / answer.timings["generate_s"])
        kept += len(answer.sentences)
        drafted += len(answer.sentences) + len(answer.removed_sentences)
        refused += answer.refused
        print(
            f"{r['id']} {total[-1]:5.1f}s refused={answer.refused} answerable={r['answerable']} :: {answer.answer[:100]}"
        )
    print(
        json.dumps(
            {
                "questions": len(rows),
                "model_load_s": round(load_s, 2),
                "retrieved_p50_s": pct(retrieved, 50),
                "retrieved_p95_s": pct(retrieved, 95),
                "first_token_p50_s": pct(first, 50),
                "first_token_p95_s": pct(first, 95),
                "total_p50_s": pct(total, 50),
                "total_p95_s": pct(total, 95),
                "gen_tokens_per_s_p50": pct(tps, 50),
                "sentences_verified_share": round(kept / drafted, 3) if drafted else None,
                "refused": refused,
                "grammar_picks": dict(GRAMMAR_PICKS),  # llama.cpp: top token allowed vs whole vocabulary filtered
                "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
