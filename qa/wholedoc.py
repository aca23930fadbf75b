"""Whole-document selection for summary, list and comparison questions: a
document's sentences that best cover a question, read across all its chunks,
shown in the document's order. No model; cheap for a document of any length:
  1. chunks: each scored by its best stored sentence vector against the
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
Pure apart from numpy: records, ``qa.evidence``, ``qa.kinds``, ``qa.text``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from qa import enumeration, kinds
from qa import evidence as ev_mod
from qa.asks import Ask
from qa.chunking import chunk_sentences
from qa.grounding import grounded
from qa.listitems import INTRODUCER, is_list_item, list_pieces
from qa.records import Chunk, Evidence, Hit, SourceInfo
from qa.text import content_terms, tokenize

if TYPE_CHECKING:
    from qa.store import LoadedIndex

EMBED_AT_MOST = 32  # sentences with no stored vector (a list item cut from its introduction) embedded per question
CHUNKS = 16  # chunks of a document whose sentences are scored (after the cheap chunk score)
MAX_SENTENCES = 6  # a summary or list block quotes at most this many
MIN_SENTENCES = 3  # … and at least this many when the document has them
STOP = 0.4  # past ``at_least`` sentences, stop when the next adds less than this share of the first one's score
FLOOR = 0.22  # a block whose best sentence scores below this has nothing to say
OPEN_ASK = Ask("")  # a summary's sentences ask no kind: only the years and numbered things it names are checked
STEM = 6  # a heading's word and the question's match on their first this many letters

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
_ABOUT = re.compile(r"\b(?:say|write|think)s? about\b(?P<topic>[^?]*)", re.I)
_ORDINAL = re.compile(r"\b(?:first|second|third|fourth|fifth|finally|lastly|option [a-e])\b", re.I)
LOCATION = 0.1  # a summary's sentence in the document's opening or closing stretch scores this much more
OPENING, CLOSING = 0.1, 0.2  # … its first tenth, its last fifth
_COUNTED = re.compile(r"\b(?:two|three|four|five|six|seven|eight|nine|ten)\s+(?:[\w-]+\s+)?[a-z]+s\b", re.I)
_FIRST_ITEM = re.compile(
    r"(?:^|[.!?:]\s+)\W*(?:first(?:ly)?\s*[,.:;—–-]|(?:the|a) first [a-z]+|one [a-z]+)", re.I | re.M
)
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


Embed = Callable[[Sequence[str]], np.ndarray]


@dataclass(frozen=True)
class DocumentView:
    """One indexed source as the selector reads it: its chunks in order and each chunk's stored sentence vectors."""

    source: SourceInfo
    chunks: tuple[Chunk, ...]
    sentence_vectors: tuple[np.ndarray, ...]  # per chunk, (m, dim) (m may be 0)


def document_view(index: LoadedIndex, source_id: str) -> DocumentView:
    """``source_id``'s chunks in the document's order, with each chunk's stored sentence vectors."""
    data = index.data
    rows = sorted(
        (i for i, c in enumerate(data.chunks) if c.source_id == source_id), key=lambda i: data.chunks[i].start
    )
    owners = data.sentence_rows
    dim = data.vectors.shape[-1] if data.vectors.ndim == 2 else 0
    vectors = []
    for r in rows:
        lo, hi = np.searchsorted(owners, r, "left"), np.searchsorted(owners, r, "right")
        vectors.append(data.sentence_vectors[lo:hi] if hi > lo else np.zeros((0, dim), np.float32))
    return DocumentView(index.sources[source_id], tuple(data.chunks[r] for r in rows), tuple(vectors))


