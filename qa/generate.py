"""Text generation behind one small interface, with three backends:

- ``LlamaCppGenerator``: llama-cpp-python on the packaged GGUF (the CPU
  default); JSON-schema constrained decoding through llama.cpp grammars;
  greedy decoding with prompt-lookup drafts (``qa.speculative``).
- ``TransformersGenerator``: Hugging Face transformers on the same GGUF
  (dequantised) or on any local model folder, e.g. a bigger model on a GPU.
  The JSON schema is NOT enforced there; the answer parser falls back to [n]
  markers in free text.
- ``OpenAIGenerator``: any OpenAI-compatible server (vLLM, llama.cpp server,
  TGI, Ollama) over HTTP, streaming server-sent events.

Local models are loaded once per process and shared by every generator built
with the same loading settings; one lock per model serialises generation, so
the web UI can call from several threads. Heavy libraries are imported inside
the backend that needs them. Nothing is ever downloaded.
"""
from __future__ import annotations

import collections
import copy
import functools
import json
import os
import queue
import threading
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator
from urllib.parse import urlparse

from qa.config import Settings
from qa.errors import BackendError, ModelError
from qa.model_files import Progress, ensure_model, known_sha256, model_target

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
        """Pieces of the reply as they are generated (stop strings excluded)."""

    def generate(self, messages: list[Message], **kw: Any) -> str:
        """The whole reply."""
        return "".join(self.stream(messages, **kw))

    def count_tokens(self, text: str) -> int:
        """Tokens in ``text``: a rough 4 characters per token unless the backend has a tokenizer."""
        return (len(text) + 3) // 4

    def info(self) -> dict[str, Any]:
        """What produced an answer, stored with every answer record."""
        return {"backend": self.name}

    def for_role(self, role: str) -> Generator:
        """The generator to use for one kind of call ("answer", "judge", "check",
        "rewrite"). Backends whose speed depends on a cached prompt prefix keep
        one model state per role, so the fixed system prompt of each kind of call
        is processed once, not again after every call of another kind."""
        return self


# ---------------------------------------------------------------- shared helpers


@dataclass
class _Loaded:
    """A loaded local model and the lock that serialises its use."""

    model: Any
    tokenizer: Any = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    active_role: str | None = None  # whose prompt the model's KV cache holds now
    saved: dict[str, _SavedKV | None] = field(default_factory=dict)  # the other roles' prompt states
    formatter: Any = None  # llama.cpp: the chat template for drafted decoding (False: none in the file)


_LOADED: dict[tuple, _Loaded] = {}
_LOADED_LOCK = threading.Lock()
_MODEL_LOCKS: dict[str, threading.Lock] = {}  # one per model file: its states share the CPU
_MODEL_LOCKS_LOCK = threading.Lock()  # not _LOADED_LOCK: loading (which holds that) asks for a model lock


def _model_lock(name: str) -> threading.Lock:
    with _MODEL_LOCKS_LOCK:
        return _MODEL_LOCKS.setdefault(name, threading.Lock())


def _load_once(key: tuple, load: Callable[[], _Loaded]) -> _Loaded:
    """One instance per loading key and process; concurrent first calls load once."""
    with _LOADED_LOCK:
        if key not in _LOADED:
            _LOADED[key] = load()
        return _LOADED[key]


def _acquire(lock: threading.Lock, settings: Settings) -> None:
    if not lock.acquire(timeout=settings.timeout_s):
        raise BackendError(f"the model stayed busy with other requests for {settings.timeout_s:.0f}s",
                           "try again, or raise QA_TIMEOUT_S")


def _timeout_error(settings: Settings) -> BackendError:
    return BackendError(f"generation took longer than {settings.timeout_s:.0f}s",
                        "ask a shorter question, lower QA_MAX_NEW_TOKENS, or raise QA_TIMEOUT_S")


def _threads(settings: Settings) -> int:
    return settings.n_threads or os.cpu_count() or 2


