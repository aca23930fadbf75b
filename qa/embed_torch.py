"""The sentence-transformers (torch) embedding backend: the reference vectors,
and the fallback when onnxruntime is missing. sentence-transformers and torch
are imported only here."""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np

from qa.embed import DEFAULT_MODEL_ID, Embedder, model_dir


class TorchEmbedder(Embedder):
    """all-MiniLM-L6-v2 (384-d) through sentence-transformers, CPU."""

    model_id = DEFAULT_MODEL_ID
    dim = 384
    backend = "torch"

    def __init__(self) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
        path = model_dir()
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        self._model = SentenceTransformer(path, device="cpu")
        self._tokenizer = self._model.tokenizer

    def _embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        return self._model.encode(
            list(texts), batch_size=self.batch_size, convert_to_numpy=True, show_progress_bar=False
        )

    def count_tokens(self, text: str) -> int:
        return len(self._tokenizer.encode(text, add_special_tokens=True, truncation=False))
