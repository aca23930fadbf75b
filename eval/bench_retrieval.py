"""Retrieval quality on a question file: recall@1/5/10 and MRR (a hit counts
when its span overlaps a gold quote's span in the same stored file).

  .venv/bin/python eval/bench_retrieval.py [--dataset FILE ...] [--index DIR] [--show-misses]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qa.config import Settings  # noqa: E402
from qa.retrieve import Retriever  # noqa: E402


def gold_spans(row: dict) -> list[tuple[str, int, int]]:
    spans = []
    for g in row.get("gold", []):
        text = (ROOT / g["source_file"]).read_text(encoding="utf-8")
        start = text.find(g["quote"])
        if start < 0:
            raise SystemExit(f"{row['id']}: quote not verbatim in {g['source_file']}: {g['quote'][:60]}")
        spans.append((g["source_file"], start, start + len(g["quote"])))
    return spans


def first_rank(hits: list, spans: list[tuple[str, int, int]]) -> int | None:
    for h in hits:
        for f, s, e in spans:
            if h.source.source_file == f and h.chunk.start < e and s < h.chunk.end:
                return h.rank
    return None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--dataset", nargs="+", default=[str(ROOT / "eval" / "datasets" / "questions.jsonl")])
    ap.add_argument("--index")
    ap.add_argument("--show-misses", action="store_true")
    args = ap.parse_args()
    settings = Settings.load({"index_dir": args.index})
    retriever = Retriever.from_settings(settings)
    ranks = []
    for path in args.dataset:
        for line in Path(path).read_text("utf-8").splitlines():
            if not line.strip():
                continue
            row = json.loads(line)
            if not row.get("answerable", True) or not row.get("gold"):
                continue
            hits = retriever.search(row["question"], k=10)
            r = first_rank(hits, gold_spans(row))
            ranks.append(r)
            if args.show_misses and (r is None or r > 1):
                print(f"{row['id']} rank={r} :: {row['question']}")
    n = len(ranks)
    rec = {k: sum(1 for r in ranks if r is not None and r <= k) / n for k in (1, 3, 4, 5, 10)}
    mrr = sum(1 / r for r in ranks if r) / n
    print(json.dumps({"questions": n, **{f"recall@{k}": round(v, 3) for k, v in rec.items()}, "mrr": round(mrr, 3)}))


if __name__ == "__main__":
    main()
