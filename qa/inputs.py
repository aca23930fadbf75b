"""Checks of what a user hands the assistant: the question and the
conversation so far. One rule each, used by ``QA`` and by the edges before
they load any model. Standard library only.

A history is a list of turns ``{"role": "user" | "assistant", "content": text}``,
oldest first (what ``QA.ask``/``QA.stream`` and the chat page use).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from qa.errors import InputError

ROLES = ("user", "assistant")
HISTORY_FIX = (
    'pass a JSON file holding a list of turns, e.g. [{"role": "user", "content": "Who signed it?"}, '
    '{"role": "assistant", "content": "..."}], or leave out --history'
)


def check_question(question: object, max_chars: int) -> tuple[str, list[str]]:
    """The question with its whitespace folded and cut to ``max_chars`` (with a
    notice saying so); an empty question is an ``InputError``."""
    if not isinstance(question, str) or not question.strip():
        raise InputError("the question is empty", "type a question about the sources")
    notices: list[str] = []
    question = " ".join(question.split())
    if len(question) > max_chars:
        notices.append(f"the question was {len(question):,} characters; only the first {max_chars:,} were used")
        question = question[:max_chars].rsplit(" ", 1)[0]
    return question, notices


def check_history(turns: Any, where: str = "the history") -> list[dict[str, str]]:
    """``turns`` as a list of ``{"role", "content"}`` dicts, or an ``InputError``
    naming the first turn that is not one (other keys of a turn are dropped)."""
    if not isinstance(turns, list):
        raise InputError(f"{where} must be a JSON list of turns, got {_kind(turns)}", HISTORY_FIX)
    out = []
    for i, turn in enumerate(turns, 1):
        if not isinstance(turn, dict):
            raise InputError(
                f"{where}: turn {i} must be an object with role and content, got {_kind(turn)}", HISTORY_FIX
            )
        if turn.get("role") not in ROLES:
            raise InputError(
                f"{where}: turn {i} has role {turn.get('role')!r}; it must be 'user' or 'assistant'", HISTORY_FIX
            )
        if not isinstance(turn.get("content"), str):
            raise InputError(
                f"{where}: turn {i} must have a text 'content', got {_kind(turn.get('content'))}", HISTORY_FIX
            )
        out.append({"role": turn["role"], "content": turn["content"]})
    return out


def read_history(path: Path) -> list[dict[str, str]]:
    """The history stored in the JSON file ``path``, checked by ``check_history``."""
    if not path.exists():
        raise InputError(f"history file {path} does not exist", HISTORY_FIX)
    try:
        text = path.read_text(encoding="utf-8")
    except IsADirectoryError:
        raise InputError(f"history file {path} is a folder, not a file", HISTORY_FIX) from None
    except PermissionError:
        raise InputError(
            f"cannot read history file {path}: permission denied", f"fix its permissions (chmod u+r {path})"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read history file {path}: {exc}", HISTORY_FIX) from None
    try:
        turns = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"history file {path} is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})", HISTORY_FIX
        ) from None
    return check_history(turns, where=f"history file {path}")


def _kind(value: object) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "true/false", type(None): "null"}
    return names.get(type(value), "a number" if isinstance(value, (int, float)) else type(value).__name__)
