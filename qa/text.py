"""Text utilities shared by retrieval, prompts and verification: index terms
(``tokenize``), the numbers and names a claim states. Pure: standard library
and ``qa.sentences`` only (no numpy), so the pure modules can use them.
"""

from __future__ import annotations

import re
import unicodedata

from qa.sentences import sentence_spans, words

STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "been",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "for",
        "from",
        "had",
        "has",
        "have",
        "he",
        "her",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "may",
        "might",
        "more",
        "most",
        "of",
        "on",
        "or",
        "our",
        "she",
        "should",
        "so",
        "such",
        "than",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "to",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "about",
        "after",
        "also",
        "any",
        "between",
        "both",
        "each",
        "other",
        "over",
        "under",
        "up",
        "out",
    ]
)

_NUM = re.compile(r"\d+(?:[.,]\d+)*")
_WORD = re.compile(r"[^\W\d_][\w’'-]*")


def tokenize(text: str) -> list[str]:
    """Index terms of ``text``: lower-case words minus stop words, accents and plurals folded."""
    return [_stem(_fold(w)) for w in words(text) if w not in STOPWORDS]


def _fold(word: str) -> str:
    if word.isascii():
        return word
    return "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c))


def _stem(word: str) -> str:
    word = word.rstrip("'’")
    if word.endswith(("'s", "’s")):  # possessive: Nieto's -> nieto
        word = word[:-2]
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def content_terms(text: str) -> list[str]:
    """The words that carry a claim (stop words dropped, accents/plurals folded)."""
    return tokenize(text)


def numbers(text: str) -> set[str]:
    """Numbers written in ``text``, thousands separators removed."""
    return {n.replace(",", "") for n in _NUM.findall(text)}


def names(text: str) -> set[str]:
    """Index terms of the capitalised words of ``text`` not opening a sentence
    (people, places, agencies)."""
    out: set[str] = set()
    for s, e in sentence_spans(text):
        for m in list(_WORD.finditer(text[s:e]))[1:]:
            if m.group(0)[0].isupper():
                out.update(tokenize(m.group(0)))
    return out


_CARRIED = re.compile(r"\?\s*\(([^()]*)\)\s*$")


def without_carried_topic(question: str) -> str:
    """``question`` without a trailing bracketed topic carried from the conversation
    ("And López Obrador? (How does Starr say Washington sees Vázquez Mota…)" -> "And López Obrador?"):
    the topic is searched with the question, but it asks nothing (``qa.turn.standalone``)."""
    return _CARRIED.sub("?", question) if _CARRIED.search(question) else question
