"""End to end with the real model, real embeddings and real FAISS over the
shipped sources: the right source cited, quotes verbatim in the stored file,
an off-topic question refused, a follow-up rewritten."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from qa.answer import QA
from qa.config import Settings
from qa.indexer import build_index

pytestmark = pytest.mark.model
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def qa(tmp_path_factory):
    index = tmp_path_factory.mktemp("e2e") / "index"
    settings = Settings.load({"index_dir": str(index)})
    build_index(settings)
    return QA.from_settings(settings)


def check_quotes(answer) -> None:
    for c in answer.citations:
        stored = (ROOT / c.source_file).read_text(encoding="utf-8")
        assert stored[c.start : c.end] == c.quote


def test_answer_cites_the_right_source(qa):
    a = qa.ask("What did Homeland Security Secretary Janet Napolitano sign with Mexico's Attorney General?")
    assert not a.refused, a.to_json()
    assert "003_03240e58ad883d7f" in {c.source_id for c in a.citations}
    assert all(s.citations for s in a.sentences)
    check_quotes(a)


def test_off_topic_question_refused(qa):
    a = qa.ask("What is the recipe for a classic French omelette?")
    assert a.refused and not a.citations
    assert a.retrieved  # closest passages are still offered


def test_follow_up_is_rewritten(qa):
    history = [
        {"role": "user", "content": "What was the Mérida Initiative?"},
        {
            "role": "assistant",
            "content": "A U.S.-Mexico security cooperation package agreed by Presidents Bush and Calderón.",
        },
    ]
    a = qa.ask("Where was it agreed?", history=history)
    assert a.standalone_question != "Where was it agreed?"
    assert "rida" in a.standalone_question  # Mérida / Merida
    check_quotes(a)


def test_cli_ask_json_contract(tmp_path):
    settings_env = {"QA_INDEX_DIR": str(tmp_path / "index")}
    env = {**__import__("os").environ, **settings_env}
    subprocess.run([sys.executable, "-m", "qa", "index"], check=True, env=env, cwd=ROOT, capture_output=True)
    out = subprocess.run(
        [sys.executable, "-m", "qa", "ask", "Who is Sigrid Arzt?", "--json"],
        check=True,
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    obj = json.loads(out.stdout)
    for key in (
        "question",
        "standalone_question",
        "answer",
        "refused",
        "sentences",
        "citations",
        "retrieved",
        "timings",
        "model",
    ):
        assert key in obj
    for c in obj["citations"]:
        assert (ROOT / c["source_file"]).read_text(encoding="utf-8")[c["start"] : c["end"]] == c["quote"]
    assert set(obj["timings"]) >= {"retrieve_s", "generate_s", "verify_s", "total_s"}


def test_cli_errors_are_messages(tmp_path):
    env = {**__import__("os").environ, "QA_INDEX_DIR": str(tmp_path / "none")}
    out = subprocess.run([sys.executable, "-m", "qa", "search", "x"], env=env, cwd=ROOT, capture_output=True, text=True)
    assert out.returncode != 0 and "qa index" in out.stderr and "Traceback" not in out.stderr
    out = subprocess.run([sys.executable, "-m", "qa", "ask", "  "], env=env, cwd=ROOT, capture_output=True, text=True)
    assert out.returncode != 0 and "Traceback" not in out.stderr
