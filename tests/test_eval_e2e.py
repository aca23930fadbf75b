"""The benchmark end to end through the CLI, with the real model, embeddings
and FAISS: Ctrl-C keeps the answers so far, an existing run is not written
over, --resume finishes it, and compare / export-alce read the result."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.model
ROOT = Path(__file__).resolve().parent.parent


def qa(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "qa", *args], env=env, cwd=ROOT, capture_output=True, text=True)


def answers(out: Path) -> list[dict]:
    return [json.loads(x) for x in (out / "answers.jsonl").read_text(encoding="utf-8").splitlines()]


def test_interrupted_eval_run_resumes_to_the_same_files(tmp_path):
    env = {**os.environ, "QA_INDEX_DIR": str(tmp_path / "index"), "PYTHONUNBUFFERED": "1"}
    assert qa("index", env=env).returncode == 0
    out = tmp_path / "run"
    run = [sys.executable, "-m", "qa", "eval", "run", "--out", str(out), "--limit", "3"]
    # the child gets the default Ctrl-C handling even when this test runs as a background job (which ignores SIGINT)
    proc = subprocess.Popen(
        run,
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline and proc.poll() is None:
        if (out / "answers.jsonl").exists() and (out / "answers.jsonl").read_text(encoding="utf-8").strip():
            break
        time.sleep(0.5)
    assert proc.poll() is None, proc.communicate()
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=600)
    assert proc.returncode == 130, err
    assert "--resume" in err and "Traceback" not in err
    kept = answers(out)
    assert 1 <= len(kept) < 3 and not (out / "metrics.json").exists()

    again = qa("eval", "run", "--out", str(out), "--limit", "3", env=env)
    assert again.returncode == 2 and "already holds a run" in again.stderr and "--resume" in again.stderr
    assert answers(out) == kept

    done = qa("eval", "run", "--out", str(out), "--limit", "3", "--resume", env=env)
    assert done.returncode == 0, done.stderr
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["resumed_answers"] == len(kept) and metrics["overall"]["questions"] == 3
    assert metrics["overall"]["errors"] == 0
    assert metrics["model"]["sha256"] and metrics["settings"]["sources"]
    records = answers(out)
    assert records[: len(kept)] == kept and [r["id"] for r in records] == ["q001", "q002", "q003"]
    for r in records:
        for c in r["citations"]:
            assert (ROOT / c["source_file"]).read_text(encoding="utf-8")[c["start"] : c["end"]] == c["quote"]
    assert f"resumed: {len(kept)} answers" in (out / "report.md").read_text(encoding="utf-8")

    same = qa("eval", "compare", str(out), str(out), env=env)
    assert same.returncode == 0 and "nothing recorded" in same.stdout
    alce = qa("eval", "export-alce", str(out), "--out", str(tmp_path / "alce.json"), env=env)
    assert alce.returncode == 0, alce.stderr
    assert len(json.loads((tmp_path / "alce.json").read_text(encoding="utf-8"))["data"]) == 3
