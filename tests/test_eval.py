"""The benchmark: the shipped dataset is valid, metrics match hand-computed
scores on hand-made answers, a run writes its files, compare and ALCE export work."""

from __future__ import annotations

import hashlib
import json
import time
from collections import Counter
from pathlib import Path

import pytest

from qa.errors import InputError
from qa.evaluation.alce import to_alce
from qa.evaluation.compare import compare
from qa.evaluation.dataset import GoldSpan, Item, load_dataset
from qa.evaluation.metrics import aggregate, alce_scores, key_fact_scores, percentile, retrieval_scores, score_answer
from qa.evaluation.runner import run
from qa.fileio import bytes_sha256, file_sha256

ROOT = Path(__file__).resolve().parent.parent
DATASET = ROOT / "eval" / "datasets" / "questions.jsonl"


def test_shipped_dataset_is_valid_and_verbatim():
    items = load_dataset(DATASET)  # raises, listing every non-verbatim quote
    types = Counter(i.type for i in items)
    assert len(items) >= 80 and types["unanswerable"] >= 15 and types["followup"] >= 5
    assert {"fact", "paraphrase", "multi_doc", "multi_passage", "summary"} <= set(types)
    for i in items:
        assert bool(i.gold) == i.answerable and (i.type != "followup" or i.history)
        for g in i.gold:
            assert (ROOT / g.source_file).read_text(encoding="utf-8")[g.start : g.end] == g.quote


def test_dataset_errors_are_all_reported(tmp_path):
    p = tmp_path / "d.jsonl"
    rows = [
        {
            "id": "a",
            "question": "q",
            "answerable": True,
            "gold": [{"source_file": "sources/003_03240e58ad883d7f.txt", "quote": "not in the file"}],
        },
        {"id": "a", "question": "q", "answerable": False},
        "{broken",
    ]
    p.write_text("\n".join(r if isinstance(r, str) else json.dumps(r) for r in rows))
    with pytest.raises(InputError) as err:
        load_dataset(p)
    msg = err.value.message
    assert "not verbatim" in msg and "duplicate id" in msg and "not JSON" in msg


def test_own_questions_load_for_qa_eval_run():
    items = load_dataset(ROOT / "eval" / "datasets" / "own_questions.jsonl")
    assert len(items) >= 100 and {i.raw["split"] for i in items} == {"tune", "heldout"}
    for i in items:
        for g in i.gold:
            assert (ROOT / g.source_file).read_text(encoding="utf-8")[g.start : g.end] == g.quote


FOREIGN = ROOT.parent / "shared" / "foreign"


@pytest.mark.skipif(not FOREIGN.is_dir(), reason="../shared/foreign is not beside this checkout")
def test_a_dataset_on_another_folder_loads_through_the_stored_texts(tmp_path):
    """foreign_questions.jsonl names its documents ("crs_speaker_election_faq.pdf");
    given the index's stored text of each (as `qa eval run` passes them), gold
    spans point into those texts; without them every missing file is reported."""
    from qa.ingest import read_document

    dataset = ROOT / "eval" / "datasets" / "foreign_questions.jsonl"
    names = {g["source_file"] for line in dataset.read_text("utf-8").splitlines() for g in json.loads(line)["gold"]}
    stored = {}
    for name in sorted(names):
        out = tmp_path / f"{Path(name).stem}-extracted.txt"
        out.write_text(read_document(FOREIGN / name, Path(name).stem, max_bytes=10**8).text, encoding="utf-8")
        stored[name] = str(out)
    items = load_dataset(dataset, stored=stored)
    assert len(items) >= 60
    for i in items:
        for g in i.gold:
            assert g.source_file in stored.values()
            assert Path(g.source_file).read_text(encoding="utf-8")[g.start : g.end] == g.quote
    with pytest.raises(InputError) as err:
        load_dataset(dataset)
    assert "'crs_speaker_election_faq.pdf' not found" in err.value.message and "--index" in err.value.fix


