"""The committed answer: the short phrase the model states as its answer,
checked mechanically (``check_phrase``) before anything is shown; what a
question asks for is ``qa.asks.ask_of``.

A question that asks for a thing (who, when, where, how many or how much,
which or what <noun>, "What is X?" / "Who is X?") is answered by a phrase of
at most ``PHRASE_WORDS`` words copied from the evidence. The phrase stands
only when it is

- **verbatim**: it occurs in one evidence sentence's reading text once both
  are normalised (``normalise``: Unicode NFKC, case, curly quotes, dashes,
  "percent"/"per cent" -> "%", thousands separators, whitespace, hyphens at
  line ends; the phrase's own surrounding punctuation and quotes dropped);
- **of the asked kind** (``qa.phrase_kind``; of the main clause: "If Mexico put the police in charge, how long…" asks how long): a name (a capitalised word the question does not
  hold) for who/where, a year, month or date for when (an exact year for
  "in what year": "the 1980s" is not one), a number or quantity word for how
  many/much (an amount of money for a budget, cost or funding: "35,000
  officers" is not a budget); which/what <noun> and definitions need no type;
- **new**: it holds a content word or number the question does not (an echo
  of the question's own entity is no answer), and for "What <noun>…?" it is
  not that noun restated ("Equipment transfers…" for "What equipment…?");
- for a definition, from a sentence that names what is defined;
- **on the asked thing** (``about``, ``grounded``): one of the question's
  names, and each name of two words or more ("Bicentennial Framework",
  "Baker Institute"), in the holder's passage, every year the question names in it (or the
  source's date), for who/when/where a word of its predicate in the holder
  sentence, and for "how many <things>" the counted noun in the holder's
  passage: a true number about something else is no answer.

A source's label ("Arzt, 2009") counts as holding a phrase only when the
question asks who wrote something: an author is not the speaker a sentence
quotes.

Questions asking why, how, whether, or what a source argues or recommends
have no single phrase (``Ask.kind == ""``): they are answered by quoted
sentences and decided by ``qa.decide`` alone; "What do the sources say about
X?" (``topic``) is answered by sentences that name X. Pure: standard library,
records and ``qa.text``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from qa import acts, grounding, phrase_kind
from qa.asks import Ask, without_attribution
from qa.grounding import grounded, shares_predicate
from qa.records import Evidence
from qa.spans import amount_of_group, amount_of_year, typed_spans
from qa.text import content_terms, name_groups, numbers, tokenize

PHRASE_WORDS = 20  # a committed answer longer than this is not a phrase
NONE = "NONE"  # what the model writes when no sentence states the answer
TYPED = ("who", "when", "where", "number")  # kinds whose phrase can be checked for its kind
_REFUTING = ("none", "echo", "wrong kind", "off topic", "not verbatim", "too long")  # failures that can refute
_NUMBER_WORDS = {
    w: str(i)
    for i, w in enumerate(
        [
            "zero",
            "one",
            "two",
            "three",
            "four",
            "five",
            "six",
            "seven",
            "eight",
            "nine",
            "ten",
            "eleven",
            "twelve",
            "thirteen",
            "fourteen",
            "fifteen",
            "sixteen",
            "seventeen",
            "eighteen",
            "nineteen",
            "twenty",
        ]
    )
}
_NUMBER_WORDS.update(
    {w: str(10 * i) for i, w in enumerate(["thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"], 3)}
)

_COMPOUND_NUMBER = re.compile(
    r"\b(twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)[- ](one|two|three|four|five|six|seven|eight|nine)\b"
)
_ASKS_AUTHOR = re.compile(r"\b(?:wr[io]te|written|write|author\w*|publish\w*)\b", re.I)
_PLAIN = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-", "\u00a0": " ", "`": "'"})


def normalise(text: str) -> str:
    """The form phrases and sentences are compared in (see the module docstring)."""
    t = unicodedata.normalize("NFKC", text).translate(_PLAIN).lower()
    t = re.sub(r"(?<=[a-z])-\s*\n\s*(?=[a-z])", "", t)  # hyphen at a line end
    t = re.sub(r"\s*\b(?:percent|per cent)\b", "%", t)
    t = re.sub(r"\b([a-z])\.\s+(?=[a-z]\.)", r"\1.", t)  # "U. S." as "U.S."
    t = re.sub(r"(?<=\d),(?=\d{3}\b)", "", t)  # thousands separators
    t = re.sub(_COMPOUND_NUMBER, lambda m: str(int(_NUMBER_WORDS[m[1]]) + int(_NUMBER_WORDS[m[2]])), t)  # forty-four
    t = re.sub(r"\b(?:" + "|".join(_NUMBER_WORDS) + r")\b", lambda m: _NUMBER_WORDS[m.group(0)], t)
    t = re.sub(r"\s+", " ", t)
    return t.strip()


def bare(phrase: str) -> str:
    """``phrase`` normalised, without its surrounding quotes and punctuation."""
    return normalise(phrase).strip(" \t\"'.,;:!?()[]")


@dataclass(frozen=True)
class Commitment:
    """The model's stated answer to one part and what the checks found."""

    part: str  # the (sub-)question it answers
    ask: Ask
    phrase: str  # as the model gave it; "" for NONE or nothing
    holder: int = 0  # 1-based shortlist number of the sentence that holds it (0: none)
    verbatim: bool = False
    typed: bool = False
    new: bool = False
    why: str = ""  # "" when it stands; else the first check it failed
    by: str = "model"  # "rule" / "copied": found by ``qa.extract`` / ``qa.copied`` after the model's phrase failed
    model_why: str = ""  # then: the check the model's own phrase failed
    model_phrase: str = ""

    @property
    def ok(self) -> bool:
        return not self.why

    @property
    def refutes(self) -> bool:
        """Does the failure say the sources lack the answer to a question asking for a name, date, place
        or number? Every failure does: NONE, an echo, the wrong kind, another topic, a phrase the model could
        not copy (not verbatim, too long: on the benchmark and tune half, the quotes left held the asked fact
        in none of 3 answerable questions; 4 of 9 unanswerable ones were answered). For one thing ("What was
        the verdict…?") NONE and a phrase on another topic do (off topic: 2 unanswerable answered, no answerable
        one); a definition's failure, or any for several ("Who were the three…?"), leaves the quotes to decide."""
        kinds = (*TYPED, "thing") if self.why in ("none", "off topic") else TYPED
        return self.ask.kind in kinds and not self.ask.plural and self.why in _REFUTING

    def to_json(self) -> dict[str, object]:
        return {
            "part": self.part,
            "kind": self.ask.kind,
            "phrase": self.phrase,
            "holder": self.holder,
            "verbatim": self.verbatim,
            "typed": self.typed,
            "new": self.new,
            "ok": self.ok,
            "why": self.why,
            "by": self.by,
            **({"model_why": self.model_why, "model_phrase": self.model_phrase} if self.by != "model" else {}),
        }


