"""Index building, incremental updates, manifest checks and atomic swaps."""

from __future__ import annotations

import json
import os
import shutil
import threading
from pathlib import Path

import numpy as np
import pytest

from qa import store
from qa.chunking import chunk_sentences
from qa.errors import IndexCorruptError, IndexMismatchError, IndexMissingError, SourceError
from qa.indexer import build_index
from qa.retrieve import Retriever
from qa.store import load_index, read_data

PARA = "The {name} report discusses cooperation between agencies. It says {fact}. Officials met in {year}."


def write(src: Path, name: str, fact: str, year: int = 2010) -> None:
    (src / name).write_text("\n\n".join(PARA.format(name=name, fact=fact, year=year + i) for i in range(3)), "utf-8")


@pytest.fixture
def small(settings_for, tmp_path):
    src = tmp_path / "sources"
    src.mkdir()
    write(src, "alpha.txt", "extradition rose sharply")
    write(src, "beta.md", "fentanyl seizures doubled")
    return settings_for(src), src


def test_build_then_noop(small, fake_embedder):
    settings, _ = small
    r1 = build_index(settings, embedder=fake_embedder)
    assert sorted(r1.added) == ["alpha", "beta"] and r1.written
    n = fake_embedder.embedded
    r2 = build_index(settings, embedder=fake_embedder)
    assert not r2.written and fake_embedder.embedded == n
    assert sorted(r2.unchanged) == ["alpha", "beta"]


def test_incremental_add_change_delete_no_duplicates(small, fake_embedder):
    settings, src = small
    build_index(settings, embedder=fake_embedder)
    before = read_data(Path(settings.index_dir))
    alpha_ids = {c.chunk_id for c in before.chunks if c.source_id == "alpha"}
    write(src, "gamma.txt", "border crossings fell")
    write(src, "beta.md", "fentanyl seizures tripled")
    os.remove(src / "alpha.txt")
    calls = fake_embedder.embedded
    r = build_index(settings, embedder=fake_embedder)
    assert r.added == ["gamma"] and r.changed == ["beta"] and r.removed == ["alpha"]
    after = read_data(Path(settings.index_dir))
    ids = [c.chunk_id for c in after.chunks]
    assert len(ids) == len(set(ids))
    assert not alpha_ids & set(ids)
    assert {c.source_id for c in after.chunks} == {"beta", "gamma"}
    # only the new and changed files were embedded (each chunk and its sentences)
    new = [c for c in after.chunks if c.source_id in ("beta", "gamma")]
    assert fake_embedder.embedded - calls == len(new) + sum(len(chunk_sentences(c)) for c in new)
    assert after.manifest["n_chunks"] == len(after.chunks) == len(after.vectors)
    assert len(after.sentence_rows) == len(after.sentence_vectors) == sum(len(chunk_sentences(c)) for c in after.chunks)


def test_sentence_vectors_follow_their_chunks_through_updates(small, fake_embedder):
    settings, src = small
    build_index(settings, embedder=fake_embedder)
    write(src, "gamma.txt", "border crossings fell")  # sorts after alpha/beta: kept rows keep their order
    write(src, "aaa.txt", "cartel arrests rose")  # sorts first: every kept row moves down
    build_index(settings, embedder=fake_embedder)
    data = read_data(Path(settings.index_dir))
    fresh = fake_embedder.embed([s for c in data.chunks for s in chunk_sentences(c)])
    assert list(data.sentence_rows) == [i for i, c in enumerate(data.chunks) for _ in chunk_sentences(c)]
    assert np.allclose(data.sentence_vectors, fresh)


def test_unchanged_chunk_ids_stable_across_rebuild(small, fake_embedder):
    settings, _ = small
    build_index(settings, embedder=fake_embedder)
    a = [c.chunk_id for c in read_data(Path(settings.index_dir)).chunks]
    build_index(settings, embedder=fake_embedder, rebuild=True)
    assert a == [c.chunk_id for c in read_data(Path(settings.index_dir)).chunks]


