"""The chat page's shared answerer: one ``QA`` loaded in a background thread,
so the page is served at once and shows how loading goes. Callers that need
the model wait for it (``Assistant.wait``) with a timeout; they never get a
status line in place of an answer. No Gradio here.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from qa.config import Settings
from qa.errors import ModelError, QAError

if TYPE_CHECKING:
    from qa.answer import QA
    from qa.retrieve import Retriever

LOAD_TIMEOUT_S = 600.0  # how long a question waits for the model to finish loading


class Assistant:
    """The shared QA instance, loaded in the background; reports its status."""

    def __init__(self, settings: Settings, load_timeout_s: float = LOAD_TIMEOUT_S) -> None:
        self.settings = settings
        self.load_timeout_s = load_timeout_s
        self.qa: QA | None = None
        self.failure: QAError | None = None
        self.progress = 0.0
        self.ready = threading.Event()
        threading.Thread(target=self._load, daemon=True, name="qa-loader").start()

    def build(self) -> QA:
        """The real assistant: the settings' backend, index and embedder."""
        from qa.answer import QA
        from qa.backends import make_generator

        generator = make_generator(self.settings, progress=self._on_progress)
        return QA.from_settings(self.settings, generator=generator)

    def _load(self) -> None:
        try:
            self.qa = self.build()
        except QAError as err:
            self.failure = err
        except Exception as exc:  # shown on the page and by the API instead of a traceback
            self.failure = ModelError(
                f"the assistant could not start: {type(exc).__name__}: {exc}",
                "read the server log above, fix the cause, then restart: qa serve",
            )
        finally:
            self.ready.set()

    def _on_progress(self, fraction: float) -> None:
        self.progress = fraction

    def wait(self, timeout: float | None = None) -> QA:
        """The loaded QA once it is ready; a ``ModelError`` when loading failed
        or is not done within ``timeout`` seconds (default ``load_timeout_s``)."""
        limit = self.load_timeout_s if timeout is None else timeout
        if not self.ready.wait(limit):
            raise ModelError(
                f"the answer model is still loading after {limit:g} s",
                "try again in a minute (the page shows the loading progress)",
            )
        if self.qa is None:
            raise self.failure or ModelError("the answer model did not load", "restart: qa serve")
        return self.qa

    def status(self) -> str:
        if self.failure is not None:
            return f"Problem: {self.failure.user_message()}"
        if self.qa is None:
            pct = f" (preparing model file: {self.progress:.0%})" if 0 < self.progress < 1 else ""
            return f"Loading the answer model{pct}… you can type your question meanwhile."
        index = self.retriever().index
        return f"Ready — {len(index.sources)} sources, {len(index.chunks)} passages indexed."

    def retriever(self) -> Retriever:
        """The live QA's retriever (the page needs the index behind it, not only the search)."""
        from qa.retrieve import Retriever

        found = self.qa.retriever if self.qa is not None else None
        if not isinstance(found, Retriever):
            raise ModelError("the assistant has no index loaded", "restart: qa serve")
        return found

    def reload_index(self) -> None:
        """After a re-index: the live QA searches the new index (same embedder)."""
        from qa.retrieve import Retriever

        if self.qa is not None:
            self.qa.retriever = Retriever.from_settings(self.settings, embedder=self.retriever().embedder)
