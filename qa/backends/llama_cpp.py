"""llama.cpp through llama-cpp-python's public API: loading the packaged GGUF
(via ``qa.model_files``), one prompt state per role, the per-model lock and
the timeout. What needs llama-cpp-python's internals (prompt states, the
grammar-first pick) is in ``qa.backends.llama_internals``, drafted decoding
in ``qa.backends.llama_drafted``.
"""

from __future__ import annotations

import codecs
import copy
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np

from qa.backends import llama_drafted as drafted
from qa.backends import llama_internals as internals
from qa.backends.base import (
    NO_SPELLINGS,
    YES_SPELLINGS,
    Generator,
    Loaded,
    Message,
    acquire,
    cut_at_stop,
    load_once,
    model_lock,
    threads,
    timeout_error,
    yes_share,
)
from qa.backends.drafts import schema_example
from qa.backends.llama_drafted import greedy_tokens
from qa.config import Settings
from qa.errors import BackendError, ModelError
from qa.model_files import Progress, ensure_model, known_sha256


@dataclass
class _LlamaState(Loaded):
    """The loaded model, and whose prompt its KV cache holds."""

    active_role: str | None = None  # whose prompt the model's KV cache holds now
    saved: dict[str, internals.SavedKV | None] = field(default_factory=dict)  # the other roles' prompt states
    formatter: Any = None  # the chat template for drafted decoding (False: none in the file)
    yes_no: tuple[list[int], list[int]] | None = None  # token ids starting a "yes" / "no" reply


