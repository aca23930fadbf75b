"""qa.enumeration: runs of ordinal sentences and their introductions, on sentences from the shipped
and foreign documents."""

from __future__ import annotations

from dataclasses import replace

from qa.enumeration import (
    CHUNKS_AFTER,
    CHUNKS_AFTER_DIVISION,
    Run,
    announces,
    chunks_after,
    counted_in_document,
    counted_run,
    division_run,
    inline_count,
    lift_runs,
    run_at,
    runs,
)
from qa.records import Chunk, Evidence, Hit, SourceInfo, SourceMeta


def ev(text: str, at: int, score: float = 0.0) -> Evidence:
    meta = SourceMeta(title="T", authors=("Richard Downie",), date="2011")
    src = SourceInfo("s", "sources/s.txt", "sources/s.txt", "0" * 64, meta, 1)
    chunk = Chunk(f"s#{at}", "s", at, at, at + len(text), text, text)
    return Evidence(Hit(1, 1.0, chunk, src, 1, 1), at, at + len(text), text, score)


# sources/002 (Downie): an introduction announcing a count, items with detail sentences between them
ADVANTAGES = [
    "Such an approach would afford the next president of Mexico several advantages.",
    "First, it offers the political value of a fresh start for a Mexican public weary of years of violence.",
    "The incoming administration could coin a new label for its strategy.",
    "Second, the new strategy would allow the president to place the responsibility on the police.",
    "Third, a police-led effort would in fact be popular with the Mexican military.",
    "The Army in particular does not view urban police operations as an appropriate mission.",
    "Finally, within an international context, this approach would continue to demonstrate cooperation.",
    "Indeed, the Calderón administration views the use of the military as necessary, but not permanent.",
]


def test_an_announced_run_of_ordinals_with_detail_between_them():
    assert runs(ADVANTAGES) == [Run(0, (1, 3, 4, 6))]
    assert run_at(ADVANTAGES, 0) == run_at(ADVANTAGES, 1) == Run(0, (1, 3, 4, 6))
    assert run_at(ADVANTAGES, 2) is None  # a detail sentence opens nothing


def test_one_and_another_of_the_same_noun_and_the_nth_noun():
    views = [
        "One school of thought posits that the current relations are a new normal.",
        *[f"Detail sentence number {i} about tensions in 2011." for i in range(7)],
        "Another school of thought holds that Mexico is capable of short-term alliances.",
    ]
    assert runs(views) == [Run(None, (0, 8))]
    # "One consequence was…" is no first item for a later "Second, …" (sources/002)
    assert runs(["One consequence was that the relationship became visible.", "It grew.", "Second, they met."]) == []
    options = [
        "This section offers four strategic options for the next president.",
        "The first option is to stay the course.",
        "The second option would place law enforcement in the lead.",
        "The third option reflects socially focused alternatives.",
    ]
    assert runs(options) == [Run(0, (1, 2, 3))]


def test_an_ordinal_standing_alone_points_to_the_sentence_after_it():
    # ../shared/foreign/federalist_papers.txt: "First." / the point / "Secondly." / the point
    text = [
        "First.",
        "It appears that some members were leading figures.",
        "Secondly.",
        "The same members were active.",
    ]
    assert runs(text) == [Run(None, (1, 3))]


def test_what_announces_a_list():
    assert announces("The bill would serve a twofold function.")
    assert announces("The following recommendations are offered:")
    assert not announces("The relationship improved in 2010.")
    assert runs(["First, a single item.", "Nothing follows it."]) == []


# sources/002 (Downie): "the two competing views" are pages apart, far from the passages a question's words find
VIEWS = [
    "The question is whether relations will continue to strengthen and improve.",
    "One school of thought posits that the current defense relationship can never return to its traditional state.",
    *[f"Detail sentence number {i} about tensions in 2011." for i in range(5)],
    "Another school of thought, expressed by Professor Craig Deare, holds that Mexico is capable of short-term alliances.",
    "This section offers four strategic options for the next president.",
    "The first option is to stay the course.",
    "The second option would place law enforcement in the lead.",
]


