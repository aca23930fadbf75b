"""Shared fixtures: a deterministic fake embedder for logic tests, the real
MiniLM embedder (loaded once) for integration tests, small source folders,
and a real llama_cpp.server on the packaged model (for the OpenAI backend)."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
# The suite runs on the defaults whatever the caller's shell sets: a QA_*
# variable (QA_BACKEND=openai, QA_INDEX_DIR=…) would otherwise reach the
# end-to-end tests and the subprocesses they start. QA_CACHE_DIR stays: it
# only says where the assembled model file is kept.
for _name in [n for n in os.environ if n.startswith("QA_") and n != "QA_CACHE_DIR"]:
    del os.environ[_name]

from qa.config import Settings  # noqa: E402
from qa.embedders import Embedder  # noqa: E402
from qa.lexical import tokenize  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "sources"
FOREIGN = ROOT.parent / "shared" / "foreign"


class HashEmbedder(Embedder):
    """Deterministic bag-of-words embedder: each term hashes to one dimension."""

    model_id = "sentence-transformers/all-MiniLM-L6-v2"  # poses as the real one so fingerprints match
    dim = 384

    def __init__(self) -> None:
        self.calls: list[int] = []

    def _embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        self.calls.append(len(texts))
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, t in enumerate(texts):
            for term in tokenize(t) or ["empty"]:
                out[i, int(hashlib.md5(term.encode()).hexdigest(), 16) % self.dim] += 1.0
        return out

    def _token_batch(self, texts: Sequence[str]) -> list[tuple[np.ndarray, np.ndarray]]:
        """One token per word, its state the hashed one-hot of the word's terms (so
        the mean over a text is its ``_embed_batch`` vector up to scale)."""
        self.calls.append(len(texts))
        out = []
        for t in texts:
            words = list(re.finditer(r"\S+", t)) or [None]
            states = np.zeros((len(words), self.dim), dtype=np.float32)
            offsets = np.zeros((len(words), 2), dtype=np.int64)
            for i, m in enumerate(words):
                terms = tokenize(m.group()) if m else ["empty"]
                for term in terms:
                    states[i, int(hashlib.md5(term.encode()).hexdigest(), 16) % self.dim] += 1.0
                offsets[i] = m.span() if m else (0, 0)
            out.append((states, offsets))
        return out

    @property
    def embedded(self) -> int:
        return sum(self.calls)


@pytest.fixture
def fake_embedder() -> HashEmbedder:
    return HashEmbedder()


@pytest.fixture(scope="session")
def real_embedder() -> Embedder:
    from qa.embedders import get_embedder

    return get_embedder()


@pytest.fixture
def settings_for(tmp_path: Path):
    """Settings pointing at a tmp sources folder and index."""

    def make(sources: Path | None = None, **kw) -> Settings:
        src = sources or (tmp_path / "sources")
        src.mkdir(parents=True, exist_ok=True)
        return Settings.load(
            {"sources_dir": str(src), "index_dir": str(tmp_path / "index"), "cache_dir": str(tmp_path / "cache"), **kw},
            env={},
        )

    return make


@pytest.fixture
def corpus_copy(tmp_path: Path) -> Path:
    """A private copy of the shipped sources and their metadata."""
    dst = tmp_path / "sources"
    shutil.copytree(SOURCES, dst)
    return dst


def free_port() -> int:
    """A free TCP port on the loopback address (for servers the tests start)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def llama_server(tmp_path_factory):
    """A real ``llama_cpp.server`` on the packaged GGUF, on a loopback port; yields its /v1 URL."""
    import httpx

    from qa.model_files import ensure_model

    # one thread: two llama.cpp threads on 2 shared cores stall each other when another process is busy
    model = ensure_model(Settings.load({"n_threads": 1}, env={}))
    port = free_port()
    log = tmp_path_factory.mktemp("server") / "server.log"  # a file: a full pipe would block the server
    with open(log, "w") as err:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "llama_cpp.server",
                "--model",
                str(model),
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--n_ctx",
                "1024",
                "--seed",
                "0",
                "--n_threads",
                "1",
            ],
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                pytest.fail(f"llama_cpp.server exited: {log.read_text()[-2000:]}")
            try:
                if httpx.get(url + "/models", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("llama_cpp.server did not answer /v1/models within 120 s")
            time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


@pytest.fixture(scope="module", autouse=True)
def _free_models_after_module():
    """Models a test module loaded are freed when it ends: ``load_once`` would otherwise keep
    every instance (one per settings key, about 1.7 GB each) for the whole run."""
    yield
    import gc

    from qa.backends.base import unload_all

    if unload_all():
        gc.collect()


# ---------------------------------------------------------------- memory per test (opt-in: --rss-log FILE)


def pytest_addoption(parser):
    parser.addoption(
        "--rss-log",
        metavar="FILE",
        help="append one JSON line per test: its id, this process's resident and peak memory (MB) after it",
    )


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item, nextitem):
    path = item.config.getoption("--rss-log")
    if not path:
        return
    import json
    import resource

    status = Path("/proc/self/status").read_text() if Path("/proc/self/status").exists() else ""
    rss_kb = next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")), 0)
    row = {
        "test": item.nodeid,
        "rss_mb": round(rss_kb / 1024),
        "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "children_peak_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024),
    }
    with open(path, "a", encoding="utf-8") as f:
        f.write(json.dumps(row) + "\n")


@pytest.fixture(scope="module")
def shipped_qa(tmp_path_factory):
    """The real assistant over the shipped sources: a fresh index, the packaged model (module scope:
    the model is freed when the module ends)."""
    from qa.answer import QA
    from qa.indexer import build_index

    settings = Settings.load({"index_dir": str(tmp_path_factory.mktemp("shipped") / "index")})
    build_index(settings)
    return QA.from_settings(settings)


def check_quotes(answer) -> None:
    """Every citation of ``answer`` quotes its stored file exactly."""
    for c in answer.citations:
        stored = (ROOT / c.source_file).read_text(encoding="utf-8")
        assert stored[c.start : c.end] == c.quote
