"""Broad questions (qa/kinds.py, qa/broad.py, qa/wholedoc.py): the kind rule measured on
labelled questions; summaries from the whole document, comparisons one block
per source, parts one block each; on small real documents indexed with the
deterministic fake embedder."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from qa import broad, docread, enumeration, evidence, kinds, listitems, sources_choice, wholedoc
from qa.answer import QA
from qa.compose import asked_share
from qa.config import Settings
from qa.indexer import build_index
from qa.records import Answer, Chunk, Evidence, Hit, SourceInfo, SourceMeta
from qa.retrieve import Retriever
from qa.store import load_index
from qa.verify import LexicalJudge
from tests.test_answer_logic import ScriptedGenerator

DATA = Path(__file__).parent / "data"
ROOT = Path(__file__).resolve().parent.parent
DOWNIE_RECS = (
    "Demonstrate success during a rapidly closing",
    "Facilitate programs and actions that offer continuity",
    "Extend and institutionalize existing US/Mexican defense linkages",
    "Coordinate a comprehensive US strategy",
    "Identify realistically attainable objectives",
)


def _labelled(name: str) -> list[dict]:
    return [json.loads(line) for line in (DATA / name).read_text(encoding="utf-8").splitlines() if line.strip()]


# ---------------------------------------------------------------- the kind rule


@pytest.mark.parametrize("name, floor", [("question_kinds.jsonl", 0.95), ("question_kinds_heldout.jsonl", 0.9)])
def test_kind_rule_accuracy_on_labelled_questions(name, floor):
    rows = _labelled(name)
    assert len(rows) >= 25 and {r["kind"] for r in rows} == set(kinds.KINDS)
    wrong = [(r["q"], r["kind"], kinds.kind_of(r["q"])) for r in rows if kinds.kind_of(r["q"]) != r["kind"]]
    assert 1 - len(wrong) / len(rows) >= floor, wrong


@pytest.mark.parametrize(
    "question, named, kind",
    [
        ("What does Downie recommend?", 0, kinds.SUMMARY),
        ("What does McCain's Indian Trust Reform Act of 2005 do, title by title?", 0, kinds.SUMMARY),
        ("What do Starr and Arzt say about Mérida?", 2, kinds.COMPARE),  # two named sources, one block each
        ("Who signed it, and when?", 0, kinds.PARTS),
        ("When was it signed?", 0, kinds.FACT),
        ("What kinds of aircraft were delivered?", 0, kinds.LIST),
        # a cue verb said of the asked name or number is no summary: one phrase answers it
        ('Who proposed a "North American Security Treaty"?', 0, kinds.FACT),
        ("Which think tank published a proposal to expand NORAD?", 0, kinds.FACT),  # one thing, its verb after it
        ("Which recommendations does Downie make?", 0, kinds.SUMMARY),
        ("How many options does Downie propose?", 0, kinds.FACT),
        ("And who recommended it?", 0, kinds.FACT),
        # a cue noun that is what someone replied to: what they did is asked, not what a source proposes
        (
            "How did the Canadian government respond to the proposal for a North American Security Treaty?",
            0,
            kinds.FACT,
        ),
        ("What is Starr's proposal?", 0, kinds.SUMMARY),
        ("What share of drug-war deaths come from shootouts between government forces and the cartels?", 0, kinds.FACT),
        ("Which former Mexican officials argued that the drug war is a U.S. problem?", 0, kinds.FACT),
        # "In which states…" asks where; "more … than" after a wh-word asks for the things compared, not sources
        ("In which states does Arzt fear PRI governors could obstruct the fight?", 0, kinds.FACT),
        ("Who does Downie consider more cooperative than the army?", 0, kinds.FACT),
        # several things a source names: a list, read from the document
        ("Which earlier periods of U.S.-Mexico military cooperation does Downie describe?", 0, kinds.LIST),
        ("Which agency does Downie describe as the lead?", 0, kinds.FACT),
        ("Is Starr more optimistic than Payan about cooperation?", 0, kinds.COMPARE),
        ("How many people have been killed? Give the figures each source reports.", 0, kinds.COMPARE),
    ],
)
def test_kind_examples(question, named, kind):
    assert kinds.kind_of(question, named) == kind


# ---------------------------------------------------------------- small real documents


def _write_sources(folder: Path) -> None:
    """Downie's preface and executive summary (a biography, an intro line, then five bulleted
    recommendations), Starr's and Arzt's articles whole, with their sidecar metadata."""
    folder.mkdir(parents=True, exist_ok=True)
    downie = (ROOT / "sources" / "002_e096c096f4fc120f.txt").read_text(encoding="utf-8").split("\n")[:70]
    (folder / "downie.txt").write_text("\n".join(downie) + "\n", encoding="utf-8")
    for name, src in (("starr.txt", "000_935ac076c558d15c.txt"), ("arzt.txt", "003_03240e58ad883d7f.txt")):
        (folder / name).write_text((ROOT / "sources" / src).read_text(encoding="utf-8"), encoding="utf-8")
    meta = json.loads((ROOT / "sources" / "metadata.json").read_text(encoding="utf-8"))
    sidecar = {
        "downie.txt": meta["002_e096c096f4fc120f.txt"],
        "starr.txt": meta["000_935ac076c558d15c.txt"],
        "arzt.txt": meta["003_03240e58ad883d7f.txt"],
    }
    (folder / "metadata.json").write_text(json.dumps(sidecar), encoding="utf-8")


@pytest.fixture
def library(tmp_path, settings_for, fake_embedder):
    _write_sources(tmp_path / "sources")
    settings = settings_for(judge="lexical")
    build_index(settings, embedder=fake_embedder)
    return settings, Retriever(load_index(settings), fake_embedder, settings)


def _sid(retriever: Retriever, author: str) -> str:
    return next(s for s, i in retriever.index.sources.items() if i.meta.authors and author in i.meta.authors[0])


def _verbatim(evidence, retriever: Retriever) -> None:
    for e in evidence:
        stored = (
            Path(e.hit.source.source_file)
            if Path(e.hit.source.source_file).is_absolute()
            else ROOT / e.hit.source.source_file
        )
        text = stored.read_text(encoding="utf-8")
        start = e.hit.chunk.start + e.start
        assert text[start : start + len(e.quote)] == e.quote


def test_summary_quotes_the_bulleted_recommendations_in_document_order(library):
    settings, retriever = library
    q = "What does Downie recommend?"
    view = docread.document_view(retriever.index, _sid(retriever, "Downie"))
    found = wholedoc.document_evidence(q, view, retriever.embedder.embed_query(q), kinds.SUMMARY)
    texts = [e.text for e in found]
    recs = [i for i, t in enumerate(texts) for r in DOWNIE_RECS if t.startswith(r)]
    assert 3 <= len(found) <= wholedoc.MAX_SENTENCES
    assert len(recs) >= 3, texts
    assert [e.key[1] for e in found] == sorted(e.key[1] for e in found)  # the document's order
    assert not any("following recommendations" in t or "acknowledged expert" in t for t in texts), texts
    assert all(not e.quote.lstrip().startswith("•") for e in found)  # bullets left out of the quote
    _verbatim(found, retriever)


def test_a_counted_list_quotes_the_documents_lettered_items(library):
    settings, retriever = library
    q = "What four strategic options does Downie say Mexico's next president could choose from to deal with the cartels?"
    assert kinds.kind_of(q) == kinds.LIST
    view = docread.document_view(retriever.index, _sid(retriever, "Downie"))
    found = wholedoc.document_evidence(q, view, retriever.embedder.embed_query(q), kinds.LIST)
    texts = [e.text for e in found]
    options = [t[:2] for t in texts if t[:3] in ("A. ", "B. ", "C. ", "D. ")]
    assert options == ["A.", "B.", "C.", "D."], texts
    _verbatim(found, retriever)


def test_comparison_gives_each_source_a_block(library):
    settings, retriever = library
    q = "How do Starr and Arzt each describe the Mérida Initiative?"
    named = retriever.named_sources(q)
    hits = retriever.search(q)
    found = broad.gather(kinds.COMPARE, q, retriever, hits, named, lambda: retriever.embedder.embed_query(q), None)
    assert found is not None and len(found.blocks) == 2
    for block, author in zip(found.blocks, ("Starr", "Arzt")):
        assert block.label.startswith(author) and block.evidence
        assert {e.hit.source.source_id for e in block.evidence} == {_sid(retriever, author)}
        assert len(block.evidence) == broad.SHOWN_PER_SOURCE  # the side's answer, shown…
        assert len(block.evidence) + len(block.beside) <= broad.PER_SOURCE  # …the rest weighed beside it
        found_all = (*block.evidence, *block.beside)
        assert any("rida" in e.text for e in found_all)
        shares = [asked_share(q, e) for e in found_all]
        assert shares[0] == max(shares)  # each side's answer to the question first
    _verbatim(found.evidence, retriever)
    shown = [e.text for e in found.evidence]
    weighed = found.weighed(shown)
    assert weighed[0] == shown[0] and set(shown) <= set(weighed)
    assert set(weighed) == {e.text for b in found.blocks for e in (*b.evidence, *b.beside)}
    assert found.weighed([]) == []  # nothing shown: nothing to decide on


def test_a_side_with_nothing_says_so():
    src = SourceInfo("x", "x.txt", "x.txt", "", SourceMeta("Fish", ("Ann Lee",), None, "2020"))
    text = "Trout live in cold rivers and eat insects. Salmon return to spawn in the river they were born in."
    chunk = Chunk("x:0", "x", 0, 0, len(text), text, text)
    view = docread.DocumentView(src, (chunk,), (np.zeros((0, 4), np.float32),))
    found = broad.compare_blocks("How do Lee and Starr differ on Mérida funding?", [view], np.zeros(4, np.float32))
    (block,) = found.blocks
    assert not block.evidence and block.missing.startswith("Lee (2020): nothing in this source addresses")
    assert "rida funding" in block.missing


def test_parts_each_get_evidence_and_an_open_part_is_named(library):
    settings, retriever = library
    parts = [
        "What did Janet Napolitano sign with Mexico's Attorney General?",
        "When did Downie retire from the Army?",
    ]
    found = broad.part_blocks(parts, lambda q: retriever.search(q, k=4), retriever.embedder.embed)
    first, second = found.blocks
    assert first.evidence and "Napolitano" in first.evidence[0].text  # (a biography is no evidence: qa.units)
    assert (
        not second.evidence
        and second.missing == "The sources leave this part open: When did Downie retire from the Army?"
    )


def test_labelled_answer_shows_leads_and_missing_lines():
    src = SourceInfo("d", "d.txt", "d.txt", "", SourceMeta("T", ("Richard Downie",), None, "2011-07"))
    chunk = Chunk("d:0", "d", 0, 0, 20, "Act now. Wait later.", "Act now. Wait later.")
    hit = Hit(1, 0.0, chunk, src)
    e = Evidence(hit, 0, 8, "Act now.")
    found = broad.Broad(
        kinds.COMPARE, (broad.Block("Downie (2011):", (e,)), broad.Block("Starr:", (), "Starr: nothing."))
    )
    from qa.records import Sentence

    ans = Answer("q", "q", "Act now. [1]", False, (Sentence("Act now.", (1,), True),), (), ())
    out = broad.labelled(ans, found)
    assert out.answer == "Downie (2011): Act now. [1]\nStarr: nothing."
    assert "Starr: nothing." in out.notices
    refused = Answer("q", "q", "no", True, (), (), ())
    assert broad.labelled(refused, found) is refused


def test_names_and_sources():
    meta = SourceMeta("T", ("Tony Payan", "Rodrigo Montes de Oca"), None, "2024-09-27")
    assert broad.source_name(SourceInfo("p", "p", "p", "", meta)) == "Payan and Montes de Oca (2024)"
    # a source named by its title, the title dated already: the year is not said twice
    dated = SourceMeta("Congressional Record, Volume 151 Issue 99 (Wednesday, July 20, 2005)", (), None, "2005")
    assert broad.source_name(SourceInfo("r", "r", "r", "", dated)) == dated.title
    assert broad.source_name(SourceInfo("r", "r", "r", "", replace(dated, title="Record"))) == "Record (2005)"
    assert wholedoc.focus_of("What does Downie recommend the U.S. do?") == "recommends"
    assert wholedoc.focus_of("What does Arzt conclude?") == "concludes"
    # the question's own focus word is a cue: sources/002's "His assessment points to a … fragile relationship."
    focus = wholedoc._focus_pattern("Summarize Downie's overall assessment of the relationship.", kinds.SUMMARY)
    assert focus is not None and focus.search("His assessment points to a maturing yet still fragile relationship.")


def test_the_answer_path_quotes_the_document_without_a_model_pick(library):
    settings, retriever = library
    # one model call, for the points of the short answer (no pick): a point it made up is dropped
    reply = '{"points": ["Demonstrate success", "institutionalize existing defense linkages", "invade Mexico"]}'
    gen = ScriptedGenerator([reply])
    qa = QA(settings, retriever, gen, judge=LexicalJudge())
    a = qa.ask("What does Downie recommend?")
    assert not a.refused, (a.answer, a.notices)
    lead, rest = a.answer.split("\n", 1)
    assert lead.startswith(
        "In short: Demonstrate success; institutionalize existing US/Mexican defense linkages and organizational "
        "arrangements. ["
    )
    assert "invade" not in a.answer
    assert rest.startswith("Downie (2011) recommends:")
    assert len(gen.seen) == 1 and "points" in gen.seen[0][-1]["content"]
    assert sum(any(c.quote.startswith(r) for r in DOWNIE_RECS) for c in a.citations) >= 3, a.answer
    assert a.decision.get("kind") == kinds.SUMMARY
    for c in a.citations:
        stored = (Path(settings.sources_dir) / "downie.txt").read_text(encoding="utf-8")
        assert stored[c.start : c.end] == c.quote
    off = QA(
        Settings.load({**settings.__dict__, "broad_answers": False}, env={}),
        retriever,
        ScriptedGenerator(['{"ids": [1]}']),
        judge=LexicalJudge(),
    )
    assert "kind" not in off.ask("What does Downie recommend?").decision  # the switch restores the old path


def test_an_unreadable_points_reply_leaves_the_quotes_alone(library):
    settings, retriever = library
    qa = QA(settings, retriever, ScriptedGenerator(["the points are: success"]), judge=LexicalJudge())
    a = qa.ask("What does Downie recommend?")
    assert not a.refused
    assert a.answer.startswith("Downie (2011) recommends:")
    assert any("points were unreadable" in n for n in a.notices)


def test_a_long_document_stays_cheap(monkeypatch):
    """5,000 chunks (a ~1,000-page document): only the best ``CHUNKS`` and their neighbours are read
    sentence by sentence; the rest costs one matrix product and a regex per chunk."""
    rng = np.random.default_rng(0)
    src = SourceInfo("big", "big.txt", "big.txt", "", SourceMeta("Big", ("Ann Lee",), None, "2020"))
    text = "The committee reviewed the budget in detail. Members should fund the program next year. " * 8
    chunks = tuple(Chunk(f"big:{i}", "big", i, i * len(text), (i + 1) * len(text), text, text) for i in range(5000))
    vecs = rng.standard_normal((5000, 16, 384)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=-1, keepdims=True)
    view = docread.DocumentView(src, chunks, tuple(vecs))
    read: list[str] = []
    real = docread.chunk_sentences
    monkeypatch.setattr(docread, "chunk_sentences", lambda c: read.append(c.chunk_id) or real(c))
    t = time.process_time()
    found = wholedoc.document_evidence("What does Lee recommend?", view, vecs[0, 0], kinds.SUMMARY)
    assert len(read) <= 3 * docread.CHUNKS
    assert time.process_time() - t < 10.0  # CPU seconds (wall time on a shared machine says little)
    assert found and len(found) <= wholedoc.MAX_SENTENCES


def test_sources_named_by_surname_count_however_many_names_the_other_has():
    """ "How do Arzt and Payan and Montes de Oca characterize…": Payan's three names weigh
    more in the source prior, yet both sources are named, in the question's order."""
    from qa.broad import named_by_name
    from qa.records import SourceInfo, SourceMeta

    def src(sid: str, authors: tuple[str, ...]) -> SourceInfo:
        return SourceInfo(sid, f"{sid}.txt", f"{sid}.txt", "0" * 64, SourceMeta(title="T", authors=authors), 1)

    sources = {
        "baker": src("baker", ("Tony Payan", "Guadalupe Correa-Cabrera", "Montes de Oca")),
        "arzt": src("arzt", ("Sigrid Arzt",)),
        "starr": src("starr", ("Pamela K. Starr",)),
    }
    q = "How do Arzt in 2009 and Payan and Montes de Oca in 2024 characterize the Mérida Initiative?"
    assert named_by_name(q, {"baker": 1.0, "arzt": 0.33, "starr": 0.0}, sources) == ["arzt", "baker"]
    assert named_by_name("Who advocated the policy?", {"baker": 0.2}, sources) == []  # "oca" inside a word


