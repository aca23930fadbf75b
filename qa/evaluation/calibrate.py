"""``qa eval calibrate``: fit the answer/refuse decision (``qa.decide``).

Examples come from a finished ``qa eval run`` (its answers.jsonl):
- real: each question with its candidate answer (the supported sentences it
  answered with, or, when it refused, the evidence it had chosen), labelled
  by the dataset (answerable or not); when the run's records carry their own
  decision's inputs (a run made with a calibration), those are used as they
  are: the Yes probability and features the decision actually met;
- wrong passages (synthetic, unanswerable): an answerable question paired
  with the candidate answer of a question whose gold is in another source;
- swapped entity (synthetic, unanswerable): an answerable question whose
  name the candidate answer states is replaced by a name from another
  question, the candidate answer kept.

The model's Yes probability is computed once per example and kept in the
data file (re-runs reuse it). The regression is fitted on odd question ids
and reported on even ones too; the threshold is the highest that wrongly
refuses at most ``--false-refusal`` of the answerable fit examples. Writes
the calibration JSON (with the data file's sha256), the data file, and a
plot of the curve.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from qa import decide
from qa.compose import fit_length
from qa.config import PROJECT_ROOT, Settings
from qa.errors import InputError
from qa.evaluation.calibration_report import plot, report
from qa.prompts import answers_question_messages
from qa.text import names

DEFAULT_DATA = PROJECT_ROOT / "eval" / "calibration" / "data.jsonl"
DEFAULT_PLOT = PROJECT_ROOT / "eval" / "calibration" / "curve.png"

YesFn = Callable[[str, str], float | None]  # (question, answer text) -> P(yes)


def candidate(record: dict[str, Any]) -> list[str]:
    """The answer sentences a record's question was (or would have been) answered with."""
    if not record.get("refused") and record.get("sentences"):
        return [s["text"] for s in record["sentences"]]
    related = [s["text"] for s in record.get("related") or []]
    if related:
        return related
    texts = [ev["text"] for ev in record.get("evidence") or []]
    return [texts[i] for i in fit_length(texts, 4, 130)]


def _number(qid: str) -> int:
    m = re.search(r"\d+", qid)
    return int(m.group(0)) if m else 0


def _gold_sources(record: dict[str, Any]) -> set[str]:
    return {g.get("source_file", "") for g in record.get("gold") or []}


