"""Embedding backends: ONNX vs sentence-transformers agreement (real model),
the fallback when onnxruntime is missing, the manifest's backend check, the
lazy-import rule of the search path, and the index cost-curve script."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from qa import embedders
from qa.config import Settings
from qa.embedders import EMBED_TOLERANCE, family, get_embedder
from qa.errors import IndexMismatchError, ModelError
from qa.indexer import build_index
from qa.retrieve import Retriever
from qa.store import read_data
from tests.conftest import ROOT, SOURCES, HashEmbedder

SENTENCES = [
    "The Mérida Initiative was announced in 2007.",
    "Fentanyl seizures at the border rose sharply.",
    "Extradition of cartel leaders to the United States increased under Calderón.",
    "What did López Obrador change about security policy?",
    "Hugs, not bullets.",
    "x",
    "A very long sentence " + "about cooperation between agencies on both sides of the border " * 40,
]


class Int8Hash(HashEmbedder):
    backend = "onnx-int8"


class OnnxHash(HashEmbedder):
    backend = "onnx"


@pytest.fixture(scope="module")
def both():
    settings = Settings.load(env={})
    return get_embedder(settings=settings.replace(embed_backend="onnx")), get_embedder(
        settings=settings.replace(embed_backend="torch")
    )


def test_onnx_and_torch_vectors_agree_within_tolerance(both):
    onnx, torch_ = both
    assert (onnx.backend, torch_.backend) == ("onnx", "torch") and family("onnx") == family("torch")
    a, b = onnx.embed(SENTENCES), torch_.embed(SENTENCES)
    cos = np.sum(a * b, axis=1)
    assert np.all(1 - cos <= EMBED_TOLERANCE), cos
    assert np.allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-5)


def test_onnx_counts_tokens_like_the_torch_tokenizer(both):
    """Chunk boundaries depend on these counts: the chunks stay byte-identical."""
    onnx, torch_ = both
    text = (SOURCES / next(p.name for p in sorted(SOURCES.glob("*.txt")))).read_text("utf-8")[:20000]
    pieces = SENTENCES + text.split("\n")
    assert [onnx.count_tokens(p) for p in pieces] == [torch_.count_tokens(p) for p in pieces]


def test_batches_sorted_by_length_keep_input_order():
    emb = HashEmbedder()
    emb.batch_size = 2
    texts = ["a b c d e", "a", "b c", "d e f g", "c"]
    together = emb.embed(texts)
    alone = np.stack([emb.embed([t])[0] for t in texts])
    assert np.array_equal(together, alone)
    assert emb.calls[:3] == [2, 2, 1]


def test_falls_back_to_torch_when_onnxruntime_is_missing(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # import onnxruntime -> ImportError
    monkeypatch.setattr(embedders, "_CACHE", {})
    got = get_embedder(settings=Settings.load(env={}).replace(embed_backend="auto"))
    assert got.backend == "torch"
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "warning: ONNX embedder unavailable" in err
    with pytest.raises(ModelError) as exc:  # asked for onnx explicitly: no silent fallback
        get_embedder(settings=Settings.load(env={}).replace(embed_backend="onnx"))
    assert "QA_EMBED_BACKEND=torch" in exc.value.fix


def _small(settings_for, tmp_path: Path) -> Settings:
    src = tmp_path / "sources"
    src.mkdir()
    (src / "a.txt").write_text("The bridge opened in 1998 after talks. Fishing quotas were renegotiated.", "utf-8")
    return settings_for(src)


def test_manifest_records_backend_and_other_families_are_refused(settings_for, tmp_path):
    settings = _small(settings_for, tmp_path)
    build_index(settings, embedder=Int8Hash())
    data = read_data(Path(settings.index_dir))
    assert data.manifest["embed_backend"] == "onnx-int8" and data.manifest["embed_tolerance"] == EMBED_TOLERANCE
    Retriever.from_settings(settings, embedder=Int8Hash()).search("bridge")
    with pytest.raises(IndexMismatchError) as exc:
        Retriever.from_settings(settings, embedder=HashEmbedder())  # fp32 queries on int8 vectors
    assert "QA_EMBED_BACKEND=onnx-int8" in exc.value.fix
    # an update embedding with the other family rebuilds everything instead of mixing
    (Path(settings.sources_dir) / "b.txt").write_text("Cartel violence rose along the border.", "utf-8")
    report = build_index(settings, embedder=HashEmbedder())
    assert report.rebuilt and any("rebuilding from scratch" in w for w in report.warnings)
    assert read_data(Path(settings.index_dir)).manifest["embed_backend"] == "torch"


def test_same_family_backends_share_an_index(settings_for, tmp_path):
    settings = _small(settings_for, tmp_path)
    build_index(settings, embedder=HashEmbedder())  # torch
    assert Retriever.from_settings(settings, embedder=OnnxHash()).search("bridge")
    (Path(settings.sources_dir) / "b.txt").write_text("Cartel violence rose along the border.", "utf-8")
    report = build_index(settings, embedder=OnnxHash())
    assert not report.rebuilt and report.added == ["b"]


SEARCH = """
import json, sys
from qa.config import Settings
from qa.retrieve import Retriever
hits = Retriever.from_settings(Settings.load()).search("When did the bridge open?", k=3)
heavy = sorted(m for m in ("torch", "transformers", "sentence_transformers", "llama_cpp", "gradio", "matplotlib")
               if m in sys.modules)
