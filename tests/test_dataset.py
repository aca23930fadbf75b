"""The evaluation sets (eval/datasets/questions.jsonl, own_questions.jsonl,
foreign_questions.jsonl and the fresh sets own_/foreign_fresh_questions.jsonl) and the metadata sidecar (sources/metadata.json) are
well formed. These tests read the files directly; only the foreign set's PDF
and HTML documents are read through the project's extraction
(qa.ingest.read_document), whose text is what the index stores and quotes."""

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


# ---------------------------------------------------------------------------
# The independently written sets: own_questions.jsonl (the five articles) and
# foreign_questions.jsonl (../shared/foreign). Every question has a kind and a
# tune/heldout split; near-miss unanswerable questions carry the sentence they
# are near to.

OWN = ROOT / "eval" / "datasets" / "own_questions.jsonl"
FOREIGN_SET = ROOT / "eval" / "datasets" / "foreign_questions.jsonl"
FOREIGN_DIR = ROOT.parent / "shared" / "foreign"
FACT_KINDS = {"who", "when", "where", "how_many", "which", "definition", "topic", "other"}
BROAD_KINDS = {"summary", "comparison", "list", "two_part"}
KINDS_BY_TYPE = {
    "fact": FACT_KINDS,
    "paraphrase": FACT_KINDS,
    "summary": {"summary", "list"},
    "multi_doc": {"comparison", "two_part"},
    "multi_passage": {"comparison", "two_part"},
    "unanswerable": {"near_miss"},
}
SPLITS = ("tune", "heldout")
# (file, id prefix, id width, first id number)
INDEPENDENT = {
    "own": (OWN, "o", 3, 1),
    "foreign": (FOREIGN_SET, "f", 2, 1),
    # written later, on both corpora, by reading the documents alone (no answers seen): one file per corpus
    "own_fresh": (ROOT / "eval" / "datasets" / "own_fresh_questions.jsonl", "n", 3, 1),
    "foreign_fresh": (ROOT / "eval" / "datasets" / "foreign_fresh_questions.jsonl", "n", 3, 31),
}


def _read_rows(path: Path) -> list[dict]:
    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            row = json.loads(line)
            assert isinstance(row, dict), f"{path.name} line {n}: not a JSON object"
            rows.append(row)
    return rows


def _norm(s: str) -> str:
    return " ".join(s.split()).lower()


class StoredTexts:
    """The stored text each gold/near ``source_file`` of a set quotes: a path
    from the project root for the shipped articles; a file name in
    ../shared/foreign for the foreign set (a PDF's or HTML page's extracted text)."""

    def __init__(self, which: str) -> None:
        self.which = which
        self.cache: dict[str, str | None] = {}

    def __call__(self, source_file: str) -> str | None:
        if source_file not in self.cache:
            self.cache[source_file] = self._read(source_file)
        return self.cache[source_file]

    def _read(self, source_file: str) -> str | None:
        if self.which.startswith("own"):
            path = ROOT / source_file
            ok = path.parent == SOURCES and path.suffix == ".txt" and path.is_file()
            return path.read_text(encoding="utf-8") if ok else None
        path = FOREIGN_DIR / source_file
        if Path(source_file).name != source_file or not path.is_file():
            return None
        from qa.ingest import read_document

        return read_document(path, path.stem, max_bytes=10**8).text


@pytest.fixture(scope="module", params=sorted(INDEPENDENT))
def independent(request) -> tuple[str, list[dict], StoredTexts]:
    which = request.param
    if which.startswith("foreign") and not FOREIGN_DIR.is_dir():
        pytest.skip(f"{FOREIGN_DIR} is not beside this checkout")
    return which, _read_rows(INDEPENDENT[which][0]), StoredTexts(which)


def test_independent_fields_kinds_and_splits(independent):
    which, rows, _ = independent
    errors = []
    for n, r in enumerate(rows, start=1):
        rid = r.get("id", f"row {n}")
        for name, typ in {**FIELDS, "kind": str, "split": str}.items():
            if not isinstance(r.get(name), typ):
                errors.append(f"{rid}: {name!r} missing or not {typ.__name__}")
        if r.get("type") not in KINDS_BY_TYPE:
            errors.append(f"{rid}: unknown type {r.get('type')!r}")
        elif r.get("kind") not in KINDS_BY_TYPE[r["type"]]:
            errors.append(f"{rid}: kind {r.get('kind')!r} does not fit type {r['type']!r}")
        if r.get("split") not in SPLITS:
            errors.append(f"{rid}: split must be tune or heldout, got {r.get('split')!r}")
        if not str(r.get("question", "")).strip():
            errors.append(f"{rid}: empty question")
    assert not errors, "\n".join(errors)


def test_independent_ids_unique_and_prefixed(independent):
    which, rows, _ = independent
    _, prefix, width, first = INDEPENDENT[which]
    ids = [r["id"] for r in rows]
    assert len(set(ids)) == len(ids), f"duplicate ids: {sorted(i for i, c in Counter(ids).items() if c > 1)}"
    assert ids == [f"{prefix}{n:0{width}d}" for n in range(first, first + len(ids))], (
        f"ids should run {prefix}{first:0{width}d}, ..."
    )


