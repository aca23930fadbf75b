"""Broad questions answered in blocks: a summary or list from the whole
document (``qa.wholedoc``), a comparison one block per source, a question with
parts one block per part. Each block carries a one-line lead ("Downie (2011)
recommends:") and its evidence sentences in the document's order (a comparison's
block: its answer to the question first), or, when the
sources have nothing for it, the line that says so ("Starr (2012): nothing in
this source addresses …"). Then the blocks become the extractive draft and,
once checked, the labelled answer. Pure apart from numpy.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Protocol

import numpy as np

from qa import enumeration, kinds
from qa import evidence as ev_mod
from qa.answer_type import asked_type, holds_type, novelty
from qa.asks import ask_of
from qa.compose import asked_share
from qa.decide import coverage
from qa.docread import DocumentView, Embed, document_view
from qa.listitems import without_bullets
from qa.prescore import prescore
from qa.records import Answer, Evidence, Hit, SourceInfo
from qa.sources_choice import choose_sources, in_each, mention, named_by_name, source_name
from qa.text import content_terms, tokenize
from qa.wholedoc import ASKING, FLOOR, SOURCE_WORDS, document_evidence, focus_of

if TYPE_CHECKING:
    from qa.store import LoadedIndex

PER_SOURCE = 2  # a comparison block weighs at most this many sentences per source…
# …and shows the best one: the side's answer. Its second sentence held a key fact the first did not in 1 of
# 12 comparisons of the benchmark and tune halves (runs/s17-*), and a gold span in 2 of 25.
SHOWN_PER_SOURCE = 1
_SAY_ABOUT = re.compile(r"\b(?:say|says|said|write|writes|wrote|think|thinks|thought)\s+(?=about\b)", re.I)
PART_SENTENCES = 4  # a part asking for a summary or list of a source quotes at most this many
SHORT_ITEM_WORDS = 6  # a list whose every quoted item is this short needs no "In short" lead
PART_COVERAGE = 0.5  # a part's sentence holds at least this share of the part's own content words


@dataclass(frozen=True)
class Block:
    """One part of a broad answer: a lead line, then its evidence in the document's order (or what is missing)."""

    label: str
    evidence: tuple[Evidence, ...]
    missing: str = ""  # said instead of evidence when the sources have nothing for this block
    # found but not shown (a comparison shows each side's best sentence): weighed by the decision,
    # which was fitted on blocks of ``PER_SOURCE``
    beside: tuple[Evidence, ...] = ()


@dataclass(frozen=True)
class Broad:
    """A broad question's blocks, in the order they are shown."""

    kind: str
    blocks: tuple[Block, ...]
    notices: tuple[str, ...] = ()  # e.g. parts left out of a question with too many

    @property
    def evidence(self) -> tuple[Evidence, ...]:
        return tuple(e for b in self.blocks for e in b.evidence)

    def weighed(self, shown: Sequence[str]) -> list[str]:
        """The sentences the answer/refuse decision reads: each block's ``shown`` ones (those the checks
        kept), then the ones found beside them, block by block; none when nothing is shown."""
        kept = set(shown)
        if not kept:
            return []
        return [e.text for b in self.blocks for e in (*b.evidence, *b.beside) if e.text in kept or e in b.beside]


# ------------------------------------------------------------------ labels


def topic_of(question: str, names: Sequence[str] = ()) -> str:
    """The question's words from its first to its last topic word, without the sources' names and the
    asking verbs ("…differ on the state of cooperation?" -> "state of cooperation"): what a side with
    nothing does not address."""
    drop = {t for n in names for t in tokenize(n)} | SOURCE_WORDS | ASKING
    words = [w.strip("?.,;:!\"'’”“()") for w in question.split()]
    kept = [i for i, w in enumerate(words) if (terms := set(content_terms(w))) and not terms & drop]
    return " ".join(words[kept[0] : kept[-1] + 1]) if kept else "this question"


# ------------------------------------------------------------------ blocks


def lead(source: SourceInfo, verb: str) -> str:
    """A block's lead line, its verb agreeing with the authors: "Downie (2011) recommends:", "Payan and
    Montes de Oca (2024) recommend:", "Hamilton et al. argue:"."""
    return f"{source_name(source)} {verb if len(source.meta.authors) < 2 else verb[:-1]}:"


def summary_blocks(
    question: str, docs: Sequence[DocumentView], qvec: np.ndarray, kind: str, embed: Embed | None = None
) -> Broad:
    """A summary or list: one block per document (in ``docs`` order), "Downie (2011) recommends:"."""
    verb = focus_of(question) if kind == kinds.SUMMARY else "lists"
    blocks = []
    for doc in docs:
        found = document_evidence(question, doc, qvec, kind, embed=embed)
        name = source_name(doc.source)
        missing = (
            "" if found else f"{name}: nothing in this source addresses {topic_of(question, doc.source.meta.authors)}."
        )
        blocks.append(Block(lead(doc.source, verb), tuple(found), missing))
    return Broad(kind, tuple(blocks))


