"""Citation keys and supporting spans. Pure: standard library and records only.

- ``parse_keys`` finds citation markers in free text ([1], [1, 2], [1][2],
  【1】, [1-3]) and strips them from the sentence text;
- ``renumber`` maps passage numbers to citation numbers by first use;
- ``support_score`` / ``best_span`` find the sentence(s) of a passage that
  best support a claim, as a character span of the passage text.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from qa.lexical import tokenize
from qa.sentences import sentence_spans

_MARK = re.compile(r"\s*(?:\[|【|\(\s*(?=(?:passage\s*)?\d))\s*(?:passage\s*|source\s*)?(\d{1,2}(?:\s*(?:[,;–-]|and)\s*\d{1,2})*)\s*(?:\]|】|\))")
_NUM = re.compile(r"\d+(?:[.,]\d+)*")


@dataclass(frozen=True)
class ParsedSentence:
    """A sentence with its citation keys as written (not yet validated)."""

    text: str
    keys: tuple[int, ...]


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


def split_cited(text: str) -> list[ParsedSentence]:
    """Sentences of a free-text answer with their keys; a marker at a sentence
    start belongs to that sentence, one after its end to the sentence before."""
    out: list[ParsedSentence] = []
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
                out[-1] = ParsedSentence(prev.text, _unique(prev.keys + tuple(keys)))
            continue
        out.append(ParsedSentence(clean, _unique(tuple(keys))))
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


def renumber(sentence_keys: list[tuple[int, ...]]) -> tuple[list[tuple[int, ...]], dict[int, int]]:
    """Citation numbers by first use: passage key -> 1, 2, ... in reading order."""
    mapping: dict[int, int] = {}
    for keys in sentence_keys:
        for k in keys:
            mapping.setdefault(k, len(mapping) + 1)
    return [tuple(mapping[k] for k in keys) for keys in sentence_keys], mapping


def content_terms(text: str) -> list[str]:
    """The words that carry a claim (stop words dropped, accents/plurals folded)."""
    return tokenize(text)


def numbers(text: str) -> set[str]:
    """Numbers written in ``text``, thousands separators removed."""
    return {n.replace(",", "") for n in _NUM.findall(text)}


_WORD = re.compile(r"[^\W\d_][\w’'-]*")


def names(text: str) -> set[str]:
    """Index terms of the capitalised words of ``text`` not opening a sentence
    (people, places, agencies): a claim naming one its passage lacks is never
    accepted on word overlap alone."""
    out: set[str] = set()
    for s, e in sentence_spans(text):
        for m in list(_WORD.finditer(text[s:e]))[1:]:
            if m.group(0)[0].isupper():
                out.update(tokenize(m.group(0)))
    return out


def missing_names(claim: str, passage: str, context: str = "") -> set[str]:
    """Names in ``claim`` found in neither ``passage`` nor ``context``."""
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
