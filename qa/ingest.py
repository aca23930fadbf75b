"""Reading source files into ``Document`` records.

.txt/.md: the text exactly as ``open(path, encoding="utf-8").read()`` gives it
(so offsets point into the file); non-UTF-8 files are decoded with a detected
encoding and flagged. .html: readable text, block elements as paragraphs.
.pdf: text per page (pypdf) with page start offsets. Binary, encrypted,
image-only, oversized or unreadable files raise ``SourceError`` naming the
file and the fix. pypdf and BeautifulSoup are imported only where used.
"""

from __future__ import annotations

import io
import logging
import re
from pathlib import Path

from qa.errors import SourceError
from qa.fileio import bytes_sha256
from qa.records import Document

SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".pdf")
_SKIP_NAMES = {"metadata.json"}
_log = logging.getLogger(__name__)


def list_source_files(folder: Path) -> list[Path]:
    """Supported files below ``folder``, sorted; hidden files skipped, and
    symlinks that lead outside ``folder`` skipped with a warning (a link to
    /etc/passwd must not become searchable)."""
    files = []
    root = folder.resolve()
    for p in sorted(folder.rglob("*")):
        rel = p.relative_to(folder)
        if any(part.startswith(".") for part in rel.parts) or not p.is_file() or p.name in _SKIP_NAMES:
            continue
        if p.suffix.lower() not in SUPPORTED_SUFFIXES:
            continue
        target = p.resolve()
        if not target.is_relative_to(root):
            _log.warning("warning: skipped %s: a symlink to %s, outside the sources folder %s", p, target, folder)
            continue
        files.append(p)
    return files


def unsupported_files(folder: Path) -> list[Path]:
    """Files the indexer will not read (for warnings)."""
    return [
        p
        for p in sorted(folder.rglob("*"))
        if p.is_file()
        and p.suffix.lower() not in SUPPORTED_SUFFIXES
        and p.name not in _SKIP_NAMES
        and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    ]


def read_document(path: Path, source_id: str, *, max_bytes: int) -> Document:
    """The stored text of ``path`` as a Document."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise SourceError(
                f"{path} is {size / 1e6:.1f} MB, over the {max_bytes / 1e6:.0f} MB limit",
                "split the file, or raise the limit with QA_MAX_FILE_MB",
            )
        data = path.read_bytes()
    except PermissionError:
        raise SourceError(f"cannot read {path}: permission denied", f"fix its permissions (chmod a+r {path})") from None
    except OSError as exc:
        raise SourceError(f"cannot read {path}: {exc}", "check that the file exists and is readable") from None
    sha = bytes_sha256(data)
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        text, pages = _pdf_text(path, data)
        return Document(source_id, str(path), sha, text, False, pages)
    if suffix in (".html", ".htm"):
        text, warnings = _decode(path, data)
        return Document(source_id, str(path), sha, html_to_text(text), False, (), tuple(warnings))
    text, warnings = _decode(path, data)
    if not text.strip():
        warnings.append(f"{path} is empty")
    is_file = not warnings or warnings == [f"{path} is empty"]
    if is_file:
        # exactly what a reader of the file gets in text mode (universal newlines)
        text = path.read_text(encoding="utf-8")
    return Document(source_id, str(path), sha, text, is_file, (), tuple(warnings))


def _decode(path: Path, data: bytes) -> tuple[str, list[str]]:
    if b"\x00" in data[:8192] or _binary_share(data[:8192]) > 0.3:
        raise SourceError(
            f"{path} looks like a binary file, not text",
            "remove it from the sources folder, or convert it to .txt/.md/.pdf",
        )
    try:
        return data.decode("utf-8"), []
    except UnicodeDecodeError:
        pass
    encoding = None
    try:
        from charset_normalizer import from_bytes

        best = from_bytes(data).best()
        encoding = best.encoding if best else None
    except ImportError:  # pragma: no cover - it is a dependency
        pass
    for enc in [e for e in (encoding, "cp1252", "latin-1") if e]:
        try:
            text = data.decode(enc)
            break
        except (UnicodeDecodeError, LookupError):
            continue
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text, [f"{path} is not UTF-8; decoded as {enc} (citations point to the converted text in the index)"]


def _binary_share(sample: bytes) -> float:
    if not sample:
        return 0.0
    bad = sum(1 for b in sample if b < 9 or 13 < b < 32)
    return bad / len(sample)


def _pdf_text(path: Path, data: bytes) -> tuple[str, tuple[int, ...]]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            try:
                ok = bool(reader.decrypt(""))
            except Exception:  # pypdf raises various errors for unsupported crypto
                ok = False
            if not ok:
                raise SourceError(
                    f"{path} is an encrypted PDF",
                    "save an unencrypted copy (e.g. qpdf --decrypt in.pdf out.pdf) into the sources folder",
                )
        pages = [page.extract_text() or "" for page in reader.pages]
    except SourceError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise SourceError(
            f"{path} is not a readable PDF ({exc})", "re-export or repair the PDF, or remove it"
        ) from None
    starts: list[int] = []
    parts: list[str] = []
    pos = 0
    for text in pages:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        starts.append(pos)
        parts.append(text)
        pos += len(text) + 2
    joined = "\n\n".join(parts)
    if not joined.strip():
        raise SourceError(
            f"{path} has no text layer (a scanned PDF?)", "run OCR on it (e.g. ocrmypdf) and add the result"
        )
    return joined, tuple(starts)


_BLOCKS = (
    "p",
    "div",
    "section",
    "article",
    "li",
    "tr",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "br",
    "blockquote",
    "table",
    "ul",
    "ol",
    "dd",
    "dt",
    "pre",
    "header",
    "footer",
    "title",
)


def html_to_text(html: str) -> str:
    """Readable text of an HTML page: scripts, styles and navigation dropped,
    block elements separated by blank lines, <pre> kept line by line."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    for tag in soup(["script", "style", "nav", "noscript", "template", "svg", "form"]):
        tag.decompose()
    for tag in soup.find_all(_BLOCKS):
        if tag.name == "br":
            tag.replace_with("\n")
        else:
            tag.insert_before("\n\n")
            tag.insert_after("\n\n")
    text = soup.get_text()
    text = re.sub(r"[ \t\xa0]+\n", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip() + "\n"
