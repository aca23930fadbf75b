"""Per-question scores and their aggregates. Pure: standard library, records
and the support-judge protocol only. Scores are computed from the answer's
JSON record (the ``qa ask --json`` shape), so any run on disk can be rescored.

Definitions (see eval/README.md):
- retrieval: rank of the first retrieved chunk overlapping a gold span (same
  stored file, overlapping [start, end)); recall@k, MRR; all-evidence@10.
- key facts: share of key facts found (case, quotes, dashes and thousands
  separators normalised); a question passes when all are found.
- ALCE citation recall/precision (Gao et al. 2023): a sentence is recalled
  when the concatenation of its cited passages supports it; a citation is
  imprecise when it alone does not support the sentence and the other
  citations of the sentence still do without it.
- evidence match: share of citations whose span overlaps a gold span; whether
  the answer cites at least one gold source file.
- answer shape (answered questions): words (median), whether the first
  sentence holds a key fact, evidence precision (all citations of answered
  answerable questions pooled: the share quoting a gold span; ALCE precision
  is 1.0 by construction when every sentence quotes itself).
- answer units: answer sentences that are fragments (start mid-sentence or
  end without closing punctuation, list items aside) or non-prose units
  (headings, footnotes, biographies, page furniture: ``qa.units``).
- refusals, invalid citations, latency percentiles (``percentile``: linear
  between the closest ranks, as numpy's default).
"""

from __future__ import annotations

import re
import statistics
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Any

from qa.evaluation.dataset import GoldSpan, Item
from qa.evidence import asks_background
from qa.flaws import answer_sentence_flaws
from qa.frontmatter import asks_front_matter
from qa.leads import as_written, lead_text
from qa.units import BIO, FURNITURE, HEADING
from qa.verify import SupportJudge


def overlaps(a_file: str, a_start: int, a_end: int, g: GoldSpan) -> bool:
    return a_file == g.source_file and a_start < g.end and g.start < a_end


def retrieval_scores(hits: Sequence[dict[str, Any]], gold: Sequence[GoldSpan]) -> dict[str, Any]:
    """First gold rank, recall@1/5/10 flags, reciprocal rank, all evidence in top 10."""
    first = None
    found: set[int] = set()
    for h in hits:
        for i, g in enumerate(gold):
            if overlaps(h["source_file"], h["start"], h["end"], g):
                found.add(i)
                if first is None:
                    first = h["rank"]
    top10 = {
        i
        for h in hits
        if h["rank"] <= 10
        for i, g in enumerate(gold)
        if overlaps(h["source_file"], h["start"], h["end"], g)
    }
    return {
        "first_gold_rank": first,
        "recall@1": float(first is not None and first <= 1),
        "recall@5": float(first is not None and first <= 5),
        "recall@10": float(first is not None and first <= 10),
        "rr": 1.0 / first if first else 0.0,
        "all_evidence@10": float(len(top10) == len(gold)) if gold else None,
    }


_PLAIN = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-", "\u00a0": " "})


def normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower()
    text = text.translate(_PLAIN)
    text = re.sub(r"(?<=\d),(?=\d{3}\b)", "", text)
    text = re.sub(r"(?<=\d)\s*%", " percent", text)  # "6%" is "6 percent"
    text = re.sub(r"(?<=[a-z])-(?=[a-z])", " ", text)  # "law-enforcement" is "law enforcement"
    return " ".join(text.split())


def key_fact_scores(answer_text: str, key_facts: Sequence[str]) -> dict[str, Any]:
    if not key_facts:
        return {"key_facts_found": None, "key_facts_pass": None}
    a = normalise(answer_text)
    found = sum(normalise(k) in a for k in key_facts)
    return {"key_facts_found": found / len(key_facts), "key_facts_pass": float(found == len(key_facts))}


def _passages(answer: dict[str, Any]) -> dict[int, str]:
    """Citation number -> the cited chunk as a reader sees it: a header line
    (title, authors, date; ALCE's documents carry their title too) and the text."""
    chunk_text = {h["chunk_id"]: _with_header(h) for h in answer.get("retrieved", [])}
    return {c["n"]: chunk_text.get(c["chunk_id"], c["quote"]) for c in answer.get("citations", [])}


def _with_header(hit: dict[str, Any]) -> str:
    header = " ".join(
        x for x in (hit.get("title") or "", " ".join(hit.get("authors") or ()), hit.get("date") or "") if x
    )
    return f"{header}\n{hit['text']}" if header else hit["text"]