def examples(records: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Real and synthetic examples (without their Yes probability yet)."""
    usable = [r for r in records if "error" not in r and candidate(r)]
    out: list[dict[str, Any]] = []
    for r in usable:
        q = r.get("standalone_question") or r["question"]
        base = {"id": r["id"], "fold": "odd" if _number(r["id"]) % 2 else "even", "question": q}
        real = {**base, "kind": "real", "label": int(bool(r["answerable"])), "sentences": candidate(r)}
        decision = r.get("decision") or {}
        if decision.get("p_yes") is not None and set(decision.get("features") or ()) >= set(decide.FEATURES):
            # what the run's own decision read: the exact inputs it will meet again
            real["run"] = {"p_yes": float(decision["p_yes"]), "features": decision["features"]}
        out.append(real)
    answerable = [r for r in usable if r["answerable"]]
    all_names = sorted({n for r in answerable for n in _proper_names(r["question"])})
    for i, r in enumerate(answerable):
        q = r.get("standalone_question") or r["question"]
        base = {"id": r["id"], "fold": "odd" if _number(r["id"]) % 2 else "even", "question": q, "label": 0}
        # wrong passages: the next answerable question whose gold lies in other sources
        for step in range(1, len(answerable)):
            other = answerable[(i + step * 7) % len(answerable)]
            if other["id"] != r["id"] and not (_gold_sources(other) & _gold_sources(r)):
                out.append({**base, "kind": "wrong_passages", "sentences": candidate(other), "from": other["id"]})
                break
        # swapped entity: a name both the question and its answer state, replaced by another question's name
        text = " ".join(candidate(r))
        for name in _proper_names(q):
            if name in text:
                swaps = [n for n in all_names if n not in text and n not in q]
                if swaps:
                    swap = swaps[(i * 13) % len(swaps)]
                    out.append(
                        {**base, "kind": "swapped_entity", "question": q.replace(name, swap), "sentences": candidate(r)}
                    )
                break
    return out


_NOT_SWAPPED = frozenset(
    [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
        "united",
        "states",
        "mexico",
        "mexican",
        "american",
    ]
)


def _proper_names(question: str) -> list[str]:
    """Capitalised words of ``question`` (not its first word) naming someone or something; not months or the two countries."""
    tokens = re.findall(r"[A-ZÀ-Ý][\wÀ-ÿ'’-]+", question)
    wanted = names(question)
    return [
        t
        for t in tokens[1:]
        if (t.lower().strip("'’s") in wanted or t.lower() in wanted) and t.lower().strip("'’s") not in _NOT_SWAPPED
    ]


def _key(ex: dict[str, Any]) -> str:
    return decide.data_sha256((ex["question"] + "\n" + "\n".join(ex["sentences"])).encode("utf-8"))


def score_examples(
    exs: list[dict[str, Any]], yes: YesFn, cache: dict[str, float], progress: Callable[[int], None] | None = None
) -> list[dict[str, Any]]:
    """Each example with its Yes probability (from ``cache`` when known) and features."""
    out = []
    for i, ex in enumerate(exs):
        k = _key(ex)
        if "run" in ex:
            out.append({**ex, "key": k, "p_yes": ex["run"]["p_yes"], "features": ex["run"]["features"]})
            if progress:
                progress(i + 1)
            continue
        if k not in cache:
            p = yes(ex["question"], " ".join(ex["sentences"]))
            if p is None:
                raise InputError(
                    "this backend cannot give Yes/No probabilities", "calibrate with the llama_cpp backend"
                )
            cache[k] = p
        x = decide.features(ex["question"], ex["sentences"], cache[k])
        out.append({**ex, "key": k, "p_yes": round(cache[k], 6), "features": x})
        if progress:
            progress(i + 1)
    return out


def read_data(path: Path) -> dict[str, float]:
    """Known Yes probabilities by example key, from a previous data file."""
    cache: dict[str, float] = {}
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                row = json.loads(line)
                cache[row["key"]] = float(row["p_yes"])
            except (json.JSONDecodeError, KeyError, TypeError, ValueError):
                continue
    return cache


FEATURE_SETS = (  # candidates, simplest first; calibrate keeps the one that cross-validates best on the odd ids
    ("p_yes_logit",),
    ("p_yes_logit", "novelty"),
    ("p_yes_logit", "novelty", "coverage"),
    decide.FEATURES,
)
FIT_KINDS = ("real", "swapped_entity")  # wrong-passage pairs are too easy (no shared words): reported, not fitted


def _matrix(rows: Sequence[dict[str, Any]], feats: Sequence[str]) -> np.ndarray:
    return np.array([[r["features"][f] for f in feats] for r in rows], dtype=float).reshape(len(rows), len(feats))


def _fit_set(
    rows: Sequence[dict[str, Any]], feats: Sequence[str], false_refusal: float
) -> tuple[np.ndarray, float, float]:
    """Coefficients, intercept and threshold fitted on ``rows`` (threshold from their real examples)."""
    y = np.array([r["label"] for r in rows], dtype=float)
    coef, intercept = decide.fit_logistic(_matrix(rows, feats), y)
    real = [r for r in rows if r["kind"] == "real"]
    p = 1 / (1 + np.exp(-(_matrix(real, feats) @ coef + intercept)))
    return coef, intercept, decide.threshold_for(p, np.array([r["label"] for r in real]), false_refusal)


def cross_validate(
    rows: Sequence[dict[str, Any]], feats: Sequence[str], false_refusal: float, k: int = 5
) -> dict[str, Any]:
    """Held-out refusal rates of ``feats`` on the real examples of ``rows``, by ``k`` folds over question ids."""
    qids = sorted({r["id"] for r in rows})
    fold_of = {q: i % k for i, q in enumerate(qids)}
    refused_neg = refused_pos = n_neg = n_pos = 0
    for f in range(k):
        train = [r for r in rows if fold_of[r["id"]] != f]
        test = [r for r in rows if fold_of[r["id"]] == f and r["kind"] == "real"]
        if not test or len({r["label"] for r in train}) < 2:
            continue
        coef, intercept, t = _fit_set(train, feats, false_refusal)
        p = 1 / (1 + np.exp(-(_matrix(test, feats) @ coef + intercept)))
        y = np.array([r["label"] for r in test])
        refused_neg += int((p[y == 0] < t).sum())
        refused_pos += int((p[y == 1] < t).sum())
        n_neg += int((y == 0).sum())
        n_pos += int((y == 1).sum())
    neg = refused_neg / n_neg if n_neg else 0.0
    pos = refused_pos / n_pos if n_pos else 0.0
    return {
        "features": tuple(feats),
        "unanswerable_refused": neg,
        "answerable_wrongly_refused": pos,
        "score": neg - pos,
    }


def fit(rows: Sequence[dict[str, Any]], false_refusal: float, data_sha: str) -> tuple[decide.Calibration, str]:
    """The calibration fitted on the odd fold (real and swapped-entity examples),
    with the feature set that cross-validates best there, and a report."""
    fit_rows = [r for r in rows if r["fold"] == "odd" and r["kind"] in FIT_KINDS]
    if not any(r["label"] == 1 for r in fit_rows) or not any(r["label"] == 0 for r in fit_rows):
        raise InputError("the odd-id examples need both answerable and unanswerable ones", "use a larger run")
    trials = [cross_validate(fit_rows, feats, false_refusal) for feats in FEATURE_SETS]
    best = max(trials, key=lambda t: (round(t["score"], 6), -len(t["features"])))
    feats = best["features"]
    coef, intercept, threshold = _fit_set(fit_rows, feats, false_refusal)
    cal = decide.Calibration(
        tuple(feats),
        tuple(round(float(c), 6) for c in coef),
        round(intercept, 6),
        round(threshold, 6),
        false_refusal,
        data_sha,
        len(fit_rows),
        "odd question ids of the run: real and swapped-entity examples; features chosen by 5-fold cross-validation",
    )
    lines = ["feature sets, 5-fold cross-validation on the odd ids (held-out real questions):"]
    lines += [
        f"  {', '.join(t['features'])}: unanswerable refused {t['unanswerable_refused']:.2f}, "
        f"answerable wrongly refused {t['answerable_wrongly_refused']:.2f}"
        for t in trials
    ]
    return cal, "\n".join(lines) + "\n" + report(rows, cal)


def calibrate(
    run_dir: str | Path,
    out: str | Path,
    settings: Settings,
    *,
    data: str | Path = DEFAULT_DATA,
    plot_to: str | Path = DEFAULT_PLOT,
    false_refusal: float = 0.08,
    yes: YesFn | None = None,
) -> str:
    """Fit and write the calibration; the report to print."""
    answers = Path(run_dir) / "answers.jsonl"
    if not answers.exists():
        raise InputError(f"{answers} does not exist", "pass the folder of a finished run: qa eval run --out DIR")
    records = [json.loads(line) for line in answers.read_text(encoding="utf-8").splitlines() if line.strip()]
    exs = examples(records)
    data_path = Path(data)
    cache = read_data(data_path)
    if yes is None:
        from qa.backends import make_generator

        checker = make_generator(settings).for_role("check")

        def yes(question: str, answer: str) -> float | None:
            return checker.yes_probability(answers_question_messages(question, answer))

    from tqdm import tqdm

    bar = tqdm(total=len(exs), desc="yes/no probabilities", unit="ex", disable=None)
    rows = score_examples(exs, yes, cache, progress=lambda i: bar.update(1))
    bar.close()
    data_path.parent.mkdir(parents=True, exist_ok=True)
    body = "".join(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n" for r in rows).encode("utf-8")
    tmp = data_path.with_suffix(".tmp")
    tmp.write_bytes(body)
    tmp.replace(data_path)
    cal, text = fit(rows, false_refusal, decide.data_sha256(body))
    out_path = Path(out)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_path.with_suffix(".tmp")
    tmp.write_text(json.dumps(cal.to_json(), indent=2) + "\n", encoding="utf-8")
    tmp.replace(out_path)
    plot(rows, cal, Path(plot_to))
    kinds = {k: sum(r["kind"] == k for r in rows) for k in ("real", "wrong_passages", "swapped_entity")}
    head = f"{len(rows)} examples ({', '.join(f'{k} {v}' for k, v in kinds.items())}); data {data_path}; plot {plot_to}"
    return f"{head}\n{text}\nwrote {out_path}"
