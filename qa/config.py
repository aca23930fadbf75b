"""All settings in one place: defaults < environment (QA_*) < explicit overrides.

Built once at an edge (CLI, UI, eval) and passed down. Invalid values are
rejected when the object is built, with a message naming the setting.
Standard library only.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from qa.errors import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
INDEX_FORMAT_VERSION = 5  # 3: possessives folded in BM25 terms; 4: sentence vectors stored; 5: wrapped paragraphs no longer split at heading-like first lines
SEGMENTATION_VERSION = 11  # qa/units.py: sentence and unit rules the chunks follow; a change rebuilds the index
BACKENDS = ("llama_cpp", "transformers", "openai")
FUSIONS = ("zscore", "rrf")
EMBED_BACKENDS = ("auto", "onnx", "onnx-int8", "torch")  # see qa/embedders/
SENTENCE_VECTORS = ("separate", "pooled")  # see qa/embed_file.py
MODEL_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
MODEL_FILENAME = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
MODEL_PARTS = 22


def _default_cache() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return str(Path(base) / "qa-assistant")


@dataclass(frozen=True)
class Settings:
    """Every knob of the pipeline. Environment: ``QA_<FIELD NAME UPPERCASE>``."""

    # where things live
    sources_dir: str = str(PROJECT_ROOT / "sources")
    index_dir: str = str(PROJECT_ROOT / "index")
    cache_dir: str = field(default_factory=_default_cache)

    # embedding and chunking (these shape the index: see index_fingerprint)
    embed_model: str = "sentence-transformers/all-MiniLM-L6-v2"
    embed_dim: int = 384
    embed_backend: str = "auto"  # "auto": onnx, else torch with a warning; "onnx", "onnx-int8", "torch" (see README)
    embed_threads: int = 0  # onnxruntime threads for embedding (0: all cores)
    sentence_vectors: str = "separate"  # "separate": each sentence embedded alone; "pooled": from its chunk's pass
    chunk_tokens: int = 160  # target word pieces per chunk (model window: 256)
    chunk_max_tokens: int = 250  # hard cap, below the 256 window
    chunk_overlap_sentences: int = 1
    max_file_mb: float = 50.0
    ann_threshold: int = 50_000  # chunks above which FAISS uses HNSW instead of exact search

    # index-time expansion (qa/expand.py): questions + a context line per chunk, written by the answer model
    expand: bool = False  # on (qa index --expand, QA_EXPAND=1): expansions written and used; off: neither
    # (off by default: on the shipped questions they did not improve retrieval, see README "Expansions")
    expansions_file: str = ""  # the committable cache; empty: <sources_dir>/expansions.jsonl
    expand_keep_rank: int = 3  # keep a question when its own chunk is among its this-many nearest chunks (0: all)

    # retrieval
    top_k: int = 10
    candidates: int = 50  # per retriever, before fusion
    fusion: str = "zscore"  # "zscore": weighted sum of z-normalised scores over the candidates; "rrf": reciprocal rank
    rrf_k: int = 60  # rrf fusion only
    dense_weight: float = 1.0
    lexical_weight: float = 0.5  # zscore fusion; with QA_FUSION=rrf, 2.0 measured best
    sentence_weight: float = (
        0.5  # share of the dense score from the chunk's best-matching sentence (0: chunk vector only)
    )
    expansion_weight: float = 0.25  # zscore fusion weight of a chunk's best-matching expansion question (0: off)
    source_weight: float = 1.0  # boost for chunks of a source whose authors/publisher/title the query names (0: off)
    name_weight: float = (
        0.5  # boost for the few chunks writing a name of the query (not a source's) word for word (0: off)
    )
    name_share: float = 0.03  # … a name written in more than this share of the chunks boosts none
    also_weight: float = 1.0  # a follow-up's question joined to the previous one, fused beside its rewrite

    # answering
    evidence_passages: int = 8  # evidence path: passages whose sentences are pre-scored
    evidence_sentences: int = 8  # evidence path: sentences (after pre-score and quotas) the model chooses from
    evidence_max_chosen: int = 5  # evidence path: at most this many chosen by the model
    evidence_prescore_keep: int = 2  # evidence path: the best pre-scored sentences kept beside the model's choice
    broad_answers: bool = (
        True  # evidence path: summary, list, comparison and two-part questions answered in blocks (qa/broad.py)
    )
    backend: str = "llama_cpp"
    model_path: str = ""  # empty: assemble the packaged Qwen2.5-Coder-1.5B GGUF
    openai_base_url: str = "http://127.0.0.1:8080/v1"
    openai_model: str = "local"
    openai_api_key: str = ""
    n_ctx: int = 4096
    n_threads: int = 0  # 0: all cores
    max_new_tokens: int = 220
    temperature: float = 0.0
    seed: int = 0
    timeout_s: float = 180.0
    draft_tokens: int = 3  # llama.cpp, greedy: prompt-lookup guesses checked per model call (same output, sooner; 0: off); 3 = batches of 4, the cheapest here
    prompt_cache_mb: int = 0  # llama.cpp RAM cache of prompt states; off: each state also copies ~300 MB of logits
    max_question_chars: int = 2000
    min_relevance: float = 0.0  # cosine below which no passage counts as relevant
    judge: str = "llm"  # "llm" (model yes/no on lexical survivors) or "lexical"
    calibration_file: str = str(
        PROJECT_ROOT / "qa" / "calibration.json"
    )  # the fitted answer/refuse decision (qa eval calibrate); empty: the yes/no chain

    # the chat page (qa serve): see docs/serving.md
    serve_concurrency: int = 1  # answers computed at once; the rest wait in Gradio's queue, shown their place
    # (1 for the built-in backend, whose one model answers one question at a time; with --backend openai,
    # the server's parallel slots)
    maintainer_delay_s: float = 2.0  # wait after a wrong maintainer password, doubled per wrong try in a row
    maintainer_max_delay_s: float = 300.0  # the longest such wait

    def __post_init__(self) -> None:
        if self.backend not in BACKENDS:
            raise ConfigError(
                f"unknown backend {self.backend!r}",
                f"use one of: {', '.join(BACKENDS)} (flag --backend or QA_BACKEND)",
            )
        if self.embed_backend not in EMBED_BACKENDS:
            raise ConfigError(
                f"unknown embed_backend {self.embed_backend!r}",
                f"use one of: {', '.join(EMBED_BACKENDS)} (QA_EMBED_BACKEND)",
            )
        if self.sentence_vectors not in SENTENCE_VECTORS:
            raise ConfigError(
                f"unknown sentence_vectors {self.sentence_vectors!r}",
                f"use one of: {', '.join(SENTENCE_VECTORS)} (QA_SENTENCE_VECTORS)",
            )
        if self.fusion not in FUSIONS:
            raise ConfigError(f"unknown fusion {self.fusion!r}", f"use one of: {', '.join(FUSIONS)} (QA_FUSION)")
        if not 0.0 <= self.sentence_weight <= 1.0:
            raise ConfigError(f"sentence_weight must be within 0..1, got {self.sentence_weight}")
        if self.judge not in ("llm", "lexical"):
            raise ConfigError(f"unknown judge {self.judge!r}", "use 'llm' or 'lexical' (QA_JUDGE)")
        if not 16 <= self.chunk_tokens <= self.chunk_max_tokens <= 256:
            raise ConfigError(
                f"chunk sizes {self.chunk_tokens}/{self.chunk_max_tokens} out of range",
                "need 16 <= chunk_tokens <= chunk_max_tokens <= 256 (the embedding window)",
            )
        for name in (
            "top_k",
            "candidates",
            "n_ctx",
            "max_new_tokens",
            "evidence_passages",
            "evidence_sentences",
            "evidence_max_chosen",
        ):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be at least 1, got {getattr(self, name)}")
        if (
            min(
                self.chunk_overlap_sentences,
                self.n_threads,
                self.draft_tokens,
                self.embed_threads,
                self.expand_keep_rank,
                self.evidence_prescore_keep,
            )
            < 0
        ):
            raise ConfigError(
                "chunk_overlap_sentences, n_threads, draft_tokens, embed_threads, "
                "expand_keep_rank and evidence_prescore_keep must not be negative"
            )
        if self.timeout_s <= 0 or self.max_file_mb <= 0:
            raise ConfigError("timeout_s and max_file_mb must be positive")
        if self.serve_concurrency < 1 or not 0 <= self.maintainer_delay_s <= self.maintainer_max_delay_s:
            raise ConfigError(
                "serve_concurrency must be at least 1, and 0 <= maintainer_delay_s <= maintainer_max_delay_s",
                "fix QA_SERVE_CONCURRENCY / QA_MAINTAINER_DELAY_S / QA_MAINTAINER_MAX_DELAY_S",
            )

    @classmethod
    def load(cls, overrides: Mapping[str, Any] | None = None, env: Mapping[str, str] | None = None) -> Settings:
        """Defaults, then ``QA_*`` environment variables, then non-None overrides."""
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = env.get("QA_" + f.name.upper())
            if raw is not None and raw != "":
                values[f.name] = _coerce(f.name, f.type, raw)
        for key, value in (overrides or {}).items():
            if value is None:
                continue
            if key not in {f.name for f in fields(cls)}:
                raise ConfigError(f"unknown setting {key!r}")
            values[key] = value
        return cls(**values)

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)

    def answer_fingerprint(self) -> dict[str, Any]:
        """Every setting that can change an answer (not where files live, not secrets):
        stored with a benchmark run, compared when a run is resumed."""
        skip = {"sources_dir", "index_dir", "cache_dir", "openai_api_key", "timeout_s", "n_threads", "embed_threads"}
        skip |= {"serve_concurrency", "maintainer_delay_s", "maintainer_max_delay_s"}  # the page's, not answers'
        return {
            "format_version": INDEX_FORMAT_VERSION,
            **{f.name: getattr(self, f.name) for f in fields(self) if f.name not in skip},
        }

    def index_fingerprint(self) -> dict[str, Any]:
        """The settings that shape an index: a mismatch on load means rebuild.
        ``sentence_vectors`` is named only when not "separate" (indexes built
        before the setting existed hold separate vectors and stay valid)."""
        pooled = {"sentence_vectors": self.sentence_vectors} if self.sentence_vectors != "separate" else {}
        return {
            "format_version": INDEX_FORMAT_VERSION,
            "embed_model": self.embed_model,
            "embed_dim": self.embed_dim,
            "chunk_tokens": self.chunk_tokens,
            "chunk_max_tokens": self.chunk_max_tokens,
            "chunk_overlap_sentences": self.chunk_overlap_sentences,
            "segmentation": SEGMENTATION_VERSION,
            **pooled,
        }


def _coerce(name: str, type_name: Any, raw: str) -> Any:
    t = str(type_name)
    try:
        if t == "int":
            return int(raw)
        if t == "float":
            return float(raw)
        if t == "bool":
            if raw.lower() in ("1", "true", "yes", "on"):
                return True
            if raw.lower() in ("0", "false", "no", "off"):
                return False
            raise ValueError(raw)
    except ValueError:
        raise ConfigError(
            f"environment variable QA_{name.upper()}={raw!r} is not a valid {t}",
            f"fix or unset QA_{name.upper()}",
        ) from None
    return raw


def relpath(path: str | Path) -> str:
    """``path`` relative to the project root when inside it, else absolute."""
    p = Path(path).resolve()
    try:
        return str(p.relative_to(PROJECT_ROOT))
    except ValueError:
        return str(p)
