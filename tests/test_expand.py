"""Index-time expansion: the prompt and its parse, the cache (hit, miss,
versions, interruption), the Doc2Query-- filter, and the expansions in the
index (BM25 and dense side) while hits stay verbatim. A scripted generator
stands in for the model in the logic tests; one test runs the real model."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from test_index import write

from qa.backends.base import Generator
from qa.config import MODEL_SHA256
from qa.expand import (
    PROMPT_VERSION,
    ExpansionCache,
    expand_chunks,
    expansion_key,
    expansion_prompt,
    parse_reply,
)
from qa.expand_index import cache_path, filter_questions, missing_chunks, open_cache
from qa.indexer import build_index, write_missing
from qa.retrieve import Retriever
from qa.store import read_data


class QuestionWriter(Generator):
    """Writes one question per numbered sentence of the prompt, from its first
    words plus a marker word (so tests can search for it); can fail on cue."""

    name = "scripted"

    def __init__(self, marker: str = "zebra", fail_on: str | None = None, interrupt_after: int | None = None) -> None:
        self.marker = marker
        self.fail_on = fail_on
        self.interrupt_after = interrupt_after
        self.calls = 0

    def stream(self, messages, *, max_tokens=None, stop=None, json_schema=None) -> Iterator[str]:
        self.calls += 1
        if self.interrupt_after is not None and self.calls > self.interrupt_after:
            raise KeyboardInterrupt
        user = messages[-1]["content"]
        if self.fail_on and self.fail_on in user:
            yield '{"context": "broken'
            return
        sentences = re.findall(r"^\d+\. (.+)$", user, flags=re.M)
        n = json_schema["properties"]["questions"]["minItems"]
        questions = [f"Which {self.marker} fact about {' '.join(s.split()[:4])}?" for s in sentences][:n]
        yield json.dumps({"context": f"About {sentences[0][:30]}", "questions": questions})


@pytest.fixture
def small(settings_for, tmp_path):
    """test_index's two small sources, with expansion on."""
    src = tmp_path / "sources"
    src.mkdir()
    write(src, "alpha.txt", "extradition rose sharply")
    write(src, "beta.md", "fentanyl seizures doubled")
    return settings_for(src, expand=True), src


def test_parse_reply_dedupes_and_rejects_broken_json():
    ctx, qs = parse_reply(
        '{"context": " A  line ", "questions": ["Who met?", "Who  met in 2010?", "who met in 2010?"]}'
    )
    assert ctx == "A line" and qs == ("Who met in 2010?",)  # "Who met?" is under three words; the repeat goes
    with pytest.raises(ValueError, match="broken JSON"):
        parse_reply('{"questions": ["a b c"')
    with pytest.raises(ValueError):
        parse_reply('{"context": "", "questions": []}')


def test_prompt_numbers_sentences_and_key_follows_content(small, fake_embedder):
    settings, _ = small
    build_index(settings, embedder=fake_embedder)
    chunk = read_data(Path(settings.index_dir)).chunks[0]
    user, n = expansion_prompt(chunk, None)
    assert n >= 2 and "1. The alpha.txt report" in user and "Document: (untitled)" in user
    assert expansion_key(user) != expansion_key(user + " ")


def test_cache_hit_miss_versions_and_failures(small, fake_embedder):
    settings, src = small
    build_index(settings, embedder=fake_embedder)
    data = read_data(Path(settings.index_dir))
    metas = {sid: s.meta for sid, s in data.sources.items()}
    path = src / "expansions.jsonl"
    gen = QuestionWriter(fail_on="fentanyl")
    report = expand_chunks(data.chunks, metas, gen, ExpansionCache(path, "model-a"))
    beta = [c for c in data.chunks if c.source_id == "beta"]
    assert report.generated == len(data.chunks) - len(beta) and report.cached == 0
    assert len(report.failed) == len(beta) and all(c.chunk_id in " ".join(report.failed) for c in beta)
    assert "failed" in report.summary() and beta[0].chunk_id in report.summary()
    # a second pass: the written ones are cache hits, the failed ones are tried again
    again = QuestionWriter()
    report = expand_chunks(data.chunks, metas, again, ExpansionCache(path, "model-a"))
    assert report.cached == len(data.chunks) - len(beta) and report.generated == len(beta) == again.calls
    # another model's cache is ignored with a message, never mixed in; broken lines are counted
    with open(path, "a", encoding="utf-8") as f:
        f.write("not json\n")
    other = ExpansionCache(path, "model-b")
    assert not other.entries and other.load.other_version == len(data.chunks) and other.load.broken == 1
    assert any("another model or prompt version" in m for m in other.messages())
    lines = [json.loads(x) for x in path.read_text("utf-8").splitlines() if x.startswith("{")]
    assert {x["prompt"] for x in lines} == {PROMPT_VERSION} and {x["model"] for x in lines} == {"model-a"}