def test_a_source_the_index_does_not_hold_is_named_as_missing(library):
    """ "According to RAND…": no indexed source is by RAND and no passage mentions it; Downie and
    Bersin (an author; a speaker the passages quote) are known."""
    _, retriever = library
    assert retriever.unknown_sources("According to the RAND Corporation, how many troops went to Mexico?") == [
        "RAND Corporation"
    ]
    assert retriever.unknown_sources("What did the 2020 CSIS report conclude?") == ["CSIS"]
    assert retriever.unknown_sources("What does Downie recommend?") == []
    assert retriever.unknown_sources("What does Bersin say about national security?") == []


def test_a_person_no_source_mentions_is_named_as_unknown(library):
    """ "…under President Claudia Sheinbaum?": most of the name's words (titles aside) are in no passage
    and no source; a name the passages write, or one cited as a source, is not."""
    _, retriever = library
    q = "How has security cooperation changed under President Claudia Sheinbaum?"
    assert retriever.unknown_names(q) == ["President Claudia Sheinbaum"]
    assert retriever.unknown_names("What did President Calderón ask of the United States?") == []
    assert retriever.unknown_names("According to the RAND Corporation, how many troops went to Mexico?") == []


def test_a_lower_case_list_item_keeps_one_bullet_in_the_text_not_in_the_quote():
    text = "• in 1923 (68th Congress), Frederick Gillett was elected with 215 votes;"
    meta = SourceMeta(title="Speaker Elections", authors=("Jane Doe",), date="2025")
    src = SourceInfo("s", "sources/s.txt", "sources/s.txt", "0" * 64, meta, 1)
    hit = Hit(1, 1.0, Chunk("s#0", "s", 0, 0, len(text), text, text), src, 1, 1)
    item = listitems.without_bullets(Evidence(hit, 0, len(text), text))
    assert item.text == text and item.quote == text[2:]
    capital = "• • • Demonstrate success during a rapidly closing window."
    hit = Hit(1, 1.0, Chunk("s#0", "s", 0, 0, len(capital), capital, capital), src, 1, 1)
    item = listitems.without_bullets(Evidence(hit, 0, len(capital), capital))
    assert item.text == item.quote == "Demonstrate success during a rapidly closing window."


