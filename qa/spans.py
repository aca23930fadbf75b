"""Spans of a kind inside a sentence: amounts ("$1.6 billion", "15 percent", "forty-four") and dates
("March 2011", "late 2006", "July 1", "the first Monday in December"), and the amount a sentence gives for a year the question names
(``amount_of_year``) or for the group a "what share of <X>" question names (``amount_of_group``). Used by ``qa.commit`` (checks, salvage) and ``qa.extract`` (the rule).
Pure: standard library.
"""

from __future__ import annotations

import re

_AMOUNT = re.compile(
    r"(?:US)?\$?\d[\d,.]*(?:\s*(?:%|percent|per cent|million|billion|thousand|hundred))?"
    r"|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|sixty|seventy|"
    r"eighty|ninety|hundreds?|thousands?|dozens?)(?:[- ](?:one|two|three|four|five|six|seven|eight|nine))?"
    r"(?:\s+(?:percent|per cent|million|billion|thousand|hundred))?\b",
    re.I,
)
ASKS_DURATION = re.compile(r"\bhow long\b", re.I)  # a question asking for a length of time
DURATION = re.compile(  # a length of time: "nearly a century", "ten years", "decades"
    r"\b(?:(?:nearly|almost|about|over|more than|less than)\s+)?(?:(?:a|an|one|half a|several|many|\d[\d,.]*|two|three|"
    r"four|five|six|seven|eight|nine|ten|twenty|thirty|forty|fifty|seventy)\s+)?"
    r"(?:years?|months?|weeks?|days?|decades?|centur(?:y|ies)|generations?)\b",
    re.I,
)
_MONTHS = r"(?:January|February|March|April|May|June|July|August|September|October|November|December)"
_DATE = re.compile(
    rf"(?:(?:early|mid|late)-?\s*)?(?:{_MONTHS}\s+(?:\d{{1,2}},?\s+)?)?\b(?:1[5-9]\d\d|20\d\d)s?\b"
    # a day with no year: "noon on the 3d day of January", "the first Monday in December", "July 1"
    rf"|(?:\b(?:noon|midnight)\s+on\s+)?\bthe\s+\d{{1,2}}(?:st|nd|rd|th|d)\s+day\s+of\s+{_MONTHS}\b"
    rf"|\b(?:the\s+)?(?:first|second|third|fourth|last)\s+(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day\s+(?:in|of)\s+{_MONTHS}\b"
    rf"|\b{_MONTHS}\s+\d{{1,2}}(?:st|nd|rd|th)?\b(?!,?\s*\d)"
)
_MONTH_BEFORE = re.compile(
    r"\b(?:January|February|March|April|May|June|July|August|September|October|November|December|Jan|Feb|Mar|Apr|"
    r"Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\.?\s+$"
)
_QUESTION_YEAR = re.compile(r"\b(?:1[89]\d\d|20\d\d)\b")
_AFTER_YEAR = 30  # characters an amount after the year counts as further away than one before it


def amount_of_year(question: str, sentence: str, reach: int = 45) -> str | None:
    """The amount in ``sentence`` nearest (within ``reach`` characters) a year ``question`` names, when the
    sentence holds that year and more than one amount; None otherwise (or on a tie)."""
    years = [m for m in _QUESTION_YEAR.finditer(sentence) if m.group(0) in set(_QUESTION_YEAR.findall(question))]
    amounts = [
        m
        for m in _AMOUNT.finditer(sentence)
        if not _QUESTION_YEAR.fullmatch(m.group(0).strip(" ,."))
        and not _MONTH_BEFORE.search(sentence[max(0, m.start() - 12) : m.start()])  # "December 15, 2009": a day
        and not sentence[max(0, m.start() - 1) : m.start()].isalnum()
        and sentence[max(0, m.start() - 1) : m.start()] != "-"  # "Bell-412"
    ]
    amounts = [m for m in amounts if any(ch.isdigit() for ch in m.group(0)) or len(m.group(0).strip()) > 3]
    if not years or len(amounts) < 2:
        return None
    # "5,207 in 2008; 6,587 in 2009": an amount before its year belongs to it more than one after it
    gaps = sorted(
        (y.start() - a.end() if a.end() <= y.start() else a.start() - y.end() + _AFTER_YEAR, a.group(0).strip(" ,."))
        for a in amounts
        for y in years
    )
    if gaps[0][0] > reach or (len(gaps) > 1 and gaps[1][0] == gaps[0][0] and gaps[1][1] != gaps[0][1]):
        return None
    return gaps[0][1]


_SHARE_OF = re.compile(
    r"\b(?:share|percentage|proportion|percent|fraction|portion)\s+of\s+(?:the\s+)?(?P<x>[\w'’-]+(?:\s+[\w'’-]+){0,3}?)"
    r"(?=\s+(?:who|that|which|go|goes|went|come|comes|came|are|were|is|was|have|has|had|do|does|did|can|could|will|"
    r"would|should|may|might|get|gets|got|receive|received|end|ended|die|died|live|lived|in|on|at|from|by|under)\b|\W*$)",
    re.I,
)
_WORD = re.compile(r"[a-z0-9]+")


def amount_of_group(question: str, sentence: str) -> str | None:
    """For "what share of <X>…" (X at most four words): the one amount of ``sentence`` written "<amount> of
    <…X…>" ("less than 27 percent of foster youth who graduated…, as compared to 52 percent of the general
    population": 27 percent), when another amount is there too; None otherwise."""
    m = _SHARE_OF.search(question)
    if not m:
        return None
    want = {w[:5] for w in _WORD.findall(m.group("x").lower()) if len(w) > 2}
    amounts = [a for a in _AMOUNT.finditer(sentence) if any(ch.isdigit() for ch in a.group(0)) or a.group(0).strip()]
    if not want or len(amounts) < 2:
        return None
    found = []
    for a in amounts:
        after = re.match(r"\s+(?:of|among)\s+(?:the\s+|all\s+)?((?:[\w'’-]+\s+){0,4}[\w'’-]+)", sentence[a.end() :])
        if after and want <= {w[:5] for w in _WORD.findall(after.group(1).lower())}:
            found.append(a.group(0).strip(" ,."))
    return found[0] if len(set(found)) == 1 else None


def typed_spans(text: str, kind: str, question: str = "") -> list[str]:
    """The spans of ``text`` of ``kind``: amounts for number (lengths of time, "nearly a century", for a
    ``question`` asking how long), dates for when (none for other kinds)."""
    pattern = {"number": _AMOUNT, "when": _DATE}.get(kind)
    if kind == "number" and ASKS_DURATION.search(question):
        pattern = DURATION
    return [m.group(0).strip(" ,.") for m in pattern.finditer(text)] if pattern else []