class LlamaCppGenerator(Generator):
    """llama.cpp through llama-cpp-python (CPU); JSON schema enforced by a grammar.

    The timeout is checked between tokens: prompt processing itself cannot be
    interrupted.

    Each role (see ``Generator.for_role``) keeps its own prompt state in the
    one llama.cpp context: when another role takes the model, the KV cache of
    the previous role's last prompt is copied aside (about 28 kB per token)
    and the new role's is copied back, so llama.cpp only evaluates the part of
    a prompt after the prefix it shares with that role's previous prompt: the
    system prompt of a role is evaluated once, not on every call. A second
    llama.cpp context per role would do the same without the copies but costs
    a full copy of the (repacked) weights each (docs/ARCHITECTURE.md has the measurement).
    One lock per model serialises all roles (two at once would share 2 cores).

    At temperature 0 the GGUF's chat template is applied here and decoding
    runs in ``llama_drafted.greedy_tokens`` (same tokens as llama-cpp-python's
    loop, several per model call when the guesses copied from the prompt are
    right); ``draft_tokens=0`` uses ``create_chat_completion``.
    """

    name = "llama_cpp"

    def __init__(self, settings: Settings, progress: Progress | None = None) -> None:
        self.settings = settings
        self.role = "answer"
        self._roles: dict[str, LlamaCppGenerator] = {self.role: self}
        self.path = ensure_model(settings, progress)
        if self.path.is_dir():
            raise ModelError(
                f"{self.path} is a folder; llama.cpp needs a GGUF file",
                "set QA_MODEL_PATH to a .gguf file, or use --backend transformers for a model folder",
            )
        key = (
            "llama_cpp",
            str(self.path.resolve()),
            settings.n_ctx,
            threads(settings),
            settings.seed,
            settings.prompt_cache_mb,
        )
        t = time.perf_counter()
        self._shared = cast(_LlamaState, load_once(key, self._load))
        self.load_s = time.perf_counter() - t

    def _load(self) -> _LlamaState:
        try:
            import llama_cpp
            from llama_cpp import Llama, LlamaRAMCache
        except ImportError:
            raise ModelError(
                "llama-cpp-python is not installed", "run `make setup`, or use --backend openai / transformers"
            ) from None
        internals.check_version(llama_cpp.__version__)
        try:
            llm = Llama(
                model_path=str(self.path),
                n_ctx=self.settings.n_ctx,
                n_threads=threads(self.settings),
                n_threads_batch=threads(self.settings),
                seed=self.settings.seed,
                verbose=False,
            )
        except (ValueError, RuntimeError) as exc:
            raise ModelError(
                f"llama.cpp could not load {self.path}: {exc}",
                "check QA_MODEL_PATH is a GGUF model, or delete the cached file to re-assemble it",
            ) from exc
        internals.install_grammar_first_pick(llm)
        if self.settings.prompt_cache_mb > 0:  # reuses the state of a shared prompt prefix
            llm.set_cache(LlamaRAMCache(capacity_bytes=self.settings.prompt_cache_mb << 20))
        return _LlamaState(llm, lock=model_lock(str(self.path.resolve())))

    def for_role(self, role: str) -> Generator:
        if role not in self._roles:
            other = copy.copy(self)  # the same settings, loaded model and role registry
            other.role = role
            self._roles[role] = other
        return self._roles[role]

    def _take_model(self) -> Any:
        """The model with this role's prompt state in its KV cache (call with the lock held)."""
        shared, llm = self._shared, self._shared.model
        if shared.active_role != self.role:
            if shared.active_role is not None:
                shared.saved[shared.active_role] = internals.save_kv(llm)
            saved = shared.saved.pop(self.role, None)
            if saved is None or not internals.restore_kv(llm, saved):
                llm.reset()
            shared.active_role = self.role
        return llm

    def stream(
        self,
        messages: list[Message],
        *,
        max_tokens: int | None = None,
        stop: list[str] | None = None,
        json_schema: dict | None = None,
    ) -> Iterator[str]:
        kw: dict[str, Any] = {
            "messages": messages,
            "stream": True,
            "temperature": self.settings.temperature,
            "max_tokens": max_tokens or self.settings.max_new_tokens,
            "stop": stop or [],
            "seed": self.settings.seed,
        }
        if json_schema is not None:
            kw["grammar"] = internals.compact_json_grammar(json.dumps(json_schema, sort_keys=True))
        acquire(self._shared.lock, self.settings)
        try:
            deadline = time.monotonic() + self.settings.timeout_s
            llm = self._take_model()
            formatter = self._formatter(llm)
            if formatter is not None:
                yield from self._drafted(llm, formatter, kw, json_schema, deadline)
                return
            chunks = llm.create_chat_completion(**kw)
            try:
                for chunk in chunks:
                    if time.monotonic() > deadline:
                        raise timeout_error(self.settings)
                    piece = chunk["choices"][0]["delta"].get("content")
                    if piece:
                        yield piece
            finally:
                chunks.close()  # an abandoned stream must not keep the model's state
        except ValueError as exc:  # e.g. "Requested tokens (5000) exceed context window of 4096"
            fix = (
                "ask a shorter question, lower QA_CONTEXT_PASSAGES, or raise QA_N_CTX"
                if "context window" in str(exc)
                else "check the messages and the JSON schema passed to the model"
            )
            raise BackendError(f"llama.cpp refused the request: {exc}", fix) from exc
        finally:
            self._shared.lock.release()  # a plain Lock: the UI may close this stream from another thread

    def _formatter(self, llm: Any) -> Any:
        """The GGUF's own chat template, when greedy decoding with drafts
        applies (temperature 0, ``draft_tokens`` > 0, a template in the file);
        None: llama-cpp-python's own completion loop."""
        if self.settings.temperature != 0 or self.settings.draft_tokens <= 0:
            return None
        return self._chat_formatter(llm) or None

    def _drafted(
        self, llm: Any, formatter: Any, kw: dict[str, Any], json_schema: dict | None, deadline: float
    ) -> Iterator[str]:
        """The same greedy output as ``create_chat_completion``, decoded with
        prompt-lookup drafts (see ``llama_drafted.greedy_tokens``): same
        prompt tokens, same grammar, same stop strings."""
        chat = formatter(messages=kw["messages"])
        prompt = llm.tokenize(chat.prompt.encode("utf-8"), add_bos=not chat.added_special, special=True)
        hint: list[int] = []
        if json_schema is not None:
            example = json.dumps(schema_example(json_schema), separators=(",", ":"))
            hint = llm.tokenize(example.encode("utf-8"), add_bos=False)
        stop = list(kw["stop"]) + ([chat.stop] if isinstance(chat.stop, str) else list(chat.stop or []))

        def check() -> None:
            if time.monotonic() > deadline:
                raise timeout_error(self.settings)

        tokens = greedy_tokens(
            llm,
            prompt,
            max_tokens=kw["max_tokens"],
            grammar=kw.get("grammar"),
            hint=hint,
            draft=self.settings.draft_tokens,
            check=check,
        )

        def pieces() -> Iterator[str]:
            decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")  # a character may span tokens
            for t in tokens:
                text = decoder.decode(llm.detokenize([t]))
                if text:
                    yield text
            tail = decoder.decode(b"", final=True)
            if tail:
                yield tail

        try:
            yield from cut_at_stop(pieces(), [s for s in stop if s])
        finally:
            tokens.close()

    def yes_probability(self, messages: list[Message]) -> float | None:
        """The normalised probability of a "yes" first token (the first tokens
        of ``YES_SPELLINGS`` against those of ``NO_SPELLINGS``), from one
        evaluation of the prompt: the cost of a prompt, no generated token."""
        acquire(self._shared.lock, self.settings)
        try:
            llm = self._take_model()
            formatter = self._chat_formatter(llm)
            if not formatter:
                return None
            chat = formatter(messages=messages)
            prompt = llm.tokenize(chat.prompt.encode("utf-8"), add_bos=not chat.added_special, special=True)
            if len(prompt) >= llm.n_ctx():
                raise BackendError(
                    f"the yes/no prompt has {len(prompt)} tokens, over the context of {llm.n_ctx()}",
                    "ask a shorter question, or raise QA_N_CTX",
                )
            logits = drafted.prompt_logits(llm, prompt)
            yes, no = self._answer_tokens(llm)
            top = float(np.max(logits))
            p = np.exp(logits - top)
            return yes_share(float(p[yes].sum()), float(p[no].sum()))
        finally:
            self._shared.lock.release()

    def yes_no_problem(self) -> str | None:
        if self._chat_formatter(self._shared.model):
            return None
        return f"{self.path.name} has no chat template llama.cpp can apply, so P(yes) is not read from its logits"

    def _chat_formatter(self, llm: Any) -> Any:
        """The GGUF's chat template (False: none in the file), looked up once."""
        if self._shared.formatter is None:
            self._shared.formatter = internals.chat_formatter(llm) or False
        return self._shared.formatter

    def _answer_tokens(self, llm: Any) -> tuple[list[int], list[int]]:
        """Token ids that start a "yes" and a "no" reply."""
        if self._shared.yes_no is None:

            def first(words: tuple[str, ...]) -> list[int]:
                return sorted({llm.tokenize(w.encode("utf-8"), add_bos=False)[0] for w in words})

            self._shared.yes_no = (first(YES_SPELLINGS), first(NO_SPELLINGS))
        return self._shared.yes_no

    def count_tokens(self, text: str) -> int:
        return len(self._shared.model.tokenize(text.encode("utf-8"), add_bos=False))

    def info(self) -> dict[str, Any]:
        return {
            "backend": self.name,
            "model": self.path.name,
            "model_path": str(self.path),
            "sha256": known_sha256(self.path),
            "n_ctx": self.settings.n_ctx,
            "temperature": self.settings.temperature,
            "seed": self.settings.seed,
        }
