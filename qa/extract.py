"""The answer span found by rule when the model's phrase fails its checks
(``committed``): a 1.5B model often picks the right sentence and then copies
the wrong span from it ("George W. Bush" for "Which Mexican president asked
George W. Bush…", "2014" for the "1914" in its sentence), or writes NONE
beside a sentence that plainly holds the answer.

For these kinds of question a span can be read off a sentence mechanically:

- **when**: a date or year, or a day with no year ("noon on the 3d day of
  January", "July 1"; ``qa.spans.typed_spans``);
- **how many / how much / how long**: an amount followed (within four words)
  by the counted noun ("five helicopters"), or for money, shares and time one
  with its unit ("$1.6 billion", "15 percent", "four years");
- **which <role> / who was the <role>** (president, mayor, ambassador…): a
  name in apposition to the role ("President Calderón", "the city's mayor,
  Leoluca Orlando", "Óscar Naranjo, a Colombian general"); for "who said
  (called, proposed) “…”", the last name before a verb of saying in the
  sentence holding the quoted words; for "who wrote (introduced, led…)", the
  passive's agent ("…was originally written by Thomas P. Carr"). Any other
  bare "who…?" has nothing to anchor a name, so it gets none;
- **which <noun>** (who or thing): the one <noun> the sentence names with a
  name or a year before it ("…back to the 1994 election…").

A span is taken only from a sentence that shares the words of the question's
predicate (all of up to three, else three and 60%; one fewer when it names in
full a name of the question three words long, as a bill's title; none needed for the
sentence holding the words a "who said" question quotes), holds the counted
noun of "how many <things>", and holds exactly one such span (a date holding
every year the question names), tried in the model's chosen order and then by pre-score; the span must
then pass every check of ``qa.commit.check_phrase`` (verbatim, of the kind,
new, about the question's names, grounded). The commitment says ``by="rule"``
and keeps the model's own failure in ``model_why``. Pure: standard library,
records, ``qa.commit`` and ``qa.grounding``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import replace

from qa.asks import Ask, without_source_says
from qa.commit import PHRASE_WORDS, Commitment, check_phrase, normalise, preferred
from qa.copied import copied
from qa.grounding import GENERIC_COUNTS, counted_noun, predicate_overlap
from qa.records import Evidence
from qa.spans import amount_of_group, amount_of_year, typed_spans
from qa.text import NAME_TITLES, name_groups, names, tokenize

_ROLES = (
    "president|ambassador|mayor|governor|secretary|minister|senator|general|admiral|commander|chief|director|"
    "leader|candidate|author|czar|spokesman|spokeswoman|attorney general|adviser|advisor|chairman|chair|speaker|"
    "representative|judge|justice"
)
_ROLE_ASKED = re.compile(
    rf"^(?:which|what)\s+(?:[\w-]+\s+){{0,2}}?(?P<a>{_ROLES})\b"
    rf"|^who\s+(?:is|was|were|are|became|served as|replaced \w+ as)\s+(?:the\s+)?(?:[\w-]+\s+){{0,2}}?(?P<b>{_ROLES})\b",
    re.I,
)
_NAME = r"(?:[A-ZÀ-Þ][\w’'.-]*\s+){0,3}[A-ZÀ-Þ][\w’'-]*\w"
_SAID_ASKED = re.compile(
    r"^who\s+(?:first\s+|has\s+|had\s+)?(?:said|says|wrote|called|calls|proposed|coined|described|argued|stated|warned|declared)\b",
    re.I,
)
_YEAR = re.compile(r"\b(?:1[5-9]\d\d|20\d\d)\b")
_QUOTED = re.compile(r"[\"“]([^\"”]{6,})[\"”]")  # the words a "who said …" question quotes
_SAYS = re.compile(
    rf"(?P<n>{_NAME})\s+(?:has\s+|had\s+|once\s+)?(?:told|said|says|stated|wrote|writes|argued|argues|noted|notes|"
    r"declared|called|calls|proposed|warned|described)\b"
)
_NOT_NAMES = frozenset(  # capitalised words that open a sentence and name no one
    {
        "today", "yesterday", "tomorrow", "however", "meanwhile", "instead", "indeed", "finally", "moreover",
        "furthermore", "also", "still", "now", "then", "here", "there", "thus", "therefore", "recently", "currently",
        "later", "earlier", "again", "yet", "nonetheless", "similarly", "first", "second", "third", "last", "next",
        "in", "on", "at", "for", "by", "with", "as", "after", "before", "during", "since", "under", "this", "these",
        "that", "those",
    }
)  # fmt: skip
_TITLES = {"dr", "dr.", "gen", "gen.", "general", "admiral", "mr", "mr.", "ms", "ms.", "mrs", "mrs.", "sen", "sen."}
_UNITS = re.compile(r"^\s*(?:dollars?|pesos?|years?|months?|weeks?|days?|decades?|people|persons|deaths|lives)\b", re.I)
_MONEY_ASKED = re.compile(
    r"\b(?:budget|costs?|funding|funds|price|salary|spending|spent|money|appropriat\w*|paid|pay|worth|dollars?)\b", re.I
)
_CLAUSE = re.compile(r";\s+(?:and\s+|or\s+)?")
_MONEY = re.compile(r"\$|\b(?:million|billion|percent|per cent|dollars?|pesos?)\b|%", re.I)


def committed(part: str, ask: Ask, phrase: str, shortlist: Sequence[Evidence], prefer: Sequence[int]) -> Commitment:
    """The model's ``phrase`` checked; if it fails, the span found by rule (see the module docstring) when one
    stands, else the failed check."""
    c = check_phrase(part, ask, phrase, shortlist, prefer)
    if c.ok:
        return c
    if c.why in ("not verbatim", "too long") and (run := copied(part, ask, c.phrase, shortlist, prefer)):
        return replace(run, by="copied", model_why=c.why, model_phrase=c.phrase)
    found = extracted(part, ask, shortlist, prefer)
    return replace(found, by="rule", model_why=c.why, model_phrase=c.phrase) if found else c


def extracted(part: str, ask: Ask, shortlist: Sequence[Evidence], prefer: Sequence[int] = ()) -> Commitment | None:
    """The first sentence's single span of the asked kind that passes every check; None if none does."""
    question = without_source_says(part)
    order = preferred(range(1, len(shortlist) + 1), shortlist, prefer)
    quoting = ask.kind == "who" and bool(_SAID_ASKED.match(question)) and bool(_QUOTED.search(question))
    for i in order:
        text = shortlist[i - 1].text
        shared, asked = predicate_overlap(question, text)
        found = {normalise(s): s for s in spans(part if ask.kind == "define" else question, ask, text)}
        needed = _needed(asked) - (1 if _names_held(question, text) else 0)
        if (shared < needed and not quoting) or len(found) != 1:
            found = _in_one_clause(question, ask, text)
            if len(found) != 1:
                continue
        c = check_phrase(part, ask, next(iter(found.values())), shortlist, (i,))
        if c.ok:
            return c
    return None


