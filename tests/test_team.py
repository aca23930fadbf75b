"""Sharing the page with a team, without a browser: a same-name upload keeps
the file it replaces (restorable, logged, never indexed), ``qa restore``
lists and restores, and wrong maintainer passwords are slowed down per client
(a fake clock)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import HashEmbedder

from qa.assistant import Assistant
from qa.errors import InputError
from qa.ingest import list_source_files
from qa.source_versions import LOG_NAME, REPLACED_DIR, kept_versions, restore, write_version
from qa.throttle import PasswordThrottle, refusal

STARR = "The Starr article has thirteen passages about the Merida Initiative and its funding.\n" * 20


class Clock:
    """A fake clock: time moves only when the test says so."""

    def __init__(self, t: float = 1_000_000.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


def _upload(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")
    return folder / name


# -- uploads that cannot destroy ----------------------------------------------------------------


def test_same_name_upload_keeps_the_original_and_logs_it(tmp_path):
    sources = tmp_path / "sources"
    original = _upload(sources, "starr.txt", STARR).read_bytes()
    clock = Clock(1_700_000_000.0)  # 2023-11-14T22:13:20Z
    kept = write_version(sources, "starr.txt", _upload(tmp_path / "up", "starr.txt", "18 bytes of oops\n"), now=clock)
    assert kept is not None and kept.action == "replaced" and kept.at == "2023-11-14T22:13:20Z"
    assert (sources / "starr.txt").read_text() == "18 bytes of oops\n"
    assert (sources / REPLACED_DIR / kept.kept).read_bytes() == original and kept.size == len(original)
    line = json.loads((sources / REPLACED_DIR / LOG_NAME).read_text().splitlines()[-1])
    assert line["name"] == "starr.txt" and line["at"] == "2023-11-14T22:13:20Z" and line["kept"] == kept.kept
    # the kept copy is never a source, and no temp file is left behind
    assert list_source_files(sources) == [sources / "starr.txt"]
    assert sorted(p.name for p in sources.iterdir()) == [REPLACED_DIR, "starr.txt"]


def test_every_replacement_is_recoverable_even_within_one_second(tmp_path):
    sources = tmp_path / "sources"
    _upload(sources, "a.md", "version 0\n")
    clock = Clock()
    for i in range(1, 6):  # five uploads in the same second: five distinct kept files
        write_version(sources, "a.md", _upload(tmp_path / "up", "a.md", f"version {i}\n"), now=clock)
    versions = kept_versions(sources, "a.md")
    assert len({v.kept for v in versions}) == 5
    kept_texts = [(sources / REPLACED_DIR / v.kept).read_text() for v in versions]
    assert kept_texts == [f"version {i}\n" for i in range(4, -1, -1)]  # newest first, none lost


def test_same_bytes_are_not_a_replacement(tmp_path):
    sources = tmp_path / "sources"
    _upload(sources, "a.txt", STARR)
    assert write_version(sources, "a.txt", _upload(tmp_path / "up", "a.txt", STARR)) is None
    assert kept_versions(sources) == [] and not (sources / REPLACED_DIR).exists()


def test_restore_puts_the_original_back_and_keeps_what_it_replaces(tmp_path):
    sources = tmp_path / "sources"
    _upload(sources, "starr.txt", STARR)
    clock = Clock()
    write_version(sources, "starr.txt", _upload(tmp_path / "up", "starr.txt", "oops\n"), now=clock)
    clock.advance(60)
    chosen, replaced = restore(sources, "starr.txt", now=clock)
    assert (sources / "starr.txt").read_text() == STARR and chosen.sha256 != replaced.sha256
    assert replaced is not None and (sources / REPLACED_DIR / replaced.kept).read_text() == "oops\n"
    clock.advance(60)
    restore(sources, "starr.txt", replaced.stamp, now=clock)  # the restore itself can be undone
    assert (sources / "starr.txt").read_text() == "oops\n"
    with pytest.raises(InputError, match="no kept version 'nope'") as err:
        restore(sources, "starr.txt", "nope")
    assert "qa restore starr.txt --version" in err.value.fix
    with pytest.raises(InputError, match="no kept version of 'other.txt'"):
        restore(sources, "other.txt")


def test_a_cut_log_line_does_not_hide_the_other_versions(tmp_path):
    sources = tmp_path / "sources"
    _upload(sources, "a.txt", "one\n")
    write_version(sources, "a.txt", _upload(tmp_path / "up", "a.txt", "two\n"))
    with open(sources / REPLACED_DIR / LOG_NAME, "a") as log:
        log.write('{"action": "replaced", "name": "a.t')  # a crash mid-line
    assert [v.name for v in kept_versions(sources)] == ["a.txt"]


def test_page_upload_of_a_same_name_file_is_reindexed_and_restorable(settings_for, tmp_path, monkeypatch):
    """The maintainer panel's functions: the message names what was replaced and
    how to get it back; after a restore the index holds the original again."""
    from qa.indexer import build_index
    from qa.store import load_index
    from qa.web_maintainer import add_and_reindex, restore_and_reindex, version_choices

    sources = tmp_path / "docs"
    _upload(sources, "starr.txt", STARR)
    settings = settings_for(sources, judge="lexical")
    build_index(settings, embedder=HashEmbedder())
    before = load_index(settings).sources["starr"]

    monkeypatch.setattr("qa.indexer.get_embedder", lambda *a, **kw: HashEmbedder())  # no model loaded: no real one
    assistant = IdleAssistant(settings)
    message = add_and_reindex(settings, assistant, _upload(tmp_path / "up", "starr.txt", "oops\n"))
    assert message.startswith("replaced starr.txt replaced at ") and "qa restore starr.txt --version" in message
    assert "changed: starr" in message
    assert load_index(settings).sources["starr"].sha256 != before.sha256
    [(label, value)] = version_choices(settings)
    assert label.startswith("starr.txt: version before") and value.startswith("starr.txt\t")
    message = restore_and_reindex(settings, assistant, *value.split("\t"))
    assert message.startswith("restored starr.txt") and "changed: starr" in message
    assert load_index(settings).sources["starr"].sha256 == before.sha256
    assert (sources / "starr.txt").read_text() == STARR


def test_cli_restore_lists_and_restores(tmp_path, capsys, monkeypatch):
    from qa.cli import main

    sources = tmp_path / "sources"
    _upload(sources, "a.txt", STARR)
    write_version(sources, "a.txt", _upload(tmp_path / "up", "a.txt", "oops\n"))
    args = ["--sources", str(sources), "--index", str(tmp_path / "index")]
    assert main(["restore", *args]) == 0
    out = capsys.readouterr().out
    assert "a.txt  --version " in out and "1 kept version(s)" in out
    assert main(["restore", "a.txt", "--no-index", *args]) == 0
    assert (sources / "a.txt").read_text() == STARR and "restored a.txt" in capsys.readouterr().out
    assert main(["restore", "b.txt", "--no-index", *args]) == 2
    assert "no kept version of 'b.txt'" in capsys.readouterr().err


# -- wrong passwords slowed down ---------------------------------------------------------------


def test_wrong_passwords_wait_longer_each_time_per_client():
    clock = Clock()
    throttle = PasswordThrottle(base_s=2.0, max_s=30.0, clock=clock)
    assert throttle.check("10.0.0.1").allowed
    waits = []
    for _ in range(6):
        attempt = throttle.failed("10.0.0.1")
        waits.append(attempt.wait_s)
        assert not throttle.check("10.0.0.1").allowed
        clock.advance(attempt.wait_s - 0.5)
        assert not throttle.check("10.0.0.1").allowed  # half a second early: still refused
        assert throttle.check("10.0.0.1").wait_s == pytest.approx(0.5)
        clock.advance(0.5)
        assert throttle.check("10.0.0.1").allowed
    assert waits == [2.0, 4.0, 8.0, 16.0, 30.0, 30.0]  # doubling, capped
    assert throttle.check("10.0.0.2").allowed  # another client is not slowed
    throttle.failed("10.0.0.1")
    throttle.succeeded("10.0.0.1")  # the right password (after the wait) starts afresh
    assert throttle.check("10.0.0.1").allowed and throttle.failed("10.0.0.1").wait_s == 2.0


def test_throttle_messages_say_how_long():
    clock = Clock()
    throttle = PasswordThrottle(base_s=2.0, max_s=300.0, clock=clock)
    throttle.failed("c")
    wrong = refusal(throttle.failed("c"), wrong_now=True)
    assert "wrong maintainer password (2 wrong in a row" in wrong and "in 4 s" in wrong and "doubles" in wrong
    clock.advance(1)
    early = refusal(throttle.check("c"), wrong_now=False)
    assert "too many wrong maintainer passwords" in early and "try again in 3 s" in early


def test_the_panel_refuses_early_tries_without_checking_the_password(settings_for, tmp_path):
    """Through the panel's click handler, as Gradio calls it (a request with the client's address)."""
    from qa.web import build_app

    sources = tmp_path / "docs"
    _upload(sources, "a.txt", STARR)
    settings = settings_for(sources, judge="lexical")
    clock = Clock()
    throttle = PasswordThrottle(2.0, 300.0, clock=clock)
    app, _ = build_app(settings, assistant=IdleAssistant(settings), maintainer_password="s3cret", throttle=throttle)
    add = next(block.fn for block in app.fns.values() if getattr(block.fn, "__name__", "") == "on_add")
    bad_file = _upload(tmp_path / "up", "script.sh", "rm -rf /\n")

    class Request:
        client = type("Client", (), {"host": "10.1.1.1"})()

    log = 2  # the handler's outputs: table, info, log, versions
    assert "wrong maintainer password (1 wrong in a row" in add("guess", str(bad_file), Request())[log]
    too_soon = add("s3cret", str(bad_file), Request())[log]  # the right one, but before the wait is over
    assert "too many wrong maintainer passwords" in too_soon and "not checked" in too_soon
    clock.advance(2)
    # accepted now: the upload itself is refused, for its own reason
    assert "only .txt, .md" in add("s3cret", str(bad_file), Request())[log]
    assert "wrong maintainer password (1 wrong" in add("guess", str(bad_file), Request())[log]  # count restarted


class IdleAssistant(Assistant):
    """An ``Assistant`` that never loads a model (the maintainer panel needs none)."""

    def _load(self) -> None:
        self.ready.set()
