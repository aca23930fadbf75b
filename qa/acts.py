"""What a question's act asks of the sentence that answers it, beyond the kind of its answer: a total
("How many … in total?") is written by a sentence that sums, not by one instalment; "Who leads / replaced /
signed / founded …?" by a sentence that writes that act, not one naming people beside the thing; a count
of the dead or arrested is never a share. Pure: standard library.
"""

from __future__ import annotations

import re

_TOTAL_ASKED = re.compile(r"\b(?:in total|the total|a total|total number|altogether|in all|all told|overall)\b", re.I)
_TOTAL = re.compile(
    r"\b(?:total\w*|in all|altogether|overall|combined|cumulative\w*|to date|so far|all told|since|sum)\b",
    re.I,
)


# a "who" question's act and the words a sentence answering it writes (its verb, the post, the noun)
_WHO_DID = tuple(
    (re.compile(rf"\bwho\b.*\b(?:{asked})\b", re.I), re.compile(rf"\b(?:{held})\b", re.I))
    for asked, held in (
        (
            r"leads?|led|heads?|headed|runs?|ran|directs?|directed|chairs?|chaired|commands?|commanded|in charge",
            r"lead\w*|led|head\w*|chief|direct\w*|chair\w*|command\w*|run\w*|ran|in charge|manag\w*|coordinat\w*",
        ),
        (
            r"replaced?|succeeded|succeeds?|took over|replacing",
            r"replac\w*|succe\w*|new|named|appoint\w*|took over|nominat\w*|chose|selected|tapped",
        ),
        (r"signed|signs?", r"sign\w*"),
        (r"founded|created|established|set up", r"found\w*|creat\w*|establish\w*|set up|launch\w*|form\w*"),
    )
)


# a count of the dead or the arrested, never a share ("How many Mexicans support…?" may be "70 percent")
_COUNT_ASKED = re.compile(
    r"\bhow many\b.*\b(?:murder\w*|kill\w*|died|die|dead|deaths?|homicides?|victims?|casualt\w*|arrest\w*|"
    r"detain\w*|extradit\w*)\b",
    re.I,
)
_PERCENT = re.compile(r"%|\bper ?cent\b", re.I)


def held(question: str, kind: str, sentence: str) -> bool:
    """Does ``sentence`` write what the act of ``question`` (asking for ``kind``) needs: a sum for a
    total, the act for "who leads / replaced / signed / founded"? True when the question asks neither."""
    if kind == "number" and _TOTAL_ASKED.search(question) and not _TOTAL.search(sentence):
        return False  # one delivery of five helicopters is no total
    if kind == "who":
        return all(cue.search(sentence) for asked, cue in _WHO_DID if asked.search(question))
    return True


def share_for_count(question: str, phrase: str) -> bool:
    """Is ``phrase`` a percentage given for a count of the dead or arrested ("How many people were
    murdered…?" / "15 percent" of all homicides)?"""
    return bool(_COUNT_ASKED.search(question) and _PERCENT.search(phrase))
