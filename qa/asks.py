"""What a question asks for (``ask_of``): who, when, where, number, thing
(which/what + noun), define ("What is X?"), topic ("What do the sources say
about X?"), or open (why, how, views, yes/no: no single phrase answers it).
A rule over the question's wh-word and head noun (``qa.ask_nouns``). Pure: standard library.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from qa.ask_nouns import NOUN_KIND

_AUX = (
    r"(?:is|are|was|were|do|does|did|has|have|had|can|could|should|would|will|might|may|must|happened|happens|"
    r"caused|causes|made|makes|led|leads|drove|drives)"
)
_OPEN_START = re.compile(
    rf"^(?:why|how(?!\s+(?:many|much|long|often|old|large|big|far)\b)|{_AUX}|in what way|to what extent)\b", re.I
)
# the words that ask for a view, not a thing ("What does Starr think…"); also the question's frame,
# not what its answer must hold (``qa.compose.asked_share``)
VIEW = re.compile(
    r"\b(?:say|says|said|argue|argues|argued|recommend\w*|propos\w*|conclu\w*|suggest\w*|think|thinks|believe\w*|"
    r"view|views|assess\w*|describe\w*|explain\w*|summar\w*|overview|differ\w*|compare\w*|contrast\w*|role)\b",
    re.I,
)
_TOPIC = re.compile(
    r"^what (?:do|does|did) (?:the |these |our )?(?:sources?|documents?|articles?|texts?|reports?|papers?|authors?)"
    r" (?:say|tell(?: us)?|report|write|note|mention)\s+(?:about|on|of|regarding)\s+(?P<x>.+?)\W*$",
    re.I,
)
_DEFINE = re.compile(r"^(?:what|who)\s+(?:is|are|was|were)\s+(?P<x>.+?)\W*$|^what does (?P<y>.+?) stand for\W*$", re.I)
# "What does CRS mean by the “modern Congress”?", "What is meant by …?": a definition of any wording
_MEANT = re.compile(r"^what\s+(?:(?:does|do|did)\s+.+?\s+mean\s+by|is\s+meant\s+by)\s+(?P<x>.+?)\W*$", re.I)
# a name with the context it is asked in: "the PRD in Mexican politics" defines "PRD"
_IN_CONTEXT = re.compile(r"^(?P<name>.+?)\s+in\s+(?:[\w’'-]+\s+){0,2}[\w’'-]+$")
_WHICH = re.compile(r"^(?:which|what)\s+(?P<noun>[a-z][\w-]*)", re.I)


@dataclass(frozen=True)
class Ask:
    """What a question asks for: ``kind`` in who, when, where, number, thing,
    define, topic, or "" (open: why/how/views, no single phrase); ``target``:
    what a definition or topic question is about."""

    kind: str
    target: str = ""
    plural: bool = False  # asks for several of its kind ("Which institutions does…", "Who were…")

    @property
    def wants_phrase(self) -> bool:
        return self.kind not in ("", "topic")


def ask_of(question: str) -> Ask:
    """The rule: the question's wh-word and head noun (see the module docstring), and whether it asks
    for several (``plural``)."""
    ask = _ask_of(question)
    if ask.kind in ("who", "thing", "where"):
        q = " ".join(without_attribution(question).split())
        return replace(ask, plural=bool(_PLURAL.match(q)))
    return ask


_PLURAL = re.compile(
    rf"^(?:(?:and|so|but)\s+)?(?:who (?:were|are)\b|(?:which|what)\s+(?:[\w.’'-]+\s+){{0,3}}?"
    rf"(?!\w*(?:ss|us|is)\b|(?:series|species|news|means)\b)[a-z]{{3,}}s\s+{_AUX}\b)",
    re.I,
)


_LEAD_IN = re.compile(
    r"^(?!(?:who|whom|whose|what|which|when|where|why|how)\b)(?:[^,?]+?\s+){1,11}?[^,?\s]+,\s+"
    r"(?=(?:who|whom|whose|what|which|when|where|why|how)\b)",
    re.I,
)


# a leading clause of time or condition: the main clause after its comma asks ("When the House picks its
# leader, are Members limited to…?" is a yes/no question, not a "when" one)
_CLAUSE_LEAD_IN = re.compile(
    rf"^(?:when|whenever|once|after|before|while|if|where|until)\s+(?!{_AUX}\b)(?:[^,?]+?\s+){{0,11}}?[^,?\s]+,\s+"
    rf"(?=(?:who|whom|whose|what|which|when|where|why|how|{_AUX})\b)",
    re.I,
)
# "Where does the power … come from?" asks for a source (a clause, a law), not a place
_WHERE_FROM = re.compile(r"^where\b[^?,]*\b(?:come|comes|came|derives?|derived|stems?|originates?)\s+from\b", re.I)

# "Where does X fall short / stand on / differ…?" asks in what respect or what position, not for a place
_WHERE_OPEN = re.compile(
    r"^where\b[^?,]*\b(?:falls?|fell|fallen|come|comes|came) short\b"
    r"|^where\b[^?,]*\b(?:stands?|stood|lags?|lagged|differs?|differed|went wrong|go(?:es)? wrong)\b",
    re.I,
)


def _ask_of(question: str) -> Ask:
    q = " ".join(question.split()).strip()
    q = re.sub(r"^(?:and|but|so|also|then)\s+", "", q, flags=re.I)
    q = re.sub(
        r"^(?:in|on|at|by|from|for|since|until|during|to)\s+(?=(?:what|which|whom|whose|how (?:long|many|much))\b)",
        "",
        q,
        flags=re.I,
    )
    q = re.sub(r"\s*\((?:[^()]*)\)\s*\??$", "?", q)  # a part's carried topic "(…)" is not asked
    q = without_attribution(q)
    lead_in = _LEAD_IN.match(q)  # "If Mexico put the police in charge, how long would…": the main clause asks
    if lead_in:
        q = q[lead_in.end() :]
    clause = _CLAUSE_LEAD_IN.match(q)
    if clause:
        q = q[clause.end() :]
    low = q.lower()
    topic = _TOPIC.match(q)
    if topic:
        return Ask("topic", topic.group("x").strip())
    # "Which party does the brief say will…" still asks for a thing; "What does Downie say…" does not
    asks_thing = re.match(rf"^(?:who|when|how many|how much|(?:which|what)\s+(?!{_AUX}\b)[a-z][\w-]*)\b", low)
    if _OPEN_START.match(low) or (VIEW.search(low) and not asks_thing):
        return Ask("")
    if re.match(r"^(?:when|since when|until when)\b", low):
        return Ask("when")
    if re.match(r"^how (?:many|much|long|often|old|large|big|far)\b", low):
        return Ask("number")
    meant = _MEANT.match(q)
    if meant:
        x = re.sub(r"^(?:the|a|an)\s+", "", meant.group("x").strip(), flags=re.I).strip(" \"'“”‘’")
        if x and len(x.split()) <= 6:
            return Ask("define", x)
    define = _DEFINE.match(q)
    if define:
        x = (define.group("x") or define.group("y") or "").strip(" \"'“”‘’")
        x = re.sub(r"^(?:the|a|an)\s+", "", x, flags=re.I)
        named = _IN_CONTEXT.match(x)
        if named and not all(_proper(w) for w in x.split()) and not re.search(r"\b(?:of|for|to|by|about)$", x):
            x = named.group("name")
        if x and len(x.split()) <= 6 and all(_proper(w) for w in x.split()):
            return Ask("define", x)
    if re.match(r"^(?:who|whom|whose)\b", low):
        return Ask("who")
    if re.match(r"^where\b", low):
        if _WHERE_OPEN.match(low):  # "Where does the military fall short?": in what respect, not a place
            return Ask("")
        return Ask("thing" if _WHERE_FROM.match(low) else "where")
    which = _WHICH.match(q)
    if which:
        noun = which.group("noun").lower()
        if re.fullmatch(_AUX, noun):
            the = re.match(
                r"^what (?:is|was|are|were) (?:the|[\w.-]+(?: [\w.-]+)?['’]s|his|her|their|its) "
                r"((?:[\w-]+\s+){0,3}?[\w-]+)(?:\s+(?:of|for|in|at|that|after|before|during|since|under|on|by|between|among|from|with)\b|\W*$)",
                low,
            )
            if not the:
                return Ask("")
            noun = the.group(1).split()[-1]
        named = _NAME_OF.search(low) if noun in ("name", "names") else None
        if named:  # "What was the name of the House Clerk who…?" asks for a person: the kind of what is named
            noun = next((w for w in reversed(named.group(1).split()) if NOUN_KIND.get(_singular(w))), noun)
        words = [noun, *low.split()[1:4]]
        return Ask(next((k for w in words for k in (NOUN_KIND.get(w), NOUN_KIND.get(_singular(w))) if k), "thing"))
    return Ask("")


_NAME_OF = re.compile(
    r"\bnames? of (?:the |a |an |this |that |its |his |her |their )?((?:[\w.’'-]+\s+){0,3}?[\w.’'-]+)"
    r"(?:\s+(?:who|whom|that|which|in|at|on|of|for|during|since|after|before|by|to|from|with)\b|\W*$)"
)


def _singular(noun: str) -> str:
    """ "senators" -> "senator" (a plain plural; others are listed as they are)."""
    return noun[:-1] if noun.endswith("s") and not noun.endswith("ss") else noun


NAME_JOINERS = frozenset(["of", "and", "de", "la", "del", "the", "for", "on", "los", "las", "y"])


def _proper(word: str) -> bool:
    """A word of a name: capitalised, an acronym, a number, or a joining word ("of", "de")."""
    return word[:1].isupper() or not word[:1].isalpha() or word.lower() in NAME_JOINERS


_WORD_AT = re.compile(r"[^\W_][\w’'.\-]*")
_OPENERS = frozenset(
    [
        "what",
        "who",
        "whom",
        "whose",
        "which",
        "when",
        "where",
        "why",
        "how",
        "did",
        "does",
        "do",
        "is",
        "was",
        "were",
        "are",
        "has",
        "have",
        "had",
        "can",
        "could",
        "should",
        "would",
        "will",
        "according",
        "the",
        "in",
        "and",
        "or",
        "but",
        "so",
        "if",
    ]
)


def exact_names(question: str) -> list[str]:
    """The names ``question`` writes with two or more capitalised words, as written, joined by
    "of", "for", "and", "de"… ("What is the Center for Research and National Security?" ->
    ["Center for Research and National Security"]): a phrase a passage about it repeats word for word.
    A question's capitalised opener ("What", "Did") is no part of a name; nor is a possessive's "'s"."""
    out: list[str] = []
    run: list[re.Match[str]] = []

    def close() -> None:
        while run and run[-1].group(0).lower() in NAME_JOINERS:
            run.pop()
        if sum(m.group(0).lower() not in NAME_JOINERS for m in run) >= 2:
            text = question[run[0].start() : run[-1].end()]
            out.append(re.sub(r"(?:['’]s|\.)$", "", text))
        run.clear()

    previous_end = 0
    for m in _WORD_AT.finditer(question):
        word = m.group(0)
        joined = not run or re.fullmatch(r"\s+", question[previous_end : m.start()]) is not None
        if not joined:
            close()
        if (
            word[:1].isupper()
            and not (not run and word.lower() in _OPENERS)
            or run
            and (word.lower() in NAME_JOINERS or word[:1].isdigit())
        ):
            run.append(m)
        else:
            close()
        previous_end = m.end()
    close()
    return out


def without_attribution(question: str) -> str:
    """``question`` without "according to <X>": whose words they are, not what is asked about
    (a speech's passage need not name its speaker)."""
    q = re.sub(r"^according to [^,?]+,\s*", "", question.strip(), flags=re.I)
    return re.sub(r",?\s+according to [^,?]+(?=\?|$)", "", q, flags=re.I)


def without_source_says(question: str) -> str:
    """``question`` without attribution (``without_attribution``) nor "does <the source> say" before
    the clause it asks about: the words a sentence answering it shares ("Which political party does the
    Baker Institute brief say will stay in power…?" -> "Which political party will stay in power…?")."""
    return _SOURCE_SAYS.sub(r"\1 ", without_attribution(question))


# "Which party does the Baker Institute brief say will stay in power…?": what the source says is asked,
# not that it says it (only after "which/who/how many/how much", whose kind does not hang on it, in the
# present tense of a source's content, before a clause: not "When did Renuart say…", "What does Downie say about…")
_SOURCE_SAYS = re.compile(
    r"^((?:which|who|how many|how much)\b[^?,]*?)\s+(?:does|do)\s+(?:the\s+)?(?:[\w.’'-]+\s+){1,5}?"
    r"(?:say|write|report|claim|state|expect|think|believe|predict|estimate|suggest)\s+(?:that\s+)?"
    r"(?!(?:about|of|on|in|to|for|is|are|was)\b)(?=\w)",
    re.I,
)