def test_a_colon_at_a_line_end_starts_a_list_only_when_an_item_follows():
    # ../shared/foreign, the double-spaced Federalist No. 10: the sentence goes on in lower case
    book = "There are two methods of removing the causes of faction:\n\nthe one, by destroying the liberty."
    listed = (
        "The following recommendations are offered:\n• Demonstrate success during a rapidly closing window.\n"
        "• Extend and institutionalize existing defense linkages."
    )
    meta = SourceMeta(title="Doc", authors=("Jane Doe",), date="2025")
    src = SourceInfo("s", "sources/s.txt", "sources/s.txt", "0" * 64, meta, 1)
    for text, n in ((book, 1), (listed, 3)):
        hit = Hit(1, 1.0, Chunk("s#0", "s", 0, 0, len(text), text, text), src, 1, 1)
        assert len(listitems.list_pieces(Evidence(hit, 0, len(text), text))) == n


def test_a_counted_question_quotes_the_enumeration_it_counts(library):
    # Starr: "…three core policy changes…" then "First, …", "Second, …", "The third anticipated policy shift…"
    settings, retriever = library
    q = "What three policy changes does Starr expect from whoever wins Mexico's 2012 election?"
    view = docread.document_view(retriever.index, _sid(retriever, "Starr"))
    found = wholedoc.document_evidence(q, view, retriever.embedder.embed_query(q), kinds.LIST)
    texts = [e.text for e in found]
    assert texts[0].startswith("Despite stump speeches") and "three core policy changes" in texts[0]
    assert [t.split()[0] for t in texts[1:]] == ["First,", "Second,", "The"], texts
    assert texts[3].startswith("The third anticipated policy shift")
    _verbatim(found, retriever)


