"""Reading one document for whole-document selection (``qa.wholedoc``): its chunks in order with their
stored sentence vectors (``DocumentView``), the chunks worth reading for a question (``best_chunks``: the
best ``CHUNKS`` by their best sentence vector and cue words, and their neighbours; ``first_items``: where an
enumeration may open), their sentences as candidates (``read_sentences``: a list's items apart from its
introduction, each with its stored vector's cosine), and the section a question names by its heading
(``headed_section``). Pure apart from numpy: records, ``qa.evidence``, ``qa.listitems``, ``qa.text``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from qa import evidence as ev_mod
from qa.asks import VIEW
from qa.chunking import chunk_sentences
from qa.listitems import is_list_item, list_pieces
from qa.records import Chunk, Hit, SourceInfo
from qa.text import content_terms, tokenize

if TYPE_CHECKING:
    from qa.records import Evidence
    from qa.store import LoadedIndex

Embed = Callable[[Sequence[str]], np.ndarray]

_FIRST_ITEM = re.compile(
    r"(?:^|[.!?:]\s+)\W*(?:first(?:ly)?\s*[,.:;—–-]|(?:the|a) first [a-z]+|one [a-z]+)", re.I | re.M
)

STEM = 6  # a heading's word and the question's match on their first this many letters

CHUNKS = 16  # chunks of a document whose sentences are scored (after the cheap chunk score)

EMBED_AT_MOST = 32  # sentences with no stored vector (a list item cut from its introduction) embedded per question


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


def headed_section(question: str, doc: DocumentView) -> tuple[str, int, int] | None:
    """The section whose heading the question names, as (heading, start, end) in the stored text: every
    content word of the heading is in the question (by its first ``STEM`` letters: "Recommendations" for
    "recommend") and one of them is not a word of the document's title or of the names of its authors
    (those say which document, not which part of it): "What obstacles to cooperation … identify?" reads
    "Obstacles to Cooperation", "What policy actions do … propose?" reads "Policy Actions"; a heading
    named only by the question's frame ("Description" for "… does Downie describe") is none. The section
    runs to the next line that is another heading of the document. None when no heading is named."""
    asked = {t[:STEM] for t in content_terms(question)}
    frame = {t[:STEM] for t in content_terms(question) if VIEW.fullmatch(t)}  # "describe", "say": not a topic
    meta = doc.source.meta
    generic = {t[:STEM] for t in content_terms(" ".join((meta.title, *meta.authors, meta.publisher or "")))}
    headings = list(dict.fromkeys(c.section.strip() for c in doc.chunks if c.section and c.section.strip()))
    best: tuple[int, str] | None = None
    for heading in headings:
        named = {t[:STEM] for t in content_terms(heading)}
        distinct = len(named - generic - frame)
        if named and named <= asked and distinct and (best is None or distinct > best[0]):
            best = (distinct, heading)
    if best is None:
        return None
    heading, others = best[1], set(headings) - {best[1]}
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
            elif where >= start and text in others and (shape.fullmatch(text) if shape else body):
                end = where
                break
            elif start is not None and text and text not in others:
                body = True
        if end is not None:
            break
    if start is None:
        return None
    return heading, start, end if end is not None else doc.chunks[-1].end


def best_chunks(doc: DocumentView, qvec: np.ndarray, focus: re.Pattern[str] | None) -> list[int]:
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
class Candidate:
    ev: Evidence
    cos: float
    list_item: bool
    intro: str  # a list item's introduction ("The following recommendations are offered…:")
    section: str  # the chunk's heading


def read_sentences(
    doc: DocumentView, picked: Sequence[int], qvec: np.ndarray, embed: Embed | None = None, bios: bool = False
) -> list[Candidate]:
    """The sentences of the picked chunks (each stored sentence once, a list's items apart from its
    introduction), with the cosine of their stored vectors (embedded with ``embed`` when none matches);
    a list item's context is its introduction, carried over into the next chunk; ``bios``: author
    biographies too (a question about someone's background)."""
    seen: set[tuple[str, int]] = set()
    out: list[Candidate] = []
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
        for ev in (
            piece
            for whole in ev_mod.sentences_of([hit], bios=bios, short_items=True, notes=False)
            for piece in list_pieces(whole)
        ):
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
            out.append(Candidate(ev, cos, item, intro if item else "", chunk.section or ""))
    if embed is not None and unmatched:
        vectors = embed([out[i].ev.text for i in unmatched[:EMBED_AT_MOST]])
        for i, v in zip(unmatched, vectors):
            out[i] = replace(out[i], cos=float(v @ qvec))
    return out


def first_items(doc: DocumentView, reach: int = 4) -> list[int]:
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
def terms(text: str) -> frozenset[str]:
    """``text``'s index terms, once per text (tokenising is the selection's main cost)."""
    return frozenset(tokenize(text))


@lru_cache(maxsize=8192)
def content(text: str) -> frozenset[str]:
    return frozenset(content_terms(text))


def _matching(text: str, stored: Sequence[str]) -> int | None:
    """The stored sentence (of the chunk's cleaned text) that shares most words with ``text`` (Jaccard >= 0.5)."""
    words = terms(text)
    if not words or not stored:
        return None
    overlaps = [len(words & terms(s)) / len(words | terms(s)) for s in stored]
    j = max(range(len(stored)), key=lambda i: overlaps[i])
    return j if overlaps[j] >= 0.5 else None