class SetJudge:
    """Supports exactly the (premise contains marker) pairs: premise must contain the claim's last word."""

    name, version = "test-judge", "1"

    def supports(self, premise: str, claim: str) -> bool:
        return claim.split()[-1].strip(".").lower() in premise.lower()


GOLD = (GoldSpan("s.txt", 100, 150, "x" * 50),)
HITS = [
    {
        "rank": 1,
        "chunk_id": "c1",
        "source_file": "s.txt",
        "start": 0,
        "end": 90,
        "text": "nothing relevant here",
        "title": "T",
    },
    {
        "rank": 2,
        "chunk_id": "c2",
        "source_file": "s.txt",
        "start": 120,
        "end": 300,
        "text": "the treaty was signed in 2008",
        "title": "T",
    },
    {
        "rank": 3,
        "chunk_id": "c3",
        "source_file": "o.txt",
        "start": 0,
        "end": 50,
        "text": "apples and oranges",
        "title": "O",
    },
]


def answer(sentences, citations, refused=False):
    return {
        "answer": " ".join(s["text"] for s in sentences),
        "refused": refused,
        "sentences": sentences,
        "citations": citations,
        "retrieved": HITS,
        "invalid_citations": 0,
        "timings": {"total_s": 1.0},
    }


def cite(n, chunk, start, end, f="s.txt"):
    return {"n": n, "chunk_id": chunk, "source_file": f, "start": start, "end": end, "quote": "q", "title": "T"}


def test_retrieval_scores_by_hand():
    s = retrieval_scores(HITS, GOLD)
    assert s["first_gold_rank"] == 2 and s["recall@1"] == 0 and s["recall@5"] == 1 and s["rr"] == 0.5


def test_perfect_citation_scores_one():
    a = answer([{"text": "It was signed in 2008.", "citations": [1]}], [cite(1, "c2", 125, 140)])
    s = alce_scores(a, SetJudge())
    assert s["citation_recall"] == 1.0 and s["citation_precision"] == 1.0


def test_irrelevant_extra_citation_lowers_precision():
    a = answer(
        [{"text": "It was signed in 2008.", "citations": [1, 2]}],
        [cite(1, "c2", 125, 140), cite(2, "c3", 0, 10, "o.txt")],
    )
    s = alce_scores(a, SetJudge())
    assert s["citation_recall"] == 1.0 and s["citation_precision"] == 0.5


def test_unsupported_sentence_lowers_recall():
    a = answer(
        [{"text": "It was signed in 2008.", "citations": [1]}, {"text": "It covered bananas.", "citations": [1]}],
        [cite(1, "c2", 125, 140)],
    )
    assert alce_scores(a, SetJudge())["citation_recall"] == 0.5


def test_refusals_counted():
    unans = Item("u", "q", False, (), (), "unanswerable")
    ans = Item("a", "q", True, GOLD, ("2008",), "fact")
    refusal = answer([], [], refused=True)
    assert score_answer(unans, refusal, SetJudge())["correct_refusal"] == 1.0
    s = score_answer(ans, refusal, SetJudge())
    assert s["wrong_refusal"] == 1.0 and s["key_facts_pass"] == 0.0


def test_key_facts_normalised():
    assert key_fact_scores("Over 230000 homicides – since 2007", ["230,000", "2007"])["key_facts_pass"] == 1.0
    assert key_fact_scores("nothing", ["2007"])["key_facts_found"] == 0.0
    assert key_fact_scores("about 6% of deaths", ["6 percent"])["key_facts_pass"] == 1.0
    assert key_fact_scores("squarely on law-enforcement", ["law enforcement"])["key_facts_pass"] == 1.0


