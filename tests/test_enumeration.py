"""qa.enumeration: runs of ordinal sentences and their introductions, on sentences from the shipped
and foreign documents."""

from __future__ import annotations

from qa.enumeration import Run, announces, run_at, runs

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