def check_phrase(
    part: str, ask: Ask, phrase: str, shortlist: Sequence[Evidence], prefer: Sequence[int] = ()
) -> Commitment:
    """``phrase`` (the model's answer to ``part``) checked against the ``shortlist`` sentences; ``prefer``:
    the sentence numbers to look in first (the chosen ones). The holder is the first sentence holding the
    phrase in ``preferred`` order."""
    given = phrase.strip()
    if not given or bare(given) in ("", "none", "n/a", "unknown", "not stated", "not mentioned"):
        return Commitment(part, ask, "", why="none")
    if ask.kind == "define":  # "El Grito is the annual celebration of…": the definition is what follows "is"
        given = _after_copula(given, ask.target)
    if len(given.split()) > PHRASE_WORDS:
        return _salvaged(part, ask, given, shortlist, prefer) or Commitment(part, ask, given, why="too long")
    holders = _holders(given, shortlist, bool(_ASKS_AUTHOR.search(part)))
    if not holders:
        return _salvaged(part, ask, given, shortlist, prefer) or Commitment(part, ask, given, why="not verbatim")
    holder = preferred(holders, shortlist, prefer)[0]
    new = adds_to(given, part) and not (ask.kind == "who" and _same_person(given, part))
    new = new and not (ask.kind == "thing" and grounding.restates_kind(part, given))  # "Equipment transfers…"
    typed = (
        names_defined(shortlist[holder - 1].text, ask.target)
        if ask.kind == "define"
        else phrase_kind.of_kind(ask, given, part)
    )
    on_topic = about(part, shortlist[holder - 1]) and grounded(part, ask, shortlist[holder - 1], shortlist)
    if ask.kind == "number" and on_topic:  # "6,000 … since 2007 and more than 10,000 in 2010": 2010's is 10,000
        of_year = amount_of_year(part, shortlist[holder - 1].text)  # "… 27 percent of foster youth …, as compared
        of_group = amount_of_group(part, shortlist[holder - 1].text)  # to 52 percent of the general population"
        on_topic = all(a is None or bare(a) in bare(given) for a in (of_year, of_group))
    # "How many … in total?" / "Who leads the task force?": a sentence that sums, or writes the act
    on_topic = on_topic and acts.held(part, ask.kind, shortlist[holder - 1].text)
    part_of = ask.kind == "number" and grounding.a_part_asked_whole(part, given, shortlist[holder - 1].text)
    on_topic = on_topic and not part_of  # "The US$100 million installment…" for "How much did Congress appropriate?"
    why = "" if typed and new and on_topic else ("echo" if not new else "wrong kind" if not typed else "off topic")
    return Commitment(part, ask, given, holder, True, typed, new, why)


