"""The shipped evaluation set (eval/datasets/questions.jsonl) and the metadata
sidecar (sources/metadata.json) are well formed. Standard library + pytest only:
these tests read the files directly and do not import the project package."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATASET = ROOT / "eval" / "datasets" / "questions.jsonl"
SOURCES = ROOT / "sources"
METADATA = SOURCES / "metadata.json"

TYPES = {"fact", "paraphrase", "multi_passage", "multi_doc", "summary", "followup", "unanswerable"}
FIELDS = {"id": str, "question": str, "answerable": bool, "gold": list, "key_facts": list, "type": str}


@pytest.fixture(scope="module")
def rows() -> list[dict]:
    """Every non-blank line parsed; a line that is not a JSON object fails here, with its number."""
    bad, out = [], []
    for n, line in enumerate(DATASET.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            bad.append(f"line {n}: not JSON ({exc.msg})")
            continue
        if not isinstance(row, dict):
            bad.append(f"line {n}: not a JSON object")
            continue
        out.append(row)
    assert not bad, "\n".join(bad)
    return out


def _text(source_file: str, cache: dict[str, str | None]) -> str | None:
    if source_file not in cache:
        path = ROOT / source_file
        cache[source_file] = path.read_text(encoding="utf-8") if path.is_file() else None
    return cache[source_file]


def test_fields_and_types(rows):
    errors = []
    for n, r in enumerate(rows, start=1):
        rid = r.get("id", f"row {n}")
        for name, typ in FIELDS.items():
            if name not in r:
                errors.append(f"{rid}: missing {name!r}")
            elif not isinstance(r[name], typ):
                errors.append(f"{rid}: {name!r} should be {typ.__name__}, got {type(r[name]).__name__}")
        if isinstance(r.get("question"), str) and not r["question"].strip():
            errors.append(f"{rid}: empty question")
        if isinstance(r.get("type"), str) and r["type"] not in TYPES:
            errors.append(f"{rid}: unknown type {r['type']!r}")
        for g in r.get("gold") or []:
            if not (
                isinstance(g, dict)
                and isinstance(g.get("source_file"), str)
                and isinstance(g.get("quote"), str)
                and g["quote"].strip()
            ):
                errors.append(f"{rid}: gold entry needs non-empty string source_file and quote: {g!r}")
        if isinstance(r.get("key_facts"), list) and not all(isinstance(k, str) and k.strip() for k in r["key_facts"]):
            errors.append(f"{rid}: key_facts must be non-empty strings")
        if "history" in r:
            h = r["history"]
            if not isinstance(h, list) or not all(
                isinstance(t, dict)
                and t.get("role") in ("user", "assistant")
                and isinstance(t.get("content"), str)
                and t["content"].strip()
                for t in h
            ):
                errors.append(f"{rid}: history must be a list of {{role: user|assistant, content: str}}")
    assert not errors, "\n".join(errors)


def test_ids_unique_and_sequential(rows):
    ids = [r.get("id") for r in rows]
    dupes = sorted(i for i, c in Counter(ids).items() if c > 1)
    assert not dupes, f"duplicate ids: {dupes}"
    assert ids == [f"q{n:03d}" for n in range(1, len(ids) + 1)], "ids should run q001, q002, ... in order"


def test_gold_quotes_are_verbatim(rows):
    cache: dict[str, str | None] = {}
    errors = []
    for r in rows:
        for g in r.get("gold") or []:
            text = _text(g["source_file"], cache)
            if text is None:
                errors.append(f"{r['id']}: source file not found: {g['source_file']}")
            elif g["quote"] not in text:
                errors.append(f"{r['id']}: quote not verbatim in {g['source_file']}: {g['quote']!r}")
    assert not errors, f"{len(errors)} non-verbatim gold quote(s):\n" + "\n".join(errors)


def test_gold_sources_are_shipped_texts(rows):
    shipped = {f"sources/{p.name}" for p in SOURCES.glob("*.txt")}
    used = {g["source_file"] for r in rows for g in r["gold"]}
    assert used <= shipped, f"gold points outside sources/*.txt: {sorted(used - shipped)}"
    assert shipped <= used, f"sources with no question: {sorted(shipped - used)}"


def test_answerable_consistency(rows):
    errors = []
    for r in rows:
        if r["answerable"]:
            if not r["gold"]:
                errors.append(f"{r['id']}: answerable but no gold evidence")
            if not 1 <= len(r["key_facts"]) <= 3:
                errors.append(f"{r['id']}: answerable questions need 1-3 key facts")
            if r["type"] == "unanswerable":
                errors.append(f"{r['id']}: type unanswerable but answerable is true")
        else:
            if r["gold"] or r["key_facts"]:
                errors.append(f"{r['id']}: unanswerable question must have empty gold and key_facts")
            if r["type"] != "unanswerable":
                errors.append(f"{r['id']}: answerable is false but type is {r['type']!r}")
    assert not errors, "\n".join(errors)


def test_key_facts_appear_in_gold(rows):
    """Each key fact is stated by the evidence (case and line breaks ignored)."""

    def norm(s: str) -> str:
        return " ".join(s.split()).lower()

    errors = [
        f"{r['id']}: key fact {k!r} is in none of its gold quotes"
        for r in rows
        if r["answerable"]
        for k in r["key_facts"]
        if not any(norm(k) in norm(g["quote"]) for g in r["gold"])
    ]
    assert not errors, "\n".join(errors)


def test_evidence_shape_matches_type(rows):
    errors = []
    for r in rows:
        files = {g["source_file"] for g in r["gold"]}
        if r["type"] == "multi_doc" and len(files) < 2:
            errors.append(f"{r['id']}: multi_doc needs gold from at least two documents")
        if r["type"] == "multi_passage" and (len(r["gold"]) < 2 or len(files) != 1):
            errors.append(f"{r['id']}: multi_passage needs two or more passages of one document")
    assert not errors, "\n".join(errors)


def test_counts(rows):
    types = Counter(r["type"] for r in rows)
    assert len(rows) >= 80, f"only {len(rows)} questions"
    assert sum(not r["answerable"] for r in rows) >= 15, f"too few unanswerable questions: {types}"
    assert set(types) >= TYPES, f"types missing: {sorted(TYPES - set(types))}"


def test_followups_have_history(rows):
    missing = [r["id"] for r in rows if r["type"] == "followup" and not r.get("history")]
    assert not missing, f"followup questions without history: {missing}"
    for r in rows:
        if r.get("history"):
            assert r["history"][0]["role"] == "user", f"{r['id']}: history should start with the user's turn"


def test_metadata_covers_every_source():
    meta = json.loads(METADATA.read_text(encoding="utf-8"))
    assert isinstance(meta, dict)
    texts = {p.name for p in SOURCES.glob("*.txt")}
    assert texts, "no .txt sources found"
    missing = sorted(texts - set(meta))
    assert not missing, f"sources without metadata: {missing}"
    extra = sorted(name for name in meta if not (SOURCES / name).is_file())
    assert not extra, f"metadata entries for files that do not exist: {extra}"
    errors = []
    for name, m in meta.items():
        if not isinstance(m, dict) or not isinstance(m.get("title"), str) or not m["title"].strip():
            errors.append(f"{name}: needs a non-empty title")
            continue
        if not isinstance(m.get("authors", []), list) or not all(isinstance(a, str) for a in m.get("authors", [])):
            errors.append(f"{name}: authors must be a list of strings")
        for key in ("publisher", "date", "url"):
            if m.get(key) is not None and not isinstance(m[key], str):
                errors.append(f"{name}: {key} must be a string or null")
        date = m.get("date")
        if date is not None and not re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", date):
            errors.append(f"{name}: date {date!r} is not YYYY, YYYY-MM or YYYY-MM-DD")
    assert not errors, "\n".join(errors)
