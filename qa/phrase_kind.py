"""Is a committed phrase of the kind its question asks for (``of_kind``)? A name
(a capitalised word the question does not hold) for who/where, and an
organisation for "which agency / party…"; a year, month or date for when (an
exact year for "in what year": "the 1980s" is not one); a number or quantity
word for how many/much (a length of time for how long; an amount of money for a budget, cost or funding:
"35,000 officers" is not a budget; "six years" does not count terms). Other
kinds need no type. Pure: standard library, ``qa.text``, ``qa.acts`` and
``qa.grounding``.
"""

from __future__ import annotations

import re

from qa import acts
from qa.asks import Ask
from qa.grounding import GENERIC_COUNTS, counted_noun
from qa.spans import ASKS_DURATION, DURATION
from qa.text import numbers, tokenize

_YEAR = re.compile(r"\b(?:1[5-9]\d\d|20\d\d)s?\b|\b\d{2}(?:th|st|nd|rd) century\b", re.I)
_MONTH = re.compile(
    r"\b(?:January|February|March|April|May|June|July|August|September|October|November|December|"
    r"Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\.?\b"
)
_QUANTITY = re.compile(
    r"\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|fifty|"
    r"sixty|seventy|eighty|ninety|hundred|hundreds|thousand|thousands|million|millions|billion|billions|dozen|"
    r"dozens|half|third|quarter|percent|per cent|twice|several|a few)\b|%|\$|\d",
    re.I,
)
_CAPITALISED = re.compile(r"(?<![\w’'])[A-ZÀ-Þ][\w’'.-]*")
_UNIT = re.compile(r"\b(?:years?|months?|weeks?|days?|decades?|hours?|dollars?|pesos?|percent|times)\b", re.I)

_ASKS_MONEY = re.compile(
    r"\b(?:budget|cost|costs|funding|funds|money|spend|spent|spending|appropriat\w*|price|salary|paid|pay)\b", re.I
)
_MONEY = re.compile(r"[$€£¥]|\b(?:US\$|USD|dollars?|pesos?|euros?|million|billion|trillion|bn|mn)\b", re.I)
_ASKS_SHARE = re.compile(r"\b(?:share|percent\w*|proportion|fraction|part|how much of|what portion)\b", re.I)
_ASKS_YEAR = re.compile(r"\b(?:what|which)\s+year\b", re.I)
_BODIES = r"agenc(?:y|ies)|department|organi[sz]ation|bureau|administration|ministry|secretariat|party"
_ASKS_BODY = re.compile(rf"\b(?:which|what)\s+(?:[\w.-]+\s+){{0,2}}?(?:{_BODIES})\b", re.I)
_BODY = re.compile(rf"(?i:{_BODIES}|command|commission|council|institute|forces?|guard|army|navy|police)|[A-Z]{{2,}}s?")
_EXACT_YEAR = re.compile(r"\b(?:1[5-9]|20)\d\d\b(?!\s*s\b|'?s\b)")


def of_kind(ask: Ask, phrase: str, question: str) -> bool:
    """Does ``phrase`` hold the kind of thing ``ask`` asks for (and the question does not already say)?"""
    if ask.kind == "when":
        if _ASKS_YEAR.search(question) and not _EXACT_YEAR.search(phrase):
            return False  # "In what year…?" is not answered by "the 1980s"
        return bool(_YEAR.search(phrase) or _MONTH.search(phrase)) and (
            bool(numbers(phrase) - numbers(question)) or bool(_MONTH.search(phrase))
        )
    if ask.kind == "number":
        if _ASKS_MONEY.search(question) and not _ASKS_SHARE.search(question) and not _MONEY.search(phrase):
            return False  # a budget is not "35,000 officers"
        if acts.share_for_count(question, phrase):
            return False  # "How many people were murdered…?" is not answered by "15 percent" (of all homicides)
        new = bool(numbers(phrase) - numbers(question)) or not numbers(phrase)  # a number the question lacks, or none
        if ASKS_DURATION.search(question):  # "How long…?": "nearly a century", "years", "ten years"
            return bool(DURATION.search(phrase)) and new
        noun = counted_noun(question)
        units = [u.lower() for u in _UNIT.findall(phrase)]
        if noun and noun not in GENERIC_COUNTS and units and all(u[:4] != noun[:4] for u in units):
            return False  # "six years" counts years, not the terms asked for
        return bool(_QUANTITY.search(phrase)) and new
    if ask.kind in ("who", "where"):
        asked = set(tokenize(question))
        head = re.split(r"\s+(?:in|at|on|near|of|for)\s+|[,(]", phrase.strip())[0].split()
        if _ASKS_BODY.search(question) and not (head and _BODY.fullmatch(head[-1].strip("\"'“”’."))):
            return False  # "Which U.S. agency ran it?" is not answered by "the Federal Court Building in El Paso"
        return any(_unsaid(w, asked) for w in _CAPITALISED.findall(phrase))
    return True


def _unsaid(word: str, asked: set[str]) -> bool:
    """Does capitalised ``word`` hold a word ``asked`` lacks, also as a stem ("Speaker" is said by a
    question on the "speakership": "the new Speaker" names no one it does not)?"""
    return any(not any(_stem_of(t, a) or _stem_of(a, t) for a in asked) for t in tokenize(word))


def _stem_of(short: str, long: str) -> bool:
    return short == long or (len(short) >= 5 and long.startswith(short))