def test_interrupted_expansion_keeps_what_was_written(small, fake_embedder):
    settings, src = small
    build_index(settings, embedder=fake_embedder)
    with pytest.raises(KeyboardInterrupt):
        write_missing(settings, generator=QuestionWriter(interrupt_after=1))
    cache = ExpansionCache(cache_path(settings), "x")
    assert cache.load.other_version == 1  # the first entry is on disk (of the settings' model, not "x")
    data = read_data(Path(settings.index_dir))
    assert data is not None and len(missing_chunks(data, open_cache(settings))) == len(data.chunks) - 1 >= 1


def test_filter_keeps_questions_nearest_their_own_chunk():
    chunks = np.eye(4, dtype=np.float32)
    questions = np.array([[1, 0, 0, 0], [0.1, 0.9, 0, 0], [0, 0.2, 0.9, 0], [0.9, 0, 0, 0.1]], dtype=np.float32)
    owners = np.array([0, 1, 2, 3])
    # the last question is much closer to chunk 0 than to its own chunk 3 (rank 2)
    assert filter_questions(questions, owners, chunks, 1).tolist() == [True, True, True, False]
    assert filter_questions(questions, owners, chunks, 2).tolist() == [True] * 4
    assert filter_questions(questions, owners, chunks, 0).tolist() == [True] * 4


def test_expansions_reach_bm25_and_dense_side_and_hits_stay_verbatim(small, fake_embedder):
    settings, src = small
    settings = settings.replace(expand_keep_rank=0)
    first = build_index(settings, embedder=fake_embedder)
    assert first.expanded == 0 and "have no expansion yet" in first.summary()
    retriever = Retriever.from_settings(settings, embedder=fake_embedder)
    assert not retriever.index.lexical.search("zebra", 5)
    write_missing(settings, generator=QuestionWriter())
    second = build_index(settings, embedder=fake_embedder)
    assert second.written and second.expanded == second.n_chunks and "no expansion yet" not in second.summary()
    assert not second.new_chunks  # only the expansions changed: no chunk re-embedded
    data = read_data(Path(settings.index_dir))
    n_questions = sum(len(e.questions) for e in data.expansions if e)
    assert data.question_vectors.shape == (n_questions, 384) and data.manifest["expansions"]["kept"] == n_questions
    retriever = Retriever.from_settings(settings, embedder=fake_embedder)
    assert len(retriever.index.lexical.search("zebra", 50)) == len(data.chunks)  # the BM25 side
    best = retriever._question_max(fake_embedder.embed_query("zebra fact"), None)
    assert best is not None and not np.isnan(best).any()  # the dense side
    for hit in retriever.search("Which zebra fact about fentanyl seizures?", k=3):
        stored = Path(hit.source.source_file).read_text("utf-8")
        assert hit.chunk.text == stored[hit.chunk.start : hit.chunk.end] and "zebra" not in hit.chunk.text
    assert not build_index(settings, embedder=fake_embedder).written  # up to date now
    # --no-expand: rewritten without them
    bare = build_index(settings.replace(expand=False), embedder=fake_embedder)
    assert bare.written and bare.expanded == 0 and not read_data(Path(settings.index_dir)).expansions