def cut_at_stop(pieces: Iterable[str], stop: list[str] | None) -> Iterator[str]:
    """Pass ``pieces`` through up to the first stop string (excluded), even one split across pieces."""
    if not stop:
        yield from pieces
        return
    hold = max(len(s) for s in stop) - 1  # a stop string may begin in the last hold chars
    buf = ""
    for piece in pieces:
        buf += piece
        hits = [i for i in (buf.find(s) for s in stop if s) if i >= 0]
        if hits:
            if min(hits) > 0:
                yield buf[: min(hits)]
            return
        if len(buf) > hold:
            yield buf[: len(buf) - hold]
            buf = buf[len(buf) - hold :]
    if buf:
        yield buf


# ---------------------------------------------------------------- llama.cpp


class LlamaCppGenerator(Generator):
    """llama.cpp through llama-cpp-python (CPU); JSON schema enforced by a grammar.

    The timeout is checked between tokens: prompt processing itself cannot be
    interrupted (it runs at roughly 20-60 tokens/s on 2 CPU cores).

    Each role (see ``Generator.for_role``) keeps its own prompt state in the
    one llama.cpp context: when another role takes the model, the KV cache of
    the previous role's last prompt is copied aside (about 28 kB per token)
    and the new role's is copied back, so llama.cpp only evaluates the part of
    a prompt after the prefix it shares with that role's previous prompt: the
    system prompt of a role is evaluated once, not on every call. A second
    llama.cpp context per role would do the same without the copies but costs
    a full copy of the (repacked) weights each: 1.8 GB per role, measured.
    One lock per model serialises all roles (two at once would share 2 cores).

    At temperature 0 the GGUF's chat template is applied here and decoding
    runs in ``qa.speculative.greedy_tokens`` (same tokens as llama-cpp-python's
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
            raise ModelError(f"{self.path} is a folder; llama.cpp needs a GGUF file",
                             "set QA_MODEL_PATH to a .gguf file, or use --backend transformers for a model folder")
        key = ("llama_cpp", str(self.path.resolve()), settings.n_ctx, _threads(settings), settings.seed,
               settings.prompt_cache_mb)
        t = time.perf_counter()
        self._shared = _load_once(key, self._load)
        self.load_s = time.perf_counter() - t

    def _load(self) -> _Loaded:
        try:
            from llama_cpp import Llama, LlamaRAMCache
        except ImportError:
            raise ModelError("llama-cpp-python is not installed",
                             "run `make setup`, or use --backend openai / transformers") from None
        try:
            llm = Llama(model_path=str(self.path), n_ctx=self.settings.n_ctx, n_threads=_threads(self.settings),
                        n_threads_batch=_threads(self.settings), seed=self.settings.seed, verbose=False)
        except (ValueError, RuntimeError) as exc:
            raise ModelError(f"llama.cpp could not load {self.path}: {exc}",
                             "check QA_MODEL_PATH is a GGUF model, or delete the cached file to re-assemble it") from exc
        _greedy_grammar_first_pick(llm)
        if self.settings.prompt_cache_mb > 0:  # reuses the state of a shared prompt prefix
            llm.set_cache(LlamaRAMCache(capacity_bytes=self.settings.prompt_cache_mb << 20))
        return _Loaded(llm, lock=_model_lock(str(self.path.resolve())))

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
                shared.saved[shared.active_role] = _save_kv(llm)
            saved = shared.saved.pop(self.role, None)
            if saved is None or not _restore_kv(llm, saved):
                llm.reset()
            shared.active_role = self.role
        return llm

    def stream(self, messages, *, max_tokens=None, stop=None, json_schema=None) -> Iterator[str]:
        kw: dict[str, Any] = {
            "messages": messages, "stream": True, "temperature": self.settings.temperature,
            "max_tokens": max_tokens or self.settings.max_new_tokens, "stop": stop or [], "seed": self.settings.seed,
        }
        if json_schema is not None:
            kw["grammar"] = _compact_json_grammar(json.dumps(json_schema, sort_keys=True))
        _acquire(self._shared.lock, self.settings)
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
                        raise _timeout_error(self.settings)
                    piece = chunk["choices"][0]["delta"].get("content")
                    if piece:
                        yield piece
            finally:
                chunks.close()  # an abandoned stream must not keep the model's state
        except ValueError as exc:  # e.g. "Requested tokens (5000) exceed context window of 4096"
            fix = ("ask a shorter question, lower QA_CONTEXT_PASSAGES, or raise QA_N_CTX"
                   if "context window" in str(exc) else "check the messages and the JSON schema passed to the model")
            raise BackendError(f"llama.cpp refused the request: {exc}", fix) from exc
        finally:
            self._shared.lock.release()  # a plain Lock: the UI may close this stream from another thread

    def _formatter(self, llm: Any) -> Any:
        """The GGUF's own chat template, when greedy decoding with drafts
        applies (temperature 0, ``draft_tokens`` > 0, a template in the file);
        None: llama-cpp-python's own completion loop."""
        if self.settings.temperature != 0 or self.settings.draft_tokens <= 0:
            return None
        if self._shared.formatter is None:
            template = llm.metadata.get("tokenizer.chat_template")
            if not template or llm.chat_format != "chat_template.default":
                self._shared.formatter = False
            else:
                from llama_cpp.llama_chat_format import Jinja2ChatFormatter

                eos, bos = llm.token_eos(), llm.token_bos()
                self._shared.formatter = Jinja2ChatFormatter(
                    template=template, eos_token=llm._model.token_get_text(eos) if eos != -1 else "",
                    bos_token=llm._model.token_get_text(bos) if bos != -1 else "", stop_token_ids=[eos])
        return self._shared.formatter or None

    def _drafted(self, llm: Any, formatter: Any, kw: dict[str, Any], json_schema: dict | None,
                 deadline: float) -> Iterator[str]:
        """The same greedy output as ``create_chat_completion``, decoded with
        prompt-lookup drafts (see ``qa.speculative``): same prompt tokens,
        same grammar, same stop strings."""
        import codecs

        from qa.speculative import greedy_tokens, schema_example

        chat = formatter(messages=kw["messages"])
        prompt = llm.tokenize(chat.prompt.encode("utf-8"), add_bos=not chat.added_special, special=True)
        hint = []
        if json_schema is not None:
            example = json.dumps(schema_example(json_schema), separators=(",", ":"))
            hint = llm.tokenize(example.encode("utf-8"), add_bos=False)
        stop = list(kw["stop"]) + ([chat.stop] if isinstance(chat.stop, str) else list(chat.stop or []))

        def check() -> None:
            if time.monotonic() > deadline:
                raise _timeout_error(self.settings)

        tokens = greedy_tokens(llm, prompt, max_tokens=kw["max_tokens"], grammar=kw.get("grammar"), hint=hint,
                               draft=self.settings.draft_tokens, check=check)

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

    def count_tokens(self, text: str) -> int:
        return len(self._shared.model.tokenize(text.encode("utf-8"), add_bos=False))

    def info(self) -> dict[str, Any]:
        return {"backend": self.name, "model": self.path.name, "model_path": str(self.path),
                "sha256": known_sha256(self.path), "n_ctx": self.settings.n_ctx,
                "temperature": self.settings.temperature, "seed": self.settings.seed}


