"""Greedy decoding with prompt-lookup drafts, for llama.cpp on a CPU.

On 2 CPU cores decoding is bound by reading the weights: one token costs
about 0.10 s, and a batch of 4 tokens about 0.17 s. An answer mostly
restates its passages and wraps them in a fixed JSON skeleton, so the next
few tokens can often be guessed by finding the last few tokens generated
earlier in the prompt (or in an example of the JSON skeleton) and copying
what followed them there ("prompt lookup decoding", Saxena 2023). The
model then checks all guesses in one batch; each guess is kept only while it
equals the model's own greedy pick, so the output is the greedy output,
token for token, only sooner.

``prompt_lookup`` and ``schema_example`` are pure; ``greedy_tokens`` runs
the loop on a loaded ``llama_cpp.Llama`` (imported only there).
"""
from __future__ import annotations

import collections
import ctypes
import time
from typing import Any, Callable, Iterator, Sequence

# how drafting went in this process (benchmarks print it): steps, drafted, accepted, committed, decode_s
STATS: collections.Counter[str] = collections.Counter()


def prompt_lookup(tokens: Sequence[int], k: int, max_ngram: int = 3) -> list[int]:
    """Up to ``k`` tokens that followed the latest earlier occurrence of the
    longest tail n-gram of ``tokens`` (n = ``max_ngram`` down to 1); [] when
    the last token occurs nowhere before."""
    n_all = len(tokens)
    for n in range(min(max_ngram, n_all - 1), 0, -1):
        tail = list(tokens[n_all - n :])
        first = tail[0]
        for i in range(n_all - n - 1, -1, -1):  # latest occurrence first, not the tail itself
            if tokens[i] == first and list(tokens[i : i + n]) == tail:
                return list(tokens[i + n : i + n + k])
    return []


def schema_example(schema: dict[str, Any]) -> Any:
    """A small instance of a JSON schema (objects, arrays, strings, integers,
    enums): the skeleton whose tokens drafts can copy. Arrays get two items
    when allowed, so the separator between items appears too."""
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object":
        return {name: schema_example(sub) for name, sub in schema.get("properties", {}).items()}
    if kind == "array":
        items = schema.get("items", {})
        n = max(1, min(2, schema.get("maxItems", 2)))
        return [schema_example(items) for _ in range(n)]
    if kind in ("integer", "number"):
        return 1
    if kind == "boolean":
        return True
    return "x"


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
) -> Iterator[int]:
    """The greedy continuation of ``prompt`` (under ``grammar`` if given), one
    token id at a time, with up to ``draft`` looked-up tokens verified per
    model call. ``hint`` tokens (e.g. the JSON skeleton) may be copied from
    too. ``check`` runs between model calls (the caller's timeout). Keeps
    ``llm``'s token record and KV cache consistent, and reuses the prefix the
    prompt shares with the previous call, as ``Llama.generate`` does."""
    import llama_cpp
    import numpy as np

    prompt = list(prompt)
    n_ctx = llm.n_ctx()
    if len(prompt) >= n_ctx:
        raise ValueError(f"Requested tokens ({len(prompt)}) exceed context window of {n_ctx}")
    max_tokens = min(max_tokens, n_ctx - len(prompt))
    vocab = llm._model.vocab
    n_vocab = llm.n_vocab()
    ctx = llm._ctx.ctx
    smpl = None
    if grammar is not None:
        smpl = llama_cpp.llama_sampler_init_grammar(vocab, grammar._grammar.encode("utf-8"),
                                                   grammar._root.encode("utf-8"))
        if not smpl:
            raise ValueError("llama.cpp could not parse the grammar")
    one = llama_cpp.llama_token_data(0, 0.0, 0.0)
    probe = llama_cpp.llama_token_data_array(data=ctypes.pointer(one), size=1, selected=-1, sorted=False)
    full: list[Any] = []  # the whole-vocabulary array, built the first time the grammar rejects a top token

    def pick(i: int) -> int:
        """The greedy token allowed by the grammar, from the logits of batch position ``i``."""
        logits = np.ctypeslib.as_array(llama_cpp.llama_get_logits_ith(ctx, i), shape=(n_vocab,))
        best = int(np.argmax(logits))
        if smpl is None:
            return best
        one.id, one.logit, one.p = best, float(logits[best]), 0.0
        probe.size, probe.selected = 1, -1
        llama_cpp.llama_sampler_apply(smpl, ctypes.byref(probe))  # the grammar's check: nothing accepted yet
        if one.logit != float("-inf"):
            return best
        STATS["vocabulary filtered"] += 1
        if not full:
            from llama_cpp import _internals
            full.append(_internals.LlamaTokenDataArray(n_vocab=n_vocab))
        arr = full[0]
        arr.copy_logits(logits)
        llama_cpp.llama_sampler_apply(smpl, ctypes.byref(arr.candidates))
        return int(arr.candidates_data.id[int(np.argmax(arr.candidates_data.logit[: arr.candidates.size]))])

    def commit(token: int) -> bool:
        """Record ``token`` as chosen; False when it ends the generation."""
        if smpl is not None:
            llama_cpp.llama_sampler_accept(smpl, token)
        return not llama_cpp.llama_vocab_is_eog(vocab, token)

    valid = 0  # tokens at the start of llm's record whose KV entries are right
    try:
        # 1. the prompt, after the prefix already in the KV cache (at least one token is evaluated, for its logits)
        if llm.n_tokens > 0:
            cached = llm.input_ids[: llm.n_tokens]
            limit = min(len(cached), len(prompt) - 1)
            while valid < limit and cached[valid] == prompt[valid]:
                valid += 1
        llm.n_tokens = valid
        llm.eval(prompt[valid:])
        valid = llm.n_tokens
        pending = pick(-1)
        context = list(hint) + prompt  # what drafts copy from; the generated tokens join it
        produced = 0
        while commit(pending):
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
            t = time.perf_counter()
            llm._ctx.kv_cache_seq_rm(-1, valid, -1)
            llm._batch.set_batch(batch=batch, n_past=valid, logits_all=True)
            llm._ctx.decode(llm._batch)
            llm.input_ids[valid : valid + len(batch)] = batch
            valid += 1  # the pending token is in the cache now
            STATS["decode_s"] += time.perf_counter() - t
            STATS["steps"] += 1
            STATS["drafted"] += len(guess)
            # 4. keep the guesses the model agrees with; its first own pick becomes the pending token
            for i in range(len(batch)):
                pending = pick(i)
                if i == len(guess) or pending != guess[i]:
                    break
                STATS["accepted"] += 1
                valid += 1
                if not commit(pending):
                    return  # the end of generation was guessed
                yield pending
                produced += 1
                context.append(pending)
                if produced >= max_tokens:
                    return
    finally:
        llm.n_tokens = valid  # rejected guesses leave the record (their KV entries are removed on the next call)
        llm._requires_eval = True  # the context's logits no longer match the last recorded token
        if smpl is not None:
            llama_cpp.llama_sampler_free(smpl)
