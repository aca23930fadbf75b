"""The page's maintainer panel: add a document to ``settings.sources_dir``
and re-index, behind a password. The allowed suffixes are the indexer's
(``qa.ingest.SUPPORTED_SUFFIXES``) and the size limit is ``Settings.max_file_mb``.
"""

from __future__ import annotations

import hmac
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gradio as gr

from qa.assistant import Assistant
from qa.config import Settings
from qa.errors import InputError, QAError
from qa.ingest import SUPPORTED_SUFFIXES


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
    """Copy an uploaded file into ``settings.sources_dir`` under a safe name; returns that name."""
    name = safe_upload_name(upload.name)
    limit = settings.max_file_mb
    if upload.stat().st_size > limit * 1024 * 1024:
        raise InputError(f"{upload.name} is larger than {limit:g} MB", "split it, or raise QA_MAX_FILE_MB")
    dest = Path(settings.sources_dir) / name
    if dest.is_symlink():  # copying would write wherever the link points
        raise InputError(f"{name} in the sources folder is a symlink", "remove that link, or rename the upload")
    shutil.copyfile(upload, dest)
    return name


def add_and_reindex(settings: Settings, assistant: Assistant, upload: Path | None) -> str:
    """Add ``upload`` (if any), bring the index up to date, point the live assistant at it."""
    from qa.indexer import build_index

    messages = [f"added {add_document(settings, upload)}"] if upload is not None else []
    embedder = assistant.retriever().embedder if assistant.qa is not None else None
    report = build_index(settings, embedder=embedder)
    assistant.reload_index()
    messages.append(report.summary().replace("\n", "  \n"))
    return "  \n".join(messages)


def maintainer_panel(
    settings: Settings,
    assistant: Assistant,
    password: str,
    sources_view: Callable[[], tuple[list, str]],
    table: Any,
    info: Any,
) -> None:
    """The panel's widgets, inside the Sources tab."""
    gr.Markdown("### Maintainer: add a document and re-index")
    pw = gr.Textbox(label="Maintainer password", type="password")
    upload = gr.File(
        label=f"Document ({', '.join(SUPPORTED_SUFFIXES)}; ≤ {settings.max_file_mb:g} MB)", file_count="single"
    )
    log = gr.Markdown()

    def on_click(secret: str, file: Any) -> tuple:
        if not hmac.compare_digest((secret or "").encode(), password.encode()):
            return (*sources_view(), "Problem: wrong maintainer password")
        path = None if file is None else Path(file if isinstance(file, str) else file.name)
        try:
            message = add_and_reindex(settings, assistant, path)
        except QAError as err:
            return (*sources_view(), f"Problem: {err.user_message()}")
        return (*sources_view(), message)

    gr.Button("Add and re-index").click(on_click, [pw, upload], [table, info, log], api_visibility="private")
