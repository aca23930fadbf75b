"""The answer/refuse decision, one for every backend and path (``Decider``):

- a question that asks for a thing is answered only when a committed phrase
  stands (``qa.commit``) and the model's P(yes) that the lead and its quote
  give what is asked is at least ``PHRASE_P_YES_FLOOR``;
- any other question: features of (question, quoted answer) -> one fitted
  logistic regression (``Calibration``) -> answer, or refuse;
- a refusal may quote the chosen sentence most about the question (sharing
  ``PARTIAL_COVERAGE`` of its words) as a partial answer.

P(yes) is read from the backend's Yes/No probabilities
(``Generator.yes_probability``); a backend that gives none is said so in
every decision (and warned once), and its sampled yes/no decides instead.

Features (``features``):
- ``p_yes_logit``: the answer model's probability that the answer "gives the
  information the question asks for", read from its Yes/No logits
  (``Generator.yes_probability``), as a log-odds, clipped to ±6;
- ``novelty``: the largest share, over the answer's sentences, of content
  words and numbers not in the question (an echo of the question has 0);
- ``typed`` / ``type_found``: the question asks for a date, number, person or
  place, and the answer holds one it did not already say;
- ``coverage``: share of the question's content words the answer contains.

The coefficients live in a small JSON file written by ``qa eval calibrate``
(``Calibration``) with the sha256 of the data it was fitted on; a missing or
invalid file means the previous chain (the model's sampled yes/no) decides,
with a warning. Pure: standard library, numpy and ``qa.evidence``'s word tests.
"""

from __future__ import annotations

import hashlib
import json
import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from qa.answer_type import asked_type, holds_type, novelty
from qa.errors import ConfigError
from qa.prompts import answers_question_messages
from qa.text import content_terms

FEATURES = ("p_yes_logit", "novelty", "typed", "type_found", "coverage")
PARTIAL_COVERAGE = 0.34  # a refusal quotes a related sentence only when it holds this share of the question's words
PHRASE_P_YES_FLOOR = 0.2  # a standing phrase is still refused when the model's P(yes) is below this
CALIBRATION_VERSION = 1


def features(question: str, sentences: Sequence[str], p_yes: float) -> dict[str, float]:
    """The decision's inputs for ``sentences`` (the supported answer) to ``question``."""
    text = " ".join(sentences)
    p = min(max(p_yes, 1e-6), 1 - 1e-6)
    kind = asked_type(question)
    return {
        "p_yes_logit": max(-6.0, min(6.0, math.log(p / (1 - p)))),
        "novelty": max((novelty(s, question) for s in sentences), default=0.0),
        "typed": float(bool(kind)),
        "type_found": float(bool(kind) and holds_type(kind, text, question)),
        "coverage": coverage(question, text),
    }


def coverage(question: str, text: str) -> float:
    """Share of the question's content words that ``text`` contains."""
    q_terms = set(content_terms(question))
    return len(q_terms & set(content_terms(text))) / len(q_terms) if q_terms else 0.0


