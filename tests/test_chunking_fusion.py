"""Chunking (with a word-count token counter) and fusion/de-duplication logic."""

from __future__ import annotations

from dataclasses import dataclass

from qa.chunking import chunk_document, chunk_sentences, make_chunk_id
from qa.fusion import dedupe, fuse, named_terms, source_prior, source_terms, zscore_fuse
from qa.records import Chunk, Document, SourceMeta


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
        assert TEXT[c.start : c.end] == c.text
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
    chunks = [
        c
        for c in chunk_document(
            doc, Identity(TEXT), words, heading, target_tokens=30, max_tokens=45, overlap_sentences=1
        )
        if c.section == "Introduction"
    ]
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


def test_zscore_fuse_is_scale_free_and_keeps_margins():
    # BM25 in the tens, cosines below one: each retriever counts by its z-score, not its units
    dense = {1: 0.80, 2: 0.40, 3: 0.30}
    lexical = {1: 0.0, 2: 30.0, 3: 10.0}
    fused = zscore_fuse([dense, lexical], [1.0, 1.0])
    assert set(fused) == {1, 2, 3}
    assert fused[2] > fused[1] > fused[3]
    scaled = zscore_fuse([dense, {r: 10 * v for r, v in lexical.items()}], [1.0, 1.0])
    assert all(abs(fused[r] - scaled[r]) < 1e-9 for r in fused)
    # the weight decides which retriever wins a disagreement
    assert max(zscore_fuse([dense, lexical], [1.0, 0.1]).items(), key=lambda kv: kv[1])[0] == 1


def test_zscore_fuse_keeps_candidates_of_a_flat_retriever():
    fused = zscore_fuse([{7: 0.5}, {7: 0.0}], [1.0, 1.0])
    assert fused == {7: 0.0}
    fused = zscore_fuse([{1: 1.0, 2: 1.0}, {1: 2.0, 2: 0.0}], [1.0, 1.0])
    assert fused[1] > fused[2]


def _meta(title: str, *authors: str, publisher: str | None = None) -> SourceMeta:
    return SourceMeta(title=title, authors=tuple(authors), publisher=publisher)


def test_source_prior_for_named_authors_and_publishers():
    terms = {
        "a": source_terms(_meta("Security Ahead", "Sigrid Arzt", publisher="Wilson Center for Public Policy")),
        "b": source_terms(_meta("Security in 2012", "Pamela K. Starr", publisher="Foreign Affairs")),
        "c": source_terms(_meta("Defense Relations", "Richard Downie", publisher="Baker Institute for Public Policy")),
    }
    assert source_prior(named_terms("What does Arzt say about the police?"), terms) == {"a": 1.0, "b": 0.0, "c": 0.0}
    both = source_prior(named_terms("Compare Arzt and Starr's accounts"), terms)
    assert both["a"] == both["b"] == 1.0 and both["c"] == 0.0
    assert source_prior(named_terms("the Foreign Affairs article"), terms)["b"] == 1.0
    # titles are not names; lower-case topical words and unknown names name no source
    assert source_prior(named_terms("security in 2012"), terms) == {}
    assert source_prior(named_terms("which public policy changed?"), terms) == {}
    assert source_prior(named_terms("What did Obama say?"), terms) == {}
    # a name word two of three sources share counts less than one only this source has
    shared = source_prior(named_terms("Downie at the Public Policy school"), terms)
    assert shared["c"] == 1.0 and 0.0 < shared["a"] < 1.0 and shared["b"] == 0.0


def test_named_terms_keeps_capitalised_words():
    assert named_terms("what did Payan and Montes de Oca recommend on policy?") == ["payan", "monte", "oca"]


def test_chunk_sentences_skip_fragments():
    text = "Overview. The army led the fight against the cartels. It was costly for everyone."
    c = Chunk("s#1", "s", 0, 0, len(text), text, text)
    assert chunk_sentences(c) == ["The army led the fight against the cartels.", "It was costly for everyone."]


def test_names_cited_as_a_source():
    from qa.fusion import cited_names

    assert cited_names("According to the RAND Corporation, how many troops?") == ["RAND Corporation"]
    assert cited_names("How many died, according to the Council on Foreign Relations?") == [
        "Council on Foreign Relations"
    ]
    assert cited_names("What does Brookings say about the border?") == ["Brookings"]
    assert cited_names("What did the 2020 CSIS report conclude?") == ["CSIS"]
    assert cited_names("What do the sources say about fentanyl?") == []


def test_a_sentence_over_a_page_break_is_not_cut_between_chunks():
    # sources/002: "…both for equipment and" / page number and footnote / "training of Mexican…"
    fill = " ".join(f"Sentence {i} says something plain." for i in range(5))
    text = (
        f"{fill} Continuing on the present course would entail cooperation, both for equipment and\n\n"
        "Rubén Aguilar V. and Jorge Castañeda, El Narco (Mexico City: Punto de Lectura, 2009). "
        "training of Mexican law enforcement personnel, as well as for intelligence support. "
        "The lofty, ultimate goal could be a bi-national command."
    )
    chunks = chunk_document(make_doc(text), Identity(text), words, heading, target_tokens=25, max_tokens=120)
    holding = [c for c in chunks if "both for equipment and" in c.text]
    assert holding and all("training of Mexican" in c.text for c in holding)


def test_evidence_leaves_out_a_sentence_the_chunk_cuts():
    from qa.evidence import sentences_of
    from qa.records import Hit, SourceInfo

    whole = "The initiative was agreed upon in the city of Mérida in October 2007."
    text = f"the TCOs placed both militaries in a position to cooperate. {whole} Continuing on the present course would entail more and more cooperation, both for"
    src = SourceInfo("doc", "doc.txt", "doc.txt", "0" * 64, SourceMeta(title="Doc"), 1)
    hit = Hit(1, 1.0, Chunk("doc#0", "doc", 0, 0, len(text), text, text), src, 1, 1)
    assert [e.text for e in sentences_of([hit])] == [whole]
