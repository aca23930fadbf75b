"""Where the guesses of drafted greedy decoding come from (pure).

An answer mostly restates its passages and wraps them in a fixed JSON
skeleton, so the next few tokens can often be guessed by finding the last few
tokens generated earlier in the prompt (or in an example of the JSON
skeleton) and copying what followed them there ("prompt lookup decoding",
Saxena 2023). The model then checks the guesses (see
``qa.backends.llama_drafted.greedy_tokens``).

Standard library only.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


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