def alce_scores(answer: dict[str, Any], judge: SupportJudge) -> dict[str, Any]:
    """ALCE citation recall and precision of one answer (None when refused/empty)."""
    sentences = answer.get("sentences") or []
    if answer.get("refused") or not sentences:
        return {"citation_recall": None, "citation_precision": None, "n_sentences": 0, "n_citations": 0}
    passages = _passages(answer)
    recalled = 0
    precise = 0
    n_cites = 0
    for s in sentences:
        cites = [n for n in s.get("citations", []) if n in passages]
        n_cites += len(cites)
        if not cites:
            continue
        joint = judge.supports("\n".join(passages[n] for n in cites), s["text"])
        recalled += joint
        for n in cites:
            if not joint:
                continue  # ALCE: precision counted on recalled sentences only
            alone = judge.supports(passages[n], s["text"])
            rest = [m for m in cites if m != n]
            rest_ok = bool(rest) and judge.supports("\n".join(passages[m] for m in rest), s["text"])
            precise += alone or not rest_ok
    return {
        "citation_recall": recalled / len(sentences),
        "citation_precision": precise / n_cites if n_cites else 0.0,
        "n_sentences": len(sentences),
        "n_citations": n_cites,
    }


def evidence_scores(answer: dict[str, Any], gold: Sequence[GoldSpan]) -> dict[str, Any]:
    cites = answer.get("citations") or []
    if not cites or not gold:
        return {
            "evidence_match": None,
            "cites_gold_source": None if not gold else (0.0 if not answer.get("refused") else None),
        }
    match = sum(any(overlaps(c["source_file"], c["start"], c["end"], g) for g in gold) for c in cites)
    files = {g.source_file for g in gold}
    return {
        "evidence_match": match / len(cites),
        "cites_gold_source": float(any(c["source_file"] in files for c in cites)),
    }


def score_answer(item: Item, answer: dict[str, Any], judge: SupportJudge) -> dict[str, Any]:
    """Every per-question score."""
    scores: dict[str, Any] = {}
    scores.update(retrieval_scores(answer.get("retrieved", []), item.gold) if item.gold else {})
    refused = bool(answer.get("refused"))
    scores["refused"] = float(refused)
    scores["correct_refusal"] = float(refused) if not item.answerable else None
    scores["wrong_refusal"] = float(refused) if item.answerable else None
    if item.answerable:
        scores.update(key_fact_scores(answer.get("answer", "") if not refused else "", item.key_facts))
    scores.update(alce_scores(answer, judge))
    scores.update(evidence_scores(answer, item.gold) if item.answerable else {})
    raw_keys = answer.get("invalid_citations", 0) + sum(
        len(s.get("citations", [])) for s in answer.get("sentences", [])
    )
    scores["invalid_citations"] = answer.get("invalid_citations", 0)
    scores["raw_citation_keys"] = raw_keys
    scores.update(unit_scores(answer))
    scores.update(shape_scores(answer, item))
    scores["compare_every_source"] = compare_scores(answer)
    return scores


def compare_scores(answer: dict[str, Any]) -> float | None:
    """For an answered comparison (``decision.kind`` "compare"): 1.0 when it cites two or more sources
    and says of no compared source that it has nothing on the question; None for any other answer."""
    if answer.get("refused") or (answer.get("decision") or {}).get("kind") != "compare":
        return None
    cited = {c.get("source_id") or c.get("source_file") for c in answer.get("citations") or ()}
    missing = any("nothing in this source addresses" in str(n) for n in answer.get("notices") or ())
    return float(len(cited) >= 2 and not missing)


def shape_scores(answer: dict[str, Any], item: Item) -> dict[str, Any]:
    """The answer's shape (answered questions only): its words, whether its first
    sentence holds a key fact, and how many of its citations quote a gold span."""
    if answer.get("refused") or not answer.get("sentences"):
        return {"answer_words": None, "first_sentence_key_fact": None, "cited_gold": None, "cited": None}
    sentences = answer["sentences"]
    first = normalise(sentences[0].get("text", ""))
    cites = answer.get("citations") or []
    gold_hits = sum(any(overlaps(c["source_file"], c["start"], c["end"], g) for g in item.gold) for c in cites)
    return {
        "answer_words": sum(len(s.get("text", "").split()) for s in sentences),
        "first_sentence_key_fact": float(any(normalise(k) in first for k in item.key_facts))
        if item.answerable and item.key_facts
        else None,
        "cited_gold": gold_hits if item.answerable and item.gold else None,
        "cited": len(cites) if item.answerable and item.gold else None,
    }


def unit_scores(answer: dict[str, Any]) -> dict[str, Any]:
    """How many answer sentences are fragments or non-prose units (``qa.flaws.answer_sentence_flaws``).
    A checked answer phrase shown as the lead ("$100 million.", "July 2012.") is the short answer by
    design, not a quoted sentence: it is not counted. A biography answering a question about someone's
    background ("Where did Downie earn his Ph.D.?") is the kind asked for, not a non-prose slip; so is a
    title block answering who wrote a document or when it was published."""
    phrases = [str(c.get("phrase", "")) for c in answer.get("commitments") or () if c.get("ok")]
    quotes = [" ".join(str(c.get("quote", "")).split()) for c in answer.get("citations") or ()]
    # a lead is shown in its quote's own words ("Five helicopters." for the phrase "5 helicopters")
    leads = {lead_text(p) for p in phrases} | {lead_text(as_written(p, q)) for p in phrases for q in quotes}
    texts = [s.get("text", "") for s in answer.get("sentences", [])]
    question = str(answer.get("standalone_question") or answer.get("question") or "")
    allowed = frozenset({BIO}) if asks_background(question) else frozenset()
    if asks_front_matter(question):  # "Who wrote Federalist No. 2?": the title block is the kind asked for
        allowed = frozenset({BIO, HEADING, FURNITURE})
    flaws = [answer_sentence_flaws(t, allowed) for t in texts if t not in leads]
    return {
        "answer_sentences": len(flaws),
        "fragment_sentences": sum(f for f, _ in flaws),
        "non_prose_sentences": sum(n for _, n in flaws),
    }


