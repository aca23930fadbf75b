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

from qa import evidence as ev_mod
from qa import kinds
from qa.asks import ask_of
from qa.compose import asked_share
from qa.decide import coverage
from qa.docread import DocumentView, Embed, document_view
from qa.listitems import without_bullets
from qa.prescore import prescore
from qa.records import Answer, Evidence, Hit, SourceInfo
from qa.text import content_terms, tokenize
from qa.wholedoc import ASKING, FLOOR, SOURCE_WORDS, document_evidence, focus_of

if TYPE_CHECKING:
    from qa.store import LoadedIndex

PER_SOURCE = 2  # a comparison block quotes at most this many per source
ALL_SOURCES = 4  # a comparison of "each source" / "the different authors" reads at most this many
ALL_SOURCES_WEIGHT = 0.1  # … each weighing at least this share of the best source's hits (sum of 1/rank)
_EVERY_SOURCE = re.compile(
    r"\b(?:each|every|all|different|various)\s+(?:of\s+the\s+)?(?:sources?|authors?|documents?|reports?|papers?|"
    r"articles?|accounts?)\b|\bthe sources\b",
    re.I,
)
_SAY_ABOUT = re.compile(r"\b(?:say|says|said|write|writes|wrote|think|thinks|thought)\s+(?=about\b)", re.I)
PART_SENTENCES = 4  # a part asking for a summary or list of a source quotes at most this many
PART_COVERAGE = 0.5  # a part's sentence holds at least this share of the part's own content words


@dataclass(frozen=True)
class Block:
    """One part of a broad answer: a lead line, then its evidence in the document's order (or what is missing)."""

    label: str
    evidence: tuple[Evidence, ...]
    missing: str = ""  # said instead of evidence when the sources have nothing for this block


@dataclass(frozen=True)
class Broad:
    """A broad question's blocks, in the order they are shown."""

    kind: str
    blocks: tuple[Block, ...]
    notices: tuple[str, ...] = ()  # e.g. parts left out of a question with too many

    @property
    def evidence(self) -> tuple[Evidence, ...]:
        return tuple(e for b in self.blocks for e in b.evidence)


# ------------------------------------------------------------------ labels


def source_name(source: SourceInfo) -> str:
    """ "Downie (2011)", "Payan and Montes de Oca (2024)": the authors' surnames (else publisher or title) and year."""
    m = source.meta
    if m.authors:
        surnames = [_surname(a) for a in m.authors]
        who = (
            surnames[0]
            if len(surnames) == 1
            else " and ".join(surnames)
            if len(surnames) == 2
            else surnames[0] + " et al."
        )
    else:
        who = m.publisher or m.title or source.source_id
    year = (m.date or "")[:4]
    return f"{who} ({year})" if year else who


def _surname(author: str) -> str:
    """ "Richard Downie" -> "Downie"; "Rodrigo Montes de Oca" -> "Montes de Oca" (a particle keeps its neighbours)."""
    parts = author.split()
    for i, p in enumerate(parts[1:], start=1):
        if p.lower() in ("de", "del", "van", "von", "da", "la", "le", "dos"):
            return " ".join(parts[max(1, i - 1) :])
    return parts[-1] if parts else author


def topic_of(question: str, names: Sequence[str] = ()) -> str:
    """The question's words from its first to its last topic word, without the sources' names and the
    asking verbs ("…differ on the state of cooperation?" -> "state of cooperation"): what a side with
    nothing does not address."""
    drop = {t for n in names for t in tokenize(n)} | SOURCE_WORDS | ASKING
    words = [w.strip("?.,;:!\"'’”“()") for w in question.split()]
    kept = [i for i, w in enumerate(words) if (terms := set(content_terms(w))) and not terms & drop]
    return " ".join(words[kept[0] : kept[-1] + 1]) if kept else "this question"


# ------------------------------------------------------------------ blocks


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
        blocks.append(Block(f"{name} {verb}:", tuple(found), missing))
    return Broad(kind, tuple(blocks))


