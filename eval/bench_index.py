"""Index and retrieval benchmark: prints numbers, asserts nothing.

  .venv/bin/python eval/bench_index.py [--sizes 1000 10000 100000]
  .venv/bin/python eval/bench_index.py --search [--synthetic 100000] [--queries 200]

Default: the indexing cost curve. For each size N, a synthetic corpus of
about N chunks (sentences of words drawn from sources/, 40 paragraphs per
file) is indexed end to end by ``build_index`` with the real embedder, in a
fresh process: chunks, sentences, seconds, texts/s (chunks + sentences
embedded per second of the whole run), peak RSS; then the time 1M chunks
would take at the largest size's rate.

``--search``: 1. builds the real corpus index from sources/ (build time),
times hybrid queries (p50/p95); 2. a synthetic corpus of N chunks (real chunk
vectors and sentences, perturbed and resampled): exact (Flat) vs approximate
(HNSW) dense search latency, HNSW recall@10 against exact, brute-force
best-sentence scoring, BM25 latency, index build times; 3. peak RSS.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qa.config import Settings  # noqa: E402
from qa.embedders import get_embedder  # noqa: E402
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
    embedder = get_embedder(settings.embed_model, settings)
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
    embedder = get_embedder(settings.embed_model, settings)
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


def synthetic_corpus(folder: Path, n_chunks: int, seed: int = 0) -> None:
    """Text files that chunk into about ``n_chunks`` chunks (about 110 words each)."""
    vocab = sorted(
        {w.strip(".,;:()\"'") for p in (ROOT / "sources").glob("*.txt") for w in p.read_text("utf-8").split()} - {""}
    )
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    words_left, n_file = n_chunks * 110, 0
    while words_left > 0:
        paragraphs = []
        for _ in range(40):
            sentences = []
            for _ in range(int(rng.integers(3, 6))):
                ws = list(rng.choice(vocab, int(rng.integers(8, 26))))
                sentences.append(" ".join([ws[0].capitalize(), *ws[1:]]) + ".")
                words_left -= len(ws)
            paragraphs.append(" ".join(sentences))
        (folder / f"doc{n_file:05d}.txt").write_text("\n\n".join(paragraphs) + "\n", "utf-8")
        n_file += 1


def index_once(n_chunks: int) -> dict:
    """Index a synthetic corpus of about ``n_chunks`` chunks; this process's numbers."""
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "sources"
        synthetic_corpus(src, n_chunks)
        settings = Settings.load({"index_dir": str(Path(tmp) / "index"), "sources_dir": str(src)})
        embedder = get_embedder(settings.embed_model, settings)
        t0 = time.perf_counter()
        report = build_index(settings, rebuild=True, embedder=embedder)
        seconds = time.perf_counter() - t0
    texts = report.new_chunks + report.new_sentences
    return {
        "target": n_chunks,
        "chunks": report.n_chunks,
        "sentences": report.new_sentences,
        "backend": embedder.backend,
        "seconds": round(seconds, 1),
        "texts_per_s": round(texts / seconds, 1),
        "chunks_per_s": round(report.n_chunks / seconds, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        **{k: round(v, 1) for k, v in report.seconds.items()},
    }


def cost_curve(sizes: list[int]) -> None:
    """One fresh process per size (so peak RSS is that size's), then the 1M-chunk estimate."""
    rows = []
    for n in sizes:
        out = subprocess.run([sys.executable, __file__, "--one", str(n)], check=True, capture_output=True, text=True)
        row = json.loads(out.stdout.strip().splitlines()[-1])
        rows.append(row)
        print(json.dumps(row), flush=True)
    last = rows[-1]
    hours = 1_000_000 / last["chunks_per_s"] / 3600
    print(
        f"estimate for 1M chunks at {last['chunks_per_s']} chunks/s ({last['backend']}): {hours:.1f} h; "
        f"vectors alone {1_000_000 * (1 + last['sentences'] / max(1, last['chunks'])) * 384 * 4 / 2**30:.1f} GB"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000, 100_000], help="chunks per corpus")
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--search", action="store_true", help="the search benchmark instead of the cost curve")
    ap.add_argument("--synthetic", type=int, default=100_000)
    ap.add_argument("--queries", type=int, default=200)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(index_once(args.one)))
        return
    if not args.search:
        cost_curve(args.sizes)
        return
    with tempfile.TemporaryDirectory() as tmp:
        settings, real = bench_real(Path(tmp))
        print("real corpus:", json.dumps(real))
        syn = bench_synthetic(settings, args.synthetic, args.queries)
        print("synthetic:  ", json.dumps(syn))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS: {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
