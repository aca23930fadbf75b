"""Text generation behind one small interface, with three backends:

- ``LlamaCppGenerator``: llama-cpp-python on the packaged GGUF (CPU default;
  JSON-schema constrained decoding through llama.cpp grammars);
- ``TransformersGenerator``: Hugging Face transformers, loading the same GGUF
  or any local model folder (for a GPU and a bigger model); the JSON schema is
  not enforced there, the answer parser falls back to [n] markers;
- ``OpenAIGenerator``: any OpenAI-compatible server (vLLM, llama.cpp server,
  TGI, Ollama) over HTTP, streaming server-sent events.

Heavy libraries are imported inside the backend that needs them.
"""
from __future__ import annotations

import json
import os
import threading
import time
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any, Iterator

from qa.config import Settings
from qa.errors import BackendError, ModelError
from qa.model_files import ensure_model

Message = dict  # {"role": "system" | "user" | "assistant", "content": str}


class Generator(ABC):
    """Chat-style generation; ``stream`` is the one method a backend implements."""

    name: str = "generator"

    @abstractmethod
    def stream(
        self,
        messages: list[Message],
        *,
        max_tokens: int | None = None,
        stop: list[str] | None = None,
        json_schema: dict | None = None,
    ) -> Iterator[str]:
        """Pieces of the reply as they are generated."""

    def generate(self, messages: list[Message], **kw: Any) -> str:
        """The whole reply."""
        return "".join(self.stream(messages, **kw))

    def count_tokens(self, text: str) -> int:
        """Tokens in ``text`` (rough estimate unless the backend knows its tokenizer)."""
        return max(1, len(text) // 4)

    def info(self) -> dict[str, Any]:
        return {"backend": self.name}


def _threads(settings: Settings) -> int:
    return settings.n_threads or os.cpu_count() or 2


class LlamaCppGenerator(Generator):
    """llama.cpp through llama-cpp-python; one model instance shared under a lock."""

    name = "llama_cpp"

    def __init__(self, settings: Settings, progress: Any = None) -> None:
        self.settings = settings
        self.path = ensure_model(settings, progress)
        try:
            from llama_cpp import Llama
        except ImportError:
            raise ModelError("llama-cpp-python is not installed", "run `make setup`, or use --backend transformers") from None
        t = time.perf_counter()
        try:
            self._llm = Llama(
                model_path=str(self.path), n_ctx=settings.n_ctx, n_threads=_threads(settings),
                seed=settings.seed, verbose=False,
            )
        except (ValueError, RuntimeError) as exc:
            raise ModelError(f"llama.cpp could not load {self.path}: {exc}",
                             "check the file is a GGUF model (QA_MODEL_PATH), or delete it from the cache to re-assemble") from exc
        if settings.prompt_cache_mb > 0:
            from llama_cpp import LlamaRAMCache

            self._llm.set_cache(LlamaRAMCache(capacity_bytes=settings.prompt_cache_mb << 20))
        self.load_s = time.perf_counter() - t
        self._lock = threading.Lock()

    def stream(self, messages, *, max_tokens=None, stop=None, json_schema=None) -> Iterator[str]:
        kw: dict[str, Any] = {
            "messages": messages, "temperature": self.settings.temperature, "stream": True,
            "max_tokens": max_tokens or self.settings.max_new_tokens, "stop": stop or None, "seed": self.settings.seed,
        }
        if json_schema is not None:
            kw["response_format"] = {"type": "json_object", "schema": json_schema}
        deadline = time.monotonic() + self.settings.timeout_s
        with self._lock:
            for chunk in self._llm.create_chat_completion(**kw):
                piece = chunk["choices"][0]["delta"].get("content")
                if piece:
                    yield piece
                if time.monotonic() > deadline:
                    raise BackendError(
                        f"generation took longer than {self.settings.timeout_s:.0f}s",
                        "ask a shorter question, or raise QA_TIMEOUT_S",
                    )

    def count_tokens(self, text: str) -> int:
        return len(self._llm.tokenize(text.encode("utf-8"), add_bos=False))

    def info(self) -> dict[str, Any]:
        return {"backend": self.name, "model": self.path.name, "n_ctx": self.settings.n_ctx}


class TransformersGenerator(Generator):
    """transformers on the CPU (or a GPU if torch sees one); JSON schema not enforced."""

    name = "transformers"

    def __init__(self, settings: Settings, progress: Any = None) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        self.settings = settings
        path = Path(settings.model_path) if settings.model_path else ensure_model(settings, progress)
        from transformers import AutoModelForCausalLM, AutoTokenizer

        kw: dict[str, Any] = {}
        folder = path
        if path.is_file():  # a GGUF file: transformers dequantises it
            folder, kw = path.parent, {"gguf_file": path.name}
        t = time.perf_counter()
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(str(folder), **kw)
            self.model = AutoModelForCausalLM.from_pretrained(str(folder), **kw)
        except (OSError, ValueError) as exc:
            raise ModelError(f"transformers could not load {path}: {exc}",
                             "point QA_MODEL_PATH at a local model folder or GGUF file") from exc
        self.model.eval()
        self.load_s = time.perf_counter() - t
        self.path = path
        self._lock = threading.Lock()

    def stream(self, messages, *, max_tokens=None, stop=None, json_schema=None) -> Iterator[str]:
        from transformers import TextIteratorStreamer

        prompt = self.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        inputs = self.tokenizer(prompt, return_tensors="pt").to(self.model.device)
        streamer = TextIteratorStreamer(self.tokenizer, skip_prompt=True, skip_special_tokens=True,
                                        timeout=self.settings.timeout_s)
        gen_kw = {**inputs, "streamer": streamer, "max_new_tokens": max_tokens or self.settings.max_new_tokens}
        if self.settings.temperature > 0:
            gen_kw.update(do_sample=True, temperature=self.settings.temperature)
        else:
            gen_kw.update(do_sample=False)
        with self._lock:
            worker = threading.Thread(target=self.model.generate, kwargs=gen_kw, daemon=True)
            worker.start()
            text = ""
            try:
                for piece in streamer:
                    text += piece
                    if stop and any(s in text for s in stop):
                        yield piece.split(next(s for s in stop if s in text))[0]
                        break
                    yield piece
            except Exception as exc:  # queue.Empty on timeout
                raise BackendError(f"generation timed out after {self.settings.timeout_s:.0f}s",
                                   "raise QA_TIMEOUT_S or use a faster backend") from exc
            worker.join()

    def count_tokens(self, text: str) -> int:
        return len(self.tokenizer.encode(text, add_special_tokens=False))

    def info(self) -> dict[str, Any]:
        return {"backend": self.name, "model": self.path.name}


class OpenAIGenerator(Generator):
    """An OpenAI-compatible chat-completions server, streamed over HTTP."""

    name = "openai"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.url = settings.openai_base_url.rstrip("/") + "/chat/completions"

    def _fix(self) -> str:
        return (f"start a server at {self.settings.openai_base_url} (e.g. python -m llama_cpp.server "
                "--model <file.gguf> --host 127.0.0.1 --port 8080), or use --backend llama_cpp")

    def stream(self, messages, *, max_tokens=None, stop=None, json_schema=None) -> Iterator[str]:
        import httpx

        body: dict[str, Any] = {
            "model": self.settings.openai_model, "messages": messages, "stream": True,
            "temperature": self.settings.temperature, "max_tokens": max_tokens or self.settings.max_new_tokens,
            "seed": self.settings.seed,
        }
        if stop:
            body["stop"] = stop
        if json_schema is not None:
            body["response_format"] = {"type": "json_object", "schema": json_schema}
        headers = {"Authorization": f"Bearer {self.settings.openai_api_key}"} if self.settings.openai_api_key else {}
        timeout = httpx.Timeout(self.settings.timeout_s, connect=5.0)
        try:
            with httpx.stream("POST", self.url, json=body, headers=headers, timeout=timeout) as resp:
                if resp.status_code >= 400:
                    resp.read()
                    raise BackendError(f"the model server answered HTTP {resp.status_code}: {resp.text[:300]}", self._fix())
                for line in resp.iter_lines():
                    if not line.startswith("data:"):
                        continue
                    data = line[5:].strip()
                    if data == "[DONE]":
                        break
                    piece = _delta(data)
                    if piece:
                        yield piece
        except httpx.TimeoutException as exc:
            raise BackendError(f"the model server at {self.settings.openai_base_url} timed out", self._fix()) from exc
        except httpx.HTTPError as exc:
            raise BackendError(f"cannot reach the model server at {self.settings.openai_base_url}: {exc}", self._fix()) from exc

    def info(self) -> dict[str, Any]:
        return {"backend": self.name, "model": self.settings.openai_model, "base_url": self.settings.openai_base_url}


def _delta(data: str) -> str:
    try:
        obj = json.loads(data)
        choice = obj["choices"][0]
        return (choice.get("delta") or {}).get("content") or (choice.get("message") or {}).get("content") or ""
    except (ValueError, KeyError, IndexError, TypeError):
        return ""


_SHARED: dict[tuple, Generator] = {}
_SHARED_LOCK = threading.Lock()


def make_generator(settings: Settings, progress: Any = None) -> Generator:
    """The generator for ``settings.backend`` (local models loaded once per process)."""
    key = (settings.backend, settings.model_path, settings.cache_dir, settings.n_ctx, settings.openai_base_url)
    with _SHARED_LOCK:
        if key not in _SHARED:
            if settings.backend == "llama_cpp":
                _SHARED[key] = LlamaCppGenerator(settings, progress)
            elif settings.backend == "transformers":
                _SHARED[key] = TransformersGenerator(settings, progress)
            else:
                _SHARED[key] = OpenAIGenerator(settings)
        return _SHARED[key]