def test_evidence_match_and_aggregate():
    ans = Item("a", "q", True, GOLD, ("2008",), "fact")
    a = answer(
        [{"text": "It was signed in 2008.", "citations": [1, 2]}],
        [cite(1, "c2", 125, 140), cite(2, "c3", 0, 10, "o.txt")],
    )
    s = score_answer(ans, a, SetJudge())
    assert s["evidence_match"] == 0.5 and s["cites_gold_source"] == 1.0
    agg = aggregate([{"scores": s, "timings": {"total_s": 2.0}}, {"scores": s, "timings": {"total_s": 4.0}}])
    assert agg["latency"]["total_s"]["p50"] == 3.0 and agg["citations"]["evidence_match"] == 0.5


def _fake_ask(flip: bool):
    def ask(question, history):
        refused = flip and "capital" in question
        return answer(
            [] if refused else [{"text": "It was signed in 2008.", "citations": [1]}],
            [] if refused else [cite(1, "c2", 125, 140)],
            refused=refused,
        )

    return ask


def test_run_compare_and_export(tmp_path):
    src = tmp_path / "s.txt"
    src.write_text("y" * 100 + "the treaty was signed in 2008 " * 10)
    data = tmp_path / "d.jsonl"
    quote = "the treaty was signed in 2008"
    rows = [
        {
            "id": "a",
            "question": "When was it signed?",
            "answerable": True,
            "gold": [{"source_file": str(src), "quote": quote}],
            "key_facts": ["2008"],
            "type": "fact",
            "kind": "when",
            "split": "heldout",
        },
        {
            "id": "b",
            "question": "What is the capital of Peru?",
            "answerable": False,
            "gold": [],
            "key_facts": [],
            "type": "unanswerable",
        },
    ]
    data.write_text("\n".join(json.dumps(r) for r in rows))
    global HITS
    HITS[1] = {**HITS[1], "source_file": str(src)}
    try:
        m1 = run(data, tmp_path / "r1", ask=_fake_ask(False), judge=SetJudge(), progress=False)
        m2 = run(data, tmp_path / "r2", ask=_fake_ask(True), judge=SetJudge(), progress=False)
    finally:
        HITS[1] = {**HITS[1], "source_file": "s.txt"}
    for name in ("answers.jsonl", "metrics.json", "report.md", "scores.png", "latency.png"):
        assert (tmp_path / "r1" / name).exists(), name
    first = json.loads((tmp_path / "r1" / "answers.jsonl").read_text().splitlines()[0])
    assert (first["kind"], first["split"]) == ("when", "heldout")  # carried for per-half reports
    assert m1["overall"]["refusals"]["unanswerable_refused"] == 0.0
    assert m2["overall"]["refusals"]["unanswerable_refused"] == 1.0
    assert m1["judge"]["name"] == "test-judge" and "test-judge" in (tmp_path / "r1" / "report.md").read_text()
    diff = compare(tmp_path / "r1", tmp_path / "r2")
    assert "`b`" in diff and "refused" in diff
    alce = to_alce(tmp_path / "r1")
    assert {"question", "output", "docs"} <= set(alce["data"][0]) and alce["data"][0]["output"].endswith("[1]")


def test_failing_question_recorded_and_run_continues(tmp_path):
    def boom(q, h):
        raise RuntimeError("backend down")

    m = run(DATASET, tmp_path / "r", ask=boom, judge=SetJudge(), limit=2, progress=False)
    assert m["overall"]["errors"] == 2


def test_lexical_judge_sees_the_cited_source_header():
    """A sentence naming the author is supported by that author's passage, not by another's."""
    from qa.verify import LexicalJudge

    hits = [{**HITS[1], "authors": ["Jane Smith"], "date": "2010"}, {**HITS[2], "authors": ["Bob Jones"]}]
    said = {"text": "Smith says the treaty was signed in 2008.", "citations": [1]}
    ok = {**answer([said], [cite(1, "c2", 125, 140)]), "retrieved": hits}
    assert alce_scores(ok, LexicalJudge())["citation_recall"] == 1.0
    wrong = {**answer([said], [cite(1, "c2", 125, 140)]), "retrieved": [{**hits[0], "authors": ["Bob Jones"]}]}
    assert alce_scores(wrong, LexicalJudge())["citation_recall"] == 0.0


