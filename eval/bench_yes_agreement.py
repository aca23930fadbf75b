"""P(yes) of the OpenAI-compatible backend against the llama.cpp backend:
prints numbers, asserts nothing.

  .venv/bin/python eval/bench_yes_agreement.py [--n 40] [--base-url URL]

For the first N examples of the calibration data (``eval/calibration/data.jsonl``:
a question and a supported answer each), reads P(yes) on the answer check's
prompt (``qa.prompts.answers_question_messages``) from the llama.cpp backend
(its logits) and from the OpenAI backend (a real ``llama_cpp.server`` on the
same model file, started here unless ``--base-url`` is given; its
``top_logprobs``), then prints per example and in total: the largest
difference in P(yes) and in the decision's log-odds feature, and the
examples where the shipped calibrated decision (``qa/calibration.json``)
answers on one backend and refuses on the other.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qa import decide  # noqa: E402
from qa.backends import make_generator  # noqa: E402
from qa.config import Settings  # noqa: E402
from qa.model_files import ensure_model  # noqa: E402
from qa.prompts import answers_question_messages  # noqa: E402


def start_server(model: Path, port: int) -> subprocess.Popen:
    args = [sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--host", "127.0.0.1"]
    args += ["--port", str(port), "--n_ctx", "2048", "--seed", "0", "--n_threads", "1"]
    return subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def wait_for(url: str, proc: subprocess.Popen, seconds: float = 180) -> None:
    import httpx

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit("llama_cpp.server exited")
        try:
            if httpx.get(url + "/models", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"llama_cpp.server did not answer at {url}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=40)
    ap.add_argument("--data", default=str(ROOT / "eval" / "calibration" / "data.jsonl"))
    ap.add_argument("--base-url", help="an OpenAI-compatible server on the same model (default: start one)")
    ap.add_argument("--port", type=int, default=8765)
    args = ap.parse_args()

    rows = [json.loads(x) for x in Path(args.data).read_text("utf-8").splitlines() if x.strip()][: args.n]
    base = Settings.load({"n_threads": 1}, env={})
    proc = None
    url = args.base_url
    if not url:
        url = f"http://127.0.0.1:{args.port}/v1"
        proc = start_server(ensure_model(base), args.port)
    try:
        wait_for(url, proc) if proc else None
        llama = make_generator(base.replace(backend="llama_cpp")).for_role("check")
        server = make_generator(base.replace(backend="openai", openai_base_url=url))
        print(json.dumps({"yes_no_problem": server.yes_no_problem()}))
        cal = decide.load_calibration(base.calibration_file)
        worst_p = worst_logit = 0.0
        flips = []
        for row in rows:
            messages = answers_question_messages(row["question"], " ".join(row["sentences"]))
            a, b = llama.yes_probability(messages), server.yes_probability(messages)
            if a is None or b is None:
                print(json.dumps({"id": row["id"], "llama_cpp": a, "openai": b}), flush=True)
                continue
            xa, xb = (decide.features(row["question"], row["sentences"], p) for p in (a, b))
            (ok_a, _), (ok_b, _) = cal.answers(xa), cal.answers(xb)
            worst_p = max(worst_p, abs(a - b))
            worst_logit = max(worst_logit, abs(xa["p_yes_logit"] - xb["p_yes_logit"]))
            if ok_a != ok_b:
                flips.append(row["id"])
            print(
                json.dumps({"id": row["id"], "llama_cpp": round(a, 6), "openai": round(b, 6), "answers": [ok_a, ok_b]})
            )
        summary = {
            "examples": len(rows),
            "max_abs_diff_p_yes": round(worst_p, 6),
            "max_abs_diff_logit": round(worst_logit, 6),
            "decisions_differ": flips,
        }
        print(json.dumps(summary))
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(20)


if __name__ == "__main__":
    main()
