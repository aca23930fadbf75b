"""Citation keys and supporting spans. Pure: standard library and records only.

- ``parse_keys`` finds citation markers in free text ([1], [1, 2], [1][2],
  【1】, [1-3]) and strips them from the sentence text;
- ``renumber`` maps passage numbers to citation numbers by first use;
- ``number_citations`` turns verified sentences into numbered ``Sentence``
  and ``Citation`` records, one citation per distinct supporting span;
- ``support_score`` / ``best_span`` find the sentence(s) of a passage that
  best support a claim, as a character span of the passage text.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Sequence
from typing import TypeVar

from qa.records import CheckedSentence, Citation, DraftSentence, Evidence, Hit, Sentence, Verdict
from qa.sentences import sentence_spans
from qa.text import content_terms, names, numbers

K = TypeVar("K", bound=Hashable)

_MARK = re.compile(
    r"\s*(?:\[|【|\(\s*(?=(?:passage\s*)?\d))\s*(?:passage\s*|source\s*)?(\d{1,2}(?:\s*(?:[,;–-]|and)\s*\d{1,2})*)\s*(?:\]|】|\))"
)


def parse_keys(marker_text: str) -> list[int]:
    """Keys inside one marker body: "1, 2" -> [1, 2]; "1-3" -> [1, 2, 3]."""
    keys: list[int] = []
    for part in re.split(r"\s*(?:[,;]|and)\s*", marker_text.strip()):
        m = re.fullmatch(r"(\d+)\s*[–-]\s*(\d+)", part)
        if m:
            a, b = int(m.group(1)), int(m.group(2))
            keys.extend(range(a, b + 1) if 0 < b - a < 10 else [a, b])
        elif part.isdigit():
            keys.append(int(part))
    return keys


def split_cited(text: str) -> list[DraftSentence]:
    """Sentences of a free-text answer with their keys; a marker at a sentence
    start belongs to that sentence, one after its end to the sentence before."""
    out: list[DraftSentence] = []
    for s, e in sentence_spans(text):
        sentence = text[s:e]
        keys: list[int] = []
        for m in _MARK.finditer(sentence):
            keys.extend(parse_keys(m.group(1)))
        clean = _MARK.sub("", sentence).strip()
        clean = re.sub(r"\s+([.,;:!?])", r"\1", clean)
        if not re.search(r"\w", clean):
            # a sentence made only of markers: its keys go to the previous sentence
            if out and keys:
                prev = out[-1]
                out[-1] = DraftSentence(prev.text, _unique(prev.keys + tuple(keys)))
            continue
        out.append(DraftSentence(clean, _unique(tuple(keys))))
    return out


def _unique(keys: tuple[int, ...]) -> tuple[int, ...]:
    seen: list[int] = []
    for k in keys:
        if k not in seen:
            seen.append(k)
    return tuple(seen)


def validate(keys: tuple[int, ...], n_passages: int) -> tuple[tuple[int, ...], int]:
    """Keys that point at a passage (1..n), each once, and how many pointed
    nowhere (a repeated valid key is not counted: it points somewhere)."""
    good = tuple(k for k in _unique(keys) if 1 <= k <= n_passages)
    return good, sum(1 for k in keys if not 1 <= k <= n_passages)


def renumber(sentence_keys: Sequence[tuple[K, ...]]) -> tuple[list[tuple[int, ...]], dict[K, int]]:
    """Citation numbers by first use: key (a passage, or a span) -> 1, 2, ... in reading order."""
    mapping: dict[K, int] = {}
    for keys in sentence_keys:
        for k in keys:
            mapping.setdefault(k, len(mapping) + 1)
    return [tuple(mapping[k] for k in keys) for keys in sentence_keys], mapping


def number_citations(kept: Sequence[CheckedSentence], passages: Sequence[Hit]) -> tuple[list[Sentence], list[Citation]]:
    """Citation numbers by first use of each distinct supporting span; each
    verdict takes the number of its passage's first span (0: never cited)."""
    span_keys = [tuple((s.key, s.start, s.end) for s in c.supports) for c in kept]
    renumbered, mapping = renumber(span_keys)
    citations = [
        _citation(n, passages[key - 1], start, end)
        for (key, start, end), n in sorted(mapping.items(), key=lambda kv: kv[1])
    ]
    key_to_n: dict[int, int] = {}
    for (key, _s, _e), n in mapping.items():
        key_to_n.setdefault(key, n)
    sentences = [
        Sentence(
            text=c.text,
            citations=ns,
            supported=True,
            verdicts=tuple(Verdict(key_to_n.get(v.n, 0), v.supported, v.judge, v.score) for v in c.verdicts),
        )
        for c, ns in zip(kept, renumbered)
    ]
    return sentences, citations


def see_also(found: Sequence[Evidence], cited: Sequence[Citation]) -> tuple[Citation, ...]:
    """``found`` sentences as citations numbered after ``cited``, those ``cited`` already quotes left out:
    related passages shown beside an answer, not part of it."""
    spans = {(c.source_file, c.start, c.end) for c in cited}
    out: list[Citation] = []
    for ev in found:
        c = _citation(len(cited) + len(out) + 1, ev.hit, ev.start, ev.end)
        if (c.source_file, c.start, c.end) not in spans:
            spans.add((c.source_file, c.start, c.end))
            out.append(c)
    return tuple(out)


def _citation(n: int, hit: Hit, start: int, end: int) -> Citation:
    """Citation ``n``: chars ``start:end`` of ``hit``'s chunk text, as offsets in the stored text."""
    return Citation(
        n=n,
        chunk_id=hit.chunk.chunk_id,
        source_id=hit.source.source_id,
        source_file=hit.source.source_file,
        title=hit.source.meta.title,
        start=hit.chunk.start + start,
        end=hit.chunk.start + end,
        quote=hit.chunk.text[start:end],
    )


def missing_names(claim: str, passage: str, context: str = "") -> set[str]:
    """Names in ``claim`` found in neither ``passage`` nor ``context``: a claim
    naming one its passage lacks is never accepted on word overlap alone."""
    return names(claim) - set(content_terms(passage)) - set(content_terms(context))


def support_score(claim: str, passage: str, context: str = "") -> float:
    """Share of the claim's content words found in ``passage`` or its
    ``context`` (the source's title, authors, date); 0 when a number of the
    claim appears in neither."""
    terms = content_terms(claim)
    if not terms:
        return 0.0
    if not numbers(claim) <= numbers(passage) | numbers(context):
        return 0.0
    have = set(content_terms(passage)) | set(content_terms(context))
    return sum(t in have for t in terms) / len(terms)


def best_span(claim: str, passage: str, max_sentences: int = 2, context: str = "") -> tuple[int, int, float]:
    """The span (start, end) of ``passage`` — one sentence or a few adjacent
    ones — that best supports ``claim``, and its support score."""
    spans = sentence_spans(passage) or [(0, len(passage))]
    best = (spans[0][0], spans[0][1], -1.0)
    for i in range(len(spans)):
        for j in range(i, min(i + max_sentences, len(spans))):
            s, e = spans[i][0], spans[j][1]
            score = support_score(claim, passage[s:e], context)
            # prefer the shorter span at equal score
            shorter = abs(score - best[2]) <= 1e-9 and e - s < best[1] - best[0]
            if score > best[2] + 1e-9 or shorter:
                best = (s, e, score)
    return best