class CountingAsk:
    """A fake assistant that records the questions it was asked and can be told to fail at call N."""

    def __init__(self, interrupt_at: int | None = None, fail: set[str] = frozenset()) -> None:
        self.asked: list[str] = []
        self.interrupt_at, self.fail = interrupt_at, fail

    def __call__(self, question, history):
        self.asked.append(question)
        if self.interrupt_at is not None and len(self.asked) == self.interrupt_at:
            raise KeyboardInterrupt
        if question in self.fail:
            raise RuntimeError("backend down")
        return answer([{"text": "It was signed in 2008.", "citations": [1]}], [cite(1, "c2", 125, 140)])


def _lines(path):
    return [json.loads(x) for x in (path / "answers.jsonl").read_text().splitlines()]


def test_an_earlier_run_is_kept_unless_told(tmp_path):
    from qa.evaluation.resume import check_out

    out = tmp_path / "r"
    run(DATASET, out, ask=CountingAsk(), judge=SetJudge(), limit=2, progress=False)
    before = (out / "answers.jsonl").read_bytes()
    with pytest.raises(InputError) as err:
        run(DATASET, out, ask=CountingAsk(), judge=SetJudge(), limit=3, progress=False)
    assert "already holds a run (2 answers)" in err.value.message and "--resume" in err.value.fix
    with pytest.raises(InputError):
        check_out(out)  # the CLI's check, before any model is loaded
    assert (out / "answers.jsonl").read_bytes() == before
    m = run(DATASET, out, ask=CountingAsk(), judge=SetJudge(), limit=3, progress=False, overwrite=True)
    assert m["overall"]["questions"] == 3 and m["resumed_answers"] == 0


def test_an_interrupted_run_resumes_with_only_the_rest_asked(tmp_path):
    from qa.evaluation.runner import RunInterrupted

    items = load_dataset(DATASET)[:5]
    out = tmp_path / "r"
    first = CountingAsk(interrupt_at=3, fail={items[1].question})
    with pytest.raises(RunInterrupted) as err:
        run(DATASET, out, ask=first, judge=SetJudge(), limit=5, progress=False)
    assert "2 of 5 answers are kept" in err.value.message and "--resume" in err.value.fix
    time.sleep(0.3)
    assert len(first.asked) == 3  # the questions not yet started were cancelled
    assert [r["id"] for r in _lines(out)] == [items[0].id, items[1].id] and "error" in _lines(out)[1]
    with open(out / "answers.jsonl", "a") as f:
        f.write('{"id": "' + items[2].id + '", "scores": {"recall@1"')  # a line cut off by a hard kill
    again = CountingAsk()
    m = run(DATASET, out, ask=again, judge=SetJudge(), limit=5, progress=False, resume=True)
    # the failed question and the cut-off one are asked again; the good one is not
    assert again.asked == [i.question for i in items[1:]]
    assert m["resumed_answers"] == 1 and m["overall"]["questions"] == 5 and m["overall"]["errors"] == 0
    assert [r["id"] for r in _lines(out)] == [i.id for i in items]
    straight = run(DATASET, tmp_path / "s", ask=CountingAsk(), judge=SetJudge(), limit=5, progress=False, workers=3)
    assert [r["id"] for r in _lines(tmp_path / "s")] == [i.id for i in items]
    assert m["overall"] == straight["overall"]
    assert "resumed: 1 answers" in (out / "report.md").read_text()