def test_a_counted_enumeration_found_across_the_whole_document():
    in_order = [ev(t, 100 * i) for i, t in enumerate(VIEWS)]
    cos = [0.6, 0.3, *[0.1] * 5, 0.3, 0.5, 0.2, 0.2]  # the sentence before the first view reads like the question
    found = counted_in_document("two views", in_order, cos)
    assert [e.text[:20] for e in found] == ["One school of though", "Another school of th"]
    assert counted_in_document("three views", in_order, cos) == []  # no run of three
    assert counted_in_document("two views", in_order, [0.1] * len(VIEWS)) == []  # nothing reads like the question


def test_a_sentence_naming_the_counted_things_itself_beats_a_run():
    # ../shared/foreign/federalist_papers.txt: No. 10 names its two methods in one sentence; No. 51 has a run
    texts = [
        "There are two methods of curing the mischiefs of faction: the one, by removing its causes; the other, by controlling its effects.",
        "There are but two methods of providing against this evil.",
        "The first method prevails in all governments possessing an hereditary authority.",
        "The second method will be exemplified in the federal republic of the United States.",
    ]
    in_order = [ev(t, 100 * i) for i, t in enumerate(texts)]
    found = runs(texts)
    assert found == [Run(1, (2, 3))]
    scored = [ev(t, 100 * i, 1.0 - i / 10) for i, t in enumerate(texts)]
    assert inline_count("two methods", scored) == 0
    assert counted_run("two methods", found, in_order, scored) == []  # the sentence ranks above the run
    assert len(counted_run("two methods", found, in_order, scored[1:])) == 3  # without it, the run


def test_a_bills_titles_run_on_across_long_sections_and_a_title_described_otherwise():
    # sources: ../shared/foreign/congressional_record_2005-07-20_S8560.html, Title V told without "Title V of…"
    texts = [
        "The following is an overview of the bill, title by title.",
        "Title I of the bill would provide for a lump sum settlement of the claims.",
        *[f"The settlement's detail number {i} is set out." for i in range(12)],  # past an ordinal's window
        "Title II of the bill establishes a review commission.",
        "The bureau would be restructured under the fifth title.",
        "Title VI of the bill requires an annual audit.",
    ]
    assert runs(texts) == [Run(0, (1, 14, 16))]
    assert chunks_after(texts[1]) == CHUNKS_AFTER_DIVISION
    assert chunks_after("First, it offers a fresh start.") == CHUNKS_AFTER
    assert chunks_after(texts[14]) == 0  # the second title opens no run
    in_order = [ev(t, i * 100) for i, t in enumerate(texts)]
    found = runs(texts)
    asked = "What does McCain's Indian Trust Reform Act of 2005 do, title by title?"
    items = division_run(asked, found, in_order)
    assert [e.text[:9] for e in items] == ["Title I o", "Title II ", "Title VI "]
    assert division_run("What does the Act do?", found, in_order) == []
    assert division_run("What does it do, chapter by chapter?", found, in_order) == []


def test_an_introduction_lifts_its_items_from_its_score_before_its_own_penalty():
    texts = ["These are the reforms the bill makes:", "First, a settlement.", "Second, a commission.", "Unrelated."]
    in_order = [ev(t, i * 100) for i, t in enumerate(texts)]
    scored = [
        replace(in_order[0], score=0.6 - 0.3),
        replace(in_order[1], score=0.1),
        *(replace(e, score=0.2) for e in in_order[2:]),
    ]
    found = runs(texts)
    plain = lift_runs(found, in_order, scored)
    back = lift_runs(found, in_order, scored, {in_order[0].key: 0.3})
    assert {e.text: round(e.score, 2) for e in plain}["Second, a commission."] == 0.3
    assert {e.text: round(e.score, 2) for e in back}["Second, a commission."] == 0.6
    assert {e.text: round(e.score, 2) for e in back}["Unrelated."] == 0.2  # not an item: not lifted