def test_items_after_an_introduction_are_read_from_the_following_chunks(library):
    settings, retriever = library
    sid = _sid(retriever, "Starr")
    view = docread.document_view(retriever.index, sid)
    hits = [Hit(n + 1, 0.0, c, view.source) for n, c in enumerate(view.chunks)]
    intro = next(e for e in evidence.sentences_of(hits) if "three core policy changes" in e.text)
    items = enumeration.items_after(retriever.index, intro)
    assert [e.text.split()[0] for e in items] == ["First,", "Second,", "The"]
    _verbatim(items, retriever)
    first = items[0]
    again = enumeration.items_after(retriever.index, first)  # the first item opens the same run
    assert [e.key for e in again] == [e.key for e in items]


def test_a_comparison_of_each_source_reads_every_source_the_hits_weigh(library):
    settings, retriever = library
    q = "What permanent arrangements have the different authors proposed for security cooperation?"
    hits = retriever.search(q, k=10)
    chosen = broad.choose_sources(kinds.COMPARE, q, {}, hits, retriever.index.sources)
    assert len(chosen) == len({h.source.source_id for h in hits}) == 3  # Downie, Starr, Arzt
    two = broad.choose_sources(
        kinds.COMPARE, "How do the first and the second compare?", {}, hits, retriever.index.sources
    )
    assert len(two) == 2