def _mean(xs: Iterable[Any]) -> float | None:
    vals = [float(x) for x in xs if x is not None]
    return round(sum(vals) / len(vals), 4) if vals else None


def _median(xs: Iterable[Any]) -> float | None:
    vals = [float(x) for x in xs if x is not None]
    return round(statistics.median(vals), 1) if vals else None


def _ratio(num: Sequence[Any], den: Sequence[Any]) -> float | None:
    n = sum(x for x in num if x is not None)
    d = sum(x for x in den if x is not None)
    return round(n / d, 4) if d else None


def percentile(xs: Sequence[float], p: float) -> float:
    """The ``p``-th percentile (0..100) of ``xs``, linear between the closest ranks (numpy's default)."""
    if not xs:
        raise ValueError("percentile of no values")
    ys = sorted(xs)
    k = (len(ys) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ys) - 1)
    return ys[lo] + (ys[hi] - ys[lo]) * (k - lo)


def aggregate(records: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Aggregate metrics over per-question records (each has 'scores', 'timings')."""
    ok = [r for r in records if not r.get("error")]
    sc = [r["scores"] for r in ok]
    get = lambda k: [s.get(k) for s in sc]  # noqa: E731
    out: dict[str, Any] = {
        "questions": len(records),
        "errors": len(records) - len(ok),
        "retrieval": {
            "recall@1": _mean(get("recall@1")),
            "recall@5": _mean(get("recall@5")),
            "recall@10": _mean(get("recall@10")),
            "mrr": _mean(get("rr")),
            "all_evidence@10": _mean(get("all_evidence@10")),
        },
        "answer": {
            "key_fact_accuracy": _mean(get("key_facts_pass")),
            "key_facts_found": _mean(get("key_facts_found")),
            "words_median": _median(get("answer_words")),
            "first_sentence_key_fact": _mean(get("first_sentence_key_fact")),
            "evidence_precision": _ratio(get("cited_gold"), get("cited")),
            "comparisons_citing_every_source": _mean(get("compare_every_source")),
        },
        "citations": {
            "alce_recall": _mean(get("citation_recall")),
            "alce_precision": _mean(get("citation_precision")),
            "evidence_match": _mean(get("evidence_match")),
            "cites_gold_source": _mean(get("cites_gold_source")),
            "invalid_rate": _ratio(get("invalid_citations"), get("raw_citation_keys")),
        },
        "answer_units": {
            "sentences": sum(x or 0 for x in get("answer_sentences")),
            "fragments": sum(x or 0 for x in get("fragment_sentences")),
            "non_prose": sum(x or 0 for x in get("non_prose_sentences")),
        },
        "refusals": {
            "unanswerable_refused": _mean(get("correct_refusal")),
            "answerable_wrongly_refused": _mean(get("wrong_refusal")),
        },
    }
    lat: dict[str, Any] = {}
    pipelines = [r.get("pipeline") or r.get("path") for r in ok]
    out["pipeline"] = {
        "evidence": sum(p == "evidence" for p in pipelines),
        "single": sum(p == "single" for p in pipelines),
        "fallback": sum(p == "fallback" for p in pipelines),
        "partial_answers": sum(bool(r.get("related")) for r in ok),
        "rejected_sentences": sum(int(r.get("rejected_sentences") or 0) for r in ok),
        "removed_sentences": sum(len(r.get("removed_sentences") or ()) for r in ok),
    }
    for stage in (
        "retrieve_s",
        "rewrite_s",
        "prescore_s",
        "select_s",
        "first_evidence_s",
        "first_token_s",
        "generate_s",
        "verify_s",
        "total_s",
    ):
        xs = [r.get("timings", {}).get(stage) for r in ok]
        xs = [x for x in xs if x is not None]
        if xs:
            lat[stage] = {
                "p50": round(percentile(xs, 50), 3),
                "p95": round(percentile(xs, 95), 3),
                "mean": round(statistics.fmean(xs), 3),
            }
    out["latency"] = lat
    toks = [r.get("model", {}).get("completion_tokens") for r in ok]
    toks = [t for t in toks if t]
    out["tokens"] = {"completion_mean": round(statistics.fmean(toks), 1) if toks else None}
    return out


def by_type(records: Sequence[dict[str, Any]], field: str = "type") -> dict[str, dict[str, Any]]:
    """Aggregates per value of ``field`` (the question type, or a dataset's kind or split)."""
    types = sorted({str(r.get(field) or "?") for r in records})
    return {t: aggregate([r for r in records if str(r.get(field) or "?") == t]) for t in types}
