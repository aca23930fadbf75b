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


# past forms of irregular verbs -> the present a question asks with ("When did he take office?" / "took office")
_IRREGULAR = dict(
    re.findall(
        r"(\w+):(\w+)",
        "took:take taken:take became:become won:win gave:give given:give led:lead met:meet left:leave held:hold "
        "began:begin begun:begin sent:send said:say made:make found:find bought:buy brought:bring fought:fight "
        "sought:seek chose:choose chosen:choose ran:run rose:rise risen:rise fell:fall fallen:fall grew:grow "
        "grown:grow knew:know known:know saw:see seen:see told:tell wrote:write written:write stole:steal "
        "stolen:steal built:build spent:spend paid:pay sold:sell lost:lose kept:keep went:go gone:go came:come "
        "got:get gotten:get stood:stand struck:strike drew:draw drawn:draw drove:drive driven:drive broke:break "
        "broken:break spoke:speak spoken:speak thought:think taught:teach caught:catch hid:hide hidden:hide "
        "shot:shoot fled:flee felt:feel meant:mean heard:hear dealt:deal swore:swear sworn:swear arose:arise "
        "withdrew:withdraw withdrawn:withdraw overtook:overtake undertook:undertake",
    )
)


def base_form(term: str) -> str:
    """An index term with an irregular verb's past folded to its present ("took" -> "take"); others as they are.
    Used where a question's words are matched against a sentence's, not in the index (its terms stay)."""
    return _IRREGULAR.get(term, term)


def content_terms(text: str) -> list[str]:
    """The words that carry a claim (stop words dropped, accents/plurals folded)."""
    return tokenize(text)


def numbers(text: str) -> set[str]:
    """Numbers written in ``text``, thousands separators removed."""
    return {n.replace(",", "") for n in _NUM.findall(text)}


def names(text: str) -> set[str]:
    """Index terms of the capitalised words of ``text`` not opening a sentence
    (people, places, agencies)."""
    return set().union(*name_groups(text))


def name_groups(text: str) -> list[set[str]]:
    """The names of ``text`` as ``names`` reads them, one set of index terms per run of adjacent
    capitalised words ("El Mayo Zambada's trial in New York" -> {el, mayo, zambada}, {new, york}):
    a person or place, however many words it has."""
    return [terms for _, terms in name_runs(text)]


# titles before a person's name ("General Jesús Gutiérrez Rebollo"): not the name's own words
NAME_TITLES = frozenset(
    [
        "president",
        "general",
        "senator",
        "secretary",
        "ambassador",
        "admiral",
        "governor",
        "mayor",
        "minister",
        "mr",
        "ms",
        "mrs",
        "dr",
        "gen",
        "sen",
        "rep",
    ]
)


def name_runs(text: str) -> list[tuple[str, set[str]]]:
    """The names of ``text`` as written, with their index terms ("George W. Bush", {george, w, bush})."""
    out: list[tuple[str, set[str]]] = []
    for s, e in sentence_spans(text):
        last = first = -2
        for m in list(_WORD.finditer(text[s:e]))[1:]:
            if not m.group(0)[0].isupper():
                continue
            terms = set(tokenize(m.group(0)))
            if out and last >= 0 and re.fullmatch(r"\.?\s+", text[s + last : s + m.start()]):  # "George W. Bush"
                out[-1] = (text[s + first : s + m.end()], out[-1][1] | terms)
            elif terms:
                out.append((m.group(0), terms))
                first = m.start()
            else:
                continue  # a capitalised word with no index term ("The") opens no name
            last = m.end()
    return [(name, terms) for name, terms in out if terms]


_CARRIED = re.compile(r"\?\s*\(([^()]*)\)\s*$")


def flat(text: str) -> str:
    """``text`` in lower case, its words one space apart: a name written across a line break is still
    written ("Center for Research and National\nSecurity")."""
    return " ".join(text.lower().split())


def without_carried_topic(question: str) -> str:
    """``question`` without a trailing bracketed topic carried from the conversation
    ("And López Obrador? (How does Starr say Washington sees Vázquez Mota…)" -> "And López Obrador?"):
    the topic is searched with the question, but it asks nothing (``qa.turn.standalone``)."""
    return _CARRIED.sub("?", question) if _CARRIED.search(question) else question