def focus_of(question: str) -> str:
    """What a summary asks a source for: "recommends", "concludes", "argues", or "says"."""
    q = question.lower()
    if _ABOUT.search(q):  # what a source says about a topic: the topic is the focus, not argument cues
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
) -> list[Evidence]:
    """The document's sentences that best cover ``question`` (at most ``limit``), in the document's order;
    ``names``: words that name sources (authors, publishers), not the topic, besides this document's own."""
    focus = _focus_pattern(question, kind)
    if kind in (kinds.SUMMARY, kinds.LIST):
        section = section_evidence(question, doc, qvec, focus, limit, embed)
        if section:
            return section
    picked = _best_chunks(doc, qvec, focus)
    candidates = _sentences(doc, picked, qvec, embed, ev_mod.asks_background(question))
    if kind in (kinds.SUMMARY, kinds.LIST):  # "…for the 119th Congress?", "…in 2019?": passages that name it
        candidates = [c for c in candidates if grounded(question, OPEN_ASK, c.ev)]
    ends = (doc.chunks[0].start, doc.chunks[-1].end) if doc.chunks and kind == kinds.SUMMARY else None
    scored = _score(question, doc.source, candidates, focus, names, ends)
    if kind != kinds.COMPARE:
        in_order = [c.ev for c in candidates]
        found = enumeration.runs([e.text for e in in_order])  # the document's enumerations, once
        scored = enumeration.lift_runs(found, in_order, scored)
        m = _COUNTED.search(question)
        counted_words = m.group(0).split() if m else []  # "two methods" of "the two methods of curing …"
        word = f"{counted_words[0]} {counted_words[-1]}" if counted_words else ""
        counted = enumeration.counted_run(word, found, in_order, scored)
        inline = enumeration.inline_count(word, scored)
        if not counted and word and (inline is None or inline >= enumeration.RUN_AMONG):
            # the enumeration may lie outside the chunks read: look across the document
            every = _sentences(doc, _first_items(doc), qvec)
            counted = enumeration.counted_in_document(word, [c.ev for c in every], [c.cos for c in every])
        if counted:
            return counted[:limit]
    chosen = _cover(scored, limit, at_least)
    return sorted(chosen, key=lambda e: e.key[1])


def headed_section(question: str, doc: DocumentView, others: Sequence[str] = ()) -> tuple[str, int, int] | None:
    """The section whose heading the question names, as (heading, start, end) in the stored text: every
    content word of the heading is in the question (by its first ``STEM`` letters: "Recommendations" for
    "recommend") and one of them is not a word of the document's title or of the names of its authors
    (those say which document, not which part of it): "What obstacles to cooperation … identify?" reads
    "Obstacles to Cooperation", "What policy actions do … propose?" reads "Policy Actions". The section
    runs to the next line that is another heading of the document. None when no heading is named."""
    asked = {t[:STEM] for t in content_terms(question)}
    meta = doc.source.meta
    generic = {t[:STEM] for t in content_terms(" ".join((meta.title, *meta.authors, meta.publisher or "", *others)))}
    headings = list(dict.fromkeys(c.section.strip() for c in doc.chunks if c.section and c.section.strip()))
    best: tuple[int, str] | None = None
    for heading in headings:
        terms = {t[:STEM] for t in content_terms(heading)}
        distinct = len(terms - generic)
        if terms and terms <= asked and distinct and (best is None or distinct > best[0]):
            best = (distinct, heading)
    if best is None:
        return None
    heading, others_ = best[1], set(headings) - {best[1]}
    # a numbered heading ("FEDERALIST No. 51", "Section 2") runs to the next of its shape, past its subtitles;
    # another to the next heading after some text of its own
    shape = re.compile(re.sub(r"\d+", r"\\d+", re.escape(heading))) if re.search(r"\d", heading) else None
    start = end = None
    body = False
    for chunk in doc.chunks:
        offset = chunk.start
        for line in chunk.text.splitlines(keepends=True):
            where, offset = offset, offset + len(line)
            text = line.strip()
            if start is None:
                if text == heading:
                    start = offset
            elif where >= start and text in others_ and (shape.fullmatch(text) if shape else body):
                end = where
                break
            elif start is not None and text and text not in others_:
                body = True
        if end is not None:
            break
    if start is None:
        return None
    return heading, start, end if end is not None else doc.chunks[-1].end


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
        for c in _sentences(doc, picked, qvec, embed)
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
        m = re.search(r"\b(?:of|which|what|the|all)\s+(?:\w+\s+){0,2}?([a-z]{4,})s\b", question, re.I)
        if m:
            noun = m.group(1).lower()
            cues.append(rf"\b{re.escape(noun[:-2] if len(noun) > 5 else noun)}\w*")
    return re.compile("|".join(cues), re.I) if cues else None


