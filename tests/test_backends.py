"""Generation backends, fast: the base interface, stop-string cutting, the
lazy backend imports, the pinned llama-cpp-python version, and the OpenAI
client against a scripted HTTP transport and a closed port. The real models
are in test_backends_model.py."""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from conftest import free_port

from qa.backends import Generator, cut_at_stop, make_generator
from qa.backends.llama_internals import SUPPORTED_VERSION, check_version
from qa.backends.openai import OpenAIGenerator
from qa.config import Settings
from qa.errors import BackendError, ModelError

ROOT = Path(__file__).resolve().parent.parent
HELLO = [{"role": "user", "content": "Count from 1 to 5, separated by commas. Nothing else."}]
SCHEMA = {
    "type": "object",
    "properties": {"city": {"type": "string"}, "year": {"type": "integer"}},
    "required": ["city", "year"],
}


def settings(**kw) -> Settings:
    return Settings.load({"n_threads": 1, **kw}, env={})


# ---------------------------------------------------------------- the base: one stream method, stop strings


@pytest.mark.parametrize(
    "pieces, stop, expected",
    [
        (["ab", "cd"], None, "abcd"),
        (["ab", "cd"], [], "abcd"),
        (["hello wor", "ld<|e", "nd|> tail"], ["<|end|>"], "hello world"),
        (["<|end|>rest"], ["<|end|>"], ""),
        (["one\n\n", "two"], ["\n\n", "zz"], "one"),
        (["abc"], ["x"], "abc"),
        (["a", "b", "c"], ["bc", "abcd"], "a"),
    ],
)
def test_cut_at_stop(pieces, stop, expected):
    assert "".join(cut_at_stop(iter(pieces), stop)) == expected


def test_cut_at_stop_streams_before_the_end():
    out = cut_at_stop(iter(["first part, ", "second part"]), ["STOP"])
    assert next(out) == "first par"  # all but the 3 chars that could start "STOP"


class Echo(Generator):
    name = "echo"

    def stream(self, messages, *, max_tokens=None, stop=None, json_schema=None) -> Iterator[str]:
        yield from ("ec", "ho")


def test_base_generator_joins_and_estimates_tokens():
    gen = Echo()
    assert gen.generate(HELLO) == "echo" and gen.info() == {"backend": "echo"}
    assert gen.count_tokens("") == 0 and gen.count_tokens("abcdefgh") == 2


def sse(*events: object) -> bytes:
    return b"".join(f"data: {e if isinstance(e, str) else json.dumps(e)}\n\n".encode() for e in events)


def delta(text: str) -> dict:
    return {"choices": [{"index": 0, "delta": {"content": text}}]}


def scripted(handler) -> OpenAIGenerator:
    return OpenAIGenerator(
        settings(backend="openai", openai_base_url="http://server.test/v1", timeout_s=5),
        transport=httpx.MockTransport(handler),
    )


def test_openai_parses_server_sent_events_and_sends_the_schema():
    sent: list[dict] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(json.loads(request.content))
        assert request.url.path == "/v1/chat/completions"
        body = b": keep-alive\n\n" + sse(
            {"choices": [{"delta": {"role": "assistant"}}]}, delta("Hel"), delta("lo"), "[DONE]", delta("ignored")
        )
        return httpx.Response(200, content=body, headers={"content-type": "text/event-stream"})

    gen = scripted(handler)
    assert list(gen.stream(HELLO, max_tokens=7, stop=["\n"], json_schema=SCHEMA)) == ["Hel", "lo"]
    assert sent[0]["stream"] is True and sent[0]["max_tokens"] == 7 and sent[0]["stop"] == ["\n"]
    assert sent[0]["response_format"] == {"type": "json_object", "schema": SCHEMA}


def test_openai_non_streaming_reads_the_message():
    def handler(request: httpx.Request) -> httpx.Response:
        assert json.loads(request.content)["stream"] is False
        return httpx.Response(200, json={"choices": [{"message": {"role": "assistant", "content": "Hi."}}]})

    assert scripted(handler).generate(HELLO) == "Hi."


@pytest.mark.parametrize(
    "response, in_message, in_fix",
    [
        (httpx.Response(500, text="boom"), "HTTP 500: boom", "llama_cpp.server"),
        (httpx.Response(401, text="no key"), "HTTP 401", "QA_OPENAI_API_KEY"),
        (httpx.Response(404, text="nope"), "HTTP 404", "QA_OPENAI_BASE_URL"),
        (
            httpx.Response(200, content=sse({"error": {"message": "model crashed"}})),
            "model crashed",
            "--backend llama_cpp",
        ),
    ],
)
def test_openai_server_errors_become_backend_errors(response, in_message, in_fix):
    with pytest.raises(BackendError) as err:
        list(scripted(lambda request: response).stream(HELLO))
    assert in_message in err.value.message and in_fix in err.value.fix


def test_openai_closed_port_fails_fast_with_the_fix():
    port = free_port()
    gen = make_generator(settings(backend="openai", openai_base_url=f"http://127.0.0.1:{port}/v1", timeout_s=30))
    t = time.monotonic()
    for call in (gen.generate, lambda m: list(gen.stream(m))):
        with pytest.raises(BackendError) as err:
            call(HELLO)
        assert f"127.0.0.1:{port}" in err.value.message
        assert "python -m llama_cpp.server --model" in err.value.fix and f"--port {port}" in err.value.fix
        assert "--backend llama_cpp" in err.value.fix
    assert time.monotonic() - t < 5