def test_a_summary_prefers_the_documents_opening_and_closing_stretches():
    text = "The relationship matured after 2006. " * 10
    meta = SourceMeta(title="Doc", authors=("Jane Doe",), date="2025")
    src = SourceInfo("s", "sources/s.txt", "sources/s.txt", "0" * 64, meta, 1)
    hit = Hit(1, 1.0, Chunk("s#0", "s", 0, 0, len(text), text, text), src, 1, 1)
    step = len("The relationship matured after 2006. ")
    cands = [
        docread.Candidate(Evidence(hit, i * step, i * step + 36, text[:36]), 0.5, False, "", "") for i in (0, 5, 9)
    ]
    scored = {e.key[1]: e.score for e in wholedoc._score("What does Doe argue?", src, cands, None, (), (0, len(text)))}
    assert scored[0] == scored[9 * step] == scored[5 * step] + wholedoc.LOCATION
    plain = {e.key[1]: e.score for e in wholedoc._score("What does Doe argue?", src, cands, None, ())}
    assert len(set(plain.values())) == 1  # no location cue outside a summary


# ---------------------------------------------------------------- a section the question names


@pytest.fixture
def brief(tmp_path, settings_for, fake_embedder):
    """The Baker Institute brief whole (headings: "Obstacles to Cooperation", "Policy Actions", …)."""
    folder = tmp_path / "sources"
    folder.mkdir(parents=True)
    src = "001_baffcb275c64405d.txt"
    (folder / "payan.txt").write_text((ROOT / "sources" / src).read_text(encoding="utf-8"), encoding="utf-8")
    meta = json.loads((ROOT / "sources" / "metadata.json").read_text(encoding="utf-8"))
    (folder / "metadata.json").write_text(json.dumps({"payan.txt": meta[src]}), encoding="utf-8")
    settings = settings_for(judge="lexical")
    build_index(settings, embedder=fake_embedder)
    return settings, Retriever(load_index(settings), fake_embedder, settings)


def test_a_list_question_naming_a_heading_quotes_that_sections_items(brief):
    settings, retriever = brief
    q = "What obstacles to cooperation with Mexico do Payan and Montes de Oca identify?"
    view = docread.document_view(retriever.index, _sid(retriever, "Payan"))
    heading, start, end = docread.headed_section(q, view)
    assert heading == "Obstacles to Cooperation"
    found = wholedoc.document_evidence(q, view, retriever.embedder.embed_query(q), kinds.LIST)
    texts = [e.text for e in found]
    assert [t.split()[:2] for t in texts] == [["Mexico’s", "renewed"], ["Mexico", "has"], ["The", "seeming"]], texts
    assert all(start <= e.key[1] < end for e in found)
    _verbatim(found, retriever)
    # a heading made of the title's words names the document, not a part of it ("Security Cooperation")
    assert docread.headed_section("What do they say about US-Mexico security cooperation?", view) is None
    # a heading word the question lacks: no section
    assert docread.headed_section("What obstacles does the brief see?", view) is None
    # a year the document never names: nothing of it answers ("…for the 119th Congress?" alike)
    later = "What obstacles to cooperation do Payan and Montes de Oca identify for 2031?"
    assert wholedoc.document_evidence(later, view, retriever.embedder.embed_query(later), kinds.LIST) == []