print(json.dumps({"heavy": heavy, "top": hits[0].chunk.text}))
"""


def test_search_path_imports_nothing_heavy(settings_for, tmp_path):
    settings = _small(settings_for, tmp_path)
    onnx = get_embedder(settings=Settings.load(env={}).replace(embed_backend="onnx"))  # export cached
    build_index(settings, embedder=onnx)
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(Path.home()),
        "PYTHONPATH": str(ROOT),
        "QA_INDEX_DIR": settings.index_dir,
        "QA_SOURCES_DIR": settings.sources_dir,
        "QA_CACHE_DIR": Settings.load(env={}).cache_dir,
        "QA_EMBED_BACKEND": "onnx",
    }
    out = subprocess.run([sys.executable, "-c", SEARCH], env=env, capture_output=True, text=True, check=True)
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["heavy"] == [] and "1998" in got["top"]


def test_bench_index_prints_the_cost_curve():
    out = subprocess.run(
        [sys.executable, str(ROOT / "eval" / "bench_index.py"), "--sizes", "20"],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    lines = out.stdout.strip().splitlines()
    row = json.loads(lines[0])
    assert row["chunks"] >= 10 and row["sentences"] > row["chunks"] and row["texts_per_s"] > 0
    assert row["peak_rss_mb"] > 0 and lines[-1].startswith("estimate for 1M chunks")


LIST = """
import json, sys
from qa.cli import main
main(["sources", "--json"])
print(json.dumps(sorted(m for m in ("faiss", "bm25s", "onnxruntime", "torch", "transformers") if m in sys.modules)))
"""


def test_listing_sources_loads_no_search_parts(settings_for, tmp_path):
    settings = _small(settings_for, tmp_path)
    build_index(settings, embedder=HashEmbedder())
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(Path.home()),
        "PYTHONPATH": str(ROOT),
        "QA_INDEX_DIR": settings.index_dir,
    }
    out = subprocess.run([sys.executable, "-c", LIST], env=env, capture_output=True, text=True, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == [] and '"a"' in out.stdout


def _joined(sentences: list[str]) -> tuple[str, list[tuple[int, int]]]:
    text, spans = "", []
    for s in sentences:
        start = len(text) + (1 if text else 0)
        text = f"{text} {s}" if text else s
        spans.append((start, start + len(s)))
    return text, spans


def test_pooled_sentence_vectors_are_near_their_separate_ones(both):
    """One pass over a passage: its vector equals ``embed``'s; each sentence's
    pooled vector is unit-norm and nearer its own separately embedded vector
    than other sentences' (all but one here: pooled vectors carry context, the
    last sentence leans to the question before it); the torch backend pools the
    same vectors."""
    onnx, torch_ = both
    sentences = SENTENCES[:4] + [
        "Homicides linked to organised crime climbed after 2007.",
        "The two governments signed a new security framework in 2021.",
    ]
    text, spans = _joined(sentences)
    vectors, pooled = onnx.embed_pooled([text, SENTENCES[0]], [spans, [(0, len(SENTENCES[0]))]])
    assert np.allclose(vectors, onnx.embed([text, SENTENCES[0]]), atol=1e-5)
    assert [len(p) for p in pooled] == [len(sentences), 1]
    assert np.allclose(np.linalg.norm(pooled[0], axis=1), 1.0, atol=1e-5)
    separate = onnx.embed(sentences)
    sim = pooled[0] @ separate.T
    assert np.sum(sim.argmax(axis=1) == np.arange(len(sentences))) >= len(sentences) - 1, sim.round(2)
    assert float(np.diag(sim).mean()) > 0.6
    # a whole text pooled over its own span is its ordinary vector, less [CLS] and [SEP]
    assert float(pooled[1][0] @ separate[0]) > 0.95
    _, pooled_torch = torch_.embed_pooled([text], [spans])
    assert np.all(1 - np.sum(pooled_torch[0] * pooled[0], axis=1) <= EMBED_TOLERANCE)