def _in_one_clause(question: str, ask: Ask, text: str) -> dict[str, str]:
    """The span of the one clause of a list sentence (clauses split at ";") that names the question's
    thing: all of its names, all but one word of its predicate, one span of the asked kind ("…events such
    as: Texas's declaration … in 1836 …; the US Naval occupation of Veracruz, Mexico, in 1914; and …" for
    "In what year did U.S. naval forces occupy Veracruz?"). {} when no single clause does."""
    if ask.kind not in ("when", "number"):
        return {}
    asked_names = {n for n in names(question) if len(n) > 2}
    found: dict[str, str] = {}
    clauses = _CLAUSE.split(text)
    for clause in clauses if asked_names and len(clauses) > 1 else []:  # a sentence of one clause: its own rule
        shared, asked = predicate_overlap(question, clause)
        held = set(tokenize(clause))
        here = {normalise(s): s for s in spans(question, ask, clause)}
        if len(here) == 1 and asked_names <= held and shared >= max(1, _needed(asked) - 1):
            found.update(here)
    return found


def _names_held(question: str, text: str) -> bool:
    """Does ``text`` name a name of ``question`` three words long or more, every word ("…along with
    Senator Dodd, I am introducing the ``Paul Wellstone Early Educator Loan Forgiveness Act''" for "Which
    senator joined DeWine in introducing the Paul Wellstone Early Educator Loan Forgiveness Act?")? Such a
    sentence is about the question's thing, and may say its act in other words ("along with" for
    "joined"), so it needs one predicate word fewer."""
    held = {t[:5] for t in tokenize(text)}
    return any(len(g - NAME_TITLES) >= 3 and {t[:5] for t in g} <= held for g in name_groups(question))


def _needed(asked: int) -> int:
    """Words of a predicate of ``asked`` words a sentence must share: all of up to three, then three
    and at least 60% ("created" matters in "When was the national guard created?")."""
    return asked if asked <= 3 else max(3, math.ceil(0.6 * asked))


def spans(question: str, ask: Ask, text: str) -> list[str]:
    """The spans of ``text`` that could answer ``question`` by the rule for its kind."""
    if ask.kind == "when":  # a year the question names is in its answer ("2012 election": not "July 2018")
        years = set(_YEAR.findall(question))
        return [d for d in typed_spans(text, "when") if years <= set(_YEAR.findall(d))]
    if ask.kind == "number":
        return _amounts(question, text)
    if ask.kind == "who":
        return (
            _role_names(question, text)
            or _speakers(question, text)
            or _agents(question, text)
            or _named(question, text)
        )
    if ask.kind == "thing":
        return _named(question, text)
    if ask.kind == "define":
        return _definitions(ask.target, text)[:1]
    return []


