"""The sentence-transformers (torch) embedding backend: the reference vectors,
and the fallback when onnxruntime is missing. sentence-transformers and torch
are imported only here."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from qa.embedders.base import DEFAULT_MODEL_ID, Embedder, model_dir


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
        self._model = SentenceTransformer(path)  # a GPU when torch sees one, else the CPU
        self._tokenizer = self._model.tokenizer

    def _embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        return self._model.encode(
            list(texts), batch_size=self.batch_size, convert_to_numpy=True, show_progress_bar=False
        )

    def _token_batch(self, texts: Sequence[str]) -> list[tuple[np.ndarray, np.ndarray]]:
        import torch

        enc = self._tokenizer(
            list(texts),
            padding=True,
            truncation=True,
            max_length=self._model.max_seq_length,
            return_offsets_mapping=True,
            return_special_tokens_mask=True,
            return_tensors="pt",
        )
        offsets, special = enc.pop("offset_mapping").numpy(), enc.pop("special_tokens_mask").numpy()
        transformer: Any = self._model[0]  # sentence-transformers' Transformer module
        with torch.no_grad():
            enc = enc.to(self._model.device)
            hidden = transformer.auto_model(**enc).last_hidden_state.cpu().numpy()
        out = []
        for row, n in enumerate(enc["attention_mask"].sum(dim=1).tolist()):
            off = offsets[row, :n].astype(np.int64)
            off[special[row, :n].astype(bool)] = 0
            out.append((hidden[row, :n].astype(np.float32), off))
        return out

    def count_tokens(self, text: str) -> int:
        return len(self._tokenizer.encode(text, add_special_tokens=True, truncation=False))