def test_a_part_asking_what_a_source_proposes_reads_its_document(brief):
    settings, retriever = brief
    q = "What policy actions do Payan and Montes de Oca propose, and what do they say about unilateral U.S. operations?"
    assert kinds.kind_of(q) == kinds.PARTS
    assert not any(broad.phrase_part(p) for p in evidence.split_parts(q)[0])
    found = broad.gather(
        kinds.PARTS,
        q,
        retriever,
        retriever.search(q),
        retriever.named_sources(q),
        lambda: retriever.embedder.embed_query(q),
        retriever.embedder.embed,
    )
    assert found is not None
    assert found.blocks[0].label == "Payan and Montes de Oca (2024) recommend:"
    texts = [e.text for e in found.evidence]
    assert any("must be scrapped" in t for t in texts) and any("avoid unilateral action" in t for t in texts), texts
    keys = [e.key for e in found.evidence]
    assert len(keys) == len(set(keys))  # a sentence answering both parts is quoted once
    _verbatim(found.evidence, retriever)


def test_a_numbered_heading_runs_past_its_subtitle_to_the_next_of_its_shape(tmp_path, settings_for, fake_embedder):
    folder = tmp_path / "sources"
    folder.mkdir()
    papers = []
    for n, (title, body) in enumerate(
        (
            ("The Utility of the Union", "Union keeps the peace. A firm union guards against faction."),
            (
                "The Checks Between Departments",
                "Ambition must be made to counteract ambition. Each department needs a will of its own.",
            ),
            ("The House of Representatives", "Members are chosen every second year. Elections must be frequent."),
        ),
        start=1,
    ):
        papers.append(
            f"PAPER No. {n}\n\n\n{title}\n\nTo the People of the State of New York:\n\n{body}\n\nPUBLIUS.\n\n"
        )
    (folder / "papers.txt").write_text("Title: The Papers\n\n" + "".join(papers), encoding="utf-8")
    settings = settings_for(judge="lexical")
    build_index(settings, embedder=fake_embedder)
    retriever = Retriever(load_index(settings), fake_embedder, settings)
    view = docread.document_view(retriever.index, next(iter(retriever.index.sources)))
    q = "What does Paper No. 2 argue about checks on government?"
    found = docread.headed_section(q, view)
    assert found is not None and found[0] == "PAPER No. 2"
    text = (folder / "papers.txt").read_text(encoding="utf-8")
    section = text[found[1] : found[2]]
    assert "counteract ambition" in section and "PAPER No. 3" not in section and "Union keeps" not in section
    quoted = [e.text for e in wholedoc.document_evidence(q, view, retriever.embedder.embed_query(q), kinds.SUMMARY)]
    assert any("counteract ambition" in t for t in quoted) and not any("second year" in t for t in quoted), quoted


def test_a_person_in_the_documents_saying_something_is_no_summary_of_a_source(library):
    settings, retriever = library
    q = "What did Fox say about drug legalization?"  # Vicente Fox is quoted in Downie's paper; he wrote none
    assert kinds.kind_of(q) == kinds.SUMMARY and kinds.says_about(q)
    found = broad.gather(
        kinds.SUMMARY,
        q,
        retriever,
        retriever.search(q),
        retriever.named_sources(q),
        lambda: retriever.embedder.embed_query(q),
        None,
    )
    assert found is None  # the phrase path answers it from the passages that quote him


def test_a_heading_named_only_by_the_questions_frame_is_no_section():
    src = SourceInfo("d", "d.txt", "d.txt", "", SourceMeta("Strategic Decisions", ("Richard Downie",), None, "2011"))
    texts = ("Description\nOption A keeps the military in the lead.\n", "Obstacles\nCorruption slows reform.\n")
    chunks, at = [], 0
    for i, t in enumerate(texts):
        chunks.append(Chunk(f"d:{i}", "d", i, at, at + len(t), t, t, t.split("\n")[0]))
        at += len(t)
    view = docread.DocumentView(src, tuple(chunks), tuple(np.zeros((0, 4), np.float32) for _ in chunks))
    # "describe" is the question's frame: the table column headed "Description" is no section it names
    assert docread.headed_section("What two views does Downie describe?", view) is None
    assert docread.headed_section("What obstacles does Downie describe?", view)[0] == "Obstacles"


