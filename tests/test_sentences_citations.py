"""Table-driven tests of sentence splitting, citation parsing, renumbering and
span finding; the pure modules stay free of numpy."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import qa
from qa.citations import best_span, missing_names, parse_keys, renumber, split_cited, support_score, validate
from qa.sentences import split_sentences


@pytest.mark.parametrize(
    "text, expected",
    [
        ("The U.S. and Mexico agreed. Dr. Downie said so.", ["The U.S. and Mexico agreed.", "Dr. Downie said so."]),
        ('It was 2019. "Quote." Next', ["It was 2019.", '"Quote."', "Next"]),
        ("Title line\n\nBody starts here. Ends.", ["Title line", "Body starts here.", "Ends."]),
        ("Sigrid Arzt, J. Smith wrote it. Yes!", ["Sigrid Arzt, J. Smith wrote it.", "Yes!"]),
        ("about 3.5 percent. then lower case", ["about 3.5 percent. then lower case"]),
        ("", []),
    ],
)
def test_split_sentences(text, expected):
    assert split_sentences(text) == expected


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("Mexico got 1.6 billion [1].", [("Mexico got 1.6 billion.", (1,))]),
        ("A [1, 2]. B [1][2].", [("A.", (1, 2)), ("B.", (1, 2))]),
        ("A claim 【3】.", [("A claim.", (3,))]),
        ("[2] Keys at the start. Then [1].", [("Keys at the start.", (2,)), ("Then.", (1,))]),
        ("Dup [1][1] [1].", [("Dup.", (1,))]),
        ("Range [1-3].", [("Range.", (1, 2, 3))]),
        ("Year (2008) is not a key [1].", [("Year (2008) is not a key.", (1,))]),
        ("Uncited sentence.", [("Uncited sentence.", ())]),
        ("Claim. [4]", [("Claim.", (4,))]),
        ("Passage form (passage 2).", [("Passage form.", (2,))]),
    ],
)
def test_split_cited(raw, expected):
    assert [(p.text, p.keys) for p in split_cited(raw)] == expected


def test_parse_keys_and_validate():
    assert parse_keys("1, 2 and 3") == [1, 2, 3]
    assert validate((1, 7, 2, 2, 0), 4) == ((1, 2), 2)  # 7 and 0 point nowhere; the second 2 is a repeat
    assert validate((1, 1), 1) == ((1,), 0)


def test_renumber_by_first_use():
    nums, mapping = renumber([(3,), (1, 3), (2,)])
    assert nums == [(1,), (2, 1), (3,)]
    assert mapping == {3: 1, 1: 2, 2: 3}


def test_support_score_requires_numbers():
    passage = "In 2008 Congress appropriated $1.6 billion for the Mérida Initiative."
    assert support_score("Congress appropriated 1.6 billion for Merida in 2008", passage) == 1.0
    assert support_score("Congress appropriated 2.5 billion for Merida", passage) == 0.0
    assert support_score("", passage) == 0.0


def test_best_span_picks_shortest_supporting_sentence():
    passage = "The U.S. acted. In 2008, Congress appropriated $1.6 billion for the Mérida Initiative. Other stuff."
    s, e, score = best_span("Congress appropriated 1.6 billion for Merida", passage)
    assert passage[s:e] == "In 2008, Congress appropriated $1.6 billion for the Mérida Initiative."
    assert score == 1.0


@pytest.mark.parametrize(
    "claim,passage,missing",
    [
        (
            "Under President Claudia Sheinbaum, cooperation was close.",
            "Cooperation was close under President Calderón.",
            {"claudia", "sheinbaum"},
        ),
        ("The Mérida Initiative began in 2008.", "In 2008 the Merida Initiative began.", set()),  # accents folded
        ("Cooperation was close.", "Nothing alike.", set()),  # the sentence's first word is not a name
        ("Officials said the DEA left.", "The DEA stayed.", set()),
        ("Later, Peña Nieto's adviser came.", "Enrique Peña Nieto named an adviser.", set()),  # possessive folded
        ("Later, Peña Nieto named him.", "It was Peña Nieto’s choice.", set()),
    ],
)
def test_missing_names(claim, passage, missing):
    assert missing_names(claim, passage) == missing


def test_pure_modules_import_no_numpy():
    pure = ["qa.text", "qa.prompts", "qa.citations", "qa.verify", "qa.commit", "qa.pick", "qa.evaluation.metrics"]
    code = (
        f"import sys; import {', '.join(pure)}; print(sorted(m for m in ('numpy', 'qa.lexical') if m in sys.modules))"
    )
    root = str(Path(qa.__file__).resolve().parent.parent)  # this checkout, not an installed copy
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([root, os.environ.get("PYTHONPATH", "")])}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.strip() == "[]"
