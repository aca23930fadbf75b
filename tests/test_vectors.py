"""FAISS wrapper against a brute-force numpy oracle; HNSW recall; real MiniLM retrieval."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from qa.vectors import VectorIndex


def _unit(rng, n, d=32):
    v = rng.normal(size=(n, d)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_flat_matches_numpy_oracle(tmp_path: Path):
    rng = np.random.default_rng(1)
    base, queries = _unit(rng, 500), _unit(rng, 20)
    idx = VectorIndex.build(base, ann_threshold=10_000)
    assert idx.kind == "flat"
    idx.save(tmp_path / "f.faiss")
    idx = VectorIndex.load(tmp_path / "f.faiss")
    for q in queries:
        oracle = np.argsort(-(base @ q))[:10]
        assert [r for r, _ in idx.search(q, 10)] == list(oracle)


def test_hnsw_above_threshold_has_high_recall():
    rng = np.random.default_rng(2)
    base, queries = _unit(rng, 3000), _unit(rng, 30)
    idx = VectorIndex.build(base, ann_threshold=1000)
    assert idx.kind == "hnsw"
    recall = np.mean([len({r for r, _ in idx.search(q, 10)} & set(np.argsort(-(base @ q))[:10])) / 10 for q in queries])
    assert recall >= 0.9


def test_real_embedder_finds_the_passage(real_embedder, settings_for, tmp_path):
    from qa.indexer import build_index
    from qa.retrieve import Retriever

    src = tmp_path / "sources"
    src.mkdir()
    (src / "a.txt").write_text(
        "The bridge between the two cities opened in 1998 after a decade of talks.\n\n"
        "Fishing quotas were renegotiated in 2004 under pressure from coastal towns.",
        "utf-8",
    )
    (src / "b.txt").write_text("Cartel violence rose sharply along the border, and homicides set records.", "utf-8")
    settings = settings_for(src)
    build_index(settings, embedder=real_embedder)
    hits = Retriever.from_settings(settings, embedder=real_embedder).search("When did the bridge open?", k=3)
    assert hits[0].source.source_id == "a" and "1998" in hits[0].chunk.text
    assert hits[0].dense_score is not None and -1.0 <= hits[0].dense_score <= 1.0
