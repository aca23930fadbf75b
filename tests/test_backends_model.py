"""Generation backends on the real model (marked ``model``): llama.cpp on the
packaged GGUF (drafted decoding and the grammar-first pick against
llama-cpp-python's own loop), the OpenAI client against a real
llama_cpp.server. Transformers on the same GGUF is in test_backends_transformers.py
(its own module, so that no llama.cpp model is loaded beside it)."""

from __future__ import annotations

import json
import threading

import pytest

from qa.backends import make_generator
from qa.config import MODEL_SHA256, Settings
from qa.errors import BackendError

HELLO = [{"role": "user", "content": "Count from 1 to 5, separated by commas. Nothing else."}]
SCHEMA = {
    "type": "object",
    "properties": {"city": {"type": "string"}, "year": {"type": "integer"}},
    "required": ["city", "year"],
}
CITY = [{"role": "user", "content": "Mérida was founded in 1542. Give the city and the year as JSON."}]


def settings(**kw) -> Settings:
    # one thread: two llama.cpp threads on 2 shared cores stall each other when another process is busy
    return Settings.load({"n_threads": 1, **kw}, env={})


# ---------------------------------------------------------------- llama.cpp on the real model


@pytest.fixture(scope="module")
def llama():
    return make_generator(settings(backend="llama_cpp"))


@pytest.mark.model
def test_llama_cpp_streams_deterministically(llama):
    pieces = list(llama.stream(HELLO, max_tokens=16))
    assert len(pieces) > 1 and "1, 2, 3" in "".join(pieces)
    assert llama.generate(HELLO, max_tokens=16) == "".join(pieces)  # temperature 0: same answer again
    assert llama.generate(HELLO, max_tokens=16, stop=["3"]).rstrip(", ") == "1, 2"
    info = llama.info()
    assert info["backend"] == "llama_cpp" and info["sha256"] == MODEL_SHA256 and info["n_ctx"] == 4096
    assert 1 <= llama.count_tokens("hello world") <= 3


@pytest.mark.model
def test_llama_cpp_json_schema_is_enforced(llama):
    obj = json.loads(llama.generate(CITY, max_tokens=40, json_schema=SCHEMA))
    assert set(obj) >= {"city", "year"} and isinstance(obj["city"], str) and isinstance(obj["year"], int)


