"""The llama-cpp-python private internals used by the llama.cpp backend, for
the one supported version (``SUPPORTED_VERSION``, pinned by the Makefile and
pyproject; ``check_version`` refuses another). Drafted greedy decoding, which
builds on ``GrammarFirst``, is in ``qa.backends.llama_drafted``. Here:

- ``compact_json_grammar``: a JSON schema's grammar without optional whitespace;
- ``save_kv`` / ``restore_kv``: a role's prompt state set aside and put back;
- ``chat_formatter``: the GGUF's chat template, as llama-cpp-python applies it;
- ``GrammarFirst``: greedy grammar decoding checks the model's top token
  first and filters the whole vocabulary only when the grammar rejects it
  (the same tokens), for the sampler hook (``install_grammar_first_pick``)
  and drafted decoding alike.

llama_cpp is imported inside the functions, so this module imports without it.
"""

from __future__ import annotations

import collections
import ctypes
import functools
from dataclasses import dataclass
from typing import Any

import numpy as np

from qa.errors import ModelError

SUPPORTED_VERSION = "0.3.36"  # = LLAMA_CPP_VERSION in the Makefile and the pin in pyproject.toml

# how greedy grammar picks went in this process (benchmarks print it): "top token" allowed, "vocabulary filtered"
GRAMMAR_PICKS: collections.Counter[str] = collections.Counter()

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
