"""Whole-document selection for summary, list and comparison questions: a
document's sentences that best cover a question, read across all its chunks,
shown in the document's order. No model; cheap for a document of any length:
  0. a section the question names by its heading (``qa.docread.headed_section``): its
     list items, else its best sentences (``section_evidence``); else:
  1. chunks (``qa.docread``): each scored by its best stored sentence vector against the
     question, plus cue words of the question's focus in its text or heading;
     the best ``CHUNKS`` and their neighbours are read sentence by sentence
     (a list's introduction may end the chunk before, its items run on);
  2. sentences (a list's items apart from its introduction), each scored
     0.45·cos + 0.35·lex + 0.25·cue + 0.25·context + 0.15·list item + 0.05·ordinal
     (0.2 when the question counts: "What three changes…") + 0.1·location (a summary's
     sentence in the document's first tenth or last fifth: Edmundson's location cue)
     − 0.3·(introduces a list, echoes the question, an author biography or boilerplate),
     where cos reuses the index's vector of the same sentence (items cut from
     their introduction are embedded) and context is 1 for a heading with the
     focus, 2 for an item of a list the document introduces with it;
  3. greedy maximum coverage: each next sentence adds its score times the
     square root of the share of its content terms not yet covered.
A summary or list naming a year or a numbered bill quotes only passages that name it
(``qa.grounding.grounded``). Pure apart from numpy: records, ``qa.docread``, ``qa.evidence``,
``qa.kinds``, ``qa.text``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from qa import answer_type, enumeration, kinds
from qa import evidence as ev_mod
from qa.asks import Ask
from qa.docread import (
    Candidate,
    DocumentView,
    Embed,
    best_chunks,
    content,
    first_items,
    headed_section,
    read_sentences,
    terms,
)
from qa.grounding import grounded
from qa.listitems import INTRODUCER
from qa.records import Evidence, SourceInfo
from qa.text import flat, tokenize

if TYPE_CHECKING:
    pass

MAX_SENTENCES = 6  # a summary or list block quotes at most this many
MIN_SENTENCES = 3  # … and at least this many when the document has them
STOP = 0.4  # past ``at_least`` sentences, stop when the next adds less than this share of the first one's score
FLOOR = 0.22  # a block whose best sentence scores below this has nothing to say
OPEN_ASK = Ask("")  # a summary's sentences ask no kind: only the years and numbered things it names are checked

_FOCUS = {
    "recommends": r"\b(?:should|must|recommend\w*|propos\w*|urg(?:e|es|ed|ing)\b|needs? to|ought|calls? for|it is (?:essential|critical)|(?:has|have) to|is needed)\b",
    "concludes": r"\b(?:conclu\w*|assess\w*|in sum|overall|in short|ultimately|therefore|bottom line)\b",
    "argues": r"\b(?:argu\w*|contend\w*|believ\w*|should|must|key|critical|central|important)\b",
}
_FOCUS_OF_QUESTION = (
    ("recommends", r"recommend|propos|suggest|advocat|urge|should|prioriti"),
    ("concludes", r"conclu|verdict|overall|assess"),
    ("argues", r"argu|position|stance|view|main|key|summar|overview|gist|say"),
)
_ORDINAL = re.compile(r"\b(?:first|second|third|fourth|fifth|finally|lastly|option [a-e])\b", re.I)
ASIDE = 0.3  # a sentence that introduces a list, echoes the question or is an aside scores this much less
LOCATION = 0.1  # a summary's sentence in the document's opening or closing stretch scores this much more
OPENING, CLOSING = 0.1, 0.2  # … its first tenth, its last fifth
_COUNTED = re.compile(r"\b(?:two|three|four|five|six|seven|eight|nine|ten)\s+(?:[\w-]+\s+)?[a-z]+s\b", re.I)
_BIO = re.compile(
    r"\b(?:is|was) (?:(?:a|an|the)\b)?.{0,80}\b(?:professor|director|fellow|expert|associate|scholar)\b", re.I
)
_BOILERPLATE = re.compile(
    r"\bviews (?:and opinions )?expressed\b|\bdo(?:es)? not necessarily (?:represent|reflect)\b"
    r"|\bthis (?:brief|paper|report) is part of\b|\ball rights reserved\b|\bquoted or reproduced\b|\bcopyright\b|\bsubscribe\b",
    re.I,
)
ASKING = {
    "compare",
    "contrast",
    "differ",
    "each",
    "both",
    "describe",
    "say",
    "says",
    "view",
    "views",
    "similar",
    "agree",
}
SOURCE_WORDS = {"source", "sources", "document", "paper", "report", "brief", "article", "piece", "author", "authors"}


def focus_of(question: str) -> str:
    """What a summary asks a source for: "recommends", "concludes", "argues", or "says"."""
    q = question.lower()
    if kinds.SAYS_ABOUT.search(q):  # what a source says about a topic: the topic is the focus, not argument cues
        return "says"
    for verb, pattern in _FOCUS_OF_QUESTION:
        if re.search(pattern, q):
            return verb
    return "says"


def document_evidence(
    question: str,
    doc: DocumentView,
    qvec: np.ndarray,
    kind: str,
    limit: int = MAX_SENTENCES,
    at_least: int = MIN_SENTENCES,
    embed: Embed | None = None,
    names: Sequence[str] = (),
    writes: str = "",
) -> list[Evidence]:
    """The document's sentences that best cover ``question`` (at most ``limit``), in the document's order;
    ``names``: words that name sources (authors, publishers), not the topic, besides this document's own;
    ``writes``: a name every sentence must write (its passages are read, wherever they are)."""
    focus = _focus_pattern(question, kind)
    if kind in (kinds.SUMMARY, kinds.LIST) and not writes:
        section = section_evidence(question, doc, qvec, focus, limit, embed)
        if section:
            return section
    name = flat(writes)
    picked = [i for i, c in enumerate(doc.chunks) if name in flat(c.text)] if name else best_chunks(doc, qvec, focus)
    bios = ev_mod.asks_background(question) or bool(name)
    candidates = read_sentences(doc, picked, qvec, embed, bios)
    if name:
        candidates = [c for c in candidates if name in flat(c.ev.text)]
    elif kind != kinds.COMPARE:  # an enumeration opened in a chunk read runs on past it ("Title I…" "Title II…")
        more = _after_openers(doc, picked, candidates)
        if more:  # only the chunks not read yet, merged in the document's order
            seen = {c.ev.key for c in candidates}
            extra = [c for c in read_sentences(doc, sorted(more), qvec, embed, bios) if c.ev.key not in seen]
            candidates = sorted([*candidates, *extra], key=lambda c: c.ev.key[1])
    if kind != kinds.LIST:  # a list's items of a word or two ("- Trade.") answer only a question asking for a list
        candidates = [c for c in candidates if not ev_mod.is_furniture(c.ev.text)]
    if kind in (kinds.SUMMARY, kinds.LIST):  # "…for the 119th Congress?", "…in 2019?": passages that name it
        candidates = [c for c in candidates if grounded(question, OPEN_ASK, c.ev)]
    ends = (doc.chunks[0].start, doc.chunks[-1].end) if doc.chunks and kind == kinds.SUMMARY else None
    scored = _score(question, doc.source, candidates, focus, names, ends)
    if kind != kinds.COMPARE:
        in_order = [c.ev for c in candidates]
        found = enumeration.runs([e.text for e in in_order])  # the document's enumerations, once
        # the question's words match an introduction, whose items answer: they lift from its score before
        # the introduction's own penalty (it is not quoted, its items are)
        authors = _author_terms(doc.source)
        intros = [in_order[r.intro] for r in found if r.intro is not None]
        back = {e.key: ASIDE for e in intros if _aside(e.text, question, authors)}  # only what it lost
        scored = enumeration.lift_runs(found, in_order, scored, back)
        m = _COUNTED.search(question)
        counted_words = m.group(0).split() if m else []  # "two methods" of "the two methods of curing …"
        word = f"{counted_words[0]} {counted_words[-1]}" if counted_words else ""
        counted = enumeration.counted_run(word, found, in_order, scored)
        inline = enumeration.inline_count(word, scored)
        if not counted and word and (inline is None or inline >= enumeration.RUN_AMONG):
            # the enumeration may lie outside the chunks read: look across the document
            every = read_sentences(doc, first_items(doc), qvec)
            counted = enumeration.counted_in_document(word, [c.ev for c in every], [c.cos for c in every])
        counted = counted or enumeration.division_run(question, found, in_order)  # "…title by title?"
        if counted:
            return counted[:limit]
    # a sentence writing the asked name is about it: no floor of relevance to the question's other words
    chosen = _cover(scored, limit, at_least, floor=-math.inf if name else FLOOR)
    return sorted(_whole_list(chosen, candidates, limit), key=lambda e: e.key[1])


def section_evidence(
    question: str,
    doc: DocumentView,
    qvec: np.ndarray,
    focus: re.Pattern[str] | None,
    limit: int = MAX_SENTENCES,
    embed: Embed | None = None,
) -> list[Evidence]:
    """The sentences of the section the question names by its heading (``headed_section``; RAGFlow's
    retrieval by table of contents), in the document's order: the first sentence of each of its list items
    when it has two or more, else all its sentences when at most ``limit``, else its best scored ones.
    Empty when the question names no section."""
    found = headed_section(question, doc)
    if found is None:
        return []
    _, start, end = found
    picked = [i for i, c in enumerate(doc.chunks) if c.start < end and c.end > start]
    inside = [
        c
        for c in read_sentences(doc, picked, qvec, embed)
        if start <= c.ev.key[1] < end and not _BOILERPLATE.search(c.ev.text) and grounded(question, OPEN_ASK, c.ev)
    ]
    heads = [c.ev for c in inside if _opens_item(c.ev)]
    if len(heads) >= 2:  # a list's items, each by its first sentence
        return heads[:limit]
    if len(inside) <= limit:
        return [c.ev for c in inside]
    scored = _score(question, doc.source, inside, focus)
    return sorted(_cover(scored, limit, MIN_SENTENCES), key=lambda e: e.key[1])


def _opens_item(ev: Evidence) -> bool:
    """Does the sentence open a list item (its line starts with a bullet, a number or a letter, then it)?"""
    text = ev.hit.chunk.text
    line = text[text.rfind("\n", 0, ev.start) + 1 : ev.start]
    return bool(re.fullmatch(r"[ \t]*(?:[•▪◦·●○■□*–—-]+|\(?(?:\d{1,2}|[A-Za-z])[.)])[ \t]*", line))


def _focus_pattern(question: str, kind: str) -> re.Pattern[str] | None:
    """Cue words for the question's focus; for a list, also the stem of the listed noun ("strategies" -> strateg)."""
    cues = [] if focus_of(question) == "says" else [_FOCUS[focus_of(question)]]
    if kind == kinds.LIST:
        # "What kinds of hardware…", "…the four types of congressional committee hearings": the listed noun
        # after "kinds of" (its first plural within three words, else its first word), not "kinds"
        kinds_of = re.search(
            r"\b(?:kinds?|types?|sorts?|forms?|range|variety) of (?:the )?(?:(?:[a-z]+ ){0,2}?([a-z]{4,})s\b|([a-z]{4,}))",
            question,
            re.I,
        )
        m = kinds_of or re.search(r"\b(?:of|which|what|the|all)\s+(?:\w+\s+){0,2}?([a-z]{4,})s\b", question, re.I)
        if m:
            noun = (m.group(1) or m.group(2)).lower()
            cues.append(rf"\b{re.escape(noun[:-2] if len(noun) > 5 else noun)}\w*")
    return re.compile("|".join(cues), re.I) if cues else None