@pytest.mark.model
def test_llama_cpp_is_shared_and_safe_across_threads(llama):
    other = make_generator(settings(backend="llama_cpp", max_new_tokens=8))
    assert other._shared is llama._shared  # loaded once per process
    outs: list[str] = []
    threads = [threading.Thread(target=lambda: outs.append(other.generate(HELLO))) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert len(outs) == 2 and outs[0] == outs[1] and outs[0].startswith("1, 2")


@pytest.mark.model
def test_llama_cpp_roles_keep_their_own_state_in_one_model(llama):
    judge = llama.for_role("judge")
    assert judge is llama.for_role("judge") and judge.for_role("answer") is llama
    assert judge._shared is llama._shared  # one copy of the weights, one lock
    first = llama.generate(HELLO, max_tokens=16)
    held = llama._shared.model.n_tokens
    assert held > llama.count_tokens(HELLO[-1]["content"])  # the whole chat is in the KV cache
    assert judge.generate(CITY, max_tokens=40, json_schema=SCHEMA)
    assert llama._shared.active_role == "judge" and "answer" in llama._shared.saved  # set aside, not lost
    with llama._shared.lock:
        model = llama._take_model()
        assert model.n_tokens == held and "judge" in llama._shared.saved  # copied back, the judge's set aside
    # the restored KV cache is the real one: the same prompt continues to the same reply
    assert llama.generate(HELLO, max_tokens=16) == first


@pytest.mark.model
def test_llama_cpp_top_token_first_grammar_picks_the_same_tokens(llama):
    from qa.backends.llama_internals import install_grammar_first_pick
    from qa.prompts import sentences_schema

    model = llama._shared.model
    passages = (
        "Passages:\n[1] The Merida Initiative was announced in October 2007.\n"
        "[2] Congress appropriated $1.6 billion for it over three years.\n\n"
        "Question: when was the Merida Initiative announced, and how much was appropriated?"
    )
    asks = [CITY, [{"role": "user", "content": passages}]]
    schemas = [SCHEMA, sentences_schema([1, 2], 3, 1, max_keys=2)]
    own_loop = make_generator(settings(backend="llama_cpp", draft_tokens=0))  # llama-cpp-python's loop, same model
    assert own_loop._shared is llama._shared
    fast = [own_loop.generate(m, max_tokens=100, json_schema=s) for m, s in zip(asks, schemas)]
    try:
        model._init_sampler = type(model)._init_sampler.__get__(model)  # llama-cpp-python's own chain
        plain = [own_loop.generate(m, max_tokens=100, json_schema=s) for m, s in zip(asks, schemas)]
    finally:
        del model._init_sampler
        install_grammar_first_pick(model)  # the shared model gets the fast pick back
    assert fast == plain
    assert json.loads(fast[0])["year"] == 1542 and json.loads(fast[1])["sentences"]
    assert fast[0].startswith('{"city":') and fast[1].startswith('{"sentences":[{"passages":[')  # compact JSON


@pytest.mark.model
def test_llama_cpp_drafted_decoding_gives_the_greedy_output(llama):
    """Prompt-lookup drafts change the speed, not the tokens: the same text as
    llama-cpp-python's own greedy loop, with and without a grammar, and the
    KV cache stays right for the next call."""
    from qa.backends import llama_drafted
    from qa.prompts import sentences_schema

    own_loop = make_generator(settings(backend="llama_cpp", draft_tokens=0))
    passages = (
        "Passages:\n[1] The Merida Initiative was announced in October 2007 by Presidents Bush and "
        "Calderon.\n[2] Congress appropriated $1.6 billion for the Merida Initiative over three years.\n\n"
        "Question: when was the Merida Initiative announced, and how much did Congress appropriate?"
    )
    copy_ask = [
        {
            "role": "user",
            "content": "Repeat exactly: the quick brown fox jumps over the lazy dog near the river bank at noon.",
        }
    ]
    cases = [([{"role": "user", "content": passages}], sentences_schema([1, 2], 3, 1, max_keys=2)), (copy_ask, None)]
    before = dict(llama_drafted.STATS)
    drafted = [llama.generate(m, max_tokens=80, json_schema=s) for m, s in cases]
    accepted = llama_drafted.STATS["accepted"] - before.get("accepted", 0)
    plain = [own_loop.generate(m, max_tokens=80, json_schema=s) for m, s in cases]
    assert drafted == plain
    assert accepted >= 10  # the copied words and the JSON skeleton came as accepted guesses
    assert "1.6 billion" in json.loads(drafted[0])["sentences"][0]["text"] + drafted[0]
    assert [llama.generate(m, max_tokens=80, json_schema=s) for m, s in cases] == drafted  # cached prefix reused


@pytest.mark.model
def test_llama_cpp_timeout_is_a_backend_error(llama):
    hurried = make_generator(settings(backend="llama_cpp", timeout_s=0.001))
    with pytest.raises(BackendError) as err:
        hurried.generate(HELLO, max_tokens=16)
    assert "QA_TIMEOUT_S" in err.value.fix
    assert llama.generate(HELLO, max_tokens=4)  # the lock was released


@pytest.mark.model
def test_llama_cpp_prompt_over_the_context_is_a_backend_error(llama):
    # the shared model (n_ctx 4096): refused before any evaluation, so a long prompt costs nothing,
    # while a second model with a small context would hold another 1.7 GB
    with pytest.raises(BackendError) as err:
        llama.generate([{"role": "user", "content": "word " * 4200}], max_tokens=4)
    assert "context window" in err.value.message and "QA_N_CTX" in err.value.fix


# ---------------------------------------------------------------- OpenAI client against a real llama_cpp.server
# (the llama_server fixture is in tests/conftest.py, shared with the chat page's end-to-end test)


@pytest.mark.model
def test_openai_backend_streams_from_a_real_server(llama_server):
    gen = make_generator(settings(backend="openai", openai_base_url=llama_server))
    pieces = list(gen.stream(HELLO, max_tokens=16))
    assert len(pieces) > 1 and "1, 2, 3" in "".join(pieces)
    assert gen.generate(HELLO, max_tokens=16) == "".join(pieces)  # non-streaming, same greedy answer


@pytest.mark.model
def test_openai_backend_passes_the_schema_to_a_real_server(llama_server):
    gen = make_generator(settings(backend="openai", openai_base_url=llama_server))
    obj = json.loads(gen.generate(CITY, max_tokens=40, json_schema=SCHEMA))
    assert isinstance(obj["city"], str) and isinstance(obj["year"], int)


# P(yes) of the answer check: a clear yes, a clear no, and two near misses (the decision's hard cases)
YES_NO_CASES = [
    ("When was the Merida Initiative announced?", "The Merida Initiative was announced in October 2007."),
    ("When was the Merida Initiative announced?", "Congress appropriated $1.6 billion for it over three years."),
    ("Who chose Peña Nieto's security adviser?", "Peña Nieto named a new security cabinet in 2012."),
    ("How many homicides has Mexico had since 2007?", "Homicides rose sharply after 2007 across Mexico."),
]
# |P(yes) difference| between the two backends on one model file: at most 2.4e-5 on 32
# calibration examples (eval/bench_yes_agreement.py --n 40, docs/measurements.md); the
# same prompt evaluated in other batch splits rounds a little differently
YES_TOLERANCE = 1e-3


@pytest.mark.model
def test_openai_backend_yes_probability_matches_llama_cpp(llama, llama_server):
    from qa.prompts import answers_question_messages

    gen = make_generator(settings(backend="openai", openai_base_url=llama_server))
    assert gen.yes_no_problem() is None  # the server gives logprobs
    check = llama.for_role("check")
    pairs = []
    for question, answer in YES_NO_CASES:
        messages = answers_question_messages(question, answer)
        pairs.append((check.yes_probability(messages), gen.yes_probability(messages)))
    print("P(yes) llama_cpp vs openai:", pairs)
    assert all(a is not None and b is not None and abs(a - b) <= YES_TOLERANCE for a, b in pairs), pairs
    assert max(a for a, _ in pairs) - min(a for a, _ in pairs) > 0.1  # the cases differ: not a constant