def test_a_name_asked_about_in_each_document_gets_a_block_per_document_writing_it(library):
    settings, retriever = library
    q = "The Mérida Initiative appears in both documents: how is it described in each?"
    name, sids = sources_choice.in_each(q, retriever.index)
    assert name == "Mérida Initiative"
    assert set(sids) == {_sid(retriever, "Starr"), _sid(retriever, "Arzt")}  # not Downie's preface
    hits = retriever.search(q)
    found = broad.gather(kinds.COMPARE, q, retriever, hits, {}, lambda: retriever.embedder.embed_query(q), None)
    assert found is not None and len(found.blocks) == 2
    for block in found.blocks:
        assert block.evidence and all("mérida initiative" in " ".join(e.text.lower().split()) for e in block.evidence)
    _verbatim(found.evidence, retriever)
    assert sources_choice.in_each("How is the Mérida Initiative described?", retriever.index) == ("", [])  # no "each"
    assert sources_choice.in_each("Does Óscar Naranjo appear in both documents?", retriever.index) == (
        "",
        [],
    )  # one writes it


def test_a_rare_name_written_word_for_word_lifts_its_passage_and_names_no_source(library):
    settings, retriever = library
    q = "What is the Center for Research and National Security?"
    starr = _sid(retriever, "Starr")
    rows = retriever.name_rows(q)
    assert rows and all(retriever.index.chunks[r].source_id == starr for r in rows)
    # "Center" is in Arzt's publisher (the Woodrow Wilson International Center): the agency names no source
    assert not any(v > 0 for v in retriever.named_sources(q).values())
    top = [h.chunk.chunk_id for h in retriever.search(q, k=3)]
    assert any(retriever.index.chunks[r].chunk_id in top for r in rows)
    off = Retriever(retriever.index, retriever.embedder, settings.replace(name_weight=0.0))
    assert off.name_rows(q) == set()


def test_one_question_asked_of_two_things_is_two_parts():
    q = "What are the minimum ages to serve as a Representative and as a Senator?"
    assert kinds.kind_of(q) == kinds.PARTS
    assert evidence.split_parts(q) == (
        ["What are the minimum ages to serve as a Representative?", "What are the minimum ages to serve as a Senator?"],
        0,
    )
    # no repeated preposition: one question about two things together
    one = "What is the relationship between the army and the navy?"
    assert evidence.split_parts(one) == ([one], 0)


def test_a_second_question_opening_with_a_preposition_is_its_own_part():
    q = "Who was elected Speaker in October 2023, and on which ballot?"
    assert kinds.kind_of(q) == kinds.PARTS
    assert evidence.split_parts(q) == (
        ["Who was elected Speaker in October 2023?", "on which ballot? (elected speaker october 2023)"],
        0,
    )
    # without the comma "and on what day" goes on with the same question
    one = "At what time and on what day must Congress assemble each year under the 20th Amendment?"
    assert evidence.split_parts(one) == ([one], 0)


def test_a_part_naming_only_sources_carries_the_first_parts_topic():
    q = "Does the Speaker have to be a Member of the House? What do the Constitution and the CRS report say?"
    assert evidence.split_parts(q)[0][1] == "What do the Constitution and the CRS report say? (speaker member house)"
    q = "How many people have been killed in Mexico's drug violence? Give the figures each source reports."
    assert evidence.split_parts(q)[0][1].endswith("(many people killed mexico drug violence)")
    # a part with a topic of its own keeps its words alone
    q = "What policy actions do Payan and Montes de Oca propose, and what do they say about unilateral U.S. operations?"
    assert evidence.split_parts(q)[0][1] == "what do they say about unilateral U.S. operations?"


def test_each_year_is_no_comparison():
    q = "At what time and on what day must Congress assemble each year under the 20th Amendment?"
    assert kinds.kind_of(q) != kinds.COMPARE
    assert kinds.kind_of("What do Starr and Payan each say about the army?") == kinds.COMPARE


def test_a_list_of_short_dash_items_is_quoted_whole_and_needs_no_lead(brief):
    # "…these are to include:\n- Trade.\n- Security.\n…\n- Immigration and labor markets.\nIssue linkage would…"
    settings, retriever = brief
    q = "Which issues do Payan and Montes de Oca want Washington and Mexico City to negotiate together?"
    assert kinds.kind_of(q, 1) == kinds.LIST
    view = docread.document_view(retriever.index, _sid(retriever, "Payan"))
    found = wholedoc.document_evidence(q, view, retriever.embedder.embed_query(q), kinds.LIST)
    texts = [e.text for e in found]
    assert texts == [
        "Trade.",
        "Security.",
        "Investment.",
        "Democracy.",
        "Infrastructure.",
        "Immigration and labor markets.",
    ]
    _verbatim(found, retriever)
    block = broad.Block("Payan and Montes de Oca (2024) lists:", tuple(found))
    assert not broad.takes_lead(broad.Broad(kinds.LIST, (block,)))  # the items are the short answer
    long = replace(found[0], text="Mexico has employed an effective strategy to delink key binational issues.")
    assert broad.takes_lead(broad.Broad(kinds.LIST, (broad.Block("x", (found[0], long)),)))
    # a bill's titles in order name themselves: "In short: Title II … the duties." would only repeat one
    titles = [
        replace(found[0], text="Title I of the bill would provide for a lump sum settlement of the claims."),
        replace(found[0], text="Title II of the bill establishes and sets forth the duties of a Review Commission."),
        replace(found[0], text="Title III of the bill establishes an eight-year Demonstration Project."),
    ]
    assert not broad.takes_lead(broad.Broad(kinds.SUMMARY, (broad.Block("x", tuple(titles)),)))
    assert broad.takes_lead(broad.Broad(kinds.SUMMARY, (broad.Block("x", (titles[0], long)),)))