def _definitions(target: str, text: str) -> list[str]:
    """What ``text`` says ``target`` is, by the patterns of apposition and definition, in this order:
    "Óscar Naranjo, a Colombian general…" (or "…, Mexico’s premier intelligence agency"), "X is/was a…", "Mexican Navy Secretariat (SEMAR)",
    "BEST (Border Enforcement …)", "National Defense University Professor Craig Deare"."""
    words = target.strip(" \"'“”‘’").split()
    if not words:
        return []
    t = r"[\"“”'‘’]?" + r"\s+".join(re.escape(w) for w in words) + r"[\"“”'‘’]?"
    # "U.S." does not end it, nor does its last period before a word in lower case ("with U.S. forces")
    more = r"[^,;:.()\n]|\.(?=\w)|(?<=\b[A-Z])\.(?=[ \t]+[a-z])"
    desc = rf"(?:{more})*(?:\n(?:{more})*)?"
    patterns = [
        rf"\b{t},\s+(?:[\w.]+\.,\s+)?(?P<d>(?:(?i:a|an|the|then|former|now)|[A-ZÀ-Þ][\w-]*['’]s)\s{desc})",
        rf"\b{t}(?:,\s+[\w.]+,)?\s+(?i:is|was|are|were|has been|serves as|served as)\s+(?P<d>(?i:a|an|the)\s{desc})",
        rf"(?P<d>(?:(?:[A-ZÀ-Þ][\w’'-]*|of|the|for|and|de|del)\s+){{1,8}})\(\s*{t}\s*\)",
        rf"\b{t}\s*\((?P<d>[^()]{{3,80}})\)",
        rf"(?<![.!?]\s)(?P<d>(?:[A-ZÀ-Þ\"“][\w’'.”\"-]*\s+){{2,6}}){t}\b",
    ]
    out = []
    for pattern in patterns:
        for m in re.finditer(pattern, text):
            d = " ".join(m.group("d").split()).strip(" ,")
            d = " ".join(d.split()[:PHRASE_WORDS])
            d = re.sub(r"^(?:In|By|At|For|From|On|To|With|As)\s+", "", d)
            if d and not re.fullmatch(r"(?i:the|a|an)", d):
                out.append(d)
        if out:
            return out
    return []


def _amounts(question: str, text: str) -> list[str]:
    noun = counted_noun(question)
    if noun and noun not in GENERIC_COUNTS and noun[:5] not in {t[:5] for t in tokenize(text)}:
        return []  # "How many complaints…": a sentence on victims holds no count of complaints
    money = _MONEY_ASKED.search(question) is not None  # "What was the budget…": an amount of money only
    of_year = amount_of_year(question, text) or amount_of_group(question, text)
    if of_year:
        return [of_year] if not money or _MONEY.search(of_year) else []
    out = []
    for span in typed_spans(text, "number"):
        if _YEAR.fullmatch(span):
            continue  # a year is no amount
        at = text.find(span)
        after = text[at + len(span) : at + len(span) + 80]
        counted = bool(noun) and noun[:5] in {t[:5] for t in tokenize(" ".join(after.split()[:4]))}
        if money:
            ok = _MONEY.search(span + " " + " ".join(after.split()[:1])) is not None
        elif noun and noun not in GENERIC_COUNTS:
            ok = counted
        else:
            ok = counted or _MONEY.search(span) is not None or _UNITS.match(after) is not None
        if ok:
            out.append(span)
    return out


def _speakers(question: str, text: str) -> list[str]:
    """Who said (called, proposed…) the words a question quotes: the last name before a verb of saying
    in the sentence holding the quoted words ("…in what Eduardo Guerrero has called a “North American
    Security Treaty”")."""
    said = _SAID_ASKED.match(" ".join(question.split()))
    quoted = _QUOTED.search(question)
    if not said or not quoted:
        return []
    at = normalise(text).find(normalise(quoted.group(1))[:40])
    if at < 0:
        return []
    before = text[: at + 1]
    asked = set(tokenize(question))
    names = [m.group("n") for m in _SAYS.finditer(before) if set(tokenize(m.group("n"))) - asked]
    return names[-1:]


_DONE_BY = re.compile(r"^who\s+(?:\w+ly\s+)?(?P<v>[a-z]+ed|wrote|led|ran|began|chose|drew|made|took|gave)\b", re.I)
_PARTICIPLE = {"wrote": "written", "ran": "run", "began": "begun", "chose": "chosen", "drew": "drawn", "took": "taken",
               "gave": "given"}  # fmt: skip