def preferred(numbers: Iterable[int], shortlist: Sequence[Evidence], prefer: Sequence[int]) -> list[int]:
    """``numbers`` (1-based in ``shortlist``): those in ``prefer`` (the chosen) first, then by pre-score."""
    return sorted(numbers, key=lambda i: (i not in prefer, -shortlist[i - 1].score))


def _salvaged(
    part: str, ask: Ask, given: str, shortlist: Sequence[Evidence], prefer: Sequence[int]
) -> Commitment | None:
    """A date or amount inside a reply the model wrote as a sentence ("15 percent of the Mérida
    funds can be withheld by law.") that passes every check on its own; None if none does. Not
    names: a sentence's first name is as often its subject ("Peña Nieto chose Óscar Naranjo")."""
    if ask.kind not in ("number", "when"):
        return None
    spans = typed_spans(given, ask.kind, part)
    if not all(_holders(span, shortlist) for span in spans):
        return None  # the reply states a date or amount the evidence does not hold: nothing of it is taken
    for span in spans:
        if span.strip() != given.strip():
            c = check_phrase(part, ask, span, shortlist, prefer)
            # the model did not copy: its span must also share the question's predicate
            if c.ok and shares_predicate(part, shortlist[c.holder - 1].text):
                return c
    return None


def _after_copula(phrase: str, target: str) -> str:
    """``phrase`` without a leading "<target> is/are/was/were" (the model restating the question)."""
    head = re.escape(target.strip(" \"'“”‘’")).replace(r"\ ", r"\s+")
    m = re.match(rf"^\W*(?:the\s+)?{head}\W*\s+(?:is|are|was|were)\s+(?:also\s+)?", phrase, re.I) if head else None
    return phrase[m.end() :].strip() if m else phrase


