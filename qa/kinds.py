"""The kind of a question, by rule: one fact, two or more parts, a
comparison of named sources or periods, a summary of what a source says
(argues, recommends, concludes, proposes), or a list ("which operations…",
"what range of strategies…").

The kind decides how evidence is gathered (``qa.broad``): a fact from the
best passages, a summary or list from one whole document, a comparison one
block per source, parts one block per part. Pure: standard library and ``qa.text``.
The rule is measured on the labelled questions in
``tests/data/question_kinds.jsonl`` (``tests/test_kinds.py``).
"""

from __future__ import annotations

import re

from qa.text import without_carried_topic

FACT, PARTS, COMPARE, SUMMARY, LIST = "fact", "parts", "compare", "summary", "list"
KINDS = (FACT, PARTS, COMPARE, SUMMARY, LIST)

_WH = r"(?:what|who|whom|whose|when|where|why|how|which|did|does|do|is|are|was|were|has|have|can)"
# a comparison: its own verbs, or "X and Y each" ("between <a> and <b>" alone is no comparison:
# "deaths from shootouts between government forces and the cartels" asks one share)
_COMPARE = re.compile(
    r"\b(?:compar\w*|contrast\w*|differ\w*|difference|versus|vs\.?|similar\w*|agree|disagree"
    r"|^\W*(?!(?:which|what|who|whom|where|when)\b)\w+\b[^?]*\bmore \w+ than"  # not "Which issues … more important than…?"
    r"|(?:which|who) is (?:more|less)\b|change[ds]? (?:between|from|since))\b"
    r"|\band\b[^?]*\b(?:each(?!\s+(?:year|month|week|day|time|session|term)s?\b)|both)\b|\bin each\b|\bboth\b[^?]*\band\b"
    r"|\b(?:each|every|different) (?:source|author|document|report|paper|article)s?\b",
    re.I,
)
# a summary: what a source says as a whole
_SUMMARY = re.compile(
    r"\b(?:summar\w*|overview|gist|overall|(?:title|section|chapter|part|point|article) by (?:title|section|chapter|part|point|article)|main (?:points?|arguments?|findings?|message|claims?|conclusions?)"
    r"|key (?:points?|findings?|arguments?|takeaways?|recommendations?|conclusions?)"
    # not the object of a reply ("How did Canada respond to the proposal for…?" asks what Canada did)
    r"|(?<!\bto the )(?<!\bon the )(?<!\bagainst the )(?<!\bwith the )"
    r"(?:recommend\w*|argue\w*|argument|propos\w*|conclu\w*|suggest\w*|advocat\w*|urge[sd]?)"
    r"|(?:position|stance|view|verdict|assessment) (?:does|do|did|of|on)\b|assess(?:es|ed)?\b[^?]*\boverall"
    r"|according to \w+[^?]*\bshould\b|what should\b)"
    # what a named person or source says about a topic ("What does Downie say about the Palermo Model?"),
    # not what "the sources" say (a topic question, ``qa.asks``) nor what "a legislator" said
    r"|^\W*what (?:does|do|did) (?-i:[A-Z])[\w.'’-]*(?: (?:[A-Z][\w.'’-]*|de|of|and|No\.|\d+))* "
    r"(?:say|write|think|argue)s? about\b",
    re.I,
)
# "…say about <topic>" (not "argue": a summary's own cue); the topic is what whole-document selection looks for
SAYS_ABOUT = re.compile(r"\b(?:say|write|think)s? about\b(?P<topic>[^?]*)", re.I)


def says_about(question: str) -> bool:
    """ "What does <name> say about <topic>?": a summary when the name is a source's author (``qa.broad``
    checks), else a question about what a person in the documents said ("What did Fox say about …?")."""
    return bool(SAYS_ABOUT.search(question))