def test_independent_quotes_verbatim_and_once(independent):
    """Gold and near quotes occur exactly once, byte for byte, in their stored text."""
    which, rows, text_of = independent
    errors = []
    for r in rows:
        for key in ("gold", "near"):
            for g in r.get(key) or []:
                if not (isinstance(g, dict) and isinstance(g.get("quote"), str) and g["quote"].strip()):
                    errors.append(f"{r['id']}: {key} entry needs a non-empty quote: {g!r}")
                    continue
                text = text_of(str(g.get("source_file")))
                if text is None:
                    errors.append(f"{r['id']}: {key} source not found: {g.get('source_file')!r}")
                elif text.count(g["quote"]) != 1:
                    n = text.count(g["quote"])
                    errors.append(f"{r['id']}: {key} quote occurs {n} times in {g['source_file']}: {g['quote'][:70]!r}")
    assert not errors, f"{len(errors)} bad quote(s):\n" + "\n".join(errors)


def test_independent_answerable_shape(independent):
    """Answerable: gold evidence, key facts each inside a gold quote (broad ones
    2-4, one gold quote per fact at least). Near-miss: no gold or key facts,
    at least one near quote."""
    which, rows, _ = independent
    errors = []
    for r in rows:
        rid, gold, keys = r["id"], r["gold"], r["key_facts"]
        if r["answerable"]:
            if r["type"] == "unanswerable" or not gold:
                errors.append(f"{rid}: answerable needs gold evidence and an answerable type")
            broad = r["kind"] in BROAD_KINDS
            lo, hi = (2, 4) if broad else (1, 3)
            if not lo <= len(keys) <= hi:
                errors.append(f"{rid}: {len(keys)} key facts, want {lo}-{hi}")
            if broad and len(gold) < len(keys):
                errors.append(f"{rid}: a broad question needs a gold quote per fact")
            for k in keys:
                if not (isinstance(k, str) and k.strip() and any(_norm(k) in _norm(g["quote"]) for g in gold)):
                    errors.append(f"{rid}: key fact {k!r} is in none of its gold quotes")
            if r.get("near"):
                errors.append(f"{rid}: only unanswerable questions carry near quotes")
        else:
            if gold or keys or r["type"] != "unanswerable" or r["kind"] != "near_miss":
                errors.append(f"{rid}: unanswerable needs type unanswerable, kind near_miss, no gold or key facts")
            if not r.get("near"):
                errors.append(f"{rid}: a near-miss question needs the quote it is near to")
    assert not errors, "\n".join(errors)


def test_independent_halves_hold_every_kind(independent):
    """Splits alternate within each kind: both halves hold every kind that has
    two or more questions, in sizes that differ by at most one."""
    which, rows, _ = independent
    per_kind = Counter((r["kind"], r["split"]) for r in rows)
    kinds = Counter(r["kind"] for r in rows)
    uneven = [
        (k, per_kind[(k, "tune")], per_kind[(k, "heldout")])
        for k, n in kinds.items()
        if n >= 2 and (abs(per_kind[(k, "tune")] - per_kind[(k, "heldout")]) > 1 or not per_kind[(k, "heldout")])
    ]
    assert not uneven, f"kinds split unevenly (kind, tune, heldout): {uneven}"


def test_independent_counts(independent):
    which, rows, _ = independent
    kinds = Counter(r["kind"] for r in rows)
    near = kinds["near_miss"]
    broad = sum(kinds[k] for k in BROAD_KINDS)
    answerable = sum(r["answerable"] for r in rows)
    if which.endswith("fresh"):  # fact and paraphrase questions and near misses, 30 per corpus
        assert len(rows) == 30 and near == 10 and answerable == 20 and broad == 0, (len(rows), near, answerable)
        return
    if which == "own":
        facts = sum(r["type"] == "fact" for r in rows)
        assert facts >= 40 and near >= 45 and broad >= 20, f"facts {facts}, near-miss {near}, broad {broad}"
        assert {r["kind"] for r in rows if r["type"] == "fact"} == FACT_KINDS
        used = {g["source_file"] for r in rows for g in r["gold"] + r.get("near", [])}
        assert used == {f"sources/{p.name}" for p in SOURCES.glob("*.txt")}, "every article should be asked about"
    else:
        assert answerable >= 40 and near >= 25 and broad >= 10, f"answerable {answerable}, near {near}, broad {broad}"
        assert {p.name for p in FOREIGN_DIR.glob("*") if p.name != "README.md"} <= {
            g["source_file"] for r in rows for g in r["gold"]
        }, "every foreign document should be asked about"
    assert set(kinds) >= BROAD_KINDS, f"broad kinds missing: {sorted(BROAD_KINDS - set(kinds))}"