def _score(
    question: str,
    source: SourceInfo,
    candidates: Sequence[Candidate],
    focus: re.Pattern[str] | None,
    others: Sequence[str] = (),
    ends: tuple[int, int] | None = None,
) -> list[Evidence]:
    """Each candidate with its score (the formula in the module docstring), best first; ``ends``: the
    document's span, for a summary's location cue (its opening and closing stretches)."""
    names = _author_terms(source)
    naming = names | {t for n in (*others, source.meta.publisher or "") for t in tokenize(n)}
    q_terms = set(tokenize(question)) - naming - SOURCE_WORDS - ASKING
    q_terms -= {t for t in q_terms if focus is not None and focus.search(t)}
    texts = [c.ev.text for c in candidates]
    df: dict[str, int] = {}
    for t in texts:
        for term in terms(t):
            df[term] = df.get(term, 0) + 1
    idf = {t: math.log(1 + len(texts) / d) for t, d in df.items()}
    total = sum(idf.get(t, math.log(1 + len(texts))) for t in q_terms) or 1.0
    counted = _COUNTED.search(question) is not None  # "What three changes…": the document's first, second, third
    about = kinds.SAYS_ABOUT.search(question)
    topic = set(tokenize(about.group("topic"))) - naming if about else set()
    out = []
    for c in candidates:
        text = c.ev.text
        lex = sum(idf.get(t, 0.0) for t in q_terms & terms(text)) / total if q_terms else 0.0
        # an item of a list the document introduces with the focus ("the following recommendations") is one
        in_focus_list = c.list_item and focus is not None and bool(focus.search(c.intro))
        cue = 1.0 if in_focus_list or (focus is not None and focus.search(text)) else 0.0
        context = 2.0 if in_focus_list else 1.0 if focus is not None and focus.search(c.section) else 0.0
        score = 0.45 * c.cos + 0.35 * lex + 0.25 * cue + 0.25 * context + 0.15 * c.list_item
        score += (0.2 if counted else 0.05) * bool(_ORDINAL.search(text))
        if ends is not None:  # Edmundson's location cue: a summary's points sit at the start and the end
            where = (c.ev.key[1] - ends[0]) / max(1, ends[1] - ends[0])
            score += LOCATION * (where < OPENING or where > 1 - CLOSING)
        score -= ASIDE * _aside(text, question, names)
        if topic and not topic & terms(text):  # "…say about the Palermo Model?": a sentence naming it
            score -= 0.3
        out.append(replace(c.ev, score=score))
    return sorted(out, key=lambda e: -e.score)