def _best_chunks(doc: DocumentView, qvec: np.ndarray, focus: re.Pattern[str] | None) -> list[int]:
    """Positions of the chunks worth reading sentence by sentence: the best ``CHUNKS`` and each one's successor."""
    scores = np.zeros(len(doc.chunks), dtype=np.float32)
    for i, (chunk, vecs) in enumerate(zip(doc.chunks, doc.sentence_vectors)):
        cos = float(np.max(vecs @ qvec)) if len(vecs) else 0.0
        cue = 0.0
        if focus is not None:
            cue = min(1.0, len(focus.findall(chunk.clean_text)) / 3) + (
                0.5 if chunk.section and focus.search(chunk.section) else 0.0
            )
        scores[i] = cos + 0.3 * cue
    best = np.argsort(-scores, kind="stable")[:CHUNKS]
    out = {int(i) + d for i in best for d in (-1, 0, 1) if 0 <= int(i) + d < len(doc.chunks)}
    return sorted(out)


@dataclass(frozen=True)
class _Candidate:
    ev: Evidence
    cos: float
    list_item: bool
    intro: str  # a list item's introduction ("The following recommendations are offered…:")
    section: str  # the chunk's heading


def _sentences(
    doc: DocumentView, picked: Sequence[int], qvec: np.ndarray, embed: Embed | None = None, bios: bool = False
) -> list[_Candidate]:
    """The sentences of the picked chunks (each stored sentence once, a list's items apart from its
    introduction), with the cosine of their stored vectors (embedded with ``embed`` when none matches);
    a list item's context is its introduction, carried over into the next chunk; ``bios``: author
    biographies too (a question about someone's background)."""
    seen: set[tuple[str, int]] = set()
    out: list[_Candidate] = []
    unmatched: list[int] = []
    previous, intro, in_list, last = "", "", False, -2
    for pos, context_only in _with_predecessors(picked):
        chunk = doc.chunks[pos]
        if pos != last + 1:
            previous, intro, in_list = "", "", False
        last = pos
        hit = Hit(rank=pos + 1, score=0.0, chunk=chunk, source=doc.source)
        stored = [] if context_only else chunk_sentences(chunk)
        vecs = doc.sentence_vectors[pos]
        for ev in (piece for whole in ev_mod.sentences_of([hit], bios=bios) for piece in list_pieces(whole)):
            item = is_list_item(chunk.text, ev.start, ev.text, previous, in_list)
            intro = intro if item else ev.text
            previous, in_list = ev.text, item
            if context_only or ev.key in seen:
                continue
            seen.add(ev.key)
            j = _matching(ev.text, stored)
            if j is None or j >= len(vecs):
                unmatched.append(len(out))
            cos = float(vecs[j] @ qvec) if j is not None and j < len(vecs) else 0.0
            out.append(_Candidate(ev, cos, item, intro if item else "", chunk.section or ""))
    if embed is not None and unmatched:
        vectors = embed([out[i].ev.text for i in unmatched[:EMBED_AT_MOST]])
        for i, v in zip(unmatched, vectors):
            out[i] = replace(out[i], cos=float(v @ qvec))
    return out


def _first_items(doc: DocumentView, reach: int = 4) -> list[int]:
    """The chunks where an enumeration may open ("First, …", "The first option…", "One school of thought…"),
    the one before (its introduction) and the ``reach`` after each (its items, footnotes and captions
    between them): all a counted question reads of a long document."""
    out: set[int] = set()
    for pos, chunk in enumerate(doc.chunks):
        if _FIRST_ITEM.search(chunk.text):
            out.update(range(max(0, pos - 1), min(len(doc.chunks), pos + reach + 1)))
    return sorted(out)


def _with_predecessors(picked: Sequence[int]) -> list[tuple[int, bool]]:
    """``picked`` in order, each run preceded by the chunk before it, read for context only (a list's
    introduction there tells what the run's first items are)."""
    out: list[tuple[int, bool]] = []
    chosen = set(picked)
    for pos in sorted(chosen):
        if pos - 1 >= 0 and pos - 1 not in chosen:
            out.append((pos - 1, True))
        out.append((pos, False))
    return out


@lru_cache(maxsize=8192)
def _terms(text: str) -> frozenset[str]:
    """``text``'s index terms, once per text (tokenising is the selection's main cost)."""
    return frozenset(tokenize(text))


@lru_cache(maxsize=8192)
def _content(text: str) -> frozenset[str]:
    return frozenset(content_terms(text))


