"""Hybrid retrieval: dense (FAISS + sentence max-sim) + lexical (BM25),
fused by weighted z-scores over the candidates (or reciprocal rank), with a
prior for sources the query names, optionally filtered by source, with
overlapping chunks of one source de-duplicated. The pure rules (``fuse``,
``zscore_fuse``, ``source_prior``, ``named_terms``, ``dedupe``) are in
``qa.fusion``, tested alone.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np

from qa.config import Settings
from qa.embedders import Embedder, get_embedder
from qa.errors import InputError
from qa.fusion import cited_names, dedupe, fuse, named_terms, source_prior, source_terms, zscore_fuse
from qa.lexical import top_positive
from qa.records import Hit
from qa.store import LoadedIndex, check_embedder, load_index
from qa.text import NAME_TITLES, name_runs, tokenize
from qa.written import WrittenNames

MAX_QUERY_CHARS = 2000  # the embedding window is 256 word pieces; BM25 gains nothing past this


@dataclass(frozen=True)
class _Candidates:
    """One wording of the query and what each retriever found for it."""

    vec: np.ndarray  # the query embedding
    weight: float  # of this wording in the fusion
    best_sentence: np.ndarray | None  # per chunk row, its best sentence's cosine
    best_question: np.ndarray | None  # per chunk row, its best expansion question's cosine (NaN: none)
    dense: list[tuple[int, float]]  # (row, dense score), best first
    expanded: list[tuple[int, float]]  # (row, best question cosine), best first
    lexical: list[tuple[int, float]]  # (row, BM25 score), best first
    lex_scores: np.ndarray  # BM25 score of every row


_WORDS = (  # generic words of an organisation's name
    "council institute institution center centre corporation foundation university office department group",
    "relations foreign international national policy studies research service committee report",
)
_GENERIC_NAME_WORDS = frozenset(" ".join(_WORDS).split())


class Retriever:
    """Searches one loaded index."""

    def __init__(self, index: LoadedIndex, embedder: Embedder | None, settings: Settings) -> None:
        self.index = index
        self._embedder = embedder
        self.settings = settings
        if embedder is not None:
            check_embedder(index.manifest, embedder.backend, index.folder)
        index.load_search_parts()  # fail now, not at the first query
        self._source_terms = {sid: source_terms(info.meta) for sid, info in index.sources.items()}
        self._names = WrittenNames(index.chunks, index.sources.values())  # names written word for word
        # sentence vectors are stored grouped by chunk row: where each row's block starts
        self._sentences = _Grouped(index.data.sentence_vectors, index.data.sentence_rows)
        # expansion questions that passed the filter, grouped by chunk row the same way
        self._questions = _Grouped(*index.data.kept_questions())
        self.expanded = index.data.n_expanded

    @classmethod
    def from_settings(cls, settings: Settings, embedder: Embedder | None = None) -> Retriever:
        """The retriever of the configured index; the query embedder loads on the first search."""
        return cls(load_index(settings), embedder, settings)

    @property
    def embedder(self) -> Embedder:
        """The query embedder, loaded on first use and checked against the index's vectors."""
        if self._embedder is None:
            embedder = get_embedder(self.settings.embed_model, self.settings)
            check_embedder(self.index.manifest, embedder.backend, self.index.folder)
            self._embedder = embedder
        return self._embedder

    def search(
        self,
        query: str,
        k: int | None = None,
        source_ids: Sequence[str] | None = None,
        also: str | None = None,
    ) -> list[Hit]:
        """The ``k`` best chunks for ``query``, best first. ``also`` is a second
        wording of the same need (a follow-up with its conversation, see
        ``followup_query``): its rankings join the fusion at ``also_weight``."""
        query = check_query(query)
        k = k or self.settings.top_k
        allowed = self._allowed_rows(source_ids)
        n_cand = max(self.settings.candidates, 2 * k)
        wordings = [(query, 1.0)]
        if also and also.strip() and " ".join(also.split()) != query:
            wordings.append((check_query(also), self.settings.also_weight))
        # 1. per wording: dense candidates (chunk vectors and best sentences), lexical candidates
        scored = [self._candidates(text, w, n_cand, allowed) for text, w in wordings]
        # 2. fuse them (with the few chunks that write one of its names word for word);
        # 3. a prior for the sources the question names, and for those chunks
        named_rows = self.name_rows(query, allowed)
        fused = self._fuse(scored, named_rows)
        self._add_source_prior(fused, query)
        for r in named_rows:
            fused[r] += self.settings.name_weight * (
                1.0 if self.settings.fusion == "zscore" else 1.0 / self.settings.rrf_k
            )
        # 4. drop chunks overlapping a better one of the same source
        return self._hits(sorted(fused.items(), key=lambda kv: (-kv[1], kv[0])), scored[0], k)

    def _candidates(self, text: str, weight: float, n: int, allowed: set[int] | None) -> _Candidates:
        vec = self.embedder.embed_query(text)
        best_sentence = self._sentence_max(vec, allowed)
        best_question = self._question_max(vec, allowed)
        lex_scores = self.index.lexical.scores(text)
        return _Candidates(
            vec,
            weight,
            best_sentence,
            best_question,
            self._dense(vec, n, allowed, best_sentence),
            _top_rows(best_question, n),
            self._lexical(lex_scores, n, allowed),
            lex_scores,
        )

    def name_rows(self, query: str, allowed: set[int] | None = None) -> set[int]:
        """The chunk rows that write a name of ``query`` word for word, for a name so written in at most
        ``name_share`` of the chunks (``qa.written.WrittenNames.boosted``); none when ``name_weight`` is 0."""
        if self.settings.name_weight <= 0:
            return set()
        return self._names.boosted(query, self.settings.name_share, allowed)

    def _fuse(self, scored: Sequence[_Candidates], extra: Collection[int] = ()) -> dict[int, float]:
        """Fused score per candidate row: z-scores over the union of each
        wording's candidates and ``extra`` rows (default), or reciprocal ranks."""
        dw, lw, ew = self.settings.dense_weight, self.settings.lexical_weight, self.settings.expansion_weight
        if self.settings.fusion != "zscore":
            rankings, weights = [], []
            for c in scored:
                rankings += [[r for r, _ in c.dense], [r for r, _ in c.lexical], [r for r, _ in c.expanded]]
                weights += [c.weight * dw, c.weight * lw, c.weight * ew]
            fused_rrf = dict(fuse(rankings, weights, self.settings.rrf_k))
            return {**{r: 0.0 for r in extra}, **fused_rrf}
        fused: dict[int, float] = {}
        for c in scored:
            cand = sorted({r for r, _ in c.dense} | {r for r, _ in c.lexical} | {r for r, _ in c.expanded} | set(extra))
            dense = self._dense_rows(c.vec, cand, c.best_sentence)
            parts = [dense, {r: float(c.lex_scores[r]) for r in cand}]
            if c.best_question is not None and c.expanded:
                # z-scored among the candidates that have questions; one without adds nothing
                # (neither bonus nor penalty: question-to-question cosines run higher than chunk ones)
                bq = c.best_question
                parts.append({r: float(bq[r]) for r in cand if not np.isnan(bq[r])})
            part = zscore_fuse(parts, [c.weight * dw, c.weight * lw, c.weight * ew][: len(parts)])
            for r, v in part.items():
                fused[r] = fused.get(r, 0.0) + v
        return fused

    def named_sources(self, query: str) -> dict[str, float]:
        """Source id -> how strongly ``query`` names it (0..1: its authors, publisher or title words)."""
        return source_prior(self._prior_terms(query), self._source_terms)

    def _prior_terms(self, query: str) -> list[str]:
        """The capitalised words of ``query`` that may name a source (``named_terms``), less those of a
        name the passages write that is no source's author or publisher (``WrittenNames.naming_no_source``)."""
        return self._names.naming_no_source(query, named_terms(query))

    def unknown_sources(self, query: str) -> list[str]:
        """Names ``query`` cites as a source (``cited_names``: "according to RAND") that no indexed
        source is by (authors, publisher, title) and no indexed passage mentions."""
        out = []
        for name in cited_names(query):
            terms = set(tokenize(name))
            terms = (terms - _GENERIC_NAME_WORDS) or terms  # "RAND" of "RAND Corporation"
            if any(terms <= set(ts) for ts in self._source_terms.values()):
                continue  # an indexed source's author, publisher or title
            if all(self._mentions(t) for t in terms):
                continue  # the passages mention it
            out.append(name)
        return out

    def unknown_names(self, query: str) -> list[str]:
        """Names ``query`` asks about (not as its source) most of whose words, titles aside, no indexed
        passage or source holds ("President Claudia Sheinbaum"): the sources cannot speak of them."""
        cited = " ".join(cited_names(query))
        out = []
        for name, terms in name_runs(query):
            terms -= NAME_TITLES
            absent = [t for t in terms if not self._mentions(t)]
            if 2 * len(absent) > len(terms) and name not in cited:
                out.append(name)
        return out

    def _mentions(self, term: str) -> bool:
        return any(term in ts for ts in self._source_terms.values()) or self.index.lexical.holds(term)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Unit vectors of ``texts`` with the query embedder (the evidence pre-score's cosine)."""
        return self.embedder.embed(list(texts))

    def _add_source_prior(self, fused: dict[int, float], query: str) -> None:
        """Boost, in place, chunks of the sources the query names (capitalised author or publisher words)."""
        if self.settings.source_weight <= 0:
            return
        prior = source_prior(self._prior_terms(query), self._source_terms)
        scale = self.settings.source_weight * (1.0 if self.settings.fusion == "zscore" else 1.0 / self.settings.rrf_k)
        chunks = self.index.chunks
        for r in fused:
            fused[r] += scale * prior.get(chunks[r].source_id, 0.0)

    def _hits(self, fused: list[tuple[int, float]], first: _Candidates, k: int) -> list[Hit]:
        """The top ``k`` of ``fused`` (best first) after de-duplication, as ``Hit`` records."""
        chunks = self.index.chunks
        dense_rank = {r: i for i, (r, _) in enumerate(first.dense, 1)}
        lex_rank = {r: i for i, (r, _) in enumerate(first.lexical, 1)}
        keep = dedupe([chunks[r] for r, _ in fused[: max(5 * k, 50)]])
        hits: list[Hit] = []
        for pos in keep[:k]:
            row, score = fused[pos]
            hits.append(
                Hit(
                    rank=len(hits) + 1,
                    score=score,
                    chunk=chunks[row],
                    source=self.index.sources[chunks[row].source_id],
                    dense_rank=dense_rank.get(row),
                    lexical_rank=lex_rank.get(row),
                    dense_score=float(self.index.data.vectors[row] @ first.vec),
                )
            )
        return hits

    def _allowed_rows(self, source_ids: Sequence[str] | None) -> set[int] | None:
        if not source_ids:
            return None
        unknown = set(source_ids) - set(self.index.sources)
        if unknown:
            raise InputError(
                f"unknown source id(s): {', '.join(sorted(unknown))}",
                "list the indexed sources with: qa sources",
            )
        wanted = set(source_ids)
        return {i for i, c in enumerate(self.index.chunks) if c.source_id in wanted}

    def _lexical(self, scores: np.ndarray, n: int, allowed: set[int] | None) -> list[tuple[int, float]]:
        """Top ``n`` allowed rows with a positive BM25 score, best first."""
        if allowed is not None:
            mask = np.zeros(len(scores), dtype=bool)
            mask[list(allowed)] = True
            scores = np.where(mask, scores, 0.0)
        return top_positive(scores, n)

    def _sentence_max(self, qvec: np.ndarray, allowed: set[int] | None) -> np.ndarray | None:
        """Per chunk row, the cosine of its best-matching sentence (NaN: none; None: sentence scoring off)."""
        return self._best_of(self._sentences, qvec, allowed) if self.settings.sentence_weight > 0 else None

    def _question_max(self, qvec: np.ndarray, allowed: set[int] | None) -> np.ndarray | None:
        """Per chunk row, the cosine of its best-matching kept expansion question (NaN: none; None: off)."""
        return self._best_of(self._questions, qvec, allowed) if self.settings.expansion_weight > 0 else None

    def _best_of(self, group: _Grouped, qvec: np.ndarray, allowed: set[int] | None) -> np.ndarray | None:
        """Per chunk row, the cosine of its best-matching vector in ``group``
        (its sentences, or its expansion questions); NaN: none."""
        if not len(group.vectors):
            return None
        scores = group.vectors @ qvec
        best = np.full(len(self.index.chunks), np.nan, dtype=np.float32)
        best[group.owners] = np.maximum.reduceat(scores, group.starts)
        if allowed is not None:
            mask = np.ones(len(best), dtype=bool)
            mask[list(allowed)] = False
            best[mask] = np.nan
        return best

    def _dense_rows(self, qvec: np.ndarray, rows: Sequence[int], best_sentence: np.ndarray | None) -> dict[int, float]:
        """Dense score of ``rows``: chunk cosine blended with its best sentence's cosine."""
        if not len(rows):
            return {}
        idx = np.asarray(rows, dtype=np.int64)
        cos = self.index.data.vectors[idx] @ qvec
        if best_sentence is not None:
            a = self.settings.sentence_weight
            sent = best_sentence[idx]
            cos = (1 - a) * cos + a * np.where(np.isnan(sent), cos, sent)
        return {int(r): float(v) for r, v in zip(idx, cos)}

    def _dense(
        self, qvec: np.ndarray, n: int, allowed: set[int] | None, best_sentence: np.ndarray | None = None
    ) -> list[tuple[int, float]]:
        """Top ``n`` rows by dense score: candidates from the chunk vectors and
        the chunks holding the best sentences, rescored with ``_dense_rows``."""
        if allowed is None:
            found = self.index.dense.search(qvec, n)
        else:
            # filtered: exact scores over the allowed rows only
            rows = np.fromiter(sorted(allowed), dtype=np.int64)
            scores = self.index.data.vectors[rows] @ qvec
            order = np.argsort(-scores, kind="stable")[:n]
            found = [(int(rows[i]), float(scores[i])) for i in order]
        if best_sentence is None:
            return found
        by_sentence = np.argsort(-np.nan_to_num(best_sentence, nan=-np.inf), kind="stable")[:n]
        cand = {r for r, _ in found} | {int(r) for r in by_sentence if not np.isnan(best_sentence[r])}
        rescored = self._dense_rows(qvec, sorted(cand), best_sentence)
        return sorted(rescored.items(), key=lambda kv: (-kv[1], kv[0]))[:n]


class _Grouped:
    """Vectors stored grouped by ascending chunk row: where each row's block starts."""

    def __init__(self, vectors: np.ndarray, rows: np.ndarray) -> None:
        self.vectors = vectors
        self.starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]]) if len(rows) else rows
        self.owners = rows[self.starts] if len(rows) else rows


def _top_rows(best: np.ndarray | None, n: int) -> list[tuple[int, float]]:
    """Top ``n`` rows by ``best`` (NaN rows left out), best first."""
    if best is None:
        return []
    order = np.argsort(-np.nan_to_num(best, nan=-np.inf), kind="stable")[:n]
    return [(int(r), float(best[r])) for r in order if not np.isnan(best[r])]


def check_query(query: str, max_chars: int = MAX_QUERY_CHARS) -> str:
    """A usable query: not empty; very long ones are cut (callers may add a notice)."""
    if not isinstance(query, str) or not query.strip():
        raise InputError("the question is empty", 'type a question, e.g. qa search "What is the Mérida Initiative?"')
    query = " ".join(query.split())
    return query[:max_chars]


def followup_query(question: str, history: Sequence[dict[str, str]] | None, max_chars: int = 300) -> str | None:
    """A follow-up joined to the user's previous question (no model needed):
    "How did the Mexican government react?" after a question about an
    operation carries that operation's words into retrieval."""
    previous = [str(t.get("content", "")) for t in (history or []) if t.get("role") == "user"]
    if not previous or not previous[-1].strip():
        return None
    return " ".join(previous[-1].split())[:max_chars] + " " + question
