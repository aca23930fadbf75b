"""The answer/refuse decision: features, fixed-coefficient decisions computed
by hand, the calibration file's validation and data hash, fitting, and the
partial answer a refusal gives (scripted generator)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from qa import decide
from qa.answer import QA
from qa.config import Settings
from qa.errors import ConfigError
from qa.evaluation.calibrate import candidate, examples, fit
from qa.verify import LexicalJudge
from tests.test_answer_logic import ScriptedGenerator
from tests.test_evidence import HITS, NamingRetriever, ids

SHA = "a" * 64


def cal(**kw) -> decide.Calibration:
    base = dict(
        features=decide.FEATURES,
        coef=(1.0, 2.0, -1.0, 1.5, 0.5),
        intercept=-2.0,
        threshold=0.5,
        target_false_refusal=0.08,
        data_sha256=SHA,
        n_examples=10,
        fitted_on="test",
    )
    return decide.Calibration(**{**base, **kw})


def test_features_of_an_answer_and_of_an_echo():
    q = "When did Calderón take office?"
    x = decide.features(q, ["Calderón took office in December 2006."], 0.8)
    assert x["p_yes_logit"] == pytest.approx(math.log(0.8 / 0.2))
    assert x["typed"] == 1.0 and x["type_found"] == 1.0
    assert x["coverage"] == pytest.approx(2 / 3)  # calderon, office; "take" is not "took"
    echo = decide.features(q, ["When did Calderón take office?"], 0.99)
    assert echo["novelty"] == 0.0 and echo["type_found"] == 0.0
    clipped = decide.features("Who won?", ["Nobody."], 1.0)
    assert clipped["p_yes_logit"] == 6.0 and clipped["typed"] == 1.0


def test_decision_with_fixed_coefficients_matches_hand_computation():
    x = {"p_yes_logit": 1.0, "novelty": 0.5, "typed": 1.0, "type_found": 0.0, "coverage": 0.4}
    z = -2.0 + 1.0 * 1.0 + 2.0 * 0.5 - 1.0 * 1.0 + 1.5 * 0.0 + 0.5 * 0.4
    assert z == pytest.approx(-0.8)
    ok, p = cal().answers(x)
    assert p == pytest.approx(1 / (1 + math.exp(0.8)))
    assert not ok  # 0.31 < 0.5
    ok, p = cal(threshold=0.3).answers(x)
    assert ok


def test_calibration_file_is_validated(tmp_path):
    path = tmp_path / "c.json"
    path.write_text(json.dumps(cal().to_json()))
    assert decide.load_calibration(path) == cal()
    for broken in (
        "not json",
        json.dumps({**cal().to_json(), "coef": [1.0]}),
        json.dumps({**cal().to_json(), "features": ["p_yes_logit", "shoe_size", "a", "b", "c"]}),
        json.dumps({**cal().to_json(), "features": ["p_yes_logit"]}),  # one name, five coefficients
        json.dumps({**cal().to_json(), "threshold": 1.5}),
        json.dumps({**cal().to_json(), "data_sha256": "short"}),
        json.dumps({**cal().to_json(), "version": 99}),
        json.dumps({k: v for k, v in cal().to_json().items() if k != "intercept"}),
    ):
        path.write_text(broken)
        with pytest.raises(ConfigError) as err:
            decide.load_calibration(path)
        assert "calibrate" in err.value.user_message()
    with pytest.raises(ConfigError, match="no calibration file"):
        decide.load_calibration(tmp_path / "missing.json")


def test_data_hash_is_checked(tmp_path):
    data = tmp_path / "data.jsonl"
    data.write_bytes(b'{"x": 1}\n')
    good = cal(data_sha256=decide.data_sha256(b'{"x": 1}\n'))
    decide.check_data(good, data)
    data.write_bytes(b'{"x": 2}\n')
    with pytest.raises(ConfigError, match="not the data the calibration was fitted on"):
        decide.check_data(good, data)


def test_logistic_fit_separates_and_threshold_meets_the_false_refusal_target():
    rng = np.random.default_rng(0)
    x = np.vstack([rng.normal(1.0, 0.5, (40, 1)), rng.normal(-1.0, 0.5, (40, 1))])
    y = np.array([1] * 40 + [0] * 40, dtype=float)
    coef, intercept = decide.fit_logistic(x, y)
    assert coef[0] > 1.0 and abs(intercept) < 1.0
    probs = 1 / (1 + np.exp(-(x[:, 0] * coef[0] + intercept)))
    t = decide.threshold_for(probs, y, 0.05)
    assert decide.rates(probs, y, t)["answerable_wrongly_refused"] <= 0.05


def _record(qid, answerable, sentences, source, refused=False, evidence=()):
    return {
        "id": qid,
        "question": f"Who led the {source} programme in 2010?",
        "answerable": answerable,
        "refused": refused,
        "sentences": [{"text": t} for t in sentences],
        "evidence": [{"text": t} for t in evidence],
        "gold": [{"source_file": source}],
    }


def test_examples_real_and_synthetic_and_fit_on_odd_ids():
    recs = [
        _record(f"q{i:03d}", i % 3 != 0, [f"Alvarez led the programme number {i}."], f"s{i % 4}") for i in range(1, 21)
    ]
    recs.append(_record("q021", True, [], "s1", refused=True, evidence=("Evidence sentence one.", "Two.")))
    assert candidate(recs[-1]) == ["Evidence sentence one.", "Two."]
    exs = examples(recs)
    kinds = {e["kind"] for e in exs}
    assert kinds == {"real", "wrong_passages"}  # no name shared by question and answer: no swap
    assert all(e["label"] == 0 for e in exs if e["kind"] != "real")
    rows = [{**e, "features": decide.features(e["question"], e["sentences"], 0.9 if e["label"] else 0.2)} for e in exs]
    c, text = fit(rows, 0.1, SHA)
    # p_yes alone separates these: the simplest set that cross-validates best is kept
    assert c.features == ("p_yes_logit",) and c.coef[0] > 0 and 0 < c.threshold < 1
    assert "cross-validation" in text and "even ids" in text and "odd ids" in text


# ---------------------------------------------------------------- in the answer path


class YesGenerator(ScriptedGenerator):
    """Scripted outputs, and a fixed Yes probability."""

    def __init__(self, outputs, p_yes):
        super().__init__(outputs)
        self.p_yes = p_yes
        self.asked = 0

    def yes_probability(self, messages):
        self.asked += 1
        return self.p_yes


def make(tmp_path, p_yes, calibration=True):
    path = tmp_path / "cal.json"
    if calibration:
        path.write_text(json.dumps(cal(coef=(1.0, 0.0, 0.0, 0.0, 0.0), intercept=0.0).to_json()))
    gen = YesGenerator([ids(1), "yes"], p_yes)
    s = Settings.load(
        {"judge": "llm", "calibration_file": str(path)},
        env={},
    )
    return QA(s, NamingRetriever(HITS), gen, judge=LexicalJudge()), gen


def test_calibrated_refusal_keeps_the_closest_sentence_as_a_partial_answer(tmp_path):
    qa, gen = make(tmp_path, p_yes=0.1)
    a = qa.ask("Why did Calderón turn to the military instead of the police?")
    assert a.refused and gen.asked == 1
    assert a.decision["by"] == "calibrated" and a.decision["probability"] < 0.5
    assert a.related and a.citations and a.answer.startswith("The sources don't answer this.")
    assert "[1]" in a.answer and not a.sentences
    assert a.to_json()["refused"] is True and a.to_json()["related"]


def test_calibrated_answer_when_probable(tmp_path):
    qa, _ = make(tmp_path, p_yes=0.9)
    a = qa.ask("Why did Calderón use the military?")
    assert not a.refused and a.decision["probability"] > 0.5


def test_missing_calibration_decides_on_p_yes_alone_with_a_warning(tmp_path):
    with pytest.warns(UserWarning, match="no calibration file"):
        qa, gen = make(tmp_path, p_yes=0.1, calibration=False)
    assert qa.decider.calibration is None
    a = qa.ask("Why did Calderón use the military?")
    assert a.refused and a.decision["by"] == "p_yes" and "no calibration file" in a.decision["warning"]
    assert gen.asked == 1


def test_refusal_of_an_unrelated_question_quotes_nothing(tmp_path):
    qa, _ = make(tmp_path, p_yes=0.1)
    a = qa.ask("What is the recipe for a French omelette?")
    assert a.refused and not a.related and not a.citations


def test_refusal_curve_of_a_run():
    from qa.evaluation.report import refusal_curve

    recs = [
        {"answerable": True, "refused": False, "decision": {"probability": 0.9}},
        {"answerable": True, "refused": True, "decision": {"probability": 0.4}},
        {"answerable": False, "refused": False, "decision": {"probability": 0.6}},
        {"answerable": False, "refused": True},  # refused before the decision: stays refused
    ]
    curve = {round(t, 2): (neg, pos) for t, neg, pos in refusal_curve(recs)}
    assert curve[0.3] == (0.5, 0.0)
    assert curve[0.5] == (0.5, 0.5)
    assert curve[0.7] == (1.0, 0.5)
    assert curve[0.95] == (1.0, 1.0)
    assert refusal_curve([{"answerable": True, "refused": False}]) == []
