"""Drafted greedy decoding on llama-cpp-python (its internals, for the
version ``qa.backends.llama_internals`` checks): ``greedy_tokens`` checks
prompt-lookup guesses (``qa.backends.drafts``) in one batch with the pending
token; a guess is kept only while it equals the model's own pick (under the
grammar, via ``GrammarFirst``): the greedy output, sooner.

llama_cpp is imported inside the functions, so this module imports without it.
"""

from __future__ import annotations

import collections
import ctypes
import time
from collections.abc import Callable, Generator, Sequence
from typing import Any

import numpy as np

from qa.backends.drafts import prompt_lookup
from qa.backends.llama_internals import GrammarFirst

# how drafting went in this process (benchmarks print it): steps, drafted, accepted, decode_s
STATS: dict[str, float] = collections.defaultdict(float)


class _Drafting:
    """One drafted generation on ``llm``: the greedy pick under an optional
    grammar, and how many tokens of ``llm``'s record have right KV entries."""

    def __init__(self, llm: Any, grammar: Any) -> None:
        import llama_cpp

        self.llm, self.lc, self.valid = llm, llama_cpp, 0
        self.ctx, self.vocab, self.n_vocab = llm._ctx.ctx, llm._model.vocab, llm.n_vocab()
        self.sampler: Any = None
        self.first: GrammarFirst | None = None
        self.full: Any = None  # the whole-vocabulary array, built the first time the grammar rejects a top token
        if grammar is not None:
            self.sampler = llama_cpp.llama_sampler_init_grammar(
                self.vocab, grammar._grammar.encode("utf-8"), grammar._root.encode("utf-8")
            )
            if not self.sampler:
                raise ValueError("llama.cpp could not parse the grammar")
            self.first = GrammarFirst(self.sampler)

    def pick(self, i: int) -> int:
        """The greedy token allowed by the grammar, from the logits of batch position ``i``."""
        logits = np.ctypeslib.as_array(self.lc.llama_get_logits_ith(self.ctx, i), shape=(self.n_vocab,))
        if self.first is None:
            return int(np.argmax(logits))
        best = self.first.top(logits)
        if best is not None:
            return best
        if self.full is None:
            from llama_cpp import _internals

            self.full = _internals.LlamaTokenDataArray(n_vocab=self.n_vocab)
        arr = self.full
        arr.copy_logits(logits)
        self.lc.llama_sampler_apply(self.sampler, ctypes.byref(arr.candidates))
        return int(arr.candidates_data.id[int(np.argmax(arr.candidates_data.logit[: arr.candidates.size]))])

    def commit(self, token: int) -> bool:
        """Record ``token`` as chosen; False when it ends the generation."""
        if self.sampler is not None:
            self.lc.llama_sampler_accept(self.sampler, token)
        return not self.lc.llama_vocab_is_eog(self.vocab, token)

    def eval_prompt(self, prompt: list[int]) -> None:
        """Evaluate the prompt after the prefix already in the KV cache (at least one token, for its logits)."""
        llm = self.llm
        if llm.n_tokens > 0:
            cached = llm.input_ids[: llm.n_tokens]
            limit = min(len(cached), len(prompt) - 1)
            while self.valid < limit and cached[self.valid] == prompt[self.valid]:
                self.valid += 1
        llm.n_tokens = self.valid
        llm.eval(prompt[self.valid :])
        self.valid = llm.n_tokens

    def decode(self, batch: list[int]) -> None:
        """One model call on ``batch`` after the valid tokens; its first token is valid then."""
        llm, t = self.llm, time.perf_counter()
        llm._ctx.kv_cache_seq_rm(-1, self.valid, -1)
        llm._batch.set_batch(batch=batch, n_past=self.valid, logits_all=True)
        llm._ctx.decode(llm._batch)
        llm.input_ids[self.valid : self.valid + len(batch)] = batch
        self.valid += 1
        STATS["decode_s"] += time.perf_counter() - t

    def close(self) -> None:
        self.llm.n_tokens = self.valid  # rejected guesses leave the record (their KV entries go on the next call)
        self.llm._requires_eval = True  # the context's logits no longer match the last recorded token
        if self.sampler is not None:
            self.lc.llama_sampler_free(self.sampler)


def prompt_logits(llm: Any, prompt: Sequence[int]) -> np.ndarray:
    """The next-token logits after ``prompt`` (a copy), reusing the prefix in the KV cache."""
    run = _Drafting(llm, None)
    try:
        run.eval_prompt(list(prompt))
        return np.array(np.ctypeslib.as_array(run.lc.llama_get_logits_ith(run.ctx, -1), shape=(run.n_vocab,)))
    finally:
        run.close()


def greedy_tokens(
    llm: Any,
    prompt: Sequence[int],
    *,
    max_tokens: int,
    grammar: Any = None,
    hint: Sequence[int] = (),
    draft: int = 3,
    max_ngram: int = 3,
    check: Callable[[], None] | None = None,
) -> Generator[int, None, None]:
    """The greedy continuation of ``prompt`` (under ``grammar`` if given), one
    token id at a time, with up to ``draft`` looked-up tokens verified per
    model call. ``hint`` tokens (e.g. the JSON skeleton) may be copied from
    too. ``check`` runs between model calls (the caller's timeout). Keeps
    ``llm``'s token record and KV cache consistent, and reuses the prefix the
    prompt shares with the previous call, as ``Llama.generate`` does."""
    prompt = list(prompt)
    n_ctx = llm.n_ctx()
    if len(prompt) >= n_ctx:
        raise ValueError(f"Requested tokens ({len(prompt)}) exceed context window of {n_ctx}")
    max_tokens = min(max_tokens, n_ctx - len(prompt))
    run = _Drafting(llm, grammar)
    try:
        run.eval_prompt(prompt)  # 1. the prompt
        pending = run.pick(-1)
        context = list(hint) + prompt  # what drafts copy from; the generated tokens join it
        produced = 0
        while run.commit(pending):
            # 2. the pending token is the model's pick: emit it
            yield pending
            produced += 1
            context.append(pending)
            if produced >= max_tokens:
                return
            if check is not None:
                check()
            # 3. one model call: the pending token plus drafted guesses of the tokens after it
            # (only a full draft fits the budget: a shorter batch costs nearly as much)
            guess = prompt_lookup(context, draft, max_ngram) if 0 < draft <= max_tokens - produced else []
            batch = [pending, *guess]
            run.decode(batch)
            STATS["steps"] += 1
            STATS["drafted"] += len(guess)
            # 4. keep the guesses the model agrees with; its first own pick becomes the pending token
            for i in range(len(batch)):
                pending = run.pick(i)
                if i == len(guess) or pending != guess[i]:
                    break
                STATS["accepted"] += 1
                run.valid += 1
                if not run.commit(pending):
                    return  # the end of generation was guessed
                yield pending
                produced += 1
                context.append(pending)
                if produced >= max_tokens:
                    return
    finally:
        run.close()
