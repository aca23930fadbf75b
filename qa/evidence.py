"""Evidence selection, the first half of evidence-first answering: the
retrieved passages -> their sentences (exact spans, cleaned for reading) ->
a cheap pre-score per sentence -> the best 8 under quotas, which the model
picks from (``qa.pick``); its pick topped up with the best pre-scored
sentences and each named source's best (``with_top``, ``cover_sources``).

The pre-score is ``qa.prescore``.

Quotas: a question naming two or more sources (or asking to compare) gets
sentences from each; a summary question gets them from across the
document (at most two per passage); each sub-question of a question with
parts gets its own best sentences. Pure apart from the optional embedder:
standard library, records and numpy.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from qa.asks import ask_of
from qa.grounding import identifiers
from qa.kinds import distributed
from qa.pagebreak import open_prose, reads_like_reference
from qa.records import Evidence, Hit
from qa.text import content_terms, names, numbers, tokenize, without_carried_topic
from qa.units import BIO, LIST_ITEM, NOTE, SENTENCE, Unit, units

MAX_PARTS = 4  # sub-questions answered; a question with more parts is capped (with a notice)

_WH = r"(?:what|who|whom|whose|when|where|why|how|which|did|does|do|is|are|was|were|has|have|can)"
_PART_SPLIT = re.compile(  # "…, and who started it?"; after a comma also "…, and on which ballot?" (kept whole)
    rf"(?:,|;)?\s+(?:and|but|also)\s+(?={_WH}\b)"
    rf"|[,;]\s+(?:and|but|also)\s+(?=(?:in|at|on|over|for|by|from|since|to|with|under|after)\s+{_WH}\b)",
    re.I,
)
_COMPARE = re.compile(r"\b(?:compare|comparison|contrast|differ\w*|versus|vs\.?|both|each source|the sources)\b", re.I)
_SUMMARY = re.compile(
    r"\b(?:summar\w*|overview|overall|main (?:points|arguments?|findings)|key (?:points|findings|arguments?)"
    r"|recommend\w*|argue\w*|propos\w*|conclu\w*|assessment)\b",
    re.I,
)
# a footnote number glued to a word or to punctuation after a word ("Defense).19 In"), not "50,000"
_FOOTNOTE = re.compile(r"(?:(?<=[a-z])|(?<=[^\d\s][.,;:)\]”\"’]))\d{1,3}(?=\s|$)")
# a footnote number after a sentence's last stop ("… in 2010.32", "H.Res. 757.11"): a unit ends at a stop, so
# a number after its last stop is a footnote marker, not a decimal ("grew 2.5." keeps its own stop)
_FOOTNOTE_AT_END = re.compile(r"(?<=\S)([.?!][”\"’)]?)[\d¹²³⁴⁵⁶⁷⁸⁹⁰]{1,3}$")
# a footnote number left at a sentence's start ("drugs. 42 On his blog, Fox wrote…"): a number before a word
# that opens a clause, never a count ("42 inmates", "15 Mexican soldiers")
_FOOTNOTE_AT_START = re.compile(
    r"^\d{1,3}\s+(?=(?:On|In|The|A|An|At|For|But|However|This|These|That|It|He|She|They|We|As|By|From|With|When|"
    r"While|Since|After|Before|According|Although|Yet|Moreover|Furthermore|Indeed|Thus|Still|Despite|During)\b(?![-’']))"
)
_NOTE_NUMBER = re.compile(r"^\d{1,3}\s+")  # a footnote's own number ("10 Rep. Jim Wright…")
# a question about a person's background: what only an author biography says
_BACKGROUND = re.compile(
    r"\b(?:degrees?|ph\.?\s?d|doctorate|m\.?a\.|educat\w*|graduat\w*|studied|universit\w*|alma mater|background"
    r"|biograph\w*|career|professor|taught|fellow(?:ship)?|formerly|previous(?:ly)? (?:post|position|job)"
    r"|affiliat\w*|(?:what|which) (?:post|position|title|job|role)s? (?:does|did|do|has|had|is|was)"
    r"|authors? of|written by)\b",
    re.I,
)
_HYPHEN_WRAP = re.compile(r"(?<=[a-z])-\n\s*(?=[a-z])")


@dataclass(frozen=True)
class Plan:
    """How to gather evidence for one question: its parts and quotas."""

    parts: tuple[str, ...]  # sub-questions (the question itself when it has one part)
    sources: tuple[str, ...] = ()  # source ids the question names (two or more: each gets a quota)
    compare: bool = False
    summary: bool = False
    capped: int = 0  # parts left out (more than MAX_PARTS)


# ------------------------------------------------------------------ the question


def split_parts(question: str, max_parts: int = MAX_PARTS) -> tuple[list[str], int]:
    """Sub-questions of ``question`` (rule-based) and how many were left out.

    Splits at question marks and at ", and <wh-word>" joins (", and on which…"); a part that
    lost its subject ("…, and who started it?") keeps the first part's
    content words after it so it can be retrieved on its own."""
    pieces = [p.strip() for p in re.split(r"\?+", without_carried_topic(question)) if p.strip()]
    parts: list[str] = []
    for piece in pieces:
        sub = [s.strip(" ,;") for s in _PART_SPLIT.split(piece) if s.strip(" ,;")]
        parts.extend(sub)
    parts = [p for p in parts if len(tokenize(p)) >= 1]
    if len(parts) <= 1:
        both = distributed(without_carried_topic(question))
        return (both, 0) if both else ([question.strip()], 0)
    first_terms = " ".join(content_terms(parts[0]))
    out = [parts[0] + "?"]
    for p in parts[1:]:
        # a short part ("who started it") carries the first part's topic along, and so does one that names
        # only sources and what they do ("What do the Constitution and the CRS report say?")
        out.append(f"{p}? ({first_terms})" if len(tokenize(p)) < 4 or not _own_topic(p) else p + "?")
    capped = max(0, len(out) - max_parts)
    return out[:max_parts], capped


# what a part asking only of sources says: "Compare Arzt and Starr.", "Give the figures each source reports."
_SOURCE_WORDS = frozenset(
    tokenize(
        "compare comparison say says said source sources report reports brief paper article document documents "
        "give figure figures each seem different discussion explanation explanations view views author authors"
    )
)


def _own_topic(part: str) -> bool:
    """Does ``part`` ask about something of its own: a content word that is no name and no word of
    what sources do?"""
    return bool(set(tokenize(part)) - names(part) - _SOURCE_WORDS - numbers(part))


def plan(question: str, named_sources: Mapping[str, float], max_parts: int = MAX_PARTS) -> Plan:
    """The parts of ``question`` and its quotas; ``named_sources``: source id -> how strongly the question names it (0..1)."""
    parts, capped = split_parts(question, max_parts)
    named = tuple(sid for sid, w in sorted(named_sources.items(), key=lambda kv: -kv[1]) if w >= 0.5)
    return Plan(
        parts=tuple(parts),
        sources=named if len(named) >= 2 else (),
        compare=bool(_COMPARE.search(question)),
        summary=bool(_SUMMARY.search(question)),
        capped=capped,
    )


def queries(question: str, the_plan: Plan) -> list[str]:
    """What the sentences are pre-scored against, one ranking each: the question, each of its parts
    (when it has several), and a follow-up's own words apart from the topic carried from the conversation
    ("Where does she say the military falls short? (What did … according to Arzt)": the carried topic's
    many words would otherwise rank the sentences on the earlier question)."""
    out = [question, *the_plan.parts] if len(the_plan.parts) > 1 else [question]
    own = without_carried_topic(question)
    return out + [own] if own and own != question else out


def pool(
    question: str,
    hits: Sequence[Hit],
    the_plan: Plan,
    search: Callable[..., list[Hit]],
    n: int,
) -> list[Hit]:
    """The passages sentences are drawn from: the best ``n`` hits, plus the best
    4 of each part, the best 3 of each named source (``search``: the retriever's),
    the best 3 naming every word of what a question defines or asks about when it
    says more than that ("What does CRS mean by the 'modern Congress'?": a search for
    "modern Congress" alone, not for CRS's boilerplate) and the best 3 others of the first 30 naming every bill, resolution or report the
    question names by number ("Which committee was S. 1429 referred to?": the
    list of bills introduced that day names it once among many)."""
    extra: list[Hit] = []
    ids = set(identifiers(question))
    if ids:
        top = {h.chunk.chunk_id for h in hits[:n]}
        naming = (h for h in search(question, k=30) if ids <= set(identifiers(h.chunk.text)))
        extra += [h for h in naming if h.chunk.chunk_id not in top][:3]
    if len(the_plan.parts) > 1:
        for part in the_plan.parts:
            extra += search(part, k=4)
    target = _asked_about(question)
    if target:
        extra += [h for h in search(target, k=3) if set(tokenize(target)) <= set(tokenize(h.chunk.text))]
    for sid in the_plan.sources:
        extra += search(question, k=3, source_ids=[sid])
    out = list(hits[:n])
    seen = {h.chunk.chunk_id for h in out}
    for h in extra:
        if h.chunk.chunk_id not in seen:
            seen.add(h.chunk.chunk_id)
            out.append(h)
    return out


def _asked_about(question: str) -> str:
    """What a definition or topic question asks about, when the question says more than that ("the
    'modern Congress'" of "What does CRS mean by…"); "" otherwise ("What is SEMAR?")."""
    ask = ask_of(question)
    if ask.kind not in ("define", "topic") or not tokenize(ask.target):
        return ""
    return ask.target if set(tokenize(question)) - set(tokenize(ask.target)) else ""


# ------------------------------------------------------------------ sentences of the passages


def reading_text(raw: str, clean_context: str = "") -> str:
    """The cleaned form of a stored sentence, as the model reads it: line
    wraps and end-of-line hyphens joined, footnote markers glued to words
    dropped, and (given the chunk's cleaned text) lines the cleaner removed as
    page furniture left out. The citation still quotes ``raw`` verbatim."""
    text = _HYPHEN_WRAP.sub("", raw)
    if clean_context and "\n" in text:
        context = " ".join(clean_context.split())
        kept = [ln for ln in text.split("\n") if not ln.strip() or " ".join(ln.split()).rstrip("-") in context]
        if kept and any(ln.strip() for ln in kept):
            text = "\n".join(kept)
    text = " ".join(text.split())
    text = _FOOTNOTE_AT_END.sub(r"\1", text)
    text = _FOOTNOTE_AT_START.sub("", text)
    return _FOOTNOTE.sub("", text).replace(" ,", ",").strip()


def is_furniture(text: str) -> bool:
    """A table row, running title or page debris rather than a sentence: too
    few lower-case words, or mostly numbers and single characters. A finished
    statement dense with names is a sentence ("Today, along with Senator Dodd,
    I am introducing the ``Paul Wellstone Early Educator Loan Forgiveness Act.''"):
    8 words or more, ended by a full stop, with a verb in lower case among 4 or
    more lower-case words, and no mark of a citation ("See…", "p. 12", a quoted title)."""
    tokens = text.split()
    if len(tokens) < 5:
        return True
    lower = [t for t in tokens if re.fullmatch(r"[a-zà-ÿ][a-zà-ÿ'’-]*[.,;:]?", t)]
    digits = sum(1 for t in tokens if re.search(r"\d", t) or len(t) == 1)
    if digits / len(tokens) > 0.45:
        return True
    if len(lower) / len(tokens) >= 0.35:
        return False
    statement = (
        len(tokens) >= 8
        and len(lower) >= 4
        and _FINISHED.search(text) is not None
        and _LOWER_VERB.search(" ".join(lower)) is not None
        and not _CITES.search(text)
    )
    return not statement


_FINISHED = re.compile(r"[.!?][\"'”’`)]*$")
_LOWER_VERB = re.compile(
    r"\b(?:am|is|are|was|were|be|been|has|have|had|will|would|can|could|may|might|must|shall|should|does|did|"
    r"[a-z]{3,}ed|[a-z]{3,}ing)\b"
)
_CITES = re.compile(r"^(?:See|Also see|Cf\.)\s|\bpp?\.\s*\d|[“\"][^”\"]{3,},[”\"]|\|")


def asks_background(question: str) -> bool:
    """Does ``question`` ask about a person's background (degree, post, career), which
    only an author biography may say? Then biography units are evidence too."""
    return bool(_BACKGROUND.search(question))


def evidence_units(text: str, keep_furniture: bool = False, bios: bool = False, notes: bool = True) -> list[Unit]:
    """The units of ``text`` (``qa.units``) offered as evidence: sentences, list items and footnotes'
    statements (without ``notes``, not those: a document's own points, for a summary; with ``bios``,
    author biographies too; with ``keep_furniture``, every unit: headings, table rows, citations, page
    furniture too)."""
    out: list[Unit] = []
    for u in units(text):
        if keep_furniture or (u.is_evidence and (notes or u.kind != NOTE)) or (bios and u.kind == BIO):
            out.append(u)
        for gs, ge in u.gaps:  # a caption or footnote inside a sentence broken by a page is a sentence of its own
            out += [
                Unit(gs + v.start, gs + v.end, v.kind)
                for v in units(text[gs:ge])
                if _caption(v.read(text[gs:ge])) and (notes or v.kind != NOTE)
            ]
    return out


def _caption(sentence: str) -> bool:
    """A finished statement of 8 words or more, not a citation or a footnote (what a page break's
    interruption holds besides page numbers, running titles and notes: a figure's caption)."""
    words = sentence.split()
    return (
        len(words) >= 8
        and sentence.rstrip('”"’)')[-1:] in ".!?"
        and not sentence[:1].isdigit()
        and sentence[:1] not in "¹²³⁴⁵⁶⁷⁸⁹⁰*†‡"
        and not reads_like_reference(sentence)
    )


def sentences_of(
    hits: Sequence[Hit], keep_furniture: bool = False, bios: bool = False, short_items: bool = False, notes: bool = True
) -> list[Evidence]:
    """Every sentence of ``hits`` (best hit first) as an unscored ``Evidence``,
    each stored sentence once although overlapping chunks repeat it; ``bios``:
    biography sentences too (``asks_background``); ``short_items``: a list's short
    items too ("- Trade.", "- Immigration and labor markets."), which a whole
    document's list reads as the items they are (``short_item``); ``notes``: footnotes' statements too."""
    seen: set[tuple[str, int]] = set()
    out: list[Evidence] = []
    for hit in hits:
        text = hit.chunk.text
        for u in evidence_units(text, keep_furniture, bios, notes):
            read = reading_text(u.read(text), hit.chunk.clean_text)
            ev = Evidence(hit, u.start, u.end, _NOTE_NUMBER.sub("", read) if u.kind == NOTE else read)
            if ev.key in seen or not ev.text:
                continue
            if not keep_furniture and is_furniture(ev.text) and not (short_items and short_item(u, ev.text)):
                continue
            if u.kind == SENTENCE and _cut_by_chunk(text, u, ev.text):
                continue
            seen.add(ev.key)
            out.append(ev)
    return out


def short_item(u: Unit, text: str) -> bool:
    """A list item of a few words ("- Trade.", "• Investment"): a bulleted line, its words mostly
    letters, not a number or a page's debris."""
    words = re.findall(r"[A-Za-zÀ-ÿ]{3,}", text)
    return u.kind == LIST_ITEM and bool(words) and len(words) * 2 >= len(text.split())


def _cut_by_chunk(text: str, u: Unit, reading: str) -> bool:
    """A sentence the chunk cuts at a page break: its first half at the chunk's end ("…both for equipment
    and"; whole in the next chunk, which carries it over) or its second half at the chunk's start, in
    lower case ("the TCOs in coordination with…")."""
    at_end = not text[u.end :].strip() and open_prose(reading)
    at_start = not text[: u.start].strip() and reading[:1].islower()
    return at_end or at_start


# ------------------------------------------------------------------ quotas