def _author_terms(source: SourceInfo) -> set[str]:
    return {t for a in source.meta.authors for t in tokenize(a)}


def _aside(text: str, question: str, authors: set[str]) -> bool:
    """Does a sentence score ``ASIDE`` less: it introduces a list, is an author's biography line,
    boilerplate or a question, or echoes the question."""
    bio = bool(authors & terms(text)) and bool(_BIO.search(text))
    asks = text.rstrip("”\"’' ").endswith("?")
    return (
        bio
        or asks
        or bool(INTRODUCER.search(text) or _BOILERPLATE.search(text))
        or answer_type.novelty(text, question) < 0.2
    )


def _after_openers(doc: DocumentView, picked: Sequence[int], candidates: Sequence[Candidate]) -> set[int]:
    """The chunks after each picked chunk holding an enumeration's first item, not picked yet."""
    position = {c.chunk_id: n for n, c in enumerate(doc.chunks)}
    reach = {(position[c.ev.hit.chunk.chunk_id], enumeration.chunks_after(c.ev.text)) for c in candidates}
    return {p + d for p, n in reach for d in range(1, n + 1) if p + d < len(doc.chunks)} - set(picked)


def _whole_list(chosen: Sequence[Evidence], candidates: Sequence[Candidate], limit: int) -> list[Evidence]:
    """``chosen``, or, when two or more of them, and half its items or more, are items of one list of at
    most ``limit`` items, that whole list ("- Trade. - Security. - Investment. …": the list is the answer), then the rest as room allows."""
    lists: dict[str, list[Evidence]] = {}
    for c in candidates:
        if c.list_item and c.intro:
            lists.setdefault(c.intro, []).append(c.ev)
    keys = {e.key for e in chosen}
    best = max(lists.values(), key=lambda items: sum(e.key in keys for e in items), default=[])
    taken_n = sum(e.key in keys for e in best)
    if taken_n < 2 or 2 * taken_n < len(best) or len(best) > limit:
        return list(chosen)
    taken = {e.key for e in best}
    return [*best, *(e for e in chosen if e.key not in taken)][:limit]


def _cover(scored: Sequence[Evidence], limit: int, at_least: int, floor: float = FLOOR) -> list[Evidence]:
    """Greedy maximum coverage: each next sentence has the best score times its share of new content terms
    (none scoring below ``floor``)."""
    if not scored or scored[0].score < floor:
        return []
    covered: set[str] = set()
    chosen: list[Evidence] = []
    left = list(scored)
    while left and len(chosen) < limit:
        best = max(left, key=lambda e: _gain(e, covered))
        g = _gain(best, covered)
        if g <= 0 or (len(chosen) >= at_least and g < STOP * chosen[0].score) or best.score < floor:
            break
        chosen.append(best)
        covered |= content(best.text)
        left.remove(best)
    return chosen


def _gain(e: Evidence, covered: set[str]) -> float:
    """``e``'s score times the square root of the share of its content terms not yet ``covered``."""
    words = content(e.text)
    return e.score * math.sqrt(len(words - covered) / len(words) if words else 0.0)
