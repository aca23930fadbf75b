"""HTML and Markdown views of answers, citations and sources, for the chat
page and for export. Pure: standard library and records only. Every piece of
document text is HTML-escaped (sources are data, never markup).
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from pathlib import Path

from qa.config import PROJECT_ROOT
from qa.records import Answer, Chunk, Citation, Evidence, Hit, SourceInfo

CONTEXT_CHARS = 450  # shown around a quote when its paragraph is long


def _stored_text(source_file: str, root: Path = PROJECT_ROOT) -> str:
    p = Path(source_file)
    try:
        return (p if p.is_absolute() else root / p).read_text(encoding="utf-8")
    except OSError:
        return ""


def paragraph_around(text: str, start: int, end: int, limit: int = CONTEXT_CHARS) -> tuple[int, int]:
    """Bounds of the paragraph holding [start, end), cut to ``limit`` chars either side."""
    a = text.rfind("\n\n", 0, start)
    a = 0 if a < 0 else a + 2
    b = text.find("\n\n", end)
    b = len(text) if b < 0 else b
    return max(a, start - limit), min(b, end + limit)


def highlighted_paragraph(citation: Citation, root: Path = PROJECT_ROOT) -> str:
    """The quote, marked, inside its surrounding paragraph read from the stored file."""
    text = _stored_text(citation.source_file, root)
    if text[citation.start : citation.end] != citation.quote:
        return f"<mark>{html.escape(citation.quote)}</mark>"
    a, b = paragraph_around(text, citation.start, citation.end)
    before = ("… " if a > 0 and text[a - 1] not in "\n" else "") + text[a : citation.start]
    after = text[citation.end : b] + (" …" if b < len(text) and text[b] != "\n" else "")
    return f"{html.escape(before)}<mark>{html.escape(citation.quote)}</mark>{html.escape(after)}"


def _sources(hits: Iterable[Hit]) -> dict[str, SourceInfo]:
    return {h.source.source_id: h.source for h in hits}


def byline(info: SourceInfo | None) -> str:
    if info is None:
        return ""
    m = info.meta
    parts = [", ".join(m.authors) if m.authors else "", m.publisher or "", m.date or ""]
    return " · ".join(p for p in parts if p)


def citation_card(
    c: Citation, info: SourceInfo | None, section: str | None, page: int | None, root: Path = PROJECT_ROOT
) -> str:
    where = " · ".join(x for x in (section and f"Section: {section[:80]}", page and f"p. {page}") if x)
    source_text = _stored_text(c.source_file, root)
    a, b = max(0, c.start - 3000), min(len(source_text), c.end + 3000)
    full = (
        html.escape(source_text[a : c.start])
        + f"<mark>{html.escape(c.quote)}</mark>"
        + html.escape(source_text[c.end : b])
    )
    return (
        f'<div class="qa-card" id="cite-{c.n}" data-source-file="{html.escape(c.source_file)}" '
        f'data-start="{c.start}" data-end="{c.end}">'
        f'<div class="qa-card-head"><span class="qa-n">[{c.n}]</span> <b>{html.escape(c.title)}</b></div>'
        f'<div class="qa-meta">{html.escape(byline(info))}{" · " + html.escape(where) if where else ""}</div>'
        f'<blockquote class="qa-quote">{highlighted_paragraph(c, root)}</blockquote>'
        f"<details><summary>Open the source at this place ({html.escape(c.source_file)}, "
        f'characters {c.start}–{c.end})</summary><div class="qa-full">{full}</div></details></div>'
    )


def answer_html(answer: Answer, root: Path = PROJECT_ROOT) -> str:
    """Citation cards (or, for a refusal, the closest passages) for the side panel."""
    if answer.refused and not answer.related:
        return refusal_html(answer)
    hits = [*answer.retrieved, *(e.hit for e in answer.evidence)]
    infos = _sources(hits)
    chunks = {h.chunk.chunk_id: h.chunk for h in hits}
    cards = []
    for c in answer.citations:
        ch = chunks.get(c.chunk_id)
        cards.append(
            citation_card(c, infos.get(c.source_id), ch.section if ch else None, ch.page if ch else None, root)
        )
    removed = "".join(
        f'<li class="qa-removed">Removed — not supported by the cited sources: {html.escape(s)}</li>'
        for s in answer.removed_sentences
    )
    heading = "Related, but not the answer" if answer.refused else "Sources cited"
    also = [
        citation_card(c, infos.get(c.source_id), *_where(chunks.get(c.chunk_id)), root=root) for c in answer.see_also
    ]
    return (
        f'<div class="qa-cards"><h3>{heading}</h3>'
        + "".join(cards)
        + (f'<ul class="qa-removed-list">{removed}</ul>' if removed else "")
        + (f"<h3>Related, not part of the answer</h3>{''.join(also)}" if also else "")
        + "</div>"
    )


def _where(chunk: Chunk | None) -> tuple[str | None, int | None]:
    """A chunk's section heading and page, when known."""
    return (chunk.section, chunk.page) if chunk else (None, None)