def test_resume_refuses_a_run_made_otherwise(tmp_path):
    out = tmp_path / "r"
    run(
        DATASET,
        out,
        ask=CountingAsk(),
        judge=SetJudge(),
        limit=2,
        progress=False,
        settings_fingerprint={"context_passages": 3, "sources": {"a.txt": "1"}},
        model_info={"sha256": "x", "model_path": "/a"},
    )
    # the same model file elsewhere on disk is the same model
    m = run(
        DATASET,
        out,
        ask=CountingAsk(),
        judge=SetJudge(),
        limit=3,
        progress=False,
        resume=True,
        settings_fingerprint={"context_passages": 3, "sources": {"a.txt": "1"}},
        model_info={"sha256": "x", "model_path": "/b"},
    )
    assert m["resumed_answers"] == 2
    report = (out / "report.md").read_text()
    assert "| context_passages | `3` |" in report and "| `a.txt` | `1` |" in report
    with pytest.raises(InputError) as err:
        run(
            DATASET,
            out,
            ask=CountingAsk(),
            judge=SetJudge(),
            limit=3,
            progress=False,
            resume=True,
            settings_fingerprint={"context_passages": 4, "sources": {"a.txt": "2"}},
            model_info={"sha256": "x"},
        )
    assert "settings.context_passages: 3 → 4" in err.value.message and "settings.sources.a.txt" in err.value.message
    with pytest.raises(InputError) as err:
        run(
            DATASET,
            tmp_path / "r",
            search=lambda q, k, h: HITS,
            judge=SetJudge(),
            limit=3,
            progress=False,
            resume=True,
            settings_fingerprint={"context_passages": 3, "sources": {"a.txt": "1"}},
            model_info={"sha256": "x"},
        )
    assert "mode: 'answers' → 'retrieval-only'" in err.value.message
    (out / "run.json").write_text("{broken")
    with pytest.raises(InputError) as err:
        run(DATASET, out, ask=CountingAsk(), judge=SetJudge(), limit=3, progress=False, resume=True)
    assert "--overwrite" in err.value.fix


def test_compare_names_what_differs_between_runs(tmp_path):
    for name, passages in (("a", 3), ("b", 4)):
        run(
            DATASET,
            tmp_path / name,
            ask=CountingAsk(),
            judge=SetJudge(),
            limit=2,
            progress=False,
            settings_fingerprint={"context_passages": passages},
        )
    diff = compare(tmp_path / "a", tmp_path / "b")
    assert "settings.context_passages: 3 → 4" in diff
    assert "nothing recorded" in compare(tmp_path / "a", tmp_path / "a")


@pytest.mark.parametrize("p", [0, 5, 25, 50, 95, 100])
def test_percentile_matches_numpy(p):
    import numpy as np

    xs = [3.0, 1.0, 4.0, 1.5, 9.0, 2.6, 5.0]
    assert percentile(xs, p) == pytest.approx(float(np.percentile(xs, p)), abs=1e-12)
    assert percentile([7.0], p) == 7.0
    with pytest.raises(ValueError):
        percentile([], p)


def test_sha256_of_a_file_in_blocks_and_of_bytes(tmp_path):
    data = bytes(range(256)) * 40_000  # 10.24 MB: two 8 MiB blocks
    f = tmp_path / "blob.bin"
    f.write_bytes(data)
    seen: list[float] = []
    assert file_sha256(f, seen.append) == bytes_sha256(data) == hashlib.sha256(data).hexdigest()
    assert seen == [(8 << 20) / len(data), 1.0]


def test_a_comparison_counts_as_citing_every_source_only_when_no_side_is_missing():
    from qa.evaluation.metrics import compare_scores

    both = {
        "refused": False,
        "decision": {"kind": "compare"},
        "citations": [{"source_id": "a"}, {"source_id": "b"}],
        "notices": [],
    }
    assert compare_scores(both) == 1.0
    one_side = {
        **both,
        "citations": [{"source_id": "a"}],
        "notices": ["Starr (2012): nothing in this source addresses x."],
    }
    assert compare_scores(one_side) == 0.0
    assert compare_scores({**both, "decision": {"kind": "summary"}}) is None  # not a comparison
    assert compare_scores({**both, "refused": True}) is None
