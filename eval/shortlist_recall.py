"""Does the shortlist the model reads hold a gold sentence? For each answerable question of a
dataset (summaries and lists too: their gathering is not this one), the shortlist the answer path
builds, and whether one of its sentences holds a gold quote (60% of the quote's words, or 80% of the
sentence's). The misses are listed. No model is loaded (the embedder only): seconds per question,
for trying pre-score or pool settings before a full run (``--set evidence_sentences=10``).

    python eval/shortlist_recall.py eval/datasets/own_questions.jsonl --index /tmp/idx5 [--split tune]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from qa.config import Settings, _coerce  # noqa: E402
from qa.gather import gather  # noqa: E402
from qa.retrieve import Retriever  # noqa: E402
from qa.turn import Turn  # noqa: E402


def _words(text: str) -> set[str]:
    return set(re.findall(r"\w+", text.lower()))


def holds(sentence: str, quote: str) -> bool:
    """Does ``sentence`` hold most of the gold ``quote`` (or is it mostly inside it)?"""
    gold, got = _words(quote), _words(sentence)
    return len(gold & got) >= 0.6 * len(gold) or len(gold & got) >= 0.8 * len(got)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dataset")
    ap.add_argument("--index", default="index")
    ap.add_argument("--split", default="", help="only questions of this split (tune, heldout)")
    ap.add_argument("--set", nargs="*", default=[], help="setting overrides, e.g. evidence_sentences=10")
    args = ap.parse_args()
    overrides: dict = {"index_dir": args.index}
    for item in args.set:
        key, _, raw = item.partition("=")
        overrides[key] = _coerce(key, Settings.__dataclass_fields__[key].type, raw)
    settings = Settings.load(overrides)
    retriever = Retriever.from_settings(settings)
    total = found = 0
    for line in Path(args.dataset).read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        item = json.loads(line)
        if (args.split and item.get("split") != args.split) or not item["answerable"]:
            continue
        question = item.get("standalone_question") or item["question"]
        turn = Turn(question, question)
        turn.hits = tuple(retriever.search(question, k=settings.top_k))
        shortlist = gather(turn, retriever, settings).shortlist
        hit = any(holds(e.text, g["quote"]) for e in shortlist for g in item["gold"])
        total, found = total + 1, found + hit
        if not hit:
            print(f"miss\t{item['id']}\t{item.get('kind') or item['type']}\t{question[:90]}")
    print(f"gold in the shortlist: {found}/{total} = {found / max(total, 1):.3f}")


if __name__ == "__main__":
    main()
