"""Any OpenAI-compatible chat-completions server (vLLM, llama.cpp server, TGI,
Ollama) over HTTP with httpx, streaming server-sent events. P(yes) from the
server's ``top_logprobs`` of a one-token reply.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlparse

from qa.backends.base import NO_SPELLINGS, YES_SPELLINGS, Generator, Message, timeout_error, yes_share
from qa.config import Settings
from qa.errors import BackendError
from qa.model_files import model_target

TOP_LOGPROBS = 20  # the most the OpenAI API (and vLLM by default) returns per token
PROBE = [{"role": "user", "content": "Is water wet? Answer yes or no."}]


class OpenAIGenerator(Generator):
    """Any OpenAI-compatible chat-completions server, over HTTP (httpx).

    ``json_schema`` is sent as ``{"type": "json_object", "schema": ...}``, the
    form llama-cpp-python's server turns into a grammar; servers that do not
    know the ``schema`` key return plain JSON mode at best.
    """

    name = "openai"

    def __init__(self, settings: Settings, transport: Any = None) -> None:
        self.settings = settings
        self.base_url = settings.openai_base_url.rstrip("/")
        self._transport = transport  # tests inject an httpx.MockTransport
        self._yes_no_problem: str | None = None
        self._yes_no_known = False  # the server has answered a yes/no request

    def _body(
        self,
        messages: list[Message],
        max_tokens: int | None,
        stop: list[str] | None,
        json_schema: dict | None,
        stream: bool,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": self.settings.openai_model,
            "messages": messages,
            "stream": stream,
            "temperature": self.settings.temperature,
            "max_tokens": max_tokens or self.settings.max_new_tokens,
            "seed": self.settings.seed,
        }
        if stop:
            body["stop"] = stop
        if json_schema is not None:
            body["response_format"] = {"type": "json_object", "schema": json_schema}
        return body

    def _client(self) -> Any:
        import httpx

        headers = {"Authorization": f"Bearer {self.settings.openai_api_key}"} if self.settings.openai_api_key else {}
        return httpx.Client(
            base_url=self.base_url,
            headers=headers,
            transport=self._transport,
            timeout=httpx.Timeout(self.settings.timeout_s, connect=5.0),
        )

    def stream(
        self,
        messages: list[Message],
        *,
        max_tokens: int | None = None,
        stop: list[str] | None = None,
        json_schema: dict | None = None,
    ) -> Iterator[str]:
        import httpx

        body = self._body(messages, max_tokens, stop, json_schema, stream=True)
        deadline = time.monotonic() + self.settings.timeout_s
        try:
            with self._client() as client, client.stream("POST", "/chat/completions", json=body) as resp:
                self._check_status(resp)
                for line in resp.iter_lines():
                    if time.monotonic() > deadline:
                        raise timeout_error(self.settings)
                    data = line[5:].strip() if line.startswith("data:") else ""
                    if data == "[DONE]":
                        break
                    if data:
                        piece = self._piece(json.loads(data), "delta")
                        if piece:
                            yield piece
        except httpx.HTTPError as exc:
            raise self._transport_error(exc) from exc
        except ValueError as exc:  # a data line that is not JSON
            raise BackendError(
                f"the model server at {self.base_url} sent a malformed event: {exc}", self._server_fix()
            ) from exc

    def generate(self, messages: list[Message], **kw: Any) -> str:
        """One non-streaming request: the whole reply in one JSON response."""
        import httpx

        body = self._body(messages, kw.get("max_tokens"), kw.get("stop"), kw.get("json_schema"), stream=False)
        try:
            with self._client() as client:
                resp = client.post("/chat/completions", json=body)
                self._check_status(resp)
                return self._piece(resp.json(), "message")
        except httpx.HTTPError as exc:
            raise self._transport_error(exc) from exc
        except ValueError as exc:
            raise BackendError(
                f"the model server at {self.base_url} sent malformed JSON: {exc}", self._server_fix()
            ) from exc

    def yes_probability(self, messages: list[Message]) -> float | None:
        """P(yes) as the llama.cpp backend reads it, from the server's
        ``top_logprobs`` of a one-token greedy reply: the probabilities of the
        tokens spelled as in ``YES_SPELLINGS`` against ``NO_SPELLINGS``
        (a spelling outside the top ``TOP_LOGPROBS`` counts as 0). None when
        the server gives no logprobs (``yes_no_problem`` then says so) or
        neither answer is among its top tokens."""
        import httpx

        body = self._body(messages, 1, None, None, stream=False)
        body.update(temperature=0, logprobs=True, top_logprobs=TOP_LOGPROBS)
        try:
            with self._client() as client:
                resp = client.post("/chat/completions", json=body)
                if resp.status_code >= 400 and "logprob" in resp.text.lower():
                    self._no_logprobs(f"answered HTTP {resp.status_code} to logprobs: {resp.text[:200]}")
                    return None
                self._check_status(resp)
                obj = resp.json()
        except httpx.HTTPError as exc:
            raise self._transport_error(exc) from exc
        except ValueError as exc:
            raise BackendError(
                f"the model server at {self.base_url} sent malformed JSON: {exc}", self._server_fix()
            ) from exc
        self._piece(obj, "message")  # an error object becomes a BackendError
        top = first_top_logprobs(obj)
        if top is None:
            self._no_logprobs("returns no logprobs")
            return None
        self._yes_no_known, self._yes_no_problem = True, None
        return yes_from_top_logprobs(top)

    def yes_no_problem(self) -> str | None:
        """Asks the server once (a one-token reply); a server that cannot be
        reached yet is not a problem of this kind (None, asked again next time)."""
        if not self._yes_no_known:
            try:
                self.yes_probability(PROBE)
            except BackendError:
                return None
        return self._yes_no_problem

    def _no_logprobs(self, why: str) -> None:
        self._yes_no_known = True
        self._yes_no_problem = f"the model server at {self.base_url} {why}"

    def _piece(self, obj: Any, key: str) -> str:
        """The text in one response or event; an error object becomes a BackendError."""
        if isinstance(obj, dict) and obj.get("error"):
            raise BackendError(f"the model server reported an error: {obj['error']}", self._server_fix())
        try:
            return (obj["choices"][0].get(key) or {}).get("content") or ""
        except (KeyError, IndexError, TypeError, AttributeError):
            return ""

    def _check_status(self, resp: Any) -> None:
        if resp.status_code < 400:
            return
        resp.read()
        hint = {
            401: "set QA_OPENAI_API_KEY",
            403: "set QA_OPENAI_API_KEY",
            404: f"check QA_OPENAI_BASE_URL ({self.base_url}; usually ends in /v1) and QA_OPENAI_MODEL",
        }
        raise BackendError(
            f"the model server at {self.base_url} answered HTTP {resp.status_code}: {resp.text[:300]}",
            hint.get(resp.status_code, self._server_fix()),
        )

    def _transport_error(self, exc: Exception) -> BackendError:
        import httpx

        what = "timed out" if isinstance(exc, httpx.TimeoutException) else f"could not be reached ({exc})"
        return BackendError(f"the model server at {self.base_url} {what}", self._server_fix())

    def _server_fix(self) -> str:
        url = urlparse(self.base_url)
        model = model_target(self.settings) if not self.settings.model_path else self.settings.model_path
        return (
            f"start an OpenAI-compatible server at {self.base_url}, e.g. `python -m llama_cpp.server "
            f"--model {model} --host {url.hostname or '127.0.0.1'} --port {url.port or 8080}`, "
            "or set QA_OPENAI_BASE_URL, or switch backend: --backend llama_cpp"
        )

    def info(self) -> dict[str, Any]:
        return {
            "backend": self.name,
            "model": self.settings.openai_model,
            "base_url": self.base_url,
            "temperature": self.settings.temperature,
            "seed": self.settings.seed,
        }


def first_top_logprobs(obj: Any) -> list[tuple[str, float]] | None:
    """(token, logprob) of the first reply token's top alternatives in a chat
    completion response (``choices[0].logprobs.content[0].top_logprobs``, the
    form of OpenAI, vLLM and llama-cpp-python's server); None when absent."""
    try:
        first = obj["choices"][0]["logprobs"]["content"][0]
        top = first.get("top_logprobs") or [{"token": first["token"], "logprob": first["logprob"]}]
        return [(str(t["token"]), float(t["logprob"])) for t in top if t.get("logprob") is not None]
    except (KeyError, IndexError, TypeError, AttributeError, ValueError):
        return None


def yes_from_top_logprobs(top: list[tuple[str, float]]) -> float | None:
    """P(yes) / (P(yes) + P(no)) over the listed tokens spelled as in
    ``YES_SPELLINGS`` / ``NO_SPELLINGS`` (each token counted once)."""
    seen = dict(top)  # a server may list the chosen token twice
    p_yes = sum(math.exp(lp) for t, lp in seen.items() if t in YES_SPELLINGS)
    p_no = sum(math.exp(lp) for t, lp in seen.items() if t in NO_SPELLINGS)
    return yes_share(p_yes, p_no)