def compare_blocks(
    question: str, docs: Sequence[DocumentView], qvec: np.ndarray, embed: Embed | None = None, writes: str = ""
) -> Broad:
    """A comparison: one block per source, each showing its best sentence of the ``PER_SOURCE`` found (one
    holding the asked kind first, then the one holding most of the question, ``qa.compose.asked_share``;
    the others ``beside`` it), or the line saying it has none; ``writes``:
    the name each block's sentences must write (a person the question asks about in each document)."""
    blocks = []
    names = [n for d in docs for n in (*d.source.meta.authors, d.source.meta.publisher or "")]
    typed = asked_type(question.split("?")[0])
    if writes:  # the person asked about is the topic, even where they are an author
        names = [n for n in names if n.lower() != writes.lower()]
    for doc in docs:
        found = document_evidence(
            question, doc, qvec, kinds.COMPARE, limit=PER_SOURCE, at_least=1, embed=embed, names=names, writes=writes
        )
        # its answer to the question first: a sentence holding the asked kind (a number for "how many"),
        # then the one holding most of the question
        found = sorted(
            found,
            key=lambda e: (bool(typed) and not holds_type(typed, e.text, question), -asked_share(question, e)),
        )
        name = source_name(doc.source)
        missing = "" if found else f"{name}: nothing in this source addresses {topic_of(question, names)}."
        blocks.append(Block(f"{name}:", tuple(found[:SHOWN_PER_SOURCE]), missing, tuple(found[SHOWN_PER_SOURCE:])))
    return Broad(kinds.COMPARE, tuple(blocks))


Search = Callable[[str], Sequence[Hit]]


def phrase_part(part: str) -> bool:
    """Does ``part`` ask for one thing a phrase answers (not a summary or list of what a source says:
    "What policy actions do Payan and Montes de Oca propose" reads the document)?"""
    return ask_of(part).wants_phrase and kinds.kind_of(part) not in (kinds.SUMMARY, kinds.LIST)


Whole = Callable[[str, str], Block | None]


def part_blocks(parts: Sequence[str], search: Search, embed: Embed | None, whole: Whole | None = None) -> Broad:
    """A question with parts: each part's best sentence from its own retrieval (of the asked kind when
    one is asked: a date for "when"), or the line saying the sources leave it open; a part asking for a
    summary or list of a source (``whole``) is answered from that source's whole document."""
    blocks = []
    taken: list[Evidence] = []
    for part in parts:
        part_kind = kinds.kind_of(part)
        if whole is not None and part_kind in (kinds.SUMMARY, kinds.LIST):
            block = whole(part, part_kind)
            if block is not None:
                fresh = tuple(e for e in block.evidence if not _quoted(e, taken))
                taken.extend(fresh)
                if fresh:
                    blocks.append(replace(block, evidence=fresh))
                    continue
        candidates = [
            without_bullets(e) for e in ev_mod.sentences_of(list(search(part))[:4], bios=ev_mod.asks_background(part))
        ]
        ranked = prescore(candidates, [part], embed)[0] if candidates else []
        kind = asked_type(part)
        asked = _SAY_ABOUT.sub("", part.split("? (")[0])  # "what do they say about X" asks about X
        usable = [
            e
            for e in ranked
            if e.score >= FLOOR
            and novelty(e.text, part) >= 0.2
            and coverage(asked, e.text) >= PART_COVERAGE
            and (not kind or holds_type(kind, e.text, part))
        ]
        if not usable:
            blocks.append(Block("", (), f"The sources leave this part open: {part.split('? (')[0].rstrip('?')}?"))
            continue
        best = usable[0]
        if not _quoted(best, taken):  # one sentence answering two parts is quoted once
            taken.append(best)
            blocks.append(Block("", (best,)))
    return Broad(kinds.PARTS, tuple(blocks))


def _quoted(ev: Evidence, taken: Sequence[Evidence]) -> bool:
    """Is ``ev``'s span (or part of it) already quoted in ``taken`` (two chunks may cut one sentence apart)?"""
    sid, start = ev.key
    end = start + len(ev.quote)
    return any(t.key[0] == sid and t.key[1] < end and start < t.key[1] + len(t.quote) for t in taken)


# ------------------------------------------------------------------ the answer


def draft(broad: Broad) -> list[tuple[str, tuple[int, ...]]]:
    """The extractive answer: each evidence sentence citing itself (1-based over ``broad.evidence``)."""
    return [(e.text, (i,)) for i, e in enumerate(broad.evidence, start=1)]


