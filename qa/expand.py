"""Index-time expansion: the answer model reads each chunk once and writes
the questions its sentences answer (in a reader's words, not the text's) and
one line placing the chunk in its document (docTTTTTquery / Doc2Query--,
"contextual retrieval"). ``qa.expand_index`` filters them and puts them in the
index; here: the prompt, the parse, and the cache file.

The cache (``sources/expansions.jsonl`` by default, committable) holds one
JSON line per chunk, keyed by the sha256 of the exact prompt the model read
(the chunk's sentences, section and its document's title line), with the
model's sha256 and the prompt version that wrote it. Lines from another model
or prompt version are ignored (and counted), never mixed in. Each new entry is
appended and flushed at once, so an interrupted run keeps what it wrote.

Expansions are written by the model from the chunk alone; they are never
shown as evidence and never cited.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qa.chunking import chunk_sentences
from qa.errors import QAError
from qa.records import Chunk, SourceMeta

PROMPT_VERSION = "expand-2"
MAX_SENTENCES = 10  # one question per sentence, at most this many per chunk
# Strings are capped in the grammar, so a reply that repeats itself still ends as valid JSON
# (longer than any reply seen on the shipped corpus: questions 258, context 354 characters).
MAX_QUESTION_CHARS = 300
MAX_CONTEXT_CHARS = 400
CACHE_NAME = "expansions.jsonl"

SYSTEM = (
    "You help build a search index. Read one passage of a document, given as numbered sentences. First write one "
    "short line of context (at most 25 words): the document and what this passage covers. Then, for each numbered "
    "sentence in order, write one question that the sentence answers, as a reader who has not seen the text would ask "
    "it: plain words, synonyms and paraphrases instead of the sentence's wording, roles and full names instead of "
    "acronyms. Each question must name who or what it is about and make sense on its own; never write 'the passage', "
    "'the document', 'the sentence' or 'the author'."
)
# A worked example on a topic outside any corpus (invented; never a benchmark question).
_EXAMPLE_USER = (
    "Document: The Colorado River Compact at 100 (Jane Smith, 2022)\nSection: Shortages\n\nSentences:\n"
    "1. In August 2021 the Bureau of Reclamation declared the first-ever shortage on the Colorado River, cutting "
    "Arizona's 2022 allocation by 512,000 acre-feet, about 18 percent of its share.\n"
    "2. Farmers in Pinal County, who depend on the Central Arizona Project, bore most of the cut.\n"
    "3. Tribal nations were spared after a separate deal with the state."
)
_EXAMPLE_ANSWER = {
    "context": "Jane Smith's 2022 review of the Colorado River Compact: the 2021 shortage declaration and who bore its cuts.",
    "questions": [
        "How much did Arizona's water supply shrink when the federal government first declared a Colorado River "
        "shortage?",
        "Who bore the brunt of the cuts to Arizona's river water?",
        "Why were Native American tribes not affected by the water cuts?",
    ],
}


@dataclass(frozen=True)
class Expansion:
    """What the model wrote for one chunk (before filtering)."""

    key: str  # sha256 of the prompt the model read
    context: str
    questions: tuple[str, ...]
    model: str  # sha256 of the model file (or the backend's model name)
    prompt: str  # PROMPT_VERSION
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "context": self.context,
            "questions": list(self.questions),
            "model": self.model,
            "prompt": self.prompt,
            "seconds": round(self.seconds, 2),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Expansion:
        questions = d["questions"]
        if not isinstance(d["key"], str) or not isinstance(questions, list):
            raise ValueError("key must be a string and questions a list")
        return cls(
            key=d["key"],
            context=str(d.get("context") or ""),
            questions=tuple(str(q) for q in questions),
            model=str(d["model"]),
            prompt=str(d["prompt"]),
            seconds=float(d.get("seconds") or 0.0),
        )


def document_line(meta: SourceMeta | None) -> str:
    """The document as the prompt names it: title (authors, date)."""
    if meta is None:
        return "(untitled)"
    extra = ", ".join(p for p in (", ".join(meta.authors), meta.date or "") if p)
    return f"{meta.title or '(untitled)'}" + (f" ({extra})" if extra else "")


def expansion_prompt(chunk: Chunk, meta: SourceMeta | None) -> tuple[str, int]:
    """The user message for ``chunk`` and how many questions it asks for (one per sentence)."""
    sentences = chunk_sentences(chunk)[:MAX_SENTENCES] or [" ".join(chunk.clean_text.split())]
    body = "\n".join(f"{i}. {' '.join(s.split())}" for i, s in enumerate(sentences, 1))
    user = f"Document: {document_line(meta)}\nSection: {chunk.section or '-'}\n\nSentences:\n{body}"
    return user, len(sentences)


def expansion_key(user: str) -> str:
    return hashlib.sha256(f"{PROMPT_VERSION}\0{user}".encode()).hexdigest()


def expansion_messages(user: str) -> list[dict[str, str]]:
    return [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": _EXAMPLE_USER},
        {"role": "assistant", "content": json.dumps(_EXAMPLE_ANSWER, separators=(",", ":"))},
        {"role": "user", "content": user},
    ]


def expansion_schema(n_questions: int) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {
            "context": {"type": "string", "maxLength": MAX_CONTEXT_CHARS},
            "questions": {
                "type": "array",
                "items": {"type": "string", "maxLength": MAX_QUESTION_CHARS},
                "minItems": n_questions,
                "maxItems": n_questions,
            },
        },
        "required": ["context", "questions"],
    }


def max_tokens(n_questions: int) -> int:
    """Room for the longest reply the schema allows, even at 2 characters per token (a
    repeating reply can be made of short tokens); within the 4,096-token context."""
    return (MAX_CONTEXT_CHARS + n_questions * (MAX_QUESTION_CHARS + 4)) // 2 + 16


def parse_reply(raw: str) -> tuple[str, tuple[str, ...]]:
    """(context, questions) from the model's JSON; ValueError when it is not usable."""
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ValueError(f"broken JSON ({exc.msg})") from exc
    if not isinstance(data, dict) or not isinstance(data.get("questions"), list):
        raise ValueError("no list of questions")
    seen: set[str] = set()
    questions = []
    for q in data["questions"]:
        q = " ".join(str(q).split())
        if len(q.split()) >= 3 and q.lower() not in seen:
            seen.add(q.lower())
            questions.append(q)
    context = " ".join(str(data.get("context") or "").split())
    if not questions and not context:
        raise ValueError("empty reply")
    return context, tuple(questions)


