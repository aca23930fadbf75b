"""The command line's edges: inputs checked before any model loads (question,
--history file), -k a positive number, symlinks out of the sources folder
skipped, and every error one line with its fix, no traceback (real
subprocesses of ``python -m qa`` and ``python ui.py``)."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from qa.cli import build_parser
from qa.errors import InputError
from qa.ingest import list_source_files
from qa.inputs import check_question, read_history

ROOT = Path(__file__).resolve().parent.parent
GOOD = [{"role": "user", "content": "What is the Mérida Initiative?"}, {"role": "assistant", "content": "A plan [1]"}]


# -- the --history file -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "content, in_message",
    [
        (None, "does not exist"),
        ('[{"role": "user", "content": "hi"', "is not valid JSON (Expecting"),
        ("not json at all", "is not valid JSON"),
        (b"\xff\xfe[]", "cannot read history file"),
        ('{"role": "user", "content": "hi"}', "must be a JSON list of turns, got an object"),
        ('["hello"]', "turn 1 must be an object with role and content, got a string"),
        ('[{"role": "system", "content": "be brief"}]', "turn 1 has role 'system'"),
        ('[{"role": "user", "content": "a"}, {"role": "assistant"}]', "turn 2 must have a text 'content', got null"),
        ('[{"role": "user", "content": ["a"]}]', "turn 1 must have a text 'content', got a list"),
    ],
)
def test_bad_history_files_are_input_errors(tmp_path, content, in_message):
    path = tmp_path / "history.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError) as err:
        read_history(path)
    assert in_message in err.value.message and str(path) in err.value.message
    assert err.value.fix and err.value.exit_code == 2


def test_a_folder_is_not_a_history_file(tmp_path):
    with pytest.raises(InputError, match="is a folder"):
        read_history(tmp_path)


@pytest.mark.parametrize("turns", [GOOD, [], [{**GOOD[0], "metadata": {"title": None}}]])
def test_good_history_files_are_read_as_turns(tmp_path, turns):
    path = tmp_path / "history.json"
    path.write_text(json.dumps(turns), encoding="utf-8")
    assert read_history(path) == [{"role": t["role"], "content": t["content"]} for t in turns]


def test_question_rule_is_the_one_qa_uses():
    with pytest.raises(InputError):
        check_question("  \n ", 100)
    question, notices = check_question("why " * 40, 20)
    assert len(question) <= 20 and question.startswith("why why") and "only the first 20" in notices[0]
    assert check_question("  What   is\nit? ", 100) == ("What is it?", [])


# -- -k -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["0", "-5", "ten", "2.5"])
def test_k_must_be_a_positive_integer(value, capsys):
    with pytest.raises(SystemExit) as exit_:
        build_parser().parse_args(["search", "Mérida", "-k", value])
    assert exit_.value.code == 2
    assert "argument -k: must be a whole number of 1 or more" in capsys.readouterr().err


def test_k_accepts_positive_integers():
    assert build_parser().parse_args(["search", "Mérida", "-k", "3"]).k == 3
    assert build_parser().parse_args(["search", "Mérida"]).k == 10


# -- symlinks in the sources folder ------------------------------------------------------------------


def test_symlinks_out_of_the_sources_folder_are_skipped_with_a_warning(tmp_path, settings_for, fake_embedder, caplog):
    from qa.indexer import build_index
    from qa.store import load_index

    outside = tmp_path / "secret.txt"
    outside.write_text("root:x:0:0:the secret password is swordfish\n", encoding="utf-8")
    sources = tmp_path / "sources"
    (sources / "sub").mkdir(parents=True)
    (sources / "a.txt").write_text("The Zorblax Bridge was opened in 1987 by mayor Hilda Varga.\n", encoding="utf-8")
    (sources / "passwd.txt").symlink_to(outside)
    (sources / "sub" / "same.md").symlink_to(sources / "a.txt")  # a link that stays inside is kept
    with caplog.at_level(logging.WARNING, logger="qa.ingest"):
        files = list_source_files(sources)
    assert files == [sources / "a.txt", sources / "sub" / "same.md"]
    assert len(caplog.records) == 1 and str(sources / "passwd.txt") in caplog.text and str(outside) in caplog.text

    settings = settings_for(sources)
    build_index(settings, embedder=fake_embedder)
    index = load_index(settings)
    assert sorted(index.sources) == ["a", "sub/same"]
    assert not any("swordfish" in c.text for c in index.chunks)


# -- real subprocesses: one line, exit code 2, no traceback, no model ---------------------------------


def run(*args: str, script: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    cmd = [sys.executable, script] if script else [sys.executable, "-m", "qa"]
    return subprocess.run([*cmd, *args], capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)


@pytest.mark.parametrize(
    "history, question, in_message",
    [
        (None, "   ", "error: the question is empty -> type a question"),
        ("missing.json", "Who?", "does not exist -> pass a JSON file"),
        ('[{"role": ', "Who?", "is not valid JSON (Expecting value at line 1, column 11) -> pass a JSON file"),
        ('{"turns": []}', "Who?", "must be a JSON list of turns, got an object -> pass a JSON file"),
    ],
)
def test_ask_input_errors_print_one_line_before_any_model_loads(tmp_path, history, question, in_message):
    args = ["ask", question, "--index", str(tmp_path / "no-index")]
    if history is not None:
        path = tmp_path / "h.json"
        if history != "missing.json":
            path.write_text(history, encoding="utf-8")
        args += ["--history", str(path)]
    # the index does not exist: had anything been loaded first, that would be the error
    out = run(*args)
    assert out.returncode == 2, out.stderr
    assert out.stderr.startswith("error: ") and in_message in out.stderr
    assert out.stderr.count("\n") == 1 and "Traceback" not in out.stderr and out.stdout == ""


def test_search_k_zero_is_a_usage_error_not_ten_hits():
    out = run("search", "Mérida", "-k", "0")
    assert out.returncode == 2 and "argument -k: must be a whole number of 1 or more, got 0" in out.stderr
    assert "Traceback" not in out.stderr and out.stdout == ""


def test_ui_py_takes_the_flags_of_qa_serve():
    out = run("--help", script="ui.py")
    assert out.returncode == 0, out.stderr
    for flag in ("--backend", "--base-url", "--model", "--sources", "--index", "--port", "--maintainer-password"):
        assert flag in out.stdout
    assert out.stdout == run("serve", "--help").stdout  # the same parser
