"""The ``Generator`` interface and what every backend shares: the whole reply
from the stream, roles, stop-string cutting, loading a local model once per
process, the per-model lock and the timeout errors.

Not here: any backend (see ``qa.backends``). Standard library only.
"""

from __future__ import annotations

import os
import sys
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from qa.config import Settings
from qa.errors import BackendError

Message = dict  # {"role": "system" | "user" | "assistant", "content": str}

# the replies whose first token counts as "yes" / "no" in ``Generator.yes_probability``
YES_SPELLINGS = ("yes", "Yes", " yes", " Yes", "YES")
NO_SPELLINGS = ("no", "No", " no", " No", "NO")


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

    def yes_probability(self, messages: list[Message]) -> float | None:
        """P("yes") / (P("yes") + P("no")) for the first token of the reply, read
        from the model's next-token distribution (no sampling): the summed
        probabilities of the first tokens of ``YES_SPELLINGS`` against those of
        ``NO_SPELLINGS``. None when the backend cannot expose it (then
        ``yes_no_problem`` says why; callers generate a yes/no answer)."""
        return None

    def yes_no_problem(self) -> str | None:
        """None when ``yes_probability`` gives probabilities on this backend;
        else why not, in one sentence (for the start-up warning and the
        record's ``decision``)."""
        if type(self).yes_probability is Generator.yes_probability:
            return f"the {self.name} backend gives no token probabilities"
        return None

    def info(self) -> dict[str, Any]:
        """What produced an answer, stored with every answer record."""
        return {"backend": self.name}

    def for_role(self, role: str) -> Generator:
        """The generator to use for one kind of call ("answer", "judge", "check",
        "rewrite"). Backends whose speed depends on a cached prompt prefix keep
        one model state per role, so the fixed system prompt of each kind of call
        is processed once, not again after every call of another kind."""
        return self


_WARNED: set[str] = set()


def warn_without_yes_no(generator: Generator) -> str | None:
    """``generator.yes_no_problem()``, printed once per process and problem as a
    warning on stderr (at start-up: without P(yes), the fitted answer/refuse
    decision cannot run and the sampled yes/no check decides)."""
    problem = generator.yes_no_problem()
    if problem and problem not in _WARNED:
        _WARNED.add(problem)
        print(
            f"warning: {problem}; the sampled yes/no check decides whether to answer "
            "(the fitted decision needs P(yes); see docs/settings.md, QA_CALIBRATION_FILE)",
            file=sys.stderr,
        )
    return problem


def yes_share(p_yes: float, p_no: float) -> float | None:
    """P(yes) / (P(yes) + P(no)); None when neither has any probability."""
    return p_yes / (p_yes + p_no) if p_yes + p_no > 0 else None


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


# ---------------------------------------------------------------- local models: loaded once, one lock each


@dataclass
class Loaded:
    """A loaded local model and the lock that serialises its use."""

    model: Any
    tokenizer: Any = None
    lock: threading.Lock = field(default_factory=threading.Lock)


_LOADED: dict[tuple, Loaded] = {}
_LOADED_LOCK = threading.Lock()
_MODEL_LOCKS: dict[str, threading.Lock] = {}  # one per model file: its states share the CPU
_MODEL_LOCKS_LOCK = threading.Lock()  # not _LOADED_LOCK: loading (which holds that) asks for a model lock


def model_lock(name: str) -> threading.Lock:
    """The one lock of the model file ``name``."""
    with _MODEL_LOCKS_LOCK:
        return _MODEL_LOCKS.setdefault(name, threading.Lock())


def load_once(key: tuple, load: Callable[[], Loaded]) -> Loaded:
    """One instance per loading key and process; concurrent first calls load once."""
    with _LOADED_LOCK:
        if key not in _LOADED:
            _LOADED[key] = load()
        return _LOADED[key]


def unload_all() -> int:
    """Forget every model ``load_once`` holds (returns how many); each is freed once no
    generator refers to it. For test suites, which load models of several settings in one
    process: each loaded llama.cpp instance holds about 1.7 GB resident, a dequantised
    transformers model several GB."""
    with _LOADED_LOCK:
        n = len(_LOADED)
        _LOADED.clear()
    return n


def acquire(lock: threading.Lock, settings: Settings) -> None:
    """Take the model's lock, or fail after ``settings.timeout_s``."""
    if not lock.acquire(timeout=settings.timeout_s):
        raise BackendError(
            f"the model stayed busy with other requests for {settings.timeout_s:.0f}s",
            "try again, or raise QA_TIMEOUT_S",
        )


def timeout_error(settings: Settings) -> BackendError:
    """The error of a generation that ran past ``settings.timeout_s``."""
    return BackendError(
        f"generation took longer than {settings.timeout_s:.0f}s",
        "ask a shorter question, lower QA_MAX_NEW_TOKENS, or raise QA_TIMEOUT_S",
    )


def threads(settings: Settings) -> int:
    """CPU threads for a local model."""
    return settings.n_threads or os.cpu_count() or 2