def test_a_dash_bullet_opens_a_list_item_and_a_line_without_one_ends_the_list():
    text = "These are to include:\n- Trade.\n- Immigration and labor markets.\nIssue linkage would help in one area."
    start = text.index("Trade.")
    assert listitems.is_list_item(text, start, "Trade.", "These are to include:", False)
    after = text.index("Issue linkage")
    assert not listitems.is_list_item(text, after, "Issue linkage would help in one area.", "Immigration…", True)
    # a bullet-less list still runs on to the next short line
    plain = "The following are offered:\n• Trade.\nSecurity matters most here."
    assert listitems.is_list_item(plain, plain.index("Security"), "Security matters most here.", "Trade.", True)


def test_a_short_list_item_is_kept_only_when_asked_and_only_as_words():
    text = "These are to include:\n- Trade.\n- 12\n- Immigration and labor markets."
    meta = SourceMeta(title="Doc", authors=("Jane Doe",), date="2025")
    src = SourceInfo("s", "sources/s.txt", "sources/s.txt", "0" * 64, meta, 1)
    hit = Hit(1, 1.0, Chunk("s#0", "s", 0, 0, len(text), text, text), src, 1, 1)
    plain = " ".join(e.text for e in evidence.sentences_of([hit]))
    assert "Trade." not in plain  # too short to quote for a fact
    kept = " ".join(e.text for e in evidence.sentences_of([hit], short_items=True))
    assert "Trade." in kept and "12" not in kept.replace("Immigration", "")


def test_a_bills_titles_described_in_turn_are_an_enumeration():
    texts = [
        "The following is an overview of the bill, title by title.",
        "Title I of the bill would provide for a lump sum settlement of the claims.",
        "The settlement is final.",
        "Title II of the bill establishes a review commission.",
        "Title III of the bill establishes a demonstration project.",
    ]
    assert enumeration.runs(texts) == [enumeration.Run(0, (1, 3, 4))]
    assert enumeration.chunks_after(texts[1]) > 0 and enumeration.chunks_after(texts[3]) == 0  # opens a run or not
    assert enumeration.chunks_after("Titles matter in law.") == 0


def test_a_bills_designation_is_not_a_lettered_list_item():
    text = "By Mr. McCAIN (for himself and Mr. Dorgan):\n  S. 1439. A bill to provide for reform of trust asset management and resolution of historical accounting claims, and for other purposes; to the Committee on Indian Affairs, and the other committees named in the rule of the Senate.\n"
    start = text.index("S. 1439")
    sentence = text[start:].strip()
    assert not listitems.is_list_item(text, start, sentence, "Nothing here introduces a list.", False)
    lettered = "Options:\nA. Maintain the current approach.\n"
    assert listitems.is_list_item(lettered, lettered.index("A."), "A. Maintain the current approach.", "x", False)


@pytest.mark.parametrize(
    "question, cue, other",
    [
        ("What kinds of hardware did the U.S. hand over to Mexico's military?", "hardware", "kinds"),
        ("What are the four types of congressional committee hearings?", "hearings", "types"),
        ("Which operations did the ATF run?", "operations", "ATF"),
    ],
)
def test_a_lists_cue_is_the_listed_noun(question, cue, other):
    focus = wholedoc._focus_pattern(question, kinds.LIST)
    assert focus is not None and focus.search(cue) and not focus.search(other)


def test_a_texts_signpost_does_not_introduce_a_list():
    assert listitems.INTRODUCER.search("The following recommendations are offered to improve relations.")
    assert listitems.INTRODUCER.search("These are to include:")
    assert not listitems.INTRODUCER.search("The following section briefly reviews the history of mistrust.")


def test_a_blocks_lead_verb_agrees_with_its_authors():
    one = SourceInfo(
        "d",
        "sources/d.txt",
        "sources/d.txt",
        "0" * 64,
        SourceMeta(title="T", authors=("Richard Downie",), date="2011"),
        1,
    )
    two = replace(one, meta=SourceMeta(title="T", authors=("Tony Payan", "Guadalupe Correa-Cabrera"), date="2024"))
    three = replace(one, meta=SourceMeta(title="T", authors=("Alexander Hamilton", "John Jay", "James Madison")))
    assert broad.lead(one, "recommends") == "Downie (2011) recommends:"
    assert broad.lead(two, "lists") == "Payan and Correa-Cabrera (2024) list:"
    assert broad.lead(three, "argues") == "Hamilton et al. argue:"