def compare_blocks(question: str, docs: Sequence[DocumentView], qvec: np.ndarray, embed: Embed | None = None) -> Broad:
    """A comparison: one block per source, each with its best ``PER_SOURCE`` sentences (the one holding
    most of the question first, ``qa.compose.asked_share``), or the line saying it has none."""
    blocks = []
    names = [n for d in docs for n in (*d.source.meta.authors, d.source.meta.publisher or "")]
    for doc in docs:
        found = document_evidence(
            question, doc, qvec, kinds.COMPARE, limit=PER_SOURCE, at_least=1, embed=embed, names=names
        )
        found = sorted(found, key=lambda e: -asked_share(question, e))  # its answer to the question first
        name = source_name(doc.source)
        missing = "" if found else f"{name}: nothing in this source addresses {topic_of(question, names)}."
        blocks.append(Block(f"{name}:", tuple(found), missing))
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
        kind = ev_mod.asked_type(part)
        asked = _SAY_ABOUT.sub("", part.split("? (")[0])  # "what do they say about X" asks about X
        usable = [
            e
            for e in ranked
            if e.score >= FLOOR
            and ev_mod.novelty(e.text, part) >= 0.2
            and coverage(asked, e.text) >= PART_COVERAGE
            and (not kind or ev_mod.holds_type(kind, e.text, part))
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


def labelled(answer: Answer, broad: Broad) -> Answer:
    """``answer`` with each block's lead line before its sentences and each missing block's line said.

    A refusal stays as it is; sentences the checks removed are left out of their block."""
    if answer.refused:
        return answer
    by_text = {s.text: s for s in answer.sentences}
    lines: list[str] = []
    for block in broad.blocks:
        said = [by_text[e.text] for e in block.evidence if e.text in by_text]
        if said:
            body = " ".join(f"{s.text} " + "".join(f"[{n}]" for n in s.citations) for s in said)
            lines.append(f"{block.label} {body}".strip())
        elif block.missing:
            lines.append(block.missing)
    open_parts = tuple(b.missing for b in broad.blocks if b.missing)
    return replace(answer, answer="\n".join(lines), notices=answer.notices + broad.notices + open_parts)


def choose_sources(
    kind: str, question: str, named: Mapping[str, float], hits: Sequence[Hit], sources: Mapping[str, SourceInfo]
) -> list[str]:
    """The documents to read: the sources the question names (strongly), else by summed hit scores;
    a comparison takes two or more (named ones in the question's order), a summary or list one (two when
    the second's hits weigh nearly as much)."""
    known = list(sources)
    chosen = [sid for sid, w in sorted(named.items(), key=lambda kv: -kv[1]) if w >= 0.5 and sid in known]
    chosen += [sid for sid in named_by_name(question, named, sources) if sid not in chosen]
    chosen.sort(key=lambda sid: _mention(question, sources[sid]) if sid in sources else len(question))
    weight: dict[str, float] = {}
    for h in hits:
        weight[h.source.source_id] = weight.get(h.source.source_id, 0.0) + 1.0 / h.rank
    by_hits = [sid for sid, _ in sorted(weight.items(), key=lambda kv: -kv[1])]
    if kind == kinds.COMPARE:
        # "each source", "the different authors": every source the hits weigh (up to ALL_SOURCES), else two
        want = ALL_SOURCES if _EVERY_SOURCE.search(question) and not chosen else 2
        for sid in by_hits:
            if len(chosen) >= want or weight[sid] < ALL_SOURCES_WEIGHT * weight[by_hits[0]]:
                break
            if sid not in chosen:
                chosen.append(sid)
        return chosen
    if chosen:
        return chosen[:2]
    if not by_hits:
        return []
    out = by_hits[:1]
    if len(by_hits) > 1 and weight[by_hits[1]] >= 0.8 * weight[by_hits[0]]:
        out.append(by_hits[1])
    return out


def _mention(question: str, source: SourceInfo) -> int:
    """Where ``question`` first names ``source`` (an author's surname or the publisher); its length when nowhere."""
    words = [_surname(a) for a in source.meta.authors] + ([source.meta.publisher] if source.meta.publisher else [])
    found = [m.start() for w in words if w for m in [re.search(rf"\b{re.escape(w)}\b", question, re.I)] if m]
    return min(found) if found else len(question)


def named_by_name(question: str, named: Mapping[str, float], sources: Mapping[str, SourceInfo]) -> list[str]:
    """The sources ``question`` names by an author's surname or the publisher, in the question's order
    ("How do Arzt and Payan and Montes de Oca…": both, although Payan's three names weigh more)."""
    found = [
        sid for sid, w in named.items() if w > 0 and sid in sources and _mention(question, sources[sid]) < len(question)
    ]
    return sorted(found, key=lambda sid: _mention(question, sources[sid]))


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
                    (sid for sid, info in sources.items() if _mention(part, info) < len(part)),
                    key=lambda sid: _mention(part, sources[sid]),
                )[:1]
            )
            if not sids:  # only a source the part names: a part's own hits are too few to choose one
                return None
            doc = document_view(library.index, sids[0])
            found = document_evidence(part, doc, embed_one(part), part_kind, limit=PART_SENTENCES, embed=embed)
            verb = focus_of(part) if part_kind == kinds.SUMMARY else "lists"
            return Block(f"{source_name(doc.source)} {verb}:", tuple(found)) if found else None

        def embed_one(text: str) -> np.ndarray:
            return embed([text])[0] if embed is not None else query_vector()

        found = part_blocks(parts, lambda q: library.search(q, k=4), embed, whole)
        if capped:
            note = f"the question has {len(parts) + capped} parts; only the first {len(parts)} were answered: ask the others separately"
            found = replace(found, notices=(note,))
    else:
        sids = choose_sources(kind, question, named, hits, library.index.sources)
        docs = [document_view(library.index, sid) for sid in sids]
        if kind == kinds.COMPARE and len(docs) < 2:
            return None
        qvec = query_vector()
        found = (
            compare_blocks(question, docs, qvec, embed)
            if kind == kinds.COMPARE
            else summary_blocks(question, docs, qvec, kind, embed)
        )
    return found if found.evidence else None