@dataclass
class _SavedKV:
    """A role's prompt state set aside: llama.cpp sequence 0 and its tokens."""

    tokens: Any  # numpy array of token ids
    data: Any  # ctypes buffer from llama_state_seq_get_data
    size: int


def _save_kv(llm: Any) -> _SavedKV | None:
    import ctypes

    import llama_cpp

    n = llm.n_tokens
    if n == 0:
        return None
    ctx = llm._ctx.ctx
    size = llama_cpp.llama_state_seq_get_size(ctx, 0)
    buf = (ctypes.c_uint8 * size)()
    written = llama_cpp.llama_state_seq_get_data(ctx, buf, size, 0)
    if not written:
        return None
    return _SavedKV(llm.input_ids[:n].copy(), buf, int(written))


def _restore_kv(llm: Any, saved: _SavedKV) -> bool:
    """Put ``saved`` back as the model's state; False (and an empty state) when llama.cpp refuses it."""
    import llama_cpp

    llm._ctx.kv_cache_clear()
    if not llama_cpp.llama_state_seq_set_data(llm._ctx.ctx, saved.data, saved.size, 0):
        llm._ctx.kv_cache_clear()
        return False
    n = len(saved.tokens)
    llm.input_ids[:n] = saved.tokens
    llm.n_tokens = n
    llm._requires_eval = True  # the logits are not restored: the next call re-evaluates at least one token
    return True