def _holders(phrase: str, shortlist: Sequence[Evidence], with_label: bool = False) -> list[int]:
    """The shortlist sentences (1-based) holding ``phrase``: as a whole, or, for a
    phrase the model joined from pieces ("230,000 homicides, 90% unpunished"),
    the sentence holding its first piece when every piece is in the shortlist.
    ``with_label``: a sentence is read with its source's label ("Arzt, 2009"), as
    the model saw it, for a question about who wrote it (not for "who said …":
    the author of a source is not the speaker its sentence quotes)."""
    texts = [normalise(f"{_label(e) if with_label else ''} {e.text}") for e in shortlist]
    want = bare(phrase)
    whole = [i for i, t in enumerate(texts, start=1) if want in t]
    if whole:
        return whole
    pieces = [p for p in (bare(x) for x in re.split(r"[,;]|\band\b", phrase)) if content_terms(p) or numbers(p)]
    if len(pieces) < 2 or not all(any(p in t for t in texts) for p in pieces):
        return []
    return [i for i, t in enumerate(texts, start=1) if pieces[0] in t]


def _label(ev: Evidence) -> str:
    meta = ev.hit.source.meta
    who = meta.authors[0].split()[-1] if meta.authors else ""
    return f"({who}, {(meta.date or '')[:4]})" if who else ""


def about(question: str, ev: Evidence) -> bool:
    """Is the sentence's passage about what the question names? One of the
    question's names (capitalised words past its first) occurs in the passage,
    its section or its source's title, authors and publisher, and so does each
    name of two words or more, by one of its words (a rewritten follow-up may
    spell "Pascual" out as "Carlos Pascual"; "Mexican" or "Navy" alone may be
    written "Mexico", "Naval"): "44 inmates" from a passage on Monterrey is no
    answer to a question about Ciudad Juárez, and Napolitano's letter of intent
    is no answer to who signed the Bicentennial Framework."""
    groups = [{n for n in g if len(n) > 2} for g in name_groups(without_attribution(question))]
    asked = set().union(*groups)
    if not asked:
        return True
    meta = ev.hit.source.meta
    where = " ".join(
        (ev.hit.chunk.text, ev.hit.chunk.section or "", meta.title, " ".join(meta.authors), meta.publisher or "")
    )
    held = normalise(" ".join(tokenize(where)))
    return any(n in held for n in asked) and all(any(n in held for n in g) for g in groups if len(g) >= 2)


def adds_to(phrase: str, question: str) -> bool:
    """Does ``phrase`` say something (a content word or a number) ``question`` does not?"""
    said = set(content_terms(question)) | numbers(question)
    return bool((set(content_terms(phrase)) | numbers(phrase)) - said)


def _same_person(phrase: str, question: str) -> bool:
    """Does a who-phrase end in a name the question already holds ("Richard Downie" for "…Downie's
    paper?", "President George W. Bush" for "…asked George W. Bush…")?"""
    words = phrase.strip(" .,;:\"'“”").split()
    last = tokenize(words[-1]) if words else []
    head = re.match(r"\W*(?:which|what)\s+((?:[\w-]+\s+){0,2}[\w-]+)", question, re.I)  # "MORENA Party" names
    if last and head and last[-1] in tokenize(head[1]):  # the party "Which political party…?" asks for
        return False
    return bool(last) and words[-1][:1].isupper() and last[-1] in set(tokenize(question))


def names_defined(sentence: str, target: str) -> bool:
    """Does ``sentence`` name ``target`` (all its content words; an acronym in capitals, as written:
    "the best US/Mexican relations in decades" does not name BEST)?"""
    t = target.strip(" \"'“”‘’")
    if len(t) >= 2 and t.isupper() and " " not in t:
        return re.search(rf"(?<![\w-]){re.escape(t)}(?![\w-])", sentence) is not None
    terms = set(tokenize(t))
    return bool(terms) and terms <= set(tokenize(sentence))


def names_topic(sentence: str, target: str) -> bool:
    """Does ``sentence`` mention the topic ``target`` (any of its content words)?"""
    return bool(set(tokenize(target)) & set(tokenize(sentence)))
