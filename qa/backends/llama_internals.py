"""Everything that reaches into llama-cpp-python's private internals, for
the one supported version (``SUPPORTED_VERSION``, pinned by the Makefile and
pyproject; ``check_version`` refuses another):

- ``compact_json_grammar``: a JSON schema's grammar without optional whitespace;
- ``save_kv`` / ``restore_kv``: a role's prompt state set aside and put back;
- ``chat_formatter``: the GGUF's chat template, as llama-cpp-python applies it;
- ``GrammarFirst``: greedy grammar decoding checks the model's top token
  first and filters the whole vocabulary only when the grammar rejects it
  (the same tokens), for the sampler hook (``install_grammar_first_pick``)
  and drafted decoding alike;
- ``greedy_tokens``: greedy decoding checking prompt-lookup guesses
  (``qa.backends.drafts``) in one batch with the pending token; a guess is
  kept only while it equals the model's own pick: the greedy output, sooner.

llama_cpp is imported inside the functions, so this module imports without it.
"""

from __future__ import annotations

import collections
import ctypes
import functools
import time
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from qa.backends.drafts import prompt_lookup
from qa.errors import ModelError

SUPPORTED_VERSION = "0.3.36"  # = LLAMA_CPP_VERSION in the Makefile and the pin in pyproject.toml

# how greedy grammar picks went in this process (benchmarks print it): "top token" allowed, "vocabulary filtered"
GRAMMAR_PICKS: collections.Counter[str] = collections.Counter()
# how drafting went in this process (benchmarks print it): steps, drafted, accepted, decode_s
STATS: dict[str, float] = collections.defaultdict(float)

_TOKEN_DATA = np.dtype([("id", np.intc), ("logit", np.single), ("p", np.single)], align=True)


def check_version(installed: str) -> None:
    """Refuse a llama-cpp-python other than the one this module was written against."""
    if installed != SUPPORTED_VERSION:
        raise ModelError(
            f"llama-cpp-python {installed} is installed, but qa supports only {SUPPORTED_VERSION} "
            "(it uses llama-cpp-python internals that change between versions)",
            f"run `make setup` (it builds llama-cpp-python {SUPPORTED_VERSION})",
        )


@functools.lru_cache(maxsize=32)
def compact_json_grammar(schema: str) -> Any:
    """The llama.cpp grammar of a JSON schema, without optional whitespace.

    Every decoded token costs a model call; the spaces llama-cpp-python's
    grammar allows around each bracket, colon and comma add some 15 tokens to
    a two-sentence answer (18 tokens open the first sentence, 11 compact)."""
    from llama_cpp.llama_grammar import LlamaGrammar, json_schema_to_gbnf

    gbnf = json_schema_to_gbnf(schema)
    lines = [('space ::= ""' if line.startswith("space ::=") else line) for line in gbnf.splitlines()]
    return LlamaGrammar.from_string("\n".join(lines), verbose=False)


# ---------------------------------------------------------------- prompt states and the chat template


@dataclass
class SavedKV:
    """A role's prompt state set aside: llama.cpp sequence 0 and its tokens."""

    tokens: Any  # numpy array of token ids
    data: Any  # ctypes buffer from llama_state_seq_get_data
    size: int


def save_kv(llm: Any) -> SavedKV | None:
    """A copy of ``llm``'s prompt state; None when it holds nothing."""
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
    return SavedKV(llm.input_ids[:n].copy(), buf, int(written))


def restore_kv(llm: Any, saved: SavedKV) -> bool:
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


def chat_formatter(llm: Any) -> Any:
    """The GGUF's own chat template, built as ``create_chat_completion`` builds
    it; None when the file has none (or another chat format is set)."""
    template = llm.metadata.get("tokenizer.chat_template")
    if not template or llm.chat_format != "chat_template.default":
        return None
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    eos, bos = llm.token_eos(), llm.token_bos()
    return Jinja2ChatFormatter(
        template=template,
        eos_token=llm._model.token_get_text(eos) if eos != -1 else "",
        bos_token=llm._model.token_get_text(bos) if bos != -1 else "",
        stop_token_ids=[eos],
    )


# ---------------------------------------------------------------- the grammar-first pick


class GrammarFirst:
    """The grammar-first step: is the model's top token one the grammar allows?

    Greedy decoding only needs the best token the grammar allows, and that is
    nearly always the model's own top token: checking it alone spares running
    the grammar over the whole vocabulary before every pick."""

    def __init__(self, grammar_sampler: Any) -> None:
        import llama_cpp

        self._apply = llama_cpp.llama_sampler_apply
        self.grammar = grammar_sampler
        self.one = llama_cpp.llama_token_data(0, 0.0, 0.0)  # the top token, as the grammar left it
        self._probe = llama_cpp.llama_token_data_array(data=ctypes.pointer(self.one), size=1, selected=-1, sorted=False)

    def top(self, logits: np.ndarray, ids: np.ndarray | None = None) -> int | None:
        """The position of the largest of ``logits`` when the grammar allows its
        token (``ids[position]``, or the position itself), else None. Stateless:
        the grammar accepts nothing."""
        best = int(np.argmax(logits))
        token = best if ids is None else int(ids[best])
        self.one.id, self.one.logit, self.one.p = token, float(logits[best]), 0.0  # type: ignore[assignment]
        self._probe.size, self._probe.selected = 1, -1
        self._apply(self.grammar, ctypes.byref(self._probe))  # a rejected token gets logit -inf
        allowed = self.one.logit != float("-inf")
        GRAMMAR_PICKS["top token" if allowed else "vocabulary filtered"] += 1
        return best if allowed else None


def install_grammar_first_pick(llm: Any) -> None:
    """Make ``llm``'s greedy JSON-schema decoding (``create_chat_completion``
    at temperature 0 with a grammar) check the top token first; other sampling
    settings keep llama-cpp-python's chain."""
    import llama_cpp
    from llama_cpp import _internals

    original = llm._init_sampler

    def init_sampler(*args: Any, **kw: Any) -> Any:
        plain = (
            kw.get("temp") == 0.0
            and kw.get("grammar") is not None
            and kw.get("logits_processor") is None
            and kw.get("repeat_penalty", 1.0) == 1.0
            and not kw.get("frequency_penalty")
            and not kw.get("presence_penalty")
            and not args
        )
        if not plain:
            return original(*args, **kw)
        sampler = _internals.LlamaSampler()
        first: list[GrammarFirst] = []  # on the chain's grammar sampler, once added

        def top_token_first(cur_p: Any) -> None:
            arr = cur_p.contents
            view = np.frombuffer(
                (llama_cpp.llama_token_data * arr.size).from_address(ctypes.addressof(arr.data.contents)),
                dtype=_TOKEN_DATA,
            )
            if first[0].top(view["logit"], view["id"]) is not None:
                arr.data[0] = first[0].one
                arr.size = 1  # the grammar and the greedy pick then see only the top token

        sampler.add_custom(top_token_first)
        sampler.add_grammar(llm._model, kw["grammar"])
        first.append(GrammarFirst(llama_cpp.llama_sampler_chain_get(sampler.sampler, 1)))
        sampler.add_greedy()
        return sampler

    llm._init_sampler = init_sampler


# ---------------------------------------------------------------- drafted greedy decoding


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
