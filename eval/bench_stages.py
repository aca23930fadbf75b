"""Where answer time goes, per model role: prints numbers, asserts nothing.

  .venv/bin/python eval/bench_stages.py [--n 20] [--dataset FILE]

Asks the first N questions of the dataset (with their history) with the
default settings and the llama.cpp backend, and counts, per role (answer,
judge, check, rewrite; "-p(yes)": Yes/No probability reads): calls, prompt tokens llama.cpp had to evaluate (after
the cached prefix), prompt tokens/second, decoded tokens and decode
tokens/second; the median time of each answer step (retrieve, prescore,
select, first evidence shown, generate, verify); then the mean and median
total answer time. It times
``llama_cpp.Llama.eval``, so it measures the real runtime, not a model of it.
With drafted decoding (QA_DRAFT_TOKENS > 0, the default) ``Llama.eval`` only
sees the prompts; the decoding steps are counted by ``qa.backends.llama_drafted.STATS``
(model calls, guesses drafted and accepted, seconds).
"""

from __future__ import annotations

import argparse
import collections
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import llama_cpp  # noqa: E402

import qa.backends.llama_cpp as generate  # noqa: E402
import qa.backends.llama_drafted as speculative  # noqa: E402
from qa.answer import QA  # noqa: E402
from qa.config import Settings  # noqa: E402


class Stage:
    def __init__(self) -> None:
        self.calls = self.prompt_tokens = self.decode_tokens = 0
        self.prompt_s = self.decode_s = 0.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=20)
    ap.add_argument("--dataset", default=str(ROOT / "eval" / "datasets" / "questions.jsonl"))
    args = ap.parse_args()

    stages: dict[str, Stage] = collections.defaultdict(Stage)
    current = {"role": "?"}
    eval_tokens = llama_cpp.Llama.eval
    stream = generate.LlamaCppGenerator.stream

    def timed_eval(self, tokens):  # type: ignore[no-untyped-def]
        t = time.perf_counter()
        eval_tokens(self, tokens)
        s, dt = stages[current["role"]], time.perf_counter() - t
        if len(tokens) > 1:
            s.prompt_tokens += len(tokens)
            s.prompt_s += dt
        else:
            s.decode_tokens += 1
            s.decode_s += dt

    def counted_stream(self, *a, **kw):  # type: ignore[no-untyped-def]
        current["role"] = self.role
        stages[self.role].calls += 1
        yield from stream(self, *a, **kw)

    yes_probability = generate.LlamaCppGenerator.yes_probability

    def counted_yes(self, *a, **kw):  # type: ignore[no-untyped-def]
        current["role"] = self.role + "-p(yes)"
        stages[current["role"]].calls += 1
        return yes_probability(self, *a, **kw)

    llama_cpp.Llama.eval = timed_eval
    generate.LlamaCppGenerator.stream = counted_stream
    generate.LlamaCppGenerator.yes_probability = counted_yes  # type: ignore[method-assign]

    settings = Settings.load({"backend": "llama_cpp"})
    qa = QA.from_settings(settings)
    lines = Path(args.dataset).read_text(encoding="utf-8").splitlines()
    rows = [json.loads(line) for line in lines if line.strip()][: args.n]
    totals = []
    steps: dict[str, list[float]] = collections.defaultdict(list)
    for row in rows:
        t = time.perf_counter()
        answer = qa.ask(row["question"], history=row.get("history"))
        totals.append(time.perf_counter() - t)
        for k, v in answer.timings.items():
            steps[k].append(v)

    print(f"llama.cpp: {llama_cpp.llama_print_system_info().decode().strip()}")
    for role, s in stages.items():
        print(
            f"{role:8s} calls={s.calls:4d} prompt_tokens={s.prompt_tokens:6d} "
            f"({s.prompt_tokens / max(s.calls, 1):.0f}/call, {s.prompt_tokens / max(s.prompt_s, 1e-9):.0f} t/s, "
            f"{s.prompt_s:.1f} s) decoded={s.decode_tokens:5d} "
            f"({s.decode_tokens / max(s.decode_s, 1e-9):.1f} t/s, {s.decode_s:.1f} s)"
        )
    # per step of the answer (qa.answer timings): median seconds, and in how many questions the step ran
    print(
        "steps (p50 s, questions): " + ", ".join(f"{k}={statistics.median(v):.2f} ({len(v)})" for k, v in steps.items())
    )
    spec = speculative.STATS
    if spec["steps"]:
        made = spec["steps"] + spec["accepted"]
        print(
            f"drafted decoding: {spec['steps']} model calls, {spec['accepted']}/{spec['drafted']} guesses accepted, "
            f"~{made} tokens in {spec['decode_s']:.1f} s ({made / max(spec['decode_s'], 1e-9):.1f} t/s)"
        )
    print(
        json.dumps(
            {
                "questions": len(totals),
                "total_mean_s": round(statistics.mean(totals), 2),
                "total_p50_s": round(statistics.median(totals), 2),
            }
        )
    )


if __name__ == "__main__":
    main()