# ---------------------------------------------------------------- P(yes) over HTTP: top_logprobs of a one-token reply


def logprobs_reply(top: list[tuple[str, float]], chosen: str = "Yes") -> dict:
    """A chat completion as llama-cpp-python's server and vLLM return it with logprobs."""
    entries = [{"token": t, "logprob": lp, "bytes": None} for t, lp in top]
    first = {"token": chosen, "logprob": dict(top).get(chosen, -1.0), "bytes": None, "top_logprobs": entries}
    return {"choices": [{"message": {"role": "assistant", "content": chosen}, "logprobs": {"content": [first]}}]}


def test_openai_yes_probability_sums_the_spellings_of_yes_and_no():
    sent: list[dict] = []
    top = [("Yes", math.log(0.5)), ("yes", math.log(0.1)), ("No", math.log(0.2)), (" no", math.log(0.1))]
    top += [("The", math.log(0.05)), ("Y", math.log(0.01)), ("nope", math.log(0.01)), (" YES", math.log(0.01))]

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(json.loads(request.content))
        return httpx.Response(200, json=logprobs_reply(top))

    gen = scripted(handler)
    assert gen.yes_probability(HELLO) == pytest.approx(0.6 / 0.9)  # not "The", "Y", "nope", " YES"
    body = sent[0]
    assert body["logprobs"] is True and body["top_logprobs"] == 20 and body["max_tokens"] == 1
    assert body["temperature"] == 0 and body["stream"] is False and body["messages"] == HELLO
    assert gen.yes_no_problem() is None and len(sent) == 1  # known from that answer: no probe


@pytest.mark.parametrize(
    "top, expected",
    [
        ([("No", math.log(0.9)), ("The", math.log(0.05))], 0.0),  # no "yes" among the top tokens: 0
        ([("yes", math.log(0.7))], 1.0),
        ([("The", math.log(0.9)), ("A", math.log(0.1))], None),  # neither: no probability to give
        ([("Yes", math.log(0.3)), ("Yes", math.log(0.3)), ("no", math.log(0.3))], 0.5),  # listed twice, counted once
    ],
)
def test_openai_yes_probability_edge_cases(top, expected):
    assert scripted(lambda request: httpx.Response(200, json=logprobs_reply(top))).yes_probability(HELLO) == expected


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(200, json={"choices": [{"message": {"content": "Yes"}}]}),  # logprobs ignored
        httpx.Response(200, json={"choices": [{"message": {"content": "Yes"}, "logprobs": None}]}),
        httpx.Response(500, text="logprobs is not supported for models created with logits_all=False"),
        httpx.Response(400, json={"error": {"message": "top_logprobs must be <= 5"}}),
    ],
)
def test_a_server_without_logprobs_says_so_once(response, capsys, monkeypatch):
    from qa.backends import base

    monkeypatch.setattr(base, "_WARNED", set())
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return response

    gen = scripted(handler)
    assert gen.yes_probability(HELLO) is None
    problem = gen.yes_no_problem()
    assert problem and "http://server.test/v1" in problem and "logprob" in problem
    assert len(calls) == 1  # known from the first answer
    assert base.warn_without_yes_no(gen) == problem and base.warn_without_yes_no(gen) == problem
    assert capsys.readouterr().err.count("warning: ") == 1  # once per process


def test_a_server_not_reachable_yet_is_not_a_missing_logprobs_problem():
    gen = make_generator(settings(backend="openai", openai_base_url=f"http://127.0.0.1:{free_port()}/v1"))
    assert gen.yes_no_problem() is None  # unknown until the server answers
    with pytest.raises(BackendError):
        gen.yes_probability(HELLO)


def test_backends_without_probabilities_say_why():
    assert Echo().yes_probability(HELLO) is None
    assert Echo().yes_no_problem() == "the echo backend gives no token probabilities"


# ---------------------------------------------------------------- backends are imported lazily; one llama-cpp-python


def imported_after(code: str) -> set[str]:
    """The heavy libraries a fresh interpreter has imported after running ``code``."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    probe = (
        code + "\nimport sys\nprint(' '.join(m for m in ('llama_cpp', 'transformers', 'torch', 'httpx') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def test_importing_the_package_imports_no_backend_library():
    assert imported_after("import qa.backends") == set()
    code = (
        "from qa.backends import make_generator\nfrom qa.config import Settings\n"
        "make_generator(Settings.load({'backend': 'openai'}, env={}))"
    )
    assert imported_after(code) == set()  # the OpenAI client imports httpx only when it sends


def test_supported_llama_cpp_version_is_the_pinned_one():
    make = re.search(r"^LLAMA_CPP_VERSION\s*:?=\s*(\S+)", (ROOT / "Makefile").read_text(), re.M)
    pin = re.search(r'"llama-cpp-python(?:\[[^\]]*\])?==([^"\s]+)"', (ROOT / "pyproject.toml").read_text())
    assert make and pin
    assert SUPPORTED_VERSION == make.group(1) == pin.group(1)


def test_another_llama_cpp_version_is_refused_with_the_fix():
    check_version(SUPPORTED_VERSION)
    with pytest.raises(ModelError) as err:
        check_version("0.3.2")
    assert "0.3.2" in err.value.message and SUPPORTED_VERSION in err.value.message
    assert "make setup" in err.value.fix