@dataclass(frozen=True)
class Calibration:
    """A fitted decision: P(answerable) = sigmoid(intercept + coef · features); answer when >= threshold."""

    features: tuple[str, ...]
    coef: tuple[float, ...]
    intercept: float
    threshold: float
    target_false_refusal: float
    data_sha256: str
    n_examples: int
    fitted_on: str
    version: int = CALIBRATION_VERSION

    def probability(self, x: Mapping[str, float]) -> float:
        z = self.intercept + sum(c * float(x[f]) for c, f in zip(self.coef, self.features))
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    def answers(self, x: Mapping[str, float]) -> tuple[bool, float]:
        p = self.probability(x)
        return p >= self.threshold, p

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["features"], d["coef"] = list(self.features), list(self.coef)
        return d

    @classmethod
    def from_json(cls, d: Any, where: str = "calibration file") -> Calibration:
        """Validated: known features (a subset, each once) with one coefficient each, finite numbers, a threshold in (0, 1), a data hash."""
        fix = "refit it: qa eval calibrate --run <a qa eval run folder> (see README)"
        if not isinstance(d, dict):
            raise ConfigError(f"{where} is not a JSON object", fix)
        try:
            cal = cls(
                features=tuple(str(f) for f in d["features"]),
                coef=tuple(float(c) for c in d["coef"]),
                intercept=float(d["intercept"]),
                threshold=float(d["threshold"]),
                target_false_refusal=float(d["target_false_refusal"]),
                data_sha256=str(d["data_sha256"]),
                n_examples=int(d["n_examples"]),
                fitted_on=str(d["fitted_on"]),
                version=int(d.get("version", 0)),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(f"{where} is missing or has a bad field: {exc}", fix) from None
        if cal.version != CALIBRATION_VERSION:
            raise ConfigError(f"{where} has version {cal.version}, this code reads {CALIBRATION_VERSION}", fix)
        if (
            not cal.features
            or len(set(cal.features)) != len(cal.features)
            or not set(cal.features) <= set(FEATURES)
            or len(cal.coef) != len(cal.features)
        ):
            raise ConfigError(
                f"{where} names features {list(cal.features)} with {len(cal.coef)} coefficients; "
                f"this code computes {list(FEATURES)}",
                fix,
            )
        if not all(math.isfinite(v) for v in (*cal.coef, cal.intercept)) or not 0 < cal.threshold < 1:
            raise ConfigError(f"{where} holds a non-finite coefficient or a threshold outside (0, 1)", fix)
        if len(cal.data_sha256) != 64:
            raise ConfigError(f"{where} does not name the sha256 of the data it was fitted on", fix)
        return cal


def load_calibration(path: str | Path) -> Calibration:
    """The calibration at ``path``; a ``ConfigError`` saying how to refit when it is missing or invalid."""
    p = Path(path)
    try:
        raw = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"no calibration file at {p}", "run: qa eval calibrate (see README)") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(f"the calibration file {p} is unreadable: {exc}", "refit it: qa eval calibrate") from None
    return Calibration.from_json(raw, str(p))


def check_data(cal: Calibration, data_path: str | Path) -> None:
    """Raise unless ``data_path`` holds exactly the data ``cal`` was fitted on."""
    digest = data_sha256(Path(data_path).read_bytes())
    if digest != cal.data_sha256:
        raise ConfigError(
            f"{data_path} is not the data the calibration was fitted on (sha256 {digest[:12]}…, "
            f"expected {cal.data_sha256[:12]}…)",
            "refit: qa eval calibrate",
        )


def data_sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# ------------------------------------------------------------------ fitting


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 0.1, steps: int = 50) -> tuple[np.ndarray, float]:
    """Logistic regression by Newton's method with an L2 penalty (not on the intercept)."""
    n, d = x.shape
    a = np.hstack([np.ones((n, 1)), x])
    w = np.zeros(d + 1)
    reg = np.eye(d + 1) * l2
    reg[0, 0] = 0.0
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-np.clip(a @ w, -30, 30)))
        grad = a.T @ (p - y) + reg @ w
        hess = (a.T * (p * (1 - p))) @ a + reg + 1e-9 * np.eye(d + 1)
        step = np.linalg.solve(hess, grad)
        w -= step
        if float(np.abs(step).max()) < 1e-8:
            break
    return w[1:], float(w[0])


def threshold_for(probs: np.ndarray, labels: np.ndarray, false_refusal: float) -> float:
    """The highest threshold that refuses at most ``false_refusal`` of the answerable (label 1) examples."""
    pos = np.sort(probs[labels == 1])
    if len(pos) == 0:
        return 0.5
    k = int(math.floor(false_refusal * len(pos)))  # this many answerable may fall below
    t = float(pos[k]) if k < len(pos) else float(pos[-1])
    return min(max(t - 1e-9, 1e-6), 1 - 1e-6)


