"""The model's output read back: ``parse_model_output`` turns the JSON answer
(or, from a backend that could not enforce the schema, free text with [n]
markers) into a ``Draft``; ``draft_from_partial`` shows the readable text of a
JSON answer still being generated. Keys are taken as written: validating them
is ``qa.citations.validate``'s job. Pure: standard library and records only.
"""

from __future__ import annotations

import json
import re
from typing import Any

from qa.citations import split_cited
from qa.prompts import REFUSAL
from qa.records import Draft, DraftSentence

# one {"passages": [...], "text": "..."} item, possibly cut off anywhere after "passages"
_PARTIAL = re.compile(r'"passages"\s*:\s*\[([\d,\s]*)\]?\s*,?\s*(?:"text"\s*:\s*"((?:[^"\\]|\\.)*)("?))?')


def parse_model_output(raw: str) -> Draft:
    """The draft's sentences and their keys from the model's JSON; from broken
    JSON only the sentence texts, never the syntax; from free text the
    sentences with [n] markers. No sentences when the model declined."""
    text = raw.strip()
    m = re.search(r"\{.*\}", text, re.S)
    if m:
        try:
            return Draft(_from_json(json.loads(m.group(0))), raw)
        except (json.JSONDecodeError, AttributeError, TypeError, ValueError):
            pass
    if text.startswith("{"):
        return Draft(_from_broken_json(text), raw)
    if not text or REFUSAL.lower().rstrip(".") in text.lower():
        return Draft((), raw)
    return Draft(tuple(split_cited(text)), raw)


def _from_json(obj: Any) -> tuple[DraftSentence, ...]:
    out = []
    for s in obj.get("sentences") or []:
        t = " ".join(str(s.get("text", "")).split())
        keys = tuple(int(k) for k in (s.get("passages") or []) if str(k).lstrip("-").isdigit())
        # markers the model also wrote inside the text count too
        for ps in split_cited(t) or []:
            keys += ps.keys
        cleaned = " ".join(p.text for p in split_cited(t)) or t
        if cleaned:
            out.append(DraftSentence(cleaned, keys))
    return tuple(out)


def _from_broken_json(text: str) -> tuple[DraftSentence, ...]:
    parts = [
        (
            json.loads('"' + m.group(2).rstrip("\\") + '"') if _valid_json_string(m.group(2)) else m.group(2),
            tuple(int(k) for k in re.findall(r"\d+", m.group(1))),
        )
        for m in _PARTIAL.finditer(text)
        if m.group(2)
    ]
    return tuple(DraftSentence(" ".join(t.split()), keys) for t, keys in parts if t.strip())


def _valid_json_string(body: str) -> bool:
    try:
        json.loads('"' + body.rstrip("\\") + '"')
        return True
    except json.JSONDecodeError:
        return False


def draft_from_partial(buf: str) -> str:
    """The readable draft inside a partial JSON answer, for streaming."""
    parts = []
    for m in _PARTIAL.finditer(buf):
        if m.group(2) is None:
            break
        try:
            text = json.loads('"' + m.group(2).rstrip("\\") + '"')
        except json.JSONDecodeError:
            text = m.group(2)
        keys = [k for k in re.findall(r"\d+", m.group(1))]
        closed = bool(m.group(3))
        parts.append(text + ((" " + "".join(f"[{k}]" for k in keys)) if closed else ""))
    return " ".join(parts)