def _matching(text: str, stored: Sequence[str]) -> int | None:
    """The stored sentence (of the chunk's cleaned text) that shares most words with ``text`` (Jaccard >= 0.5)."""
    terms = _terms(text)
    if not terms or not stored:
        return None
    overlaps = [len(terms & _terms(s)) / len(terms | _terms(s)) for s in stored]
    j = max(range(len(stored)), key=lambda i: overlaps[i])
    return j if overlaps[j] >= 0.5 else None


def _score(
    question: str,
    source: SourceInfo,
    candidates: Sequence[_Candidate],
    focus: re.Pattern[str] | None,
    others: Sequence[str] = (),
    ends: tuple[int, int] | None = None,
) -> list[Evidence]:
    """Each candidate with its score (the formula in the module docstring), best first; ``ends``: the
    document's span, for a summary's location cue (its opening and closing stretches)."""
    names = {t for a in source.meta.authors for t in tokenize(a)}
    naming = names | {t for n in (*others, source.meta.publisher or "") for t in tokenize(n)}
    q_terms = set(tokenize(question)) - naming - SOURCE_WORDS - ASKING
    q_terms -= {t for t in q_terms if focus is not None and focus.search(t)}
    texts = [c.ev.text for c in candidates]
    df: dict[str, int] = {}
    for t in texts:
        for term in _terms(t):
            df[term] = df.get(term, 0) + 1
    idf = {t: math.log(1 + len(texts) / d) for t, d in df.items()}
    total = sum(idf.get(t, math.log(1 + len(texts))) for t in q_terms) or 1.0
    counted = _COUNTED.search(question) is not None  # "What three changes…": the document's first, second, third
    about = _ABOUT.search(question)
    topic = set(tokenize(about.group("topic"))) - naming if about else set()
    out = []
    for c in candidates:
        text = c.ev.text
        lex = sum(idf.get(t, 0.0) for t in q_terms & _terms(text)) / total if q_terms else 0.0
        # an item of a list the document introduces with the focus ("the following recommendations") is one
        in_focus_list = c.list_item and focus is not None and bool(focus.search(c.intro))
        cue = 1.0 if in_focus_list or (focus is not None and focus.search(text)) else 0.0
        context = 2.0 if in_focus_list else 1.0 if focus is not None and focus.search(c.section) else 0.0
        score = 0.45 * c.cos + 0.35 * lex + 0.25 * cue + 0.25 * context + 0.15 * c.list_item
        score += (0.2 if counted else 0.05) * bool(_ORDINAL.search(text))
        if ends is not None:  # Edmundson's location cue: a summary's points sit at the start and the end
            where = (c.ev.key[1] - ends[0]) / max(1, ends[1] - ends[0])
            score += LOCATION * (where < OPENING or where > 1 - CLOSING)
        bio = bool(names & _terms(text)) and bool(_BIO.search(text))
        aside = bio or bool(_BOILERPLATE.search(text)) or text.rstrip("”\"’' ").endswith("?")
        if INTRODUCER.search(text) or aside or ev_mod.novelty(text, question) < 0.2:
            score -= 0.3
        if topic and not topic & _terms(text):  # "…say about the Palermo Model?": a sentence naming it
            score -= 0.3
        out.append(replace(c.ev, score=score))
    return sorted(out, key=lambda e: -e.score)


def _cover(scored: Sequence[Evidence], limit: int, at_least: int) -> list[Evidence]:
    """Greedy maximum coverage: each next sentence has the best score times its share of new content terms."""
    if not scored or scored[0].score < FLOOR:
        return []
    covered: set[str] = set()
    chosen: list[Evidence] = []
    left = list(scored)
    while left and len(chosen) < limit:
        best = max(left, key=lambda e: _gain(e, covered))
        g = _gain(best, covered)
        if g <= 0 or (len(chosen) >= at_least and g < STOP * chosen[0].score) or best.score < FLOOR:
            break
        chosen.append(best)
        covered |= _content(best.text)
        left.remove(best)
    return chosen


def _gain(e: Evidence, covered: set[str]) -> float:
    """``e``'s score times the square root of the share of its content terms not yet ``covered``."""
    terms = _content(e.text)
    return e.score * math.sqrt(len(terms - covered) / len(terms) if terms else 0.0)
