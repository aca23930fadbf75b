"""Errors a user can see. Each one names the fix; the edges (CLI, UI, eval)
turn them into messages instead of tracebacks.

Standard library only.
"""

from __future__ import annotations


class QAError(Exception):
    """Base class: ``str(err)`` is the problem, ``err.fix`` what to run or do next."""

    exit_code = 1

    def __init__(self, message: str, fix: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix

    def user_message(self) -> str:
        return f"{self.message}\n  -> {self.fix}" if self.fix else self.message

    def one_line(self) -> str:
        """``message -> fix`` on one line, as the CLI and the page's API report it."""
        return f"{self.message} -> {self.fix}" if self.fix else self.message


class ConfigError(QAError):
    """An invalid setting (flag, environment variable or default)."""

    exit_code = 2


class InputError(QAError):
    """A question or file the user gave cannot be used as it is."""

    exit_code = 2


class SourceError(QAError):
    """A source file could not be read."""


class IndexMissingError(QAError):
    """No index where one was expected."""


class IndexMismatchError(QAError):
    """An index built with other settings, another model or a newer format."""


class IndexCorruptError(QAError):
    """An index whose files are missing, truncated or inconsistent."""


class IndexLockedError(QAError):
    """Another ``qa index`` run holds the lock."""


class ModelError(QAError):
    """The answer model or embedding model is missing or failed its check."""


class BackendError(QAError):
    """The generation backend failed: server down, timeout, crash."""


REBUILD_HINT = "rebuild it with: qa index --rebuild --index {index}"
