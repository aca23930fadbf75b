"""The pure parts of drafted decoding: where guesses come from."""

from __future__ import annotations

import json

from qa.backends.drafts import prompt_lookup, schema_example
from qa.prompts import sentences_schema


def test_lookup_copies_what_followed_the_latest_longest_match():
    #          0  1  2  3  4  5  6  7  8  9
    tokens = [5, 6, 7, 8, 9, 1, 6, 7, 2, 3, 6, 7]
    # the tail (6, 7) occurs at 6 and at 1: the latest (6) wins, and what followed it is copied
    assert prompt_lookup(tokens, 3) == [2, 3, 6]
    assert prompt_lookup(tokens, 1) == [2]
    # a longer tail wins over a later shorter one: (1, 6, 7) only matches at 5
    assert prompt_lookup([1, 6, 7, 4, 4, 6, 7, 0, 1, 6, 7], 2) == [4, 4]


def test_lookup_without_a_match_or_history_guesses_nothing():
    assert prompt_lookup([1, 2, 3, 4], 3) == []
    assert prompt_lookup([], 3) == [] and prompt_lookup([7], 3) == []


def test_lookup_stops_at_the_end_of_the_tokens():
    assert prompt_lookup([1, 2, 3, 1], 5) == [2, 3, 1]


def test_schema_example_is_the_answer_skeleton():
    example = json.dumps(schema_example(sentences_schema([1, 2, 3], 3, 0, max_keys=2)), separators=(",", ":"))
    assert example == '{"sentences":[{"passages":[1,1],"text":"x"},{"passages":[1,1],"text":"x"}]}'
    assert schema_example(
        {
            "type": "object",
            "properties": {
                "ok": {"type": "boolean"},
                "n": {"type": "integer"},
                "tags": {"type": "array", "maxItems": 1},
            },
        }
    ) == {"ok": True, "n": 1, "tags": ["x"]}
