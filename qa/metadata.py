"""The metadata sidecar ``<sources>/metadata.json``: bibliographic data kept
beside the texts, never inside them. Keys are file names relative to the
sources folder. Standard library only.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from qa.errors import SourceError
from qa.records import SourceMeta

SIDECAR = "metadata.json"


def load_sidecar(sources_dir: Path) -> dict[str, SourceMeta]:
    """File name -> metadata; an absent sidecar is an empty mapping."""
    path = sources_dir / SIDECAR
    if not path.exists():
        return {}
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SourceError(
            f"cannot read the metadata sidecar {path}: {exc}",
            f"fix the JSON in {path} (or remove it to index without metadata)",
        ) from exc
    if not isinstance(raw, dict):
        raise SourceError(f"{path} must hold a JSON object keyed by file name", f"fix {path}")
    return {str(k): SourceMeta.from_dict(v) for k, v in raw.items() if isinstance(v, dict)}


def fallback_meta(name: str, text: str) -> SourceMeta:
    """Metadata for a file the sidecar doesn't describe, from the text's own header: its ``Title:``,
    ``Author:`` and ``Date:`` / ``Publication Date:`` fields in the first ``HEADER_LINES`` lines (a
    Project Gutenberg book, a report's masthead; an ebook's release date is not the work's), else its
    first short line as the title, joined with the next when it breaks after "of", "the", "and"… or after
    "by" (whose names are then the authors: "The Project Gutenberg EBook of The Federalist Papers, by /
    Alexander Hamilton and …")."""
    lines = text[:HEADER_CHARS].splitlines()[:HEADER_LINES]
    fields = _header_fields(lines)
    title, authors = fields.get("title", ""), _names(fields.get("author", ""))
    if not title:
        for i, line in enumerate(lines[:5]):
            line = line.strip().lstrip("#").strip()
            if len(line) > 150:  # the text opens with prose ("We the People of …"): it has no title line
                break
            if len(line) >= 3:
                title = line
                nxt = lines[i + 1].strip() if i + 1 < len(lines) else ""
                if re.search(r"\b(?:of|the|and|for|in|on|to|a|an|with|from|at)$", title, re.I) and nxt:
                    title = f"{title} {nxt}"  # "Electing the Speaker of the House of / Representatives: …"
                elif re.search(r"(?:,|\bby)$", title) and nxt:
                    by = re.split(r",?\s*\bby$", title)
                    title = by[0].strip(" ,") if len(by) > 1 else f"{title} {nxt}"
                    authors = authors or (_names(nxt) if len(by) > 1 else ())
                break
    when = re.search(r"\b(1[5-9]\d\d|20\d\d)\b", fields.get("date", ""))
    return SourceMeta(
        title=title or Path(name).stem.replace("_", " "),
        authors=authors,
        publisher=_masthead_publisher(lines),
        date=when.group(1) if when else _masthead_year(lines),
    )


MASTHEAD_LINES = 8  # a report's masthead (its date, its publisher) is read from this many first non-empty lines
_MONTH = r"(?:January|February|March|April|May|June|July|August|September|October|November|December)"
# a line that is a date ("Updated April 21, 2026", "July 2005") or a title dated in brackets
# ("Congressional Record, Volume 151 Issue 99 (Wednesday, July 20, 2005)"); not "Posting Date: …"
_DATE_LINE = re.compile(
    rf"^(?:(?:updated|published|revised|issued|dated|as of)\s+)?(?:\w+day,?\s+)?{_MONTH}\s+(?:\d{{1,2}},?\s+)?(1[5-9]\d\d|20\d\d)\W*$"
    rf"|\((?:\w+day,\s+)?{_MONTH}\s+\d{{1,2}},\s+(1[5-9]\d\d|20\d\d)\)",
    re.I,
)
_PUBLISHER_LINE = re.compile(
    r"^(?:the\s+)?(?:[A-Z][\w.&'’-]*\s+){1,5}(?:Service|Institute|Office|Council|Center|Centre|Foundation|"
    r"Commission|Agency|Department|University|Press|Bank|Fund|Organi[sz]ation)$"
)


def _masthead(lines: list[str]) -> list[str]:
    return [line.strip() for line in lines if line.strip()][:MASTHEAD_LINES]


def _masthead_year(lines: list[str]) -> str | None:
    """The year of the masthead's date line: "Updated April 21, 2026" -> "2026"."""
    for line in _masthead(lines):
        m = _DATE_LINE.search(line)
        if m:
            return m.group(1) or m.group(2)
    return None


def _masthead_publisher(lines: list[str]) -> str | None:
    """A masthead line naming an organisation only: "Congressional Research Service"."""
    return next((line for line in _masthead(lines) if _PUBLISHER_LINE.match(line)), None)


HEADER_LINES = 60  # a header's fields are read from this many first lines
HEADER_CHARS = 16_000  # … within this many first characters (all a re-index reads of an unchanged file)
_FIELD = re.compile(
    r"^\W*(?P<key>title|authors?(?:\(s\))?|(?:publication |publish(?:ed)? )?date|published)\W*:\W*\s*(?P<value>.*?)\W*$",
    re.I,
)


def _header_fields(lines: list[str]) -> dict[str, str]:
    """``Title:``, ``Author:`` (with its indented continuation lines) and date fields of a header."""
    out: dict[str, str] = {}
    key = ""
    for line in lines:
        m = _FIELD.match(line)
        if m and m.group("value"):
            key = m.group("key").lower()
            key = "author" if key.startswith("author") else "title" if key == "title" else "date"
            out.setdefault(key, m.group("value").strip())
            continue
        if key == "author" and line[:1] in (" ", "\t") and line.strip():  # "Author: A\n        B"
            out["author"] += "; " + line.strip()
            continue
        key = ""
    return out


def _names(value: str) -> tuple[str, ...]:
    """ "Alexander Hamilton and John Jay and James Madison" -> the three names; "Heitshusen, Valerie" ->
    "Valerie Heitshusen" (a piece of one surname, a comma and given names)."""
    out = []
    for piece in re.split(r";|\band\b|&", value):
        flipped = re.fullmatch(r"\s*([A-Z][\w'’-]+),\s*([A-Z][\w.'’ -]+?)\s*", piece)
        names = [f"{flipped.group(2)} {flipped.group(1)}"] if flipped else piece.split(",")
        out += [n.strip(" .") for n in names if n.strip(" .")]
    return tuple(n for n in out if 1 <= len(n.split()) <= 5 and n[:1].isupper())