@functools.lru_cache(maxsize=32)
def _compact_json_grammar(schema: str) -> Any:
    """The llama.cpp grammar of a JSON schema, without optional whitespace.

    Every decoded token costs about 0.1 s here; the spaces llama-cpp-python's
    grammar allows around each bracket, colon and comma add some 15 tokens to
    a two-sentence answer (18 tokens open the first sentence, 11 compact)."""
    from llama_cpp.llama_grammar import LlamaGrammar, json_schema_to_gbnf

    gbnf = json_schema_to_gbnf(schema)
    lines = [("space ::= \"\"" if line.startswith("space ::=") else line) for line in gbnf.splitlines()]
    return LlamaGrammar.from_string("\n".join(lines), verbose=False)


GRAMMAR_PICKS: collections.Counter[str] = collections.Counter()  # how greedy grammar picks went (benchmarks print it)


def _greedy_grammar_first_pick(llm: Any) -> None:
    """Make greedy JSON-schema decoding check the model's top token first.

    llama-cpp-python runs the grammar over the whole 152k-token vocabulary
    before every greedy pick (9.5 tokens/s here against 14.4 without a
    grammar). Greedy decoding only needs the best token the grammar allows,
    and that is nearly always the model's own top token: so the top token is
    checked alone, and the vocabulary is filtered only when the grammar
    rejects it. The chosen tokens are exactly the same (llama.cpp's own
    sampler does this too). Other sampling settings keep llama-cpp-python's chain.
    """
    import ctypes

    import llama_cpp
    import numpy as np
    from llama_cpp import _internals

    original = llm._init_sampler
    entry = np.dtype([("id", np.intc), ("logit", np.single), ("p", np.single)], align=True)

    def init_sampler(*args: Any, **kw: Any) -> Any:
        plain = (kw.get("temp") == 0.0 and kw.get("grammar") is not None and kw.get("logits_processor") is None
                 and kw.get("repeat_penalty", 1.0) == 1.0 and not kw.get("frequency_penalty")
                 and not kw.get("presence_penalty") and not args)
        if not plain:
            return original(*args, **kw)
        sampler = _internals.LlamaSampler()
        grammar: list[Any] = []  # the chain's grammar sampler, once added

        def top_token_first(cur_p: Any) -> None:
            arr = cur_p.contents
            view = np.frombuffer((llama_cpp.llama_token_data * arr.size).from_address(
                ctypes.addressof(arr.data.contents)), dtype=entry)
            best = int(np.argmax(view["logit"]))
            one = llama_cpp.llama_token_data(int(view["id"][best]), float(view["logit"][best]), 0.0)
            probe = llama_cpp.llama_token_data_array(data=ctypes.pointer(one), size=1, selected=-1, sorted=False)
            llama_cpp.llama_sampler_apply(grammar[0], ctypes.byref(probe))  # stateless: nothing accepted
            if one.logit != float("-inf"):
                arr.data[0] = one
                arr.size = 1  # the grammar and the greedy pick then see only the top token
                GRAMMAR_PICKS["top token"] += 1
            else:
                GRAMMAR_PICKS["vocabulary filtered"] += 1

        sampler.add_custom(top_token_first)
        sampler.add_grammar(llm._model, kw["grammar"])
        grammar.append(llama_cpp.llama_sampler_chain_get(sampler.sampler, 1))
        sampler.add_greedy()
        return sampler

    llm._init_sampler = init_sampler


# ---------------------------------------------------------------- transformers


