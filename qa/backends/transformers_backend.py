"""Hugging Face transformers: the packaged GGUF (dequantised) or any local
model folder, e.g. a bigger model on a GPU. The JSON schema is NOT enforced
here; the answer parser falls back to [n] markers in free text. Generation
runs in a worker thread that streams into the caller's; nothing is ever
downloaded.
"""

from __future__ import annotations

import os
import queue
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from qa.backends.base import (
    NO_SPELLINGS,
    YES_SPELLINGS,
    Generator,
    Loaded,
    Message,
    acquire,
    cut_at_stop,
    load_once,
    timeout_error,
    yes_share,
)
from qa.config import Settings
from qa.errors import BackendError, ModelError
from qa.model_files import Progress, ensure_model, known_sha256


class TransformersGenerator(Generator):
    """Hugging Face transformers: the packaged GGUF (dequantised to bfloat16 on the CPU,
    so it loads slowly and takes several times the GGUF's memory) or a local model folder (``settings.model_path``); a
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
        self._shared = load_once(("transformers", str(self.path.resolve())), self._load)
        self.load_s = time.perf_counter() - t

    def _load(self) -> Loaded:
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
        # CPU: bfloat16, half of float32's memory (the packaged GGUF: 5.5 GB peak instead of 8.9 GB, see docs/serving.md)
        model_kw: dict[str, Any] = {"dtype": torch.float16, "device_map": "auto"} if cuda else {"dtype": torch.bfloat16}
        try:
            tokenizer = AutoTokenizer.from_pretrained(str(folder), **kw)
            model = AutoModelForCausalLM.from_pretrained(str(folder), **kw, **model_kw)
        except (OSError, ValueError, ImportError) as exc:
            raise ModelError(
                f"transformers could not load {self.path}: {exc}",
                "set QA_MODEL_PATH to a local model folder or GGUF file (pip install gguf for GGUF)",
            ) from exc
        model.eval()
        return Loaded(model, tokenizer)

    def stream(
        self,
        messages: list[Message],
        *,
        max_tokens: int | None = None,
        stop: list[str] | None = None,
        json_schema: dict | None = None,
    ) -> Iterator[str]:
        from transformers import TextIteratorStreamer

        tok, model = self._shared.tokenizer, self._shared.model
        try:
            inputs = tok.apply_chat_template(
                messages, add_generation_prompt=True, return_tensors="pt", return_dict=True
            ).to(model.device)
        except ValueError as exc:  # e.g. a base model folder without a chat template
            raise ModelError(f"{self.path} cannot format a chat: {exc}", "use an instruct/chat model") from exc
        streamer = TextIteratorStreamer(
            tok, skip_prompt=True, skip_special_tokens=True, timeout=self.settings.timeout_s
        )
        acquire(self._shared.lock, self.settings)
        try:
            run = _Run(self.settings.timeout_s)  # the deadline starts once the model is ours
            worker = threading.Thread(
                target=run.work,
                daemon=True,
                args=(model.generate, self._generate_kw(inputs, streamer, run, max_tokens), streamer),
            )
            worker.start()
            try:
                yield from cut_at_stop((piece for piece in streamer if piece), stop)
            except queue.Empty:
                raise timeout_error(self.settings) from None
            finally:
                run.cancel.set()  # a consumer that stops early stops the model at the next token
                worker.join()
        finally:
            self._shared.lock.release()
        if run.error is not None:
            raise BackendError(
                f"transformers generation failed: {run.error}", "check the model folder, or use --backend llama_cpp"
            ) from run.error
        if run.timed_out:
            raise timeout_error(self.settings)

    def _generate_kw(self, inputs: Any, streamer: Any, run: _Run, max_tokens: int | None) -> dict[str, Any]:
        kw: dict[str, Any] = {
            **inputs,
            "streamer": streamer,
            "stopping_criteria": [run.criterion()],
            "max_new_tokens": max_tokens or self.settings.max_new_tokens,
            "pad_token_id": self._shared.tokenizer.eos_token_id,
        }
        if self.settings.temperature > 0:
            kw.update(do_sample=True, temperature=self.settings.temperature)
        else:  # greedy; unset the sampling knobs the model's generation config may carry
            kw.update(do_sample=False, temperature=None, top_p=None, top_k=None)
        return kw

    def yes_probability(self, messages: list[Message]) -> float | None:
        """P(yes) as the llama.cpp backend reads it: softmax of the next-token
        logits after the chat prompt, the first tokens of ``YES_SPELLINGS``
        against those of ``NO_SPELLINGS``; one forward pass, nothing generated."""
        import torch

        tok, model = self._shared.tokenizer, self._shared.model
        try:
            inputs = tok.apply_chat_template(
                messages, add_generation_prompt=True, return_tensors="pt", return_dict=True
            ).to(model.device)
        except ValueError as exc:
            raise ModelError(f"{self.path} cannot format a chat: {exc}", "use an instruct/chat model") from exc
        acquire(self._shared.lock, self.settings)
        try:
            with torch.inference_mode():
                logits = model(**inputs).logits[0, -1].float()
        finally:
            self._shared.lock.release()
        p = torch.softmax(logits, dim=-1)
        yes, no = self._answer_tokens()
        return yes_share(float(p[yes].sum()), float(p[no].sum()))

    def _answer_tokens(self) -> tuple[list[int], list[int]]:
        """Token ids that start a "yes" and a "no" reply."""
        tok = self._shared.tokenizer

        def first(words: tuple[str, ...]) -> list[int]:
            return sorted({tok.encode(w, add_special_tokens=False)[0] for w in words})

        return first(YES_SPELLINGS), first(NO_SPELLINGS)

    def count_tokens(self, text: str) -> int:
        return len(self._shared.tokenizer.encode(text, add_special_tokens=False))

    def info(self) -> dict[str, Any]:
        return {
            "backend": self.name,
            "model": self.path.name,
            "model_path": str(self.path),
            "sha256": known_sha256(self.path),
            "device": str(self._shared.model.device),
            "temperature": self.settings.temperature,
            "seed": self.settings.seed,
        }


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