def refusal_html(answer: Answer, n: int = 3) -> str:
    return (
        '<div class="qa-cards"><h3>Related, but not an answer</h3>'
        + passages_html(answer.retrieved[:n], heading=False)
        + "</div>"
    )


def passages_html(hits: Sequence[Hit], heading: bool = True) -> str:
    """Retrieved passages (shown as soon as they are found)."""
    items = []
    for h in hits:
        text = h.chunk.clean_text
        snippet = text[:400] + ("…" if len(text) > 400 else "")
        items.append(
            f'<div class="qa-passage"><b>{html.escape(h.source.meta.title)}</b>'
            f'<div class="qa-meta">{html.escape(byline(h.source))}</div>'
            f"<p>{html.escape(snippet)}</p></div>"
        )
    head = f"<h3>Found {len(hits)} passages</h3>" if heading else ""
    return f'<div class="qa-cards">{head}{"".join(items)}</div>'


def evidence_html(evidence: Sequence[Evidence]) -> str:
    """The chosen evidence sentences (shown before the answer is written): quote, title, byline."""
    items = [
        f'<div class="qa-passage"><blockquote>{html.escape(e.quote.strip())}</blockquote>'
        f"<b>{html.escape(e.hit.source.meta.title)}</b>"
        f'<div class="qa-meta">{html.escape(byline(e.hit.source))}</div></div>'
        for e in evidence
    ]
    return f'<div class="qa-cards"><h3>Evidence chosen ({len(evidence)} sentences)</h3>{"".join(items)}</div>'


def evidence_markdown(evidence: Sequence[Evidence]) -> str:
    """The chosen evidence in the chat bubble while the answer is written."""
    lines = ["**Evidence found:**"]
    for e in evidence:
        lines.append(f"> {e.text}  \n> — *{e.hit.source.meta.title}*")
    return "\n\n".join(lines)


def answer_markdown(answer: Answer) -> str:
    """The chat message: answer with [n] markers, then discreet notes."""
    lines = []
    if answer.standalone_question and answer.standalone_question != answer.question:
        lines.append(f"*Understood as: {answer.standalone_question}*\n")
    if answer.refused:
        lines.append(
            f"**{answer.answer}** The closest passages are shown with the sources, as related but not an answer."
        )
    else:
        lines.append(answer.answer)
    if answer.removed_sentences:
        lines.append(
            f"\n*{len(answer.removed_sentences)} sentence(s) of the draft were removed: "
            "no cited passage supported them.*"
        )
    notes = [n for n in answer.notices if "removed" not in n]
    if notes:
        lines.append("\n*" + " ".join(notes) + "*")
    return "\n".join(lines)


def export_markdown(answer: Answer) -> str:
    """An answer with its references, to copy or save."""
    out = [f"**Q:** {answer.question}", "", answer.answer, ""]
    if answer.citations:
        infos = _sources(answer.retrieved)
        out.append("**References**")
        for c in answer.citations:
            by = byline(infos.get(c.source_id))
            out.append(
                f"{c.n}. {c.title}{' — ' + by if by else ''} ({c.source_file}, chars {c.start}–{c.end}): “{c.quote.strip()}”"
            )
    if answer.see_also:
        out += ["", "**Related, not part of the answer**"]
        out += [
            f"{c.n}. {c.title} ({c.source_file}, chars {c.start}–{c.end}): “{c.quote.strip()}”" for c in answer.see_also
        ]
    return "\n".join(out)


def sources_rows(sources: Iterable[SourceInfo]) -> list[list[str | int]]:
    return [
        [
            s.source_id,
            s.meta.title,
            ", ".join(s.meta.authors),
            s.meta.publisher or "",
            s.meta.date or "",
            s.n_chunks,
            s.original_file,
        ]
        for s in sources
    ]


SOURCES_HEADERS = ("id", "title", "authors", "publisher", "date", "passages", "file")


def sources_table_html(sources: Iterable[SourceInfo]) -> str:
    """The Sources tab's table: plain read-only HTML (no editable grid, no upload box), every cell escaped."""
    head = "".join(f"<th>{h}</th>" for h in SOURCES_HEADERS)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(cell))}</td>" for cell in row) + "</tr>"
        for row in sources_rows(sources)
    )
    return f'<table class="qa-sources"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def answer_text(answer: Answer) -> str:
    """The checked answer and its references, for a terminal."""
    lines = []
    if answer.standalone_question != answer.question:
        lines.append(f"(understood as: {answer.standalone_question})")
    lines.append(answer.answer)
    for c in answer.citations:
        lines += _quoted(c)
    if answer.see_also:
        lines.append("  related, not part of the answer:")
    for c in answer.see_also:
        lines += _quoted(c)
    for s in answer.removed_sentences:
        lines.append(f"  (removed, not supported by the sources: {s})")
    for n in answer.notices:
        lines.append(f"  note: {n}")
    return "\n".join(lines)


def _quoted(c: Citation) -> list[str]:
    """A citation for a terminal: its number, title and place, then its quote on one line."""
    return [f"  [{c.n}] {c.title} ({c.source_file}:{c.start}-{c.end})", "      “" + " ".join(c.quote.split()) + "”"]
