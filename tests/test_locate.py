"""A question naming a numbered division ("under the 20th Amendment") lifts the sentences standing under
it: the Constitution writes "The Congress shall assemble at least once in every year" twice."""

from __future__ import annotations

from qa import evidence
from qa.locate import headings, located, locators
from qa.prescore import prescore
from qa.records import Chunk, Evidence, Hit, SourceInfo, SourceMeta

# lines of ../shared/foreign/us_constitution.txt, as stored
CONSTITUTION = (
    "Article I\n"
    "Section 4: Elections\n"
    "The Congress shall assemble at least once in every Year, and such Meeting shall be on the first Monday "
    "in December, unless they shall by Law appoint a different Day.\n\n"
    "20th Amendment\n"
    "Section 2\n"
    "The Congress shall assemble at least once in every year, and such meeting shall begin at noon on the 3d "
    "day of January, unless they shall by law appoint a different day.\n"
)
# and of ../shared/foreign/federalist_papers.txt
FEDERALIST = (
    "FEDERALIST No. 70\n\nThe Executive Department Further Considered\n\nHAMILTON\n\n"
    "Energy in the Executive is a leading character in the definition of good government.\n"
)


def _chunks() -> dict[str, list[Chunk]]:
    """The Constitution in two chunks, cut at the amendment's heading as the indexer may cut it; the
    essay in one, whose section is the line above its text (its author), not its number."""
    cut = CONSTITUTION.index("20th Amendment")
    end, essay = len(CONSTITUTION), len(FEDERALIST)
    return {
        "c": [
            Chunk("c#1", "c", 0, 0, cut, CONSTITUTION[:cut], CONSTITUTION[:cut], section="Section 4: Elections"),
            Chunk("c#2", "c", 1, cut, end, CONSTITUTION[cut:], CONSTITUTION[cut:], section="20th Amendment"),
        ],
        "f": [Chunk("f#1", "f", 0, 0, essay, FEDERALIST, FEDERALIST, section="HAMILTON")],
    }


def _candidates() -> list[Evidence]:
    hits = []
    for sid, chunks in _chunks().items():
        src = SourceInfo(sid, f"{sid}.txt", f"{sid}.txt", "0" * 64, SourceMeta(title=sid), 1)
        hits += [Hit(len(hits) + 1, 1.0, c, src, 1, 1, dense_score=0.6) for c in chunks]
    return evidence.sentences_of(hits)


def test_locators_read_numbers_ordinals_and_roman_numerals():
    assert locators("At what time must Congress assemble under the 20th Amendment?") == {("amendment", 20)}
    assert locators("the Twentieth Amendment") == locators("Amendment XX") == {("amendment", 20)}
    assert locators("What does Federalist No. 70 say?") == {("no", 70)}
    assert locators("What does Article II, Section 1 say?") == {("article", 2), ("section", 1)}
    assert locators("Amendment XIV") == {("amendment", 14)}
    assert locators("Was it part of the deal? part i think so.") == frozenset()  # words, not numbers
    assert locators("What did Congress appropriate in 2010?") == frozenset()


def test_headings_are_the_lines_opening_with_a_division():
    found = [(kind, num) for _, kind, num in headings(_chunks()["c"])]
    assert found == [("article", 1), ("section", 4), ("amendment", 20), ("section", 2)]
    assert [(k, n) for _, k, n in headings(_chunks()["f"])] == [("no", 70)]


def test_sentences_under_the_named_division_are_located_and_lifted():
    cands = _candidates()
    article, amendment, essay = (e.key for e in cands)
    q = "At what time and on what day must Congress assemble each year under the 20th Amendment?"
    keys = located(q, cands, _chunks())
    assert keys == {amendment}
    best = prescore(cands, [q], located=keys)[0][0]
    assert "noon on the 3d day of January" in best.text
    without = prescore(cands, [q])[0][0]
    assert "first Monday in December" in without.text  # what it quoted before: the same words, Article I
    # a kind the document has no heading of names nothing; a division it has, the sentences under it
    assert located("What does Title IV of the bill do?", cands, _chunks()) == frozenset()
    assert located("What does Federalist No. 70 say about energy?", cands, _chunks()) == {essay}
    assert located("What does Article I, Section 4 say?", cands, _chunks()) == {article}
    assert located("What does Article I say?", cands, _chunks()) == {article, amendment}  # no article after it
