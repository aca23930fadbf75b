"""The page's maintainer panel: add a document to ``settings.sources_dir``
and re-index, behind a password. The allowed suffixes are the indexer's
(``qa.ingest.SUPPORTED_SUFFIXES``) and the size limit is ``Settings.max_file_mb``.

A same-name upload never loses the file it replaces: the previous version is
kept in ``sources/.replaced/`` and logged (``qa.source_versions``); the panel
lists the kept versions and restores one (as ``qa restore NAME`` does).
Wrong passwords are slowed down per client address (``qa.throttle``).
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gradio as gr

from qa.assistant import Assistant
from qa.config import Settings
from qa.errors import InputError, QAError
from qa.ingest import SUPPORTED_SUFFIXES
from qa.source_versions import KeptVersion, describe, kept_versions, restore, write_version
from qa.throttle import PasswordThrottle, refusal


def safe_upload_name(name: str) -> str:
    """A plain file name (no folders, no traversal) with a supported suffix, or ``InputError``."""
    base = Path(name).name
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(base).stem).strip("._") or "document"
    suffix = Path(base).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise InputError(
            f"{base}: only {', '.join(SUPPORTED_SUFFIXES)} files can be added",
            "convert the document to one of these formats first",
        )
    return stem[:100] + suffix


def add_document(settings: Settings, upload: Path) -> str:
    """Copy an uploaded file into ``settings.sources_dir`` under a safe name;
    returns what happened (a file of that name is kept first, never lost)."""
    name = safe_upload_name(upload.name)
    limit = settings.max_file_mb
    if upload.stat().st_size > limit * 1024 * 1024:
        raise InputError(f"{upload.name} is larger than {limit:g} MB", "split it, or raise QA_MAX_FILE_MB")
    sources = Path(settings.sources_dir)
    existed = (sources / name).exists()
    kept = write_version(sources, name, upload)
    if kept is not None:
        return f"replaced {describe(kept, sources)}"
    return f"{name} is unchanged (same bytes as the indexed file)" if existed else f"added {name}"


def reindex(settings: Settings, assistant: Assistant, messages: list[str]) -> str:
    """Bring the index up to date, point the live assistant at it; ``messages`` first."""
    from qa.indexer import build_index

    embedder = assistant.retriever().embedder if assistant.qa is not None else None
    report = build_index(settings, embedder=embedder)
    assistant.reload_index()
    messages.append(report.summary().replace("\n", "  \n"))
    return "  \n".join(messages)


def add_and_reindex(settings: Settings, assistant: Assistant, upload: Path | None) -> str:
    """Add ``upload`` (if any), bring the index up to date, point the live assistant at it."""
    return reindex(settings, assistant, [add_document(settings, upload)] if upload is not None else [])


def restore_and_reindex(settings: Settings, assistant: Assistant, name: str, stamp: str | None) -> str:
    """Put a kept version back (the current one is kept in turn), then re-index."""
    sources = Path(settings.sources_dir)
    chosen, replaced = restore(sources, name, stamp)
    message = f"restored {name} to its version kept at {chosen.at} ({chosen.size:,} bytes)"
    if replaced is not None:
        message += f"; the version it replaced is kept too (qa restore {name} --version {replaced.stamp})"
    return reindex(settings, assistant, [message])


def version_choices(settings: Settings) -> list[tuple[str, str]]:
    """(label, value) per kept version for the panel's dropdown, newest first."""
    return [(_label(v), f"{v.name}\t{v.stamp}") for v in kept_versions(Path(settings.sources_dir))]


def _label(v: KeptVersion) -> str:
    return f"{v.name}: version before {v.at} ({v.size:,} bytes, {v.action})"


def client_key(request: Any) -> str:
    """The client's address (the throttle's key); one key for callers without one."""
    client = getattr(request, "client", None)
    return str(getattr(client, "host", None) or "unknown")


def maintainer_panel(
    settings: Settings,
    assistant: Assistant,
    password: str,
    sources_view: Callable[[], tuple[Any, str]],
    table: Any,
    info: Any,
    throttle: PasswordThrottle | None = None,
) -> None:
    """The panel's widgets, inside the Sources tab."""
    throttle = throttle or PasswordThrottle(settings.maintainer_delay_s, settings.maintainer_max_delay_s)
    gr.Markdown("### Maintainer: add a document and re-index")
    pw = gr.Textbox(label="Maintainer password", type="password", elem_id="qa-password")
    upload = gr.File(
        label=f"Document ({', '.join(SUPPORTED_SUFFIXES)}; ≤ {settings.max_file_mb:g} MB; a file of the same "
        "name is replaced, and its previous version kept)",
        file_count="single",
        elem_id="qa-upload",
    )
    add = gr.Button("Add and re-index", elem_id="qa-add")
    gr.Markdown("Replaced versions (kept in the sources folder's `.replaced/`; also `qa restore NAME`):")
    versions = gr.Dropdown(
        choices=version_choices(settings), label="Kept version", elem_id="qa-versions", interactive=True
    )
    undo = gr.Button("Restore this version and re-index", elem_id="qa-restore")
    log = gr.Markdown(elem_id="qa-maintainer-log")

    def refreshed(message: str) -> tuple:
        return (*sources_view(), message, gr.update(choices=version_choices(settings), value=None))

    def allowed(secret: str, request: gr.Request) -> str | None:
        """None when the password is right; else the message that says why not."""
        key = client_key(request)
        attempt = throttle.check(key)
        if not attempt.allowed:
            return refusal(attempt, wrong_now=False)
        if not hmac.compare_digest((secret or "").encode(), password.encode()):
            return refusal(throttle.failed(key), wrong_now=True)
        throttle.succeeded(key)
        return None

    def on_add(secret: str, file: Any, request: gr.Request) -> tuple:
        problem = allowed(secret, request)
        if problem:
            return refreshed(problem)
        path = None if file is None else Path(file if isinstance(file, str) else file.name)
        try:
            return refreshed(add_and_reindex(settings, assistant, path))
        except QAError as err:
            return refreshed(f"Problem: {err.user_message()}")

    def on_restore(secret: str, choice: str | None, request: gr.Request) -> tuple:
        problem = allowed(secret, request)
        if problem:
            return refreshed(problem)
        if not choice:
            return refreshed("Problem: choose a kept version first")
        name, stamp = choice.split("\t", 1)
        try:
            return refreshed(restore_and_reindex(settings, assistant, name, stamp))
        except QAError as err:
            return refreshed(f"Problem: {err.user_message()}")

    outputs = [table, info, log, versions]
    add.click(on_add, [pw, upload], outputs, api_visibility="private", concurrency_id="maintainer")
    undo.click(on_restore, [pw, versions], outputs, api_visibility="private", concurrency_id="maintainer")
