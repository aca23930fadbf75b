"""Sentence/unit boundaries on the hand-labelled samples (issue 26): precision, recall and F1 per
document kind, and speed, for the project's segmenters and maintained libraries.

    .venv/bin/python eval/bench_segmentation.py [--sample tests/data/segmentation/heldout.json]
        [--speed-file ../shared/foreign/federalist_papers.txt] [--speed-chars 100000]

Segmenters (the libraries are optional: `pip install pysbd nupunkt sentencex`; a missing one is skipped):
- ``sentences`` (before): qa.sentences.sentence_spans, the old rule set, on the stored text;
- ``evidence`` (before): the old evidence candidates (sentence_spans + footnote/page-number cuts);
- ``pysbd``, ``nupunkt``, ``sentencex``: the library on the stored text, line breaks as spaces;
- ``units``: qa.units (layout and line classes, then its own prose splitter);
- ``units+pysbd`` / ``units+nupunkt``: qa.units' layout and line classes, the library splitting the prose.

A boundary is the start of a unit after the first (white space skipped); gold units are those of the
sample. Speed: characters per second over the first ``--speed-chars`` of ``--speed-file``.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from pathlib import Path

from qa.sentences import sentence_spans
from qa.units import Splitter, units

ROOT = Path(__file__).resolve().parent.parent
Spans = Callable[[str], list[tuple[int, int]]]


def _old_evidence(text: str) -> list[tuple[int, int]]:
    """The evidence candidates before issue 26 (qa/evidence.py at 3d99b34), kept here to compare."""
    import re

    footnoted_end = re.compile(r"[.?!][”\"’)]?\d{1,3}(?=\s+[A-Z“\"])")
    page_line = re.compile(r"[ \t]*\d{1,4}[ \t]*\n\s*")
    out: list[tuple[int, int]] = []
    for s, e in sentence_spans(text):
        lead = page_line.match(text, s, e)
        cut = lead.end() if lead and lead.end() < e else s
        for m in footnoted_end.finditer(text, s, e):
            out.append((cut, m.end()))
            cut = m.end()
            while cut < e and text[cut].isspace():
                cut += 1
        if cut < e:
            out.append((cut, e))
    return out


def _library_splitters() -> dict[str, Splitter]:
    """Library splitters for a slice ``text[start:end]``: (start, end) spans in ``text``."""
    found: dict[str, Splitter] = {}
    try:
        import pysbd

        seg = pysbd.Segmenter(language="en", clean=False, char_span=True)
        found["pysbd"] = lambda t, s, e: [(s + x.start, s + x.end) for x in seg.segment(t[s:e].replace("\n", " "))]
    except ImportError:
        pass
    try:
        import nupunkt

        found["nupunkt"] = lambda t, s, e: [(s + a, s + b) for a, b in nupunkt.sent_spans(t[s:e].replace("\n", " "))]
    except ImportError:
        pass
    try:
        import sentencex

        def sx(t: str, s: int, e: int) -> list[tuple[int, int]]:
            flat = t[s:e].replace("\n", " ")
            return [(s + b["start_index"], s + b["end_index"]) for b in sentencex.get_sentence_boundaries("en", flat)]

        found["sentencex"] = sx
    except ImportError:
        pass
    return found


def segmenters() -> dict[str, Spans]:
    libs = _library_splitters()
    out: dict[str, Spans] = {"sentences": sentence_spans, "evidence": _old_evidence}
    for name, split in libs.items():
        out[name] = lambda t, split=split: split(t, 0, len(t))
    out["units"] = lambda t: [(u.start, u.end) for u in units(t)]
    for name in ("pysbd", "nupunkt"):
        if name in libs:
            out[f"units+{name}"] = lambda t, split=libs[name]: [(u.start, u.end) for u in units(t, split)]
    return out


def starts(text: str, spans: list[tuple[int, int]]) -> set[int]:
    """Unit starts after the first, white space skipped."""
    out = set()
    for s, _ in spans:
        while s < len(text) and text[s].isspace():
            s += 1
        out.add(s)
    first = min(out) if out else 0
    return {s for s in out if s > first and s < len(text)}


def score(sample: list[dict], spans: Spans) -> dict[str, tuple[float, float, float, int]]:
    counts: dict[str, list[int]] = {}
    for x in sample:
        gold = {u["start"] for u in x["units"][1:]}
        pred = starts(x["text"], spans(x["text"]))
        c = counts.setdefault(x["kind"], [0, 0, 0])
        c[0] += len(gold & pred)
        c[1] += len(pred - gold)
        c[2] += len(gold - pred)
    out = {}
    for kind, (tp, fp, fn) in sorted(counts.items()):
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        out[kind] = (p, r, 2 * p * r / (p + r) if p + r else 0.0, tp + fn)
    return out


def speed(text: str, spans: Spans) -> float:
    t0 = time.perf_counter()
    spans(text)
    return len(text) / max(time.perf_counter() - t0, 1e-9)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sample", action="append", help="labelled sample(s); default: sample.json and heldout.json")
    ap.add_argument("--speed-file", default=str(ROOT.parent / "shared/foreign/federalist_papers.txt"))
    ap.add_argument("--speed-chars", type=int, default=100_000)
    args = ap.parse_args()
    paths = args.sample or [
        str(ROOT / "tests/data/segmentation/sample.json"),
        str(ROOT / "tests/data/segmentation/heldout.json"),
    ]
    segs = segmenters()
    speed_text = (
        Path(args.speed_file).read_text(encoding="utf-8")[: args.speed_chars] if Path(args.speed_file).exists() else ""
    )
    for path in paths:
        sample = json.loads(Path(path).read_text(encoding="utf-8"))["excerpts"]
        kinds = sorted({x["kind"] for x in sample})
        n = {k: sum(len(x["units"]) - 1 for x in sample if x["kind"] == k) for k in kinds}
        print(
            f"\n{Path(path).name}: boundary F1 (P/R) per kind; boundaries: " + ", ".join(f"{k} {n[k]}" for k in kinds)
        )
        print(f"{'segmenter':14s} " + " ".join(f"{k:>17s}" for k in kinds) + f" {'all F1':>7s}")
        for name, spans in segs.items():
            res = score(sample, spans)
            allres = score([{**x, "kind": "all"} for x in sample], spans)["all"]
            cells = " ".join(f"{res[k][2]:.3f} ({res[k][0]:.2f}/{res[k][1]:.2f})" for k in kinds)
            print(f"{name:14s} {cells} {allres[2]:7.3f}")
    if speed_text:
        print(f"\nspeed on the first {len(speed_text):,} characters of {Path(args.speed_file).name}:")
        for name, spans in segs.items():
            print(f"{name:14s} {speed(speed_text, spans):>12,.0f} chars/s")


if __name__ == "__main__":
    main()