class TransformersGenerator(Generator):
    """Hugging Face transformers: the packaged GGUF (dequantised to float32 on the CPU:
    ~60 s to load, ~9 GB RAM) or a local model folder (``settings.model_path``); a
    GPU (float16) when torch sees one.

    ``json_schema`` is accepted but not enforced: the model is only asked for
    JSON by the prompt. Greedy decoding when temperature is 0. Files are read
    locally only (HF_HUB_OFFLINE, local_files_only).
    """

    name = "transformers"

    def __init__(self, settings: Settings, progress: Progress | None = None) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        self.settings = settings
        self.path = ensure_model(settings, progress)
        t = time.perf_counter()
        self._shared = _load_once(("transformers", str(self.path.resolve())), self._load)
        self.load_s = time.perf_counter() - t

    def _load(self) -> _Loaded:
        try:
            import torch
            from transformers import AutoModelForCausalLM, AutoTokenizer
        except ImportError:
            raise ModelError("transformers/torch are not installed", "run `make setup`") from None
        kw: dict[str, Any] = {"local_files_only": True}  # never the Hub
        folder = self.path
        if self.path.is_file():  # a GGUF file: transformers reads config, tokenizer and weights from it
            folder, kw["gguf_file"] = self.path.parent, self.path.name
        cuda = torch.cuda.is_available()
        model_kw: dict[str, Any] = {"dtype": torch.float16, "device_map": "auto"} if cuda else {"dtype": torch.float32}
        try:
            tokenizer = AutoTokenizer.from_pretrained(str(folder), **kw)
            model = AutoModelForCausalLM.from_pretrained(str(folder), **kw, **model_kw)
        except (OSError, ValueError, ImportError) as exc:
            raise ModelError(f"transformers could not load {self.path}: {exc}",
                             "set QA_MODEL_PATH to a local model folder or GGUF file (pip install gguf for GGUF)") from exc
        model.eval()
        return _Loaded(model, tokenizer)

    def stream(self, messages, *, max_tokens=None, stop=None, json_schema=None) -> Iterator[str]:
        from transformers import TextIteratorStreamer

        tok, model = self._shared.tokenizer, self._shared.model
        try:
            inputs = tok.apply_chat_template(messages, add_generation_prompt=True, return_tensors="pt",
                                             return_dict=True).to(model.device)
        except ValueError as exc:  # e.g. a base model folder without a chat template
            raise ModelError(f"{self.path} cannot format a chat: {exc}", "use an instruct/chat model") from exc
        streamer = TextIteratorStreamer(tok, skip_prompt=True, skip_special_tokens=True,
                                        timeout=self.settings.timeout_s)
        _acquire(self._shared.lock, self.settings)
        try:
            run = _Run(self.settings.timeout_s)  # the deadline starts once the model is ours
            worker = threading.Thread(target=run.work, daemon=True,
                                      args=(model.generate, self._generate_kw(inputs, streamer, run, max_tokens), streamer))
            worker.start()
            try:
                yield from cut_at_stop((piece for piece in streamer if piece), stop)
            except queue.Empty:
                raise _timeout_error(self.settings) from None
            finally:
                run.cancel.set()  # a consumer that stops early stops the model at the next token
                worker.join()
        finally:
            self._shared.lock.release()
        if run.error is not None:
            raise BackendError(f"transformers generation failed: {run.error}",
                               "check the model folder, or use --backend llama_cpp") from run.error
        if run.timed_out:
            raise _timeout_error(self.settings)

    def _generate_kw(self, inputs: Any, streamer: Any, run: _Run, max_tokens: int | None) -> dict[str, Any]:
        kw: dict[str, Any] = {
            **inputs, "streamer": streamer, "stopping_criteria": [run.criterion()],
            "max_new_tokens": max_tokens or self.settings.max_new_tokens,
            "pad_token_id": self._shared.tokenizer.eos_token_id,
        }
        if self.settings.temperature > 0:
            kw.update(do_sample=True, temperature=self.settings.temperature)
        else:  # greedy; unset the sampling knobs the model's generation config may carry
            kw.update(do_sample=False, temperature=None, top_p=None, top_k=None)
        return kw

    def count_tokens(self, text: str) -> int:
        return len(self._shared.tokenizer.encode(text, add_special_tokens=False))

    def info(self) -> dict[str, Any]:
        return {"backend": self.name, "model": self.path.name, "model_path": str(self.path),
                "sha256": known_sha256(self.path), "device": str(self._shared.model.device),
                "temperature": self.settings.temperature, "seed": self.settings.seed}