# ---------------------------------------------------------------- the cache file


@dataclass
class CacheLoad:
    """What reading the cache found besides the usable entries."""

    other_version: int = 0  # lines from another model or prompt version (ignored)
    broken: int = 0  # lines that are not a valid entry (ignored)


class ExpansionCache:
    """The expansions file: entries of one model and prompt version, appended as written."""

    def __init__(self, path: Path, model: str) -> None:
        self.path = Path(path)
        self.model = model
        self.entries: dict[str, Expansion] = {}
        self.load = CacheLoad()
        if self.path.is_file():
            self._read()

    def _read(self) -> None:
        try:
            lines = self.path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise QAError(
                f"cannot read the expansions file {self.path} ({exc})",
                "move it away (expansions are then written again), or run: qa index --no-expand",
            ) from exc
        for line in lines:
            if not line.strip():
                continue
            try:
                e = Expansion.from_dict(json.loads(line))
            except (ValueError, KeyError, TypeError):
                self.load.broken += 1
                continue
            if e.model != self.model or e.prompt != PROMPT_VERSION:
                self.load.other_version += 1
                continue
            self.entries[e.key] = e

    def get(self, key: str) -> Expansion | None:
        return self.entries.get(key)

    def add(self, e: Expansion) -> None:
        """Append ``e`` to the file now (flushed and synced): Ctrl-C later keeps it."""
        self.entries[e.key] = e
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(json.dumps(e.to_dict(), ensure_ascii=False) + "\n")
            f.flush()
            os.fsync(f.fileno())

    def messages(self) -> list[str]:
        out = []
        if self.load.other_version:
            out.append(
                f"{self.load.other_version} expansion(s) in {self.path} come from another model or prompt version "
                f"(this run: {self.model[:12]}…, {PROMPT_VERSION}); ignored"
            )
        if self.load.broken:
            out.append(f"{self.load.broken} line(s) of {self.path} are not valid expansions; ignored")
        return out


# ---------------------------------------------------------------- generating


@dataclass
class ExpandReport:
    """What one expansion pass did."""

    cached: int = 0
    generated: int = 0
    failed: list[str] = field(default_factory=list)  # "chunk id: reason"
    seconds: float = 0.0

    def summary(self) -> str:
        rate = f", {self.seconds / self.generated:.1f}s per chunk" if self.generated else ""
        line = f"expansions: {self.cached} cached, {self.generated} written{rate}, {len(self.failed)} failed"
        return "\n".join([line, *(f"  no expansion for {f}" for f in self.failed)])


Tick = Callable[[int, int, float], None]  # (done, to do, seconds so far)


def expand_chunks(
    chunks: Sequence[Chunk],
    metas: Mapping[str, SourceMeta | None],
    generator: Any,  # qa.backends.Generator
    cache: ExpansionCache,
    tick: Tick | None = None,
) -> ExpandReport:
    """Write the expansions the cache lacks, one chunk at a time (each saved
    as soon as it is written). A chunk whose generation fails gets none (named
    in the report); Ctrl-C stops here and keeps what was written."""
    from qa.errors import BackendError

    report = ExpandReport()
    todo = []
    for c in chunks:
        user, n = expansion_prompt(c, metas.get(c.source_id))
        key = expansion_key(user)
        if cache.get(key) is not None:
            report.cached += 1
        else:
            todo.append((c, user, n, key))
    t0 = time.perf_counter()
    for i, (c, user, n, key) in enumerate(todo):
        t = time.perf_counter()
        try:
            raw = generator.generate(
                expansion_messages(user), max_tokens=max_tokens(n), json_schema=expansion_schema(n)
            )
            context, questions = parse_reply(raw)
        except (BackendError, ValueError) as exc:
            report.failed.append(f"{c.chunk_id}: {getattr(exc, 'message', None) or exc}")
        else:
            cache.add(Expansion(key, context, questions, cache.model, PROMPT_VERSION, time.perf_counter() - t))
            report.generated += 1
        report.seconds = time.perf_counter() - t0
        if tick:
            tick(i + 1, len(todo), report.seconds)
    return report