def test_changed_file_gets_a_new_expansion_and_others_are_reused(small, fake_embedder):
    settings, src = small
    build_index(settings, embedder=fake_embedder)
    write_missing(settings, generator=QuestionWriter())
    build_index(settings, embedder=fake_embedder)
    write(src, "beta.md", "fentanyl seizures tripled")
    calls = fake_embedder.embedded
    report = build_index(settings, embedder=fake_embedder)
    assert report.changed == ["beta"] and 0 < report.expanded < report.n_chunks
    n_beta = sum(c.source_id == "beta" for c in read_data(Path(settings.index_dir)).chunks)
    assert fake_embedder.embedded - calls == n_beta + report.new_sentences  # alpha's questions not re-embedded
    gen = QuestionWriter()
    write_missing(settings, generator=gen)
    assert gen.calls == n_beta
    assert build_index(settings, embedder=fake_embedder).expanded == report.n_chunks


@pytest.mark.model
def test_real_model_expands_two_small_chunks(settings_for, tmp_path, real_embedder):
    src = tmp_path / "sources"
    src.mkdir()
    (src / "memo.txt").write_text(
        "In 2019 the city council approved a ban on plastic bags in grocery stores. The ban took effect in "
        "January 2021 after a delay caused by the pandemic.\n\nShop owners said sales of paper bags rose by "
        "40 percent. Environmental groups praised the council for acting before the state did.",
        "utf-8",
    )
    settings = settings_for(src, chunk_tokens=30, chunk_max_tokens=60, expand=True)
    first = build_index(settings, embedder=real_embedder)
    assert 2 <= first.n_chunks <= 4 and first.expanded == 0
    report = write_missing(settings)
    assert report.generated == first.n_chunks and not report.failed
    entries = [json.loads(x) for x in (src / "expansions.jsonl").read_text("utf-8").splitlines()]
    assert {e["model"] for e in entries} == {MODEL_SHA256} and all(e["questions"] for e in entries)
    second = build_index(settings, embedder=real_embedder)
    assert second.written and second.expanded == first.n_chunks


def test_qa_index_makes_files_searchable_then_adds_expansions(small, monkeypatch, capsys, tmp_path):
    """`qa index`: step one indexes without the model, step two writes the
    missing expansions (a scripted generator stands in for the model) and adds
    them; `--no-expand` builds without them; an interruption keeps what was written."""
    import qa.backends
    from qa.cli import main

    settings, src = small
    args = ["index", "--sources", str(src), "--index", settings.index_dir]
    monkeypatch.setattr(qa.backends, "make_generator", lambda s: QuestionWriter())
    assert main(args) == 0  # expansion is off by default
    out = capsys.readouterr().out
    assert "built without expansions" in out and not (src / "expansions.jsonl").exists()
    args.append("--expand")
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "expansions: 0 cached, 2 written" in out and "no expansion yet" in out.split("expansions:")[0]
    assert read_data(Path(settings.index_dir)).manifest["expansions"]["chunks"] == 2
    assert main(args) == 0 and "index is up to date" in capsys.readouterr().out
    # Ctrl-C in step two: the part written is kept and added to the index; exit code 130
    write(src, "gamma.txt", "border crossings fell")
    write(src, "delta.txt", "arms trafficking grew")
    monkeypatch.setattr(qa.backends, "make_generator", lambda s: QuestionWriter(interrupt_after=1))
    assert main(args) == 130
    out = capsys.readouterr().out
    assert "interrupted" in out and read_data(Path(settings.index_dir)).manifest["expansions"]["chunks"] == 3


def test_expansions_of_another_writer_are_not_kept_in_the_index(small, fake_embedder):
    settings, src = small
    build_index(settings, embedder=fake_embedder)
    data = read_data(Path(settings.index_dir))
    cache_a = ExpansionCache(src / "expansions.jsonl", "model-a")
    expand_chunks(data.chunks, {s: i.meta for s, i in data.sources.items()}, QuestionWriter(), cache_a)
    assert build_index(settings, embedder=fake_embedder, expansions=cache_a).expanded == len(data.chunks)
    other = build_index(settings, embedder=fake_embedder, expansions=ExpansionCache(src / "expansions.jsonl", "b"))
    assert other.written and other.expanded == 0 and not read_data(Path(settings.index_dir)).expansions