# a question asking for a name, date, place or number: its cue verb ("Who proposed…",
# "How many options does Downie propose?") is what is said of the thing asked for, not a summary
_TYPED_ASK = re.compile(
    r"^\W*(?:(?:and|but|so)\s+)?(?:who|whom|whose|when|where|how (?:many|much|long|often)"
    r"|which (?:\w+ ){0,2}(?:officials?|leaders?|people|persons?|authors?|experts?|officers?|agenc(?:y|ies)"
    r"|organi[sz]ations?|presidents?|senators?|members?|generals?|ambassadors?|groups?)"
    # which one thing, its verb right after it: "Which think tank published a proposal…?"
    r"|which (?:[\w-]+ ){0,2}?[\w-]*[^\Ws] (?:\w+ed|did|does|do|is|was|has|had|will|would|can|could)(?= ))\b",
    re.I,
)
# a list: "which operations", "what kinds of", "list the …", "name the …"
_LIST = re.compile(
    r"\b(?:what (?:range|kinds?|types?|sorts?|forms?|variety) of|list (?:the|all)|name (?:the|all)|enumerate"
    r"|what (?:(?:are|were) the )?(?:two|three|four|five|six|seven|eight) (?:[\w-]+ ){0,2}\w{3,}s|what (?:(?:several|main|key|\w+ic|\w+al) ){0,2}(?:steps|measures|challenges|options|programs|programmes|strategies|obstacles|reforms|actions|areas))\b"
    r"|(?<!\bin )(?<!\bat )(?<!\bon )(?<!\bfrom )(?<!\bto )(?<!\bby )(?<!\bduring )"  # "In which states…?" asks where
    r"\b(?:which|what) (?:\w+ )?(?!\w*(?:ss|us|is)\b|(?:series|species|news|means)\b)\w{3,}s (?:did|do|does|were|are|have|had|took|take)\b"
    # "Which earlier periods of … does Downie describe?": the things a source names, several
    r"|^\W*(?:which|what) (?:[\w-]+ ){0,2}?(?!\w*(?:ss|us|is)\b|(?:series|species|news|means)\b)\w{3,}s\b[^?]*"
    r"\b(?:do|does|did) (?:[\w.'’-]+ ){1,4}?(?:describe|identify|list|mention|cite|name|discuss|outline|highlight)\b",
    re.I,
)
# two questions in one: "…? …?", or ", and when", "and what role…"
_PART_JOIN = re.compile(
    rf"(?:,|;)?\s+(?:and|but also)\s+(?:(?:in|at|on|over|for|by|from|since|to|with|under|after)\s+)?(?={_WH}\b)", re.I
)


def kind_of(question: str, named_sources: int = 0) -> str:
    """The kind of ``question`` (one of ``KINDS``); ``named_sources``: how many indexed sources it names.

    Order matters: a comparison beats parts ("What do Starr and Payan each
    say…" is one block per source, not two parts), parts beat a summary, a
    summary beats a list ("Which recommendations does Downie make?" reads the
    document either way)."""
    q = without_carried_topic(" ".join(question.split()))
    if _COMPARE.search(q) or (named_sources >= 2 and re.search(r"\band\b", q, re.I)):
        return COMPARE
    if _has_parts(q):
        return PARTS
    if _SUMMARY.search(q) and not _TYPED_ASK.match(q):
        return SUMMARY
    if _LIST.search(q):
        return LIST
    return FACT


def _has_parts(q: str) -> bool:
    """Two questions: two question marks, a second wh-clause joined by "and", or one asked of two
    things (``distributed``)."""
    pieces = [p for p in re.split(r"\?+", q) if len(p.split()) >= 2]
    if len(pieces) >= 2:
        return True
    return bool(_PART_JOIN.search(q)) or len(distributed(q)) == 2


# one question asked of two things, its preposition repeated: "…to serve as a Representative and as a Senator?"
_DISTRIBUTED = re.compile(
    r"^(?P<stem>.+?)\s+(?P<p>as|for|of|in|under|to|at|by|from|with|on|during)\s+(?P<a>[^,;?]+?),?\s+and\s+(?P=p)\s+"
    r"(?P<b>[^,;?]+?)\s*\?*$",
    re.I,
)


def distributed(question: str) -> list[str]:
    """The two questions of one asked of two things with its preposition repeated ("What are the minimum
    ages to serve as a Representative and as a Senator?" -> "…to serve as a Representative?", "…to serve
    as a Senator?"); [] for any other question."""
    m = _DISTRIBUTED.match(" ".join(question.split()))
    if not m or len(m["stem"].split()) < 3:
        return []
    return [f"{m['stem']} {m['p']} {m['a']}?", f"{m['stem']} {m['p']} {m['b']}?"]
