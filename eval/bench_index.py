"""Index and retrieval benchmark: prints numbers, asserts nothing.

  .venv/bin/python eval/bench_index.py [--synthetic 100000] [--queries 200]

1. Builds the real corpus index from sources/ into a temp folder (build
   time, chunks/second), then times hybrid queries (p50/p95).
2. A synthetic corpus of N chunks (real chunk vectors and sentences,
   perturbed and resampled): exact (Flat) vs approximate (HNSW) dense search
   latency, HNSW recall@10 against exact, the brute-force best-sentence
   scoring over as many sentences per chunk as the real index has, BM25
   latency, index build times.
3. Peak resident memory of the process.
"""
from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qa.config import Settings  # noqa: E402
from qa.embed import get_embedder  # noqa: E402
from qa.evaluation.metrics import percentile  # noqa: E402
from qa.indexer import build_index  # noqa: E402
from qa.lexical import LexicalIndex  # noqa: E402
from qa.retrieve import Retriever  # noqa: E402
from qa.store import load_index  # noqa: E402
from qa.vectors import VectorIndex  # noqa: E402


def pct(xs: list[float], p: float) -> float:
    return percentile(xs, p) if xs else float("nan")


def questions() -> list[str]:
    path = ROOT / "eval" / "datasets" / "questions.jsonl"
    if path.exists():
        return [json.loads(line)["question"] for line in path.read_text("utf-8").splitlines() if line.strip()]
    return ["What is the Mérida Initiative?", "How did López Obrador change security policy?"]


def bench_real(tmp: Path) -> tuple[Settings, dict]:
    settings = Settings.load({"index_dir": str(tmp / "index"), "sources_dir": str(ROOT / "sources")})
    embedder = get_embedder()
    t0 = time.perf_counter()
    report = build_index(settings, rebuild=True, embedder=embedder)
    build_s = time.perf_counter() - t0
    retriever = Retriever.from_settings(settings, embedder=embedder)
    qs = questions()
    lat = []
    for q in qs:
        t = time.perf_counter()
        retriever.search(q, k=10)
        lat.append(time.perf_counter() - t)
    out = {
        "chunks": report.n_chunks,
        "build_s": round(build_s, 2),
        "embed_s": round(report.seconds.get("embed_s", 0), 2),
        "chunks_per_s": round(report.n_chunks / max(report.seconds.get("embed_s", 1e-9), 1e-9), 1),
        "queries": len(qs),
        "query_p50_ms": round(1000 * pct(lat, 50), 1),
        "query_p95_ms": round(1000 * pct(lat, 95), 1),
    }
    return settings, out


def bench_synthetic(settings: Settings, n: int, n_queries: int) -> dict:
    index = load_index(settings)
    base = index.data.vectors
    texts = [c.clean_text for c in index.chunks]
    rng = np.random.default_rng(0)
    pick = rng.integers(0, len(base), n)
    vecs = base[pick] + rng.normal(0, 0.08, (n, base.shape[1])).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    words = " ".join(texts).split()
    syn_texts = [" ".join(rng.choice(words, 60)) for _ in range(n)]
    embedder = get_embedder()
    qvecs = embedder.embed(questions()[:n_queries])
    qs = questions()[:n_queries]

    out: dict = {"n": n}
    t = time.perf_counter()
    flat = VectorIndex.build(vecs, ann_threshold=n + 1)
    out["flat_build_s"] = round(time.perf_counter() - t, 2)
    t = time.perf_counter()
    hnsw = VectorIndex.build(vecs, ann_threshold=0)
    out["hnsw_build_s"] = round(time.perf_counter() - t, 2)
    for name, idx in (("flat", flat), ("hnsw", hnsw)):
        lat = []
        for q in qvecs:
            t = time.perf_counter()
            idx.search(q, 10)
            lat.append(time.perf_counter() - t)
        out[f"{name}_p50_ms"] = round(1000 * pct(lat, 50), 2)
        out[f"{name}_p95_ms"] = round(1000 * pct(lat, 95), 2)
    recall = []
    for q in qvecs:
        exact = {r for r, _ in flat.search(q, 10)}
        approx = {r for r, _ in hnsw.search(q, 10)}
        recall.append(len(exact & approx) / 10)
    out["hnsw_recall_at_10"] = round(float(np.mean(recall)), 4)
    # best-sentence scoring is brute force over every sentence vector: its cost at this size
    per_chunk = max(1.0, len(index.data.sentence_vectors) / max(1, len(base)))
    m = int(n * per_chunk)
    svecs = vecs[rng.integers(0, n, m)]
    owners = np.sort(rng.integers(0, n, m))
    starts = np.flatnonzero(np.r_[True, owners[1:] != owners[:-1]])
    lat = []
    for q in qvecs[:50]:
        t = time.perf_counter()
        np.maximum.reduceat(svecs @ q, starts)
        lat.append(time.perf_counter() - t)
    out["sentences"] = m
    out["sentence_maxsim_p50_ms"] = round(1000 * pct(lat, 50), 2)
    out["sentence_maxsim_p95_ms"] = round(1000 * pct(lat, 95), 2)
    del svecs
    t = time.perf_counter()
    lex = LexicalIndex.build(syn_texts)
    out["bm25_build_s"] = round(time.perf_counter() - t, 2)
    lat = []
    for q in qs:
        t = time.perf_counter()
        lex.search(q, 50)
        lat.append(time.perf_counter() - t)
    out["bm25_p50_ms"] = round(1000 * pct(lat, 50), 2)
    out["bm25_p95_ms"] = round(1000 * pct(lat, 95), 2)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--synthetic", type=int, default=100_000)
    ap.add_argument("--queries", type=int, default=200)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings, real = bench_real(Path(tmp))
        print("real corpus:", json.dumps(real))
        syn = bench_synthetic(settings, args.synthetic, args.queries)
        print("synthetic:  ", json.dumps(syn))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS: {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
