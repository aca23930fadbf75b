"""Structure-aware chunking of cleaned text into retrievable passages.

Input: a cleaned text whose paragraphs are separated by "\\n\\n" (see
``qa.clean``), its offset map, and a token counter for the embedding model.
Chunks follow headings (a heading starts a new chunk and names its section),
paragraphs and the units of ``qa.units`` (a chunk never ends inside a sentence); they fit the embedding window; consecutive chunks
of one section overlap by a few sentences. Each chunk carries its exact span
in the stored text. Pure: standard library and records only.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Protocol

from qa.pagebreak import open_prose
from qa.records import Chunk, Document
from qa.units import units as text_units

TokenCounter = Callable[[str], int]


class OffsetMap(Protocol):
    @property
    def text(self) -> str: ...

    def to_original(self, start: int, end: int) -> tuple[int, int]: ...


@dataclass(frozen=True)
class _Unit:
    """A sentence (or a piece of an over-long sentence) in cleaned coordinates."""

    start: int
    end: int
    tokens: int
    section: str | None
    para: int  # paragraph ordinal: breaking between paragraphs is preferred
    glue: bool = False  # no chunk break after this unit: its sentence goes on past a page break


def chunk_document(
    doc: Document,
    cleaned: OffsetMap,
    count_tokens: TokenCounter,
    is_heading: Callable[[str], bool],
    *,
    target_tokens: int = 160,
    max_tokens: int = 250,
    overlap_sentences: int = 1,
) -> list[Chunk]:
    """Chunks of ``doc`` built from its cleaned text."""
    units = _units(cleaned.text, count_tokens, is_heading, max_tokens)
    groups = _pack(units, target_tokens, max_tokens, overlap_sentences)
    chunks: list[Chunk] = []
    for ordinal, group in enumerate(groups):
        c_start, c_end = group[0].start, group[-1].end
        start, end = cleaned.to_original(c_start, c_end)
        clean_text = cleaned.text[c_start:c_end].replace("\n\n", " ")
        chunks.append(
            Chunk(
                chunk_id=make_chunk_id(doc.source_id, doc.text[start:end], start),
                source_id=doc.source_id,
                ordinal=ordinal,
                start=start,
                end=end,
                text=doc.text[start:end],
                clean_text=clean_text,
                section=group[0].section,
                page=doc.page_at(start),
            )
        )
    return chunks


def chunk_sentences(chunk: Chunk, min_words: int = 3) -> list[str]:
    """The sentences of a chunk's clean text that are embedded for max-sim
    scoring; fragments under ``min_words`` words (headings, page debris) are left out."""
    text = chunk.clean_text
    return [text[u.start : u.end] for u in text_units(text) if len(text[u.start : u.end].split()) >= min_words]


def make_chunk_id(source_id: str, text: str, start: int) -> str:
    """Stable id: the same text at the same place gets the same id on every build."""
    digest = hashlib.sha1(f"{source_id}\0{start}\0{text}".encode()).hexdigest()[:12]
    return f"{source_id}#{digest}"


def _units(text: str, count_tokens: TokenCounter, is_heading: Callable[[str], bool], max_tokens: int) -> list[_Unit]:
    # 1. walk paragraphs; a heading paragraph sets the section of what follows
    units: list[_Unit] = []
    section: str | None = None
    pos = 0
    para = 0
    while pos <= len(text):
        stop = text.find("\n\n", pos)
        stop = len(text) if stop < 0 else stop
        paragraph = text[pos:stop]
        if paragraph.strip():
            if is_heading(paragraph.strip()):
                section = paragraph.strip()
            # 2. the paragraph's units (sentences, list items, ...; qa.units); over-long ones are cut by words
            for u in text_units(paragraph):
                units.extend(_fit(text, pos + u.start, pos + u.end, count_tokens, max_tokens, section, para))
            para += 1
        pos = stop + 2
    return _glued(text, units)


def _glued(text: str, units: list[_Unit], most: int = 3) -> list[_Unit]:
    """``units`` with ``glue`` set where a sentence runs over a page break: a paragraph's last unit that
    ends mid-sentence ("…both for equipment and"), and the interrupting units after it (a footnote the
    cleaner left between the halves) up to the one resuming in lower case ("training of Mexican…")."""
    out = list(units)
    for i, u in enumerate(units[:-1]):
        if units[i + 1].para == u.para or not open_prose(text[u.start : u.end].rstrip()):
            continue
        resume = next(
            (
                j
                for j in range(i + 1, min(len(units), i + 1 + most))
                if text[units[j].start : units[j].end][:1].islower()
            ),
            None,
        )
        for j in range(i, resume if resume is not None else i + 1):
            out[j] = replace(out[j], glue=True)
    return out


def _fit(
    text: str, s: int, e: int, count: TokenCounter, max_tokens: int, section: str | None, para: int
) -> list[_Unit]:
    tokens = count(text[s:e])
    if tokens <= max_tokens:
        return [_Unit(s, e, tokens, section, para)]
    # cut at the word boundary nearest the middle and recurse
    mid = text.rfind(" ", s, (s + e) // 2 + 1)
    if mid <= s:
        mid = text.find(" ", (s + e) // 2, e)
    if mid <= s or mid >= e:
        return [_Unit(s, e, min(tokens, max_tokens), section, para)]
    return _fit(text, s, mid, count, max_tokens, section, para) + _fit(
        text, mid + 1, e, count, max_tokens, section, para
    )


def _pack(units: list[_Unit], target: int, max_tokens: int, overlap: int) -> list[list[_Unit]]:
    groups: list[list[_Unit]] = []
    current: list[_Unit] = []
    size = 0
    fresh = 0  # units in ``current`` not carried over from the previous chunk
    for unit in units:
        # a new section starts a new chunk, unless what we hold is only a few
        # words (a heading or byline run): that is glued to the next text instead
        new_section = bool(current) and unit.section != current[-1].section and size >= 24
        full = size + unit.tokens > max_tokens
        # prefer to break at a paragraph end once the target is reached
        soft = size >= target and unit.para != current[-1].para if current else False
        if current and (new_section or full or (not current[-1].glue and (soft or size + unit.tokens > target * 1.5))):
            if fresh:
                groups.append(current)
            carry = [] if new_section else _tail(current, overlap, max_tokens - unit.tokens)
            current, size, fresh = list(carry), sum(u.tokens for u in carry), 0
        current.append(unit)
        size += unit.tokens
        fresh += 1
    if current and fresh:
        groups.append(current)
    return groups


def _tail(units: list[_Unit], overlap: int, room: int) -> list[_Unit]:
    """The last ``overlap`` units, if they fit in ``room`` tokens (else none)."""
    tail = units[-overlap:] if overlap else []
    while tail and sum(u.tokens for u in tail) > min(room, 80):
        tail = tail[1:]
    return tail
