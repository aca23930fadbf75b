"""Broad questions end to end with the real model and embeddings over the
shipped sources: a summary quotes the document's recommendations in order, a
comparison cites both sources, every quote verbatim."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import check_quotes

pytestmark = pytest.mark.model
ROOT = Path(__file__).resolve().parent.parent
DOWNIE = "002_e096c096f4fc120f"
RECOMMENDATIONS = (  # the five bulleted recommendations of Downie's executive summary
    "Demonstrate success during a rapidly closing",
    "Facilitate programs and actions that offer continuity",
    "Extend and institutionalize existing US/Mexican defense linkages",
    "Coordinate a comprehensive US strategy",
    "Identify realistically attainable objectives",
)


@pytest.fixture(scope="module")
def qa(shipped_qa):
    return shipped_qa


def test_what_does_downie_recommend_quotes_his_recommendations_in_order(qa):
    a = qa.ask("What does Downie recommend?")
    assert not a.refused, (a.answer, a.decision)
    lines = a.answer.split("\n")
    if lines[0].startswith("In short:"):  # the short answer: each of its points is a span of a quote it cites
        lead = a.sentences[0]
        quotes = " ".join(" ".join(c.quote.split()) for c in a.citations if c.n in lead.citations)  # line breaks
        for point in lead.text.removeprefix("In short:").rstrip(".").split(";"):
            assert " ".join(point.split()) in quotes, (point, quotes)
        lines = lines[1:]
    assert lines[0].startswith("Downie (2011) recommends:")
    assert {c.source_id for c in a.citations} == {DOWNIE}
    quoted = [s.text for s in a.sentences if not s.text.startswith("In short:")]
    found = [
        next(i for i, r in enumerate(RECOMMENDATIONS) if q.startswith(r))
        for q in quoted
        if any(q.startswith(r) for r in RECOMMENDATIONS)
    ]
    assert len(found) >= 3, a.answer
    assert found == sorted(found)  # in the document's order
    check_quotes(a)


def test_a_comparison_of_two_sources_cites_both(qa):
    starr, arzt = "000_935ac076c558d15c", "003_03240e58ad883d7f"
    a = qa.ask("Compare Starr and Arzt on the Mérida Initiative.")
    assert not a.refused, (a.answer, a.decision)
    assert {starr, arzt} <= {c.source_id for c in a.citations}, a.answer
    assert a.answer.index("Starr (2012):") < a.answer.index("Arzt (2009):")
    check_quotes(a)


def test_a_list_of_short_items_is_quoted_whole_in_order(qa):
    # the Baker Institute brief: "…these are to include:\n- Trade.\n- Security.\n…\n- Immigration and labor markets."
    a = qa.ask("Which issues do Payan and Montes de Oca want Washington and Mexico City to negotiate together?")
    assert not a.refused, (a.answer, a.decision)
    items = ["Trade.", "Security.", "Investment.", "Democracy.", "Infrastructure.", "Immigration and labor markets."]
    assert [s.text for s in a.sentences] == items, a.answer
    assert a.answer.startswith("Payan and Montes de Oca (2024) list:")  # no "In short" lead over one-word items
    check_quotes(a)
