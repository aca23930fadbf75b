"""What the answer span rule (qa/extract.py) would answer without the model: for each fact or
several-part question of a dataset, the shortlist the answer path builds, and the span the rule
finds if the model's phrase failed on every part (the worst case). An unanswerable question that
gets a span is a risk; an answerable one whose span holds no key fact is a wrong or differently
worded answer. No model is loaded (the embedder only).

    python eval/rule_spans.py eval/datasets/own_questions.jsonl --index /tmp/idx5 [--split heldout]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from qa import kinds  # noqa: E402
from qa.answer import QA  # noqa: E402
from qa.config import Settings  # noqa: E402
from qa.extract import extracted  # noqa: E402
from qa.gather import gather  # noqa: E402
from qa.retrieve import Retriever  # noqa: E402
from qa.turn import Turn  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dataset")
    ap.add_argument("--index", default="index")
    ap.add_argument("--split", default="", help="only questions of this split (tune, heldout)")
    args = ap.parse_args()
    settings = Settings.load({"index_dir": args.index})
    retriever = Retriever.from_settings(settings)
    qa = QA.__new__(QA)  # the gathering stage only: no generator is made
    qa.retriever, qa.settings = retriever, settings
    counts: Counter[str] = Counter()
    for line in Path(args.dataset).read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        item = json.loads(line)
        if args.split and item.get("split") != args.split:
            continue
        question = item.get("standalone_question") or item["question"]
        if kinds.kind_of(question) not in (kinds.FACT, kinds.PARTS):
            continue
        turn = Turn(question, question)
        turn.hits = tuple(retriever.search(question, k=settings.top_k))
        gathered = gather(turn, qa.retriever, qa.settings)
        for part, ask in zip(gathered.plan.parts, gathered.asks):
            if not ask.wants_phrase:
                continue
            found = extracted(part, ask, gathered.shortlist)
            if found is None:
                continue
            holds = any(k.lower() in found.phrase.lower() for k in item.get("key_facts", []))
            tag = "unanswerable" if not item["answerable"] else "key fact" if holds else "no key fact"
            counts[tag] += 1
            print(f"{item['id']}\t{tag}\t{ask.kind}\t{found.phrase!r}\t{part[:90]}")
    print(dict(counts))


if __name__ == "__main__":
    main()
