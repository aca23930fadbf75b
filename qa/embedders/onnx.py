"""The ONNX embedding backend: all-MiniLM-L6-v2 on onnxruntime, tokenised by
``tokenizers`` (the package's tokenizer.json), mean pooling and L2
normalisation in numpy. Searching imports neither torch nor transformers.

The .onnx file is exported once from the packaged weights (torch.onnx, local
files only, never a hub) into ``<cache_dir>/onnx/<sha256 of the weights>/``,
written to a temp file and renamed; the int8 variant is onnxruntime's dynamic
quantisation of it. Later runs load the cached file.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from qa.embedders.base import DEFAULT_MODEL_ID, Embedder, model_dir

if TYPE_CHECKING:
    from qa.config import Settings

MAX_TOKENS = 256  # sentence_bert_config.json max_seq_length
INPUTS = ("input_ids", "attention_mask", "token_type_ids")


class OnnxEmbedder(Embedder):
    """all-MiniLM-L6-v2 (384-d) on onnxruntime, fp32 or int8 (dynamic quantisation)."""

    model_id = DEFAULT_MODEL_ID
    dim = 384
    batch_size = 32

    def __init__(self, settings: Settings, quantized: bool = False) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        folder = Path(model_dir())
        self.backend = "onnx-int8" if quantized else "onnx"
        path = onnx_file(folder, Path(settings.cache_dir), quantized)
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = settings.embed_threads or os.cpu_count() or 1
        opts.inter_op_num_threads = 1
        opts.log_severity_level = 3
        # no busy-waiting between ops: on a shared machine spinning threads steal the cores
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session = _session(ort, path, opts)
        self._tokenizer_file = str(folder / "tokenizer.json")
        # the package's tokenizer.json pads and truncates to 128: embedding pads per batch, cuts at 256
        self._tokenizer = Tokenizer.from_file(self._tokenizer_file)
        self._tokenizer.enable_truncation(MAX_TOKENS)
        self._tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        self._counter: Any = None  # loaded for chunking only

    def _embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        enc = self._tokenizer.encode_batch(list(texts))
        ids = np.asarray([e.ids for e in enc], dtype=np.int64)
        mask = np.asarray([e.attention_mask for e in enc], dtype=np.int64)
        feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        hidden = self._session.run(None, feed)[0]
        # mean over the real (unpadded) tokens
        m = mask[:, :, None].astype(np.float32)
        return (hidden * m).sum(axis=1) / np.maximum(m.sum(axis=1), 1e-9)

    def _token_batch(self, texts: Sequence[str]) -> list[tuple[np.ndarray, np.ndarray]]:
        enc = self._tokenizer.encode_batch(list(texts))
        ids = np.asarray([e.ids for e in enc], dtype=np.int64)
        mask = np.asarray([e.attention_mask for e in enc], dtype=np.int64)
        feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        hidden = self._session.run(None, feed)[0]
        out = []
        for row, e in enumerate(enc):
            n = int(mask[row].sum())
            offsets = np.asarray(e.offsets[:n], dtype=np.int64).reshape(n, 2)
            offsets[np.asarray(e.special_tokens_mask[:n], dtype=bool)] = 0
            out.append((np.asarray(hidden[row, :n], dtype=np.float32), offsets))
        return out

    def count_tokens(self, text: str) -> int:
        """Word pieces of ``text`` with [CLS] and [SEP], never truncated (as the torch tokenizer counts)."""
        if self._counter is None:
            from tokenizers import Tokenizer

            self._counter = Tokenizer.from_file(self._tokenizer_file)
            self._counter.no_truncation()
            self._counter.no_padding()
        return len(self._counter.encode(text).ids)


def _session(ort: Any, path: Path, opts: Any) -> Any:
    """An onnxruntime session; the graph optimised once is cached beside the model, so
    later processes skip that step (a query then starts sooner)."""
    optimized = path.with_name(path.stem + f".opt-{ort.__version__}.onnx")
    if optimized.exists():
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
        return ort.InferenceSession(str(optimized), opts, providers=["CPUExecutionProvider"])
    tmp = optimized.with_name(f".{optimized.stem}.{uuid.uuid4().hex[:6]}.onnx")
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
    opts.optimized_model_filepath = str(tmp)
    try:
        session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
        if tmp.exists():
            os.replace(tmp, optimized)
    finally:
        tmp.unlink(missing_ok=True)
    return session


def onnx_file(folder: Path, cache_dir: Path, quantized: bool) -> Path:
    """The cached .onnx for the weights in ``folder``, exported (and quantised) on first use."""
    target = cache_dir / "onnx" / weights_digest(folder, cache_dir)[:16]
    fp32 = target / "model-fp32.onnx"
    if not fp32.exists():
        target.mkdir(parents=True, exist_ok=True)
        _publish(fp32, lambda tmp: export_onnx(folder, tmp))
    if not quantized:
        return fp32
    int8 = target / "model-int8.onnx"
    if not int8.exists():
        _publish(int8, lambda tmp: quantize(fp32, tmp))
    return int8


def weights_digest(folder: Path, cache_dir: Path) -> str:
    """sha256 of the weights file, remembered per (path, size, mtime) so a search does not re-hash 90 MB."""
    weights = folder / "model.safetensors"
    st = weights.stat()
    key = hashlib.sha1(f"{weights.resolve()}\0{st.st_size}\0{st.st_mtime_ns}".encode()).hexdigest()[:16]
    memo = cache_dir / "onnx" / "digests" / f"{key}.json"
    try:
        return str(json.loads(memo.read_text("utf-8"))["sha256"])
    except (OSError, ValueError, KeyError):
        pass
    h = hashlib.sha256()
    with open(weights, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    memo.parent.mkdir(parents=True, exist_ok=True)
    from qa.fileio import atomic_write

    atomic_write(memo, json.dumps({"path": str(weights), "sha256": h.hexdigest()}))
    return h.hexdigest()


def _publish(path: Path, write: object) -> None:
    """Run ``write(tmp)`` on a temp file beside ``path``, then rename it over ``path``."""
    tmp = path.with_name(f".{path.stem}.{uuid.uuid4().hex[:6]}.onnx")
    try:
        write(tmp)  # type: ignore[operator]
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def export_onnx(folder: Path, out: Path) -> None:
    """torch.onnx export of the packaged BertModel: token states for (batch, seq) inputs."""
    import torch
    from transformers import AutoModel

    model = AutoModel.from_pretrained(str(folder), local_files_only=True, attn_implementation="eager")
    model.eval()

    class Hidden(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = model

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.bert(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    dummy = torch.ones((2, 8), dtype=torch.long)
    axes = {name: {0: "batch", 1: "seq"} for name in INPUTS}
    with torch.no_grad():
        torch.onnx.export(
            Hidden(),
            (dummy, dummy, torch.zeros_like(dummy)),
            str(out),
            input_names=list(INPUTS),
            output_names=["hidden"],
            dynamic_axes={**axes, "hidden": {0: "batch", 1: "seq"}},
            opset_version=17,
            dynamo=False,
        )


def quantize(fp32: Path, out: Path) -> None:
    """int8 dynamic quantisation of the MatMul weights, per channel (activations
    quantised per batch at run time), except each layer's feed-forward output
    (the GELU activations there have outliers): per-tensor weights, quantised
    embeddings or those layers lost far more agreement with fp32."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    graph = onnx.load(str(fp32), load_external_data=False).graph
    keep = [
        n.name
        for n in graph.node
        if n.op_type == "MatMul" and n.name.endswith("/output/dense/MatMul") and "/attention/" not in n.name
    ]
    quantize_dynamic(
        str(fp32),
        str(out),
        weight_type=QuantType.QInt8,
        per_channel=True,
        op_types_to_quantize=["MatMul"],
        nodes_to_exclude=keep,
    )
