"""Chunking (with a word-count token counter) and fusion/de-duplication logic."""
from __future__ import annotations

from dataclasses import dataclass

from qa.chunking import chunk_document, make_chunk_id
from qa.records import Chunk, Document
from qa.retrieve import dedupe, fuse


@dataclass
class Identity:
    """Offset map of a text that needed no cleaning."""

    text: str

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        return start, end


def words(text: str) -> int:
    return len(text.split())


def heading(p: str) -> bool:
    return len(p) < 40 and not p.endswith(".")


def make_doc(text: str) -> Document:
    return Document("doc", "doc.txt", "0" * 64, text, True)


TEXT = (
    "Introduction\n\n"
    + " ".join(f"Sentence number {i} of the intro talks about topic {i}." for i in range(12))
    + "\n\nSecond Part\n\n"
    + " ".join(f"Claim {i} in part two is here." for i in range(6))
)


def test_chunks_are_exact_slices_and_fit():
    doc = make_doc(TEXT)
    chunks = chunk_document(doc, Identity(TEXT), words, heading, target_tokens=30, max_tokens=45, overlap_sentences=1)
    assert len(chunks) >= 3
    for c in chunks:
        assert TEXT[c.start:c.end] == c.text
        assert words(c.clean_text) <= 45
    assert [c.ordinal for c in chunks] == list(range(len(chunks)))


def test_headings_start_chunks_and_name_sections():
    doc = make_doc(TEXT)
    chunks = chunk_document(doc, Identity(TEXT), words, heading, target_tokens=30, max_tokens=45, overlap_sentences=1)
    second = [c for c in chunks if c.section == "Second Part"]
    assert second and second[0].text.startswith("Second Part")
    assert all("Second Part" not in c.text for c in chunks if c.section == "Introduction")


def test_overlap_of_one_sentence_within_a_section():
    doc = make_doc(TEXT)
    chunks = [c for c in chunk_document(doc, Identity(TEXT), words, heading, target_tokens=30, max_tokens=45,
                                        overlap_sentences=1) if c.section == "Introduction"]
    assert len(chunks) >= 2
    assert chunks[1].start < chunks[0].end  # they share a sentence


def test_overlong_sentence_is_cut():
    text = "word " * 300 + "end."
    chunks = chunk_document(make_doc(text), Identity(text), words, heading, target_tokens=40, max_tokens=60)
    assert len(chunks) >= 5 and all(words(c.text) <= 60 for c in chunks)


def test_chunk_ids_stable_and_content_addressed():
    a = chunk_document(make_doc(TEXT), Identity(TEXT), words, heading, target_tokens=30, max_tokens=45)
    b = chunk_document(make_doc(TEXT), Identity(TEXT), words, heading, target_tokens=30, max_tokens=45)
    assert [c.chunk_id for c in a] == [c.chunk_id for c in b]
    assert make_chunk_id("doc", "x", 0) != make_chunk_id("doc", "y", 0)


def test_empty_text_gives_no_chunks():
    assert chunk_document(make_doc(""), Identity(""), words, heading) == []


def test_fuse_reciprocal_rank():
    fused = fuse([[1, 2, 3], [3, 1]], [1.0, 1.0], k=60)
    rows = [r for r, _ in fused]
    assert rows[0] == 1 and set(rows) == {1, 2, 3}
    assert abs(dict(fused)[3] - (1 / 63 + 1 / 61)) < 1e-12


def test_fuse_weights():
    fused = fuse([[1], [2]], [1.0, 2.0], k=60)
    assert fused[0][0] == 2


def _chunk(start: int, end: int, source: str = "s") -> Chunk:
    return Chunk(f"{source}#{start}", source, 0, start, end, "x" * (end - start), "x")


def test_dedupe_drops_overlapping_lower_ranked():
    chunks = [_chunk(0, 100), _chunk(60, 160), _chunk(10, 90), _chunk(0, 100, "other")]
    assert dedupe(chunks) == [0, 1, 3]
