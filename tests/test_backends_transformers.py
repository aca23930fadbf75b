"""The transformers backend loading the packaged GGUF (marked ``model`` and
``slow``): dequantised to bfloat16 on the CPU, about 5.5 GB at its peak. In a
module of its own, so no llama.cpp model (about 1.7 GB more) is alive beside it
(tests/conftest.py frees each module's models when it ends)."""

from __future__ import annotations

import pytest

from qa.backends import make_generator
from qa.config import MODEL_SHA256, Settings

HELLO = [{"role": "user", "content": "Count from 1 to 5, separated by commas. Nothing else."}]


@pytest.mark.model
@pytest.mark.slow
def test_transformers_backend_loads_the_same_gguf():
    gen = make_generator(Settings.load({"n_threads": 1, "backend": "transformers"}, env={}))
    pieces = list(gen.stream(HELLO, max_tokens=5))
    assert pieces and "".join(pieces).startswith("1") and all(pieces)
    assert gen.generate(HELLO, max_tokens=5, stop=[","]) == "1"  # stops early, lock released
    assert gen.info()["sha256"] == MODEL_SHA256 and gen.count_tokens("hello world") == 2
    # P(yes) from its logits, as llama.cpp reads it (no llama.cpp model alive here: memory)
    from qa.prompts import answers_question_messages

    yes = gen.yes_probability(answers_question_messages("When was it announced?", "It was announced in October 2007."))
    no = gen.yes_probability(answers_question_messages("When was it announced?", "Congress paid $1.6 billion for it."))
    assert yes is not None and no is not None and yes > no, (yes, no)
    assert gen.yes_no_problem() is None