def _agents(question: str, text: str) -> list[str]:
    """Who did the act a question asks about, named as the passive's agent ("Who originally wrote the
    report?": "This report was originally written by Thomas P. Carr")."""
    m = _DONE_BY.match(" ".join(question.split()))
    if not m:
        return []
    verb = m.group("v").lower()
    done = re.escape(_PARTICIPLE.get(verb, verb))
    asked = set(tokenize(question))
    found = (_untitled(hit.group("n")) for hit in re.finditer(rf"\b(?i:{done})\s+(?i:by)\s+(?P<n>{_NAME})", text))
    return [name for name in found if name and set(tokenize(name)) - asked][:1]


def _untitled(name: str) -> str:
    """``name`` without its leading titles ("Sen. John McCain" -> "John McCain")."""
    words = name.split()
    while words and words[0].lower() in _TITLES:
        words = words[1:]
    return " ".join(words)


_NATIONALITY = re.compile(r"[A-ZÀ-Þ][\w’'-]*(?:an|ese|ish)|U\.S\.|US")
_NOT_HEAD = re.compile(  # verbs and determiners after "what", and words naming a kind of anything
    r"(?:is|are|was|were|does|did|have|has|had|will|would|could|should|might|must|this|that|these|those|their|"
    r"kinds?|types?|sorts?|main|other|some|many|much|most)"
)
_WHICH_HEAD = re.compile(r"^(?:which|what)\s+(?P<w>(?:[a-z][\w-]*\s+){0,2}[a-z][\w-]*)", re.I)


def _named(question: str, text: str) -> list[str]:
    """ "Which <noun>…?" answered by the one <noun> the sentence names with a name or a year before it
    ("Which election…?": "…back to the 1994 election…"; "Which political party…?": "…the MORENA Party…")."""
    m = _WHICH_HEAD.match(" ".join(question.split()))
    if not m:
        return []
    asked = set(tokenize(question))
    heads = m.group("w").split()
    if _NOT_HEAD.fullmatch(heads[0].lower()):
        return []  # "What was López Obrador's approval rating…?": no "which <noun>"; names are no head
    for noun in reversed([w.lower() for w in heads if w[:1].islower()]):
        if len(noun) < 4 or _NOT_HEAD.fullmatch(noun):
            continue
        stem = re.escape(noun[:-1] if noun.endswith("s") else noun)
        found = {
            " ".join(hit.group(0).split())
            for hit in re.finditer(rf"(?:(?:[A-ZÀ-Þ][\w’'.-]*|1[5-9]\d\d|20\d\d)\s+){{1,4}}(?i:{stem}s?)\b", text)
        }
        titled = (
            rf"{stem[:1].upper()}{stem[1:]}s?\s+(?:on|of|for)\s+(?:the\s+)?{_CAPS}(?:,?\s+(?:and\s+|&\s+)?{_CAPS})*"
        )
        found |= {" ".join(hit.group(0).split()) for hit in re.finditer(titled, text)}  # "Committee on Health, …"
        found = {
            f for f in found if _new_name(f, asked) and not all(_NATIONALITY.fullmatch(w) for w in f.split()[:-1])
        }  # "a Mexican cartel" names none
        if found:
            return sorted(found)
    return []


_CAPS = r"[A-ZÀ-Þ][\w’'.-]*\w"


def _new_name(name: str, asked: set[str]) -> bool:
    """Does ``name`` say a word the question does not, and open with no article?"""
    return bool(name) and bool(set(tokenize(name)) - asked) and name.split()[0].lower() not in ("the", "a", "an")


def _role_names(question: str, text: str) -> list[str]:
    m = _ROLE_ASKED.match(" ".join(question.split()))
    if not m:
        return []
    role = re.escape(m.group("a") or m.group("b"))
    asked = set(tokenize(question))
    out = []
    after = re.compile(rf"\b(?i:{role})\w*(?:['’]s)?,?\s+(?P<n>{_NAME})")
    before = re.compile(rf"(?P<n>{_NAME}),\s+(?i:the\s+|a\s+|an\s+|then\s+)?(?:[\w-]+\s+){{0,3}}(?i:{role})\b")
    for pattern in (after, before):
        for hit in pattern.finditer(text):
            name = _untitled(hit.group("n"))
            if not name or not re.fullmatch(_NAME, name) or name.split()[0].lower() in _NOT_NAMES:
                continue  # titles only ("Sen."), or "Today, along with Senator Dodd": "Today" is no name
            if _new_name(name, asked):
                out.append(name)
    return out