def takes_lead(broad: Broad) -> bool:
    """Does the answer open with a short answer naming its points (``qa.points``)? A summary or list of
    one source quoting two or more sentences: a comparison's or a part's blocks answer side by side, and
    a list of short items ("Trade." "Security." …) or of a document's divisions in order ("Title I of the
    bill would…", "Title II…": each item names itself) is its own short answer."""
    short = all(len(e.text.split()) <= SHORT_ITEM_WORDS for e in broad.evidence)
    short = short or all(enumeration.opens_division(e.text) for e in broad.evidence)
    return (
        broad.kind in (kinds.SUMMARY, kinds.LIST) and len(broad.blocks) == 1 and len(broad.evidence) >= 2 and not short
    )


def labelled(answer: Answer, broad: Broad) -> Answer:
    """``answer`` with each block's lead line before its sentences and each missing block's line said.

    A refusal stays as it is; sentences the checks removed are left out of their block."""
    if answer.refused:
        return answer
    by_text = {s.text: s for s in answer.sentences}
    quoted = {e.text for e in broad.evidence}
    lines: list[str] = [  # a lead that is no quote ("In short: …") comes first
        f"{s.text} " + "".join(f"[{n}]" for n in s.citations) for s in answer.sentences if s.text not in quoted
    ]
    for block in broad.blocks:
        said = [by_text[e.text] for e in block.evidence if e.text in by_text]
        if said:
            body = " ".join(f"{s.text} " + "".join(f"[{n}]" for n in s.citations) for s in said)
            lines.append(f"{block.label} {body}".strip())
        elif block.missing:
            lines.append(block.missing)
    open_parts = tuple(b.missing for b in broad.blocks if b.missing)
    return replace(answer, answer="\n".join(lines), notices=answer.notices + broad.notices + open_parts)


# ------------------------------------------------------------------ from the index


class Library(Protocol):
    """What the broad path reads from the retriever: the loaded index, a filtered search, the named sources."""

    @property
    def index(self) -> LoadedIndex: ...

    def search(
        self, query: str, k: int | None = None, source_ids: Sequence[str] | None = None, also: str | None = None
    ) -> list[Hit]: ...


def gather(
    kind: str,
    question: str,
    library: Library,
    hits: Sequence[Hit],
    named: Mapping[str, float],
    query_vector: Callable[[], np.ndarray],
    embed: Embed | None,
) -> Broad | None:
    """The blocks of a broad question (``kind`` other than fact), or None when nothing was found for
    any block or it is better answered as a fact (a comparison with one source). A fact question naming
    two sources by author or publisher ("What do Starr and Arzt say…") is a comparison; title words
    ("Mexico") do not count."""
    if kind == kinds.FACT:
        by_name = named_by_name(question, named, library.index.sources)
        if len(by_name) < 2:
            return None
        kind = kinds.kind_of(question, len(by_name))
        if kind == kinds.FACT:
            return None
    if (
        kind == kinds.SUMMARY
        and kinds.says_about(question)
        and not named_by_name(question, named, library.index.sources)
    ):
        return None  # "What did Fox say about legalization?": a person in the documents, not a source's author
    if kind == kinds.PARTS:
        parts, capped = ev_mod.split_parts(question)
        if len(parts) < 2:
            return None

        def whole(part: str, part_kind: str) -> Block | None:
            sources = library.index.sources
            sids = (
                choose_sources(part_kind, part, named, (), sources)[:1]
                or sorted(
                    (sid for sid, info in sources.items() if mention(part, info) < len(part)),
                    key=lambda sid: mention(part, sources[sid]),
                )[:1]
            )
            if not sids:  # only a source the part names: a part's own hits are too few to choose one
                return None
            doc = document_view(library.index, sids[0])
            found = document_evidence(part, doc, embed_one(part), part_kind, limit=PART_SENTENCES, embed=embed)
            verb = focus_of(part) if part_kind == kinds.SUMMARY else "lists"
            return Block(lead(doc.source, verb), tuple(found)) if found else None

        def embed_one(text: str) -> np.ndarray:
            return embed([text])[0] if embed is not None else query_vector()

        found = part_blocks(parts, lambda q: library.search(q, k=4), embed, whole)
        if capped:
            note = f"the question has {len(parts) + capped} parts; only the first {len(parts)} were answered: ask the others separately"
            found = replace(found, notices=(note,))
    else:
        person, sids = in_each(question, library.index) if kind == kinds.COMPARE else ("", [])
        sids = sids or choose_sources(kind, question, named, hits, library.index.sources)
        docs = [document_view(library.index, sid) for sid in sids]
        if kind == kinds.COMPARE and len(docs) < 2:
            return None
        qvec = query_vector()
        found = (
            compare_blocks(question, docs, qvec, embed, writes=person)
            if kind == kinds.COMPARE
            else summary_blocks(question, docs, qvec, kind, embed)
        )
    return found if found.evidence else None
