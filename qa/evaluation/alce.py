"""Export a run in ALCE's input format (princeton-nlp/ALCE eval.py): a JSON
object {"args": ..., "data": [{"question", "answer", "qa_pairs"?, "output", "docs":
[{"title", "text"}]}]} where [n] in "output" points at docs[n-1]."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from qa.evaluation.compare import load_run


def to_alce(run: str | Path) -> dict[str, Any]:
    metrics, records = load_run(run)
    data = []
    for r in records.values():
        chunk_text = {h["chunk_id"]: (h.get("title", ""), h["text"]) for h in r.get("retrieved", [])}
        cites = sorted(r.get("citations", []), key=lambda c: c["n"])
        docs = [
            {
                "title": chunk_text.get(c["chunk_id"], (c["title"], c["quote"]))[0],
                "text": chunk_text.get(c["chunk_id"], (c["title"], c["quote"]))[1],
            }
            for c in cites
        ]
        output = " ".join(s["text"] + "".join(f"[{n}]" for n in s.get("citations", [])) for s in r.get("sentences", []))
        data.append(
            {
                "id": r["id"],
                "question": r["question"],
                "answer": "; ".join(r.get("key_facts", [])),
                "output": output if not r.get("refused") else r.get("answer", ""),
                "docs": docs,
                "answerable": r.get("answerable"),
            }
        )
    return {"args": {"source": str(run), "judge": metrics.get("judge")}, "data": data}


def export(run: str | Path, out: str | Path | None = None) -> Path:
    path = Path(out) if out else Path(run) / "alce.json"
    path.write_text(json.dumps(to_alce(run), indent=1, ensure_ascii=False), "utf-8")
    return path