def test_chunk_text_is_slice_of_stored_file(small, fake_embedder):
    settings, src = small
    build_index(settings, embedder=fake_embedder)
    data = read_data(Path(settings.index_dir))
    for c in data.chunks:
        info = data.sources[c.source_id]
        stored = Path(info.source_file)
        stored = stored if stored.is_absolute() else Path(store.__file__).parent.parent / stored
        assert stored.read_text(encoding="utf-8")[c.start : c.end] == c.text


def test_interrupted_build_leaves_old_index(small, fake_embedder, monkeypatch):
    settings, src = small
    build_index(settings, embedder=fake_embedder)
    before = [c.chunk_id for c in read_data(Path(settings.index_dir)).chunks]
    write(src, "gamma.txt", "border crossings fell")

    def boom(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(store.LexicalIndex, "build", boom)
    with pytest.raises(KeyboardInterrupt):
        build_index(settings, embedder=fake_embedder)
    monkeypatch.undo()
    assert [c.chunk_id for c in read_data(Path(settings.index_dir)).chunks] == before
    assert not [p for p in Path(settings.index_dir).iterdir() if p.name.startswith(".tmp-")]
    r = build_index(settings, embedder=fake_embedder)
    assert r.added == ["gamma"]


def test_missing_index_names_the_command(settings_for):
    with pytest.raises(IndexMissingError) as err:
        load_index(settings_for())
    assert "qa index" in err.value.fix


def test_mismatched_settings_refused(small, fake_embedder):
    settings, _ = small
    build_index(settings, embedder=fake_embedder)
    with pytest.raises(IndexMismatchError) as err:
        load_index(settings.replace(chunk_tokens=100))
    assert "--rebuild" in err.value.fix
    # qa index with the new settings rebuilds on its own, with a warning
    r = build_index(settings.replace(chunk_tokens=100), embedder=fake_embedder)
    assert r.rebuilt and any("rebuilding" in w for w in r.warnings)


def test_corrupt_index_detected(small, fake_embedder):
    settings, _ = small
    build_index(settings, embedder=fake_embedder)
    gen = store.current_generation(Path(settings.index_dir))
    (gen / "chunks.jsonl").write_text('{"broken": ', "utf-8")
    with pytest.raises(IndexCorruptError) as err:
        load_index(settings)
    assert "--rebuild" in err.value.fix
    gen2 = store.current_generation(Path(settings.index_dir))
    shutil.rmtree(gen2)
    with pytest.raises(IndexCorruptError):
        load_index(settings)


def test_format_version_checked(small, fake_embedder):
    settings, _ = small
    build_index(settings, embedder=fake_embedder)
    gen = store.current_generation(Path(settings.index_dir))
    m = json.loads((gen / "manifest.json").read_text())
    m["format_version"] = 999
    (gen / "manifest.json").write_text(json.dumps(m))
    with pytest.raises(IndexMismatchError):
        load_index(settings)


def test_empty_sources_folder(settings_for, fake_embedder):
    with pytest.raises(SourceError) as err:
        build_index(settings_for(), embedder=fake_embedder)
    assert "no supported documents" in err.value.message


def test_bad_files_skipped_with_warning(small, fake_embedder):
    settings, src = small
    (src / "binary.txt").write_bytes(b"\x00\x01\x02" * 100)
    (src / "latin.txt").write_bytes("Señor López habló de seguridad. Otra frase aquí.".encode("cp1252"))
    r = build_index(settings, embedder=fake_embedder)
    assert any("binary.txt" in w for w in r.warnings)
    data = read_data(Path(settings.index_dir))
    assert "latin" in data.sources and "binary" not in data.sources
    latin = data.sources["latin"]
    assert latin.source_file != latin.original_file  # offsets refer to the extracted UTF-8 text


def test_metadata_only_change_not_reembedded(small, fake_embedder):
    settings, src = small
    build_index(settings, embedder=fake_embedder)
    n = fake_embedder.embedded
    (src / "metadata.json").write_text(json.dumps({"alpha.txt": {"title": "Alpha Report", "authors": ["A. B."]}}))
    r = build_index(settings, embedder=fake_embedder)
    assert r.metadata_updated == ["alpha"] and fake_embedder.embedded == n
    assert load_index(settings).sources["alpha"].meta.title == "Alpha Report"


def test_concurrent_index_runs_do_not_corrupt(small, fake_embedder):
    settings, _ = small
    errors: list[BaseException] = []

    def run():
        try:
            build_index(settings, embedder=fake_embedder)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    data = read_data(Path(settings.index_dir))
    ids = [c.chunk_id for c in data.chunks]
    assert len(ids) == len(set(ids)) and {c.source_id for c in data.chunks} == {"alpha", "beta"}


def test_search_filter_and_query_checks(small, fake_embedder):
    settings, _ = small
    build_index(settings, embedder=fake_embedder)
    r = Retriever.from_settings(settings, embedder=fake_embedder)
    hits = r.search("fentanyl seizures", k=3)
    assert hits[0].source.source_id == "beta"
    only = r.search("fentanyl seizures", k=3, source_ids=["alpha"])
    assert only and all(h.source.source_id == "alpha" for h in only)
    from qa.errors import InputError

    with pytest.raises(InputError):
        r.search("   ")
    with pytest.raises(InputError):
        r.search("x", source_ids=["nope"])
    assert r.search("x" * 100_000, k=2) is not None  # a huge query is cut, not fatal


def test_followup_joined_to_previous_question_finds_its_topic(small, fake_embedder):
    from qa.retrieve import followup_query

    settings, _ = small
    build_index(settings, embedder=fake_embedder)
    r = Retriever.from_settings(settings, embedder=fake_embedder)
    history = [
        {"role": "user", "content": "What about fentanyl seizures?"},
        {"role": "assistant", "content": "They doubled."},
    ]
    also = followup_query("And in which year did officials meet?", history)
    assert also == "What about fentanyl seizures? And in which year did officials meet?"
    assert followup_query("Why?", None) is None
    assert followup_query("Why?", [{"role": "assistant", "content": "x"}]) is None
    alone = r.search("And in which year did officials meet?", k=2)
    joined = r.search("And in which year did officials meet?", k=2, also=also)
    assert joined[0].source.source_id == "beta"
    assert [h.chunk.chunk_id for h in alone] != [h.chunk.chunk_id for h in joined]


def test_sentence_max_sim_is_each_chunks_best_sentence(small, fake_embedder):
    settings, _ = small
    build_index(settings, embedder=fake_embedder)
    r = Retriever.from_settings(settings, embedder=fake_embedder)
    data = r.index.data
    q = fake_embedder.embed_query("fentanyl seizures doubled")
    best = r._sentence_max(q, None)
    for row in range(len(data.chunks)):
        mine = data.sentence_vectors[data.sentence_rows == row] @ q
        assert (np.isnan(best[row]) and not len(mine)) or abs(best[row] - mine.max()) < 1e-6
    alpha = {i for i, c in enumerate(data.chunks) if c.source_id == "alpha"}
    filtered = r._sentence_max(q, alpha)
    assert all(np.isnan(filtered[i]) for i in range(len(data.chunks)) if i not in alpha)
    # the blend: chunk cosine alone at sentence_weight 0, best sentence alone at 1
    rows = list(range(len(data.chunks)))
    chunk_only = Retriever(r.index, fake_embedder, settings.replace(sentence_weight=0.0))
    assert chunk_only._sentence_max(q, None) is None
    sent_only = Retriever(r.index, fake_embedder, settings.replace(sentence_weight=1.0))
    scores = sent_only._dense_rows(q, rows, sent_only._sentence_max(q, None))
    assert all(abs(scores[i] - best[i]) < 1e-6 for i in rows if not np.isnan(best[i]))


def test_rrf_fusion_and_source_prior(small, fake_embedder):
    settings, src = small
    (src / "metadata.json").write_text(json.dumps({"alpha.txt": {"title": "Alpha", "authors": ["Zelda Quixote"]}}))
    build_index(settings, embedder=fake_embedder)
    for fusion in ("zscore", "rrf"):
        # two candidates only are maximally far apart in z-scores: a strong prior to show it acts
        r = Retriever.from_settings(settings.replace(fusion=fusion, source_weight=4.0), embedder=fake_embedder)
        assert r.search("fentanyl seizures", k=2)[0].source.source_id == "beta"
        # naming the author lifts her source above the better match
        assert r.search("fentanyl seizures, says Quixote", k=2)[0].source.source_id == "alpha"
        off = Retriever.from_settings(settings.replace(fusion=fusion, source_weight=0.0), embedder=fake_embedder)
        assert off.search("fentanyl seizures, says Quixote", k=2)[0].source.source_id == "beta"


def test_pooled_sentence_vectors_one_pass_per_chunk(small, fake_embedder):
    """sentence_vectors=pooled: one embedding pass per chunk, one vector per sentence,
    each the (normalised) mean of its words' states: with the bag-of-words fake, the
    sentence's own vector; switching the setting rebuilds."""
    settings, _ = small
    build_index(settings, embedder=fake_embedder)
    separate = read_data(Path(settings.index_dir))
    pooled_settings = settings.replace(sentence_vectors="pooled")
    with pytest.raises(IndexMismatchError):
        load_index(pooled_settings)
    calls = fake_embedder.embedded
    r = build_index(pooled_settings, embedder=fake_embedder)
    assert r.rebuilt and any("sentence_vectors" in w for w in r.warnings)
    data = read_data(Path(settings.index_dir))
    assert fake_embedder.embedded - calls == len(data.chunks)  # no separate sentence passes
    assert list(data.sentence_rows) == list(separate.sentence_rows)
    assert np.allclose(data.vectors, separate.vectors, atol=1e-6)
    assert np.allclose(np.linalg.norm(data.sentence_vectors, axis=1), 1.0, atol=1e-5)
    assert np.allclose(data.sentence_vectors, separate.sentence_vectors, atol=1e-5)


def test_pooled_span_cut_off_by_the_window_is_embedded_alone(fake_embedder):
    """A sentence beyond the tokens the model returned gets its own pass."""
    text = "alpha beta gamma. delta epsilon zeta."

    class Short(type(fake_embedder)):  # the window ends after the first sentence
        def _token_batch(self, texts):
            return [(s[:3], o[:3]) for s, o in super()._token_batch(texts)]

    emb = Short()
    vectors, sentences = emb.embed_pooled([text], [[(0, 17), (18, 37)]])
    assert emb.calls == [1, 1]  # the chunk's pass, then the cut-off sentence alone
    assert vectors.shape == (1, emb.dim) and sentences[0].shape == (2, emb.dim)
    assert np.allclose(sentences[0][0], emb.embed(["alpha beta gamma."])[0])
    assert np.allclose(sentences[0][1], emb.embed(["delta epsilon zeta."])[0])
    # context widens a span by whole tokens: the first sentence plus the next word
    _, wide = fake_embedder.embed_pooled([text], [[(0, 17)]], context=1)
    assert np.allclose(wide[0][0], fake_embedder.embed(["alpha beta gamma. delta"])[0])


def test_an_unchanged_file_without_a_sidecar_entry_has_its_metadata_read_again(tmp_path):
    from qa.index_plan import _fallback_again
    from qa.records import SourceInfo, SourceMeta

    stored = tmp_path / "book.txt"
    stored.write_text("The Book of Fish, by\nAnn Lee\n\nTitle: The Book of Fish\nAuthor: Ann Lee\n", encoding="utf-8")
    old = SourceMeta(title="The Book of Fish, by")  # as an earlier rule read it
    prev = SourceInfo("book", str(stored), str(stored), "sha", old, 3, "txt")
    assert _fallback_again("book.txt", prev) == SourceMeta(title="The Book of Fish", authors=("Ann Lee",))
    gone = SourceInfo("book", str(tmp_path / "missing.txt"), str(stored), "sha", old, 3, "txt")
    assert _fallback_again("book.txt", gone) is old  # unreadable: what the index holds stays