def rates(probs: np.ndarray, labels: np.ndarray, threshold: float) -> dict[str, float | None]:
    """Refused unanswerable and wrongly refused answerable at ``threshold``."""
    refuse = probs < threshold
    neg, pos = labels == 0, labels == 1
    return {
        "unanswerable_refused": float(refuse[neg].mean()) if neg.any() else None,
        "answerable_wrongly_refused": float(refuse[pos].mean()) if pos.any() else None,
    }


# ------------------------------------------------------------------ the decision


@dataclass(frozen=True)
class Decision:
    """Answer or refuse, who decided, and the inputs (stored in every answer record)."""

    answers: bool
    details: dict[str, Any]


class YesNo(Protocol):
    """What the decision asks of a backend: P(yes) from its logits (None: cannot), else a sampled yes/no."""

    def yes_probability(self, messages: list[dict[str, str]]) -> float | None: ...

    def generate(self, messages: list[dict[str, str]], **kw: Any) -> str: ...

    def yes_no_problem(self) -> str | None: ...


class Decider:
    """The one answer/refuse decision. ``model``: the backend (its "check"
    role), or None for no model check (the lexical judge: the phrase checks
    alone decide, other questions are answered)."""

    def __init__(self, model: YesNo | None, calibration: Calibration | None, problem: str = "") -> None:
        self.model = model
        self.calibration = calibration
        self.problem = problem  # why no calibration is used (said in every decision)
        self._warned = False

    @classmethod
    def from_file(cls, model: YesNo | None, path: str) -> Decider:
        """With the calibration at ``path`` (empty: none); an invalid file warns and is not used."""
        if not path or model is None:
            return cls(model, None)
        try:
            return cls(model, load_calibration(path))
        except ConfigError as err:
            warnings.warn(f"{err.one_line()}; deciding with the sampled yes/no instead", stacklevel=2)
            return cls(model, None, err.one_line())

    def decide(self, question: str, sentences: Sequence[str], phrase_asked: bool, phrase_stands: bool) -> Decision:
        """Answer ``question`` with ``sentences`` (the lead and quotes shown, and an open answer's further
        sentence weighed beside them: ``qa.compose.Composed.beside``), or refuse."""
        if phrase_asked and not phrase_stands:
            return Decision(False, {"by": "phrase", "answers": False, "why": "no checked answer phrase"})
        if self.model is None:
            return Decision(True, {"by": "phrase" if phrase_asked else "none", "answers": True})
        text = " ".join(sentences)
        p_yes = self.model.yes_probability(answers_question_messages(question, text))
        if p_yes is None:
            return self._sampled(question, text)
        if phrase_asked:
            ok = p_yes >= PHRASE_P_YES_FLOOR
            return Decision(ok, {"by": "phrase", "answers": ok, "p_yes": round(p_yes, 4), "floor": PHRASE_P_YES_FLOOR})
        if self.calibration is None:
            ok = p_yes >= 0.5
            return Decision(ok, {"by": "p_yes", "answers": ok, "p_yes": round(p_yes, 4), "warning": self.problem})
        x = features(question, sentences, p_yes)
        ok, prob = self.calibration.answers(x)
        return Decision(
            ok,
            {
                "by": "calibrated",
                "answers": ok,
                "probability": round(prob, 4),
                "threshold": round(self.calibration.threshold, 4),
                "p_yes": round(p_yes, 4),
                "features": {k: round(v, 4) for k, v in x.items()},
            },
        )

    def _sampled(self, question: str, text: str) -> Decision:
        """The backend gives no probabilities: its sampled yes/no decides (said in the record, warned once)."""
        assert self.model is not None
        problem = self.model.yes_no_problem() or "the backend gave none for this prompt"
        why = f"no Yes/No probabilities ({problem}): its sampled yes/no decided (measured worse)"
        if not self._warned:
            warnings.warn(why, stacklevel=3)
            self._warned = True
        out = self.model.generate(answers_question_messages(question, text), max_tokens=3)
        ok = out.strip().lower().startswith("yes")
        return Decision(ok, {"by": "yes-no sampled", "answers": ok, "warning": why})
