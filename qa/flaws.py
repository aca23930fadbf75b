"""Answer sentences a reader would not recognise (the fragment metric of ``qa.evaluation.metrics``):
``answer_sentence_flaws`` reads a shown sentence with ``qa.units``. Pure: standard library and ``qa.units``.
"""

from __future__ import annotations

import re

from qa.layout import _BULLET
from qa.units import LIST_ITEM, units

_LIST_MARK = re.compile(rf"^(?:[{_BULLET}\-*]|\(?\w{{1,3}}[.)])\s")


def answer_sentence_flaws(sentence: str, allowed: frozenset[str] = frozenset()) -> tuple[bool, bool]:
    """(fragment, non-prose) for an answer sentence: a fragment starts mid-sentence (a lower-case first
    letter not after a list marker) or ends without closing punctuation (list items aside); non-prose
    holds a unit that is not a sentence or list item (heading, footnote, biography, page furniture...),
    nor of a kind the question asks for (``allowed``: ``{BIO}`` for "where did she study?")."""
    text = sentence.strip()
    if not text:
        return False, False
    found = units(text)
    if allowed and found and all(u.kind in allowed for u in found):
        return False, False  # the kind the question asks for ("Who wrote…?": a title block or signature)
    # a column of bullets glued before the text ("• • • • • Demonstrate success...") is page furniture
    non_prose = any(not u.is_evidence and u.kind not in allowed for u in found) or (
        re.match(rf"^(?:[{_BULLET}]\s*){{2,}}", text) is not None
    )
    is_item = bool(found) and found[0].kind == LIST_ITEM or bool(_LIST_MARK.match(text))
    first = next((c for c in text if c.isalpha()), "")
    starts_mid = first.islower() and not is_item
    open_end = text.rstrip("\"'”’)]*")[-1:] not in ".!?:;" and not is_item
    return starts_mid or open_end, non_prose
