"""Retrieval quality on a question file: recall@1/5/10 and MRR, overall, by
question type and by odd/even id (tune on odd, report even), with the query
latency. Follow-ups are searched as ``qa eval run --retrieval-only`` does (with
their previous question as a second wording), so the numbers match it. A hit counts when its span overlaps a gold quote's span in the same
stored file. ``--compare-no-expand`` also builds an index of the same sources
without expansions (in a temporary folder) and prints both.

  .venv/bin/python eval/bench_retrieval.py [--dataset FILE ...] [--index DIR] [--sources DIR]
      [--compare-no-expand] [--show-misses] [--set expansion_weight=0.5 ...]

Gold ``source_file`` may be a path from the project root (the shipped set) or a
bare file name of a document in ``--sources`` (any folder, e.g. PDFs whose
stored text is extracted into the index).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qa.config import Settings, _coerce  # noqa: E402
from qa.retrieve import Retriever, followup_query  # noqa: E402


def load_rows(paths: list[str]) -> list[dict]:
    rows = []
    for path in paths:
        for line in Path(path).read_text("utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                if row.get("answerable", True) and row.get("gold"):
                    rows.append(row)
    return rows


def gold_spans(row: dict, retriever: Retriever) -> list[tuple[str, int, int]]:
    """(stored file, start, end) of each gold quote, found in the index's stored text."""
    by_name = {Path(s.original_file).name: s for s in retriever.index.sources.values()}
    by_path = {s.original_file: s for s in retriever.index.sources.values()}
    spans = []
    for g in row["gold"]:
        info = by_path.get(g["source_file"]) or by_name.get(Path(g["source_file"]).name)
        if info is None:
            raise SystemExit(f"{row['id']}: {g['source_file']} is not in the index")
        stored = Path(info.source_file)
        text = (stored if stored.is_absolute() else ROOT / stored).read_text(encoding="utf-8")
        start = text.find(g["quote"])
        if start < 0:
            raise SystemExit(f"{row['id']}: quote not verbatim in {info.source_file}: {g['quote'][:60]}")
        spans.append((info.source_file, start, start + len(g["quote"])))
    return spans


def first_rank(hits: list, spans: list[tuple[str, int, int]]) -> int | None:
    for h in hits:
        for f, s, e in spans:
            if h.source.source_file == f and h.chunk.start < e and s < h.chunk.end:
                return h.rank
    return None


def recall(ranks: list[int | None]) -> dict[str, float]:
    n = max(1, len(ranks))
    out = {f"R@{k}": round(sum(1 for r in ranks if r is not None and r <= k) / n, 3) for k in (1, 5, 10)}
    out["MRR"] = round(sum(1 / r for r in ranks if r) / n, 3)
    out["n"] = len(ranks)
    return out


def evaluate(settings: Settings, rows: list[dict], show_misses: bool) -> dict:
    retriever = Retriever.from_settings(settings)
    retriever.search("warm up the embedder", k=10)
    ranks: dict[str, int | None] = {}
    seconds = []
    for row in rows:
        t = time.perf_counter()
        also = followup_query(row["question"], row.get("history"))  # as `qa eval run --retrieval-only`
        hits = retriever.search(row["question"], k=10, also=also)
        seconds.append(time.perf_counter() - t)
        ranks[row["id"]] = first_rank(hits, gold_spans(row, retriever))
        if show_misses and (ranks[row["id"]] is None or ranks[row["id"]] > 1):
            print(f"  {row['id']} rank={ranks[row['id']]} :: {row['question']}")
    groups: dict[str, list[int | None]] = {"all": list(ranks.values())}
    for row in rows:
        digits = "".join(ch for ch in row["id"] if ch.isdigit())
        parity = "odd ids" if digits and int(digits) % 2 else "even ids"
        for key in (parity, f"type {row.get('type', '?')}"):
            groups.setdefault(key, []).append(ranks[row["id"]])
    return {
        "expanded_chunks": retriever.expanded,
        "chunks": len(retriever.index.chunks),
        "latency_ms_p50": round(1000 * statistics.median(seconds), 1),
        "latency_ms_mean": round(1000 * statistics.fmean(seconds), 1),
        "groups": {k: recall(v) for k, v in sorted(groups.items())},
    }


def print_table(results: dict[str, dict]) -> None:
    names = list(results)
    print(f"{'':22}" + "".join(f"{n:>34}" for n in names))
    for name, r in results.items():
        print(f"{name}: {r['expanded_chunks']}/{r['chunks']} chunks expanded; query p50 {r['latency_ms_p50']} ms")
    groups = list(next(iter(results.values()))["groups"])
    for g in groups:
        cells = []
        for n in names:
            m = results[n]["groups"].get(g, {})
            cells.append(f"R@1 {m.get('R@1', 0):.3f} R@5 {m.get('R@5', 0):.3f} MRR {m.get('MRR', 0):.3f}")
        print(f"{g + ' (' + str(results[names[0]]['groups'][g]['n']) + ')':22}" + "".join(f"{c:>34}" for c in cells))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset", nargs="+", default=[str(ROOT / "eval" / "datasets" / "questions.jsonl")])
    ap.add_argument("--index")
    ap.add_argument("--sources")
    ap.add_argument("--compare-no-expand", action="store_true", help="also build and measure an index without them")
    ap.add_argument("--show-misses", action="store_true")
    ap.add_argument("--set", nargs="*", default=[], help="setting overrides, e.g. expansion_weight=0.5")
    ap.add_argument("--json", help="write the results here")
    args = ap.parse_args()
    overrides: dict = {"index_dir": args.index, "sources_dir": args.sources}
    for item in args.set:
        key, _, raw = item.partition("=")
        field = Settings.__dataclass_fields__[key]
        overrides[key] = _coerce(key, field.type, raw)
    settings = Settings.load(overrides)
    rows = load_rows(args.dataset)
    results = {"with expansions": evaluate(settings, rows, args.show_misses)}
    if args.compare_no_expand:
        from qa.indexer import build_index

        with tempfile.TemporaryDirectory() as tmp:
            bare = settings.replace(index_dir=tmp, expand=False)
            build_index(bare)
            results["without expansions"] = evaluate(bare, rows, args.show_misses)
    print_table(results)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2), "utf-8")


if __name__ == "__main__":
    main()
