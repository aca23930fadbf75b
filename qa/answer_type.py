"""The kind of thing a question asks for, read coarsely for scoring (``asked_type``: when, number,
who, where or anything), whether a sentence holds something of that kind (``holds_type``), and how much
a sentence says that the question does not (``novelty``). Used by the pre-score, the shortlist, the
decision and the broad path. Pure: standard library, ``qa.text`` and ``qa.asks``.
"""

from __future__ import annotations

import re

from qa.asks import ask_of
from qa.text import content_terms, names, numbers, tokenize

_YEAR = re.compile(r"\b(?:1[89]\d\d|20\d\d)s?\b")
_MONTH = re.compile(r"\b(?:January|February|March|April|May|June|July|August|September|October|November|December)\b")


def asked_type(question: str) -> str:
    """What kind of thing is asked: "when", "number", "who", "where" or "" (anything)."""
    q = question.lower()
    if re.search(r"\bwhen\b|\bwhat (?:year|date|month)\b|\bsince when\b", q):
        return "when"
    if re.search(r"\bhow (?:many|much|long|often)\b|\bwhat (?:number|share|percentage|amount)\b", q):
        return "number"
    if re.search(r"\bwho\b|\bwhom\b|\bwhose\b|\bwhich (?:person|official|agency|organi[sz]ation)\b", q):
        return "who"
    if re.search(r"\bwhere\b|\bwhich (?:city|country|state|place)\b", q):
        return "where"
    kind = ask_of(question).kind  # "Which mayor…", "What year…": the head noun's kind
    return kind if kind in ("who", "when", "where", "number") else ""


def holds_type(kind: str, sentence: str, question: str) -> bool:
    """Does ``sentence`` hold something of the asked ``kind`` that the question does not already say?"""
    if kind == "when":
        return bool(_YEAR.search(sentence) or _MONTH.search(sentence)) and bool(
            numbers(sentence) - numbers(question) or _MONTH.search(sentence)
        )
    if kind == "number":
        return bool(numbers(sentence) - numbers(question)) or bool(
            re.search(r"\b(?:hundred|thousand|million|billion|dozen|percent)\b", sentence, re.I)
        )
    if kind in ("who", "where"):
        return bool(names(sentence) - set(tokenize(question)))
    return False


def novelty(sentence: str, question: str) -> float:
    """Share of the sentence's content terms (and numbers) the question does not contain: 0 is a pure echo."""
    terms = set(content_terms(sentence)) | numbers(sentence)
    if not terms:
        return 0.0
    asked = set(content_terms(question)) | numbers(question)
    return len(terms - asked) / len(terms)