class _Run:
    """One transformers generation in a worker thread: cancel flag, deadline, error."""

    def __init__(self, timeout_s: float) -> None:
        self.cancel = threading.Event()
        self.deadline = time.monotonic() + timeout_s
        self.timed_out = False
        self.error: BaseException | None = None

    def criterion(self) -> Any:
        import torch
        from transformers import StoppingCriteria

        run = self

        class _Stop(StoppingCriteria):
            def __call__(self, input_ids: Any, scores: Any, **kw: Any) -> Any:
                run.timed_out = run.timed_out or time.monotonic() > run.deadline
                done = run.cancel.is_set() or run.timed_out
                return torch.full((input_ids.shape[0],), done, dtype=torch.bool, device=input_ids.device)

        return _Stop()

    def work(self, generate: Callable[..., Any], kw: dict[str, Any], streamer: Any) -> None:
        import torch

        try:
            with torch.inference_mode():
                generate(**kw)
        except Exception as exc:  # re-raised as BackendError in the consumer's thread
            self.error = exc
            streamer.end()


# ---------------------------------------------------------------- OpenAI-compatible HTTP


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

    def _body(self, messages: list[Message], max_tokens: int | None, stop: list[str] | None,
              json_schema: dict | None, stream: bool) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": self.settings.openai_model, "messages": messages, "stream": stream,
            "temperature": self.settings.temperature, "max_tokens": max_tokens or self.settings.max_new_tokens,
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
        return httpx.Client(base_url=self.base_url, headers=headers, transport=self._transport,
                            timeout=httpx.Timeout(self.settings.timeout_s, connect=5.0))

    def stream(self, messages, *, max_tokens=None, stop=None, json_schema=None) -> Iterator[str]:
        import httpx

        body = self._body(messages, max_tokens, stop, json_schema, stream=True)
        deadline = time.monotonic() + self.settings.timeout_s
        try:
            with self._client() as client, client.stream("POST", "/chat/completions", json=body) as resp:
                self._check_status(resp)
                for line in resp.iter_lines():
                    if time.monotonic() > deadline:
                        raise _timeout_error(self.settings)
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
            raise BackendError(f"the model server at {self.base_url} sent a malformed event: {exc}",
                               self._server_fix()) from exc

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
            raise BackendError(f"the model server at {self.base_url} sent malformed JSON: {exc}",
                               self._server_fix()) from exc

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
        hint = {401: "set QA_OPENAI_API_KEY", 403: "set QA_OPENAI_API_KEY",
                404: f"check QA_OPENAI_BASE_URL ({self.base_url}; usually ends in /v1) and QA_OPENAI_MODEL"}
        raise BackendError(f"the model server at {self.base_url} answered HTTP {resp.status_code}: {resp.text[:300]}",
                           hint.get(resp.status_code, self._server_fix()))

    def _transport_error(self, exc: Exception) -> BackendError:
        import httpx

        what = "timed out" if isinstance(exc, httpx.TimeoutException) else f"could not be reached ({exc})"
        return BackendError(f"the model server at {self.base_url} {what}", self._server_fix())

    def _server_fix(self) -> str:
        url = urlparse(self.base_url)
        model = model_target(self.settings) if not self.settings.model_path else self.settings.model_path
        return (f"start an OpenAI-compatible server at {self.base_url}, e.g. `python -m llama_cpp.server "
                f"--model {model} --host {url.hostname or '127.0.0.1'} --port {url.port or 8080}`, "
                "or set QA_OPENAI_BASE_URL, or switch backend: --backend llama_cpp")

    def info(self) -> dict[str, Any]:
        return {"backend": self.name, "model": self.settings.openai_model, "base_url": self.base_url,
                "temperature": self.settings.temperature, "seed": self.settings.seed}


def make_generator(settings: Settings, progress: Progress | None = None) -> Generator:
    """The generator for ``settings.backend``; local models are loaded once per process."""
    if settings.backend == "llama_cpp":
        return LlamaCppGenerator(settings, progress)
    if settings.backend == "transformers":
        return TransformersGenerator(settings, progress)
    return OpenAIGenerator(settings)
