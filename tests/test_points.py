"""The points of a summary's short answer: a phrase stands only as a span of a quoted sentence."""

from test_commit import ev

from qa import points
from qa.errors import QAError

SENTENCES = [
    "Mexico’s renewed nationalism, historically associated with anti-Americanism, and the ratification of the "
    "MORENA Party in power over the next six years is a barrier for bilateral cooperation.",
    "Mexico has employed an effective strategy to delink key binational issues and negotiate each of them "
    "separately with Washington.",
    "The United States should assist the Calderón administration in disrupting and countering TCO operations.",
]


def test_a_phrase_is_shown_in_the_sentences_own_words():
    assert points.align("renewed nationalism", SENTENCES) == ("renewed nationalism", 1)
    # words left out between two of its words, a longer word on the same stem, a label before it
    assert points.align("Assist Calderón administration", SENTENCES) == ("assist the Calderón administration", 3)
    assert points.align("delinking key binational issues", SENTENCES) == ("delink key binational issues", 2)
    # …and run on to the clause's end when a few words short of it
    assert points.align("Option 2: negotiate each separately", SENTENCES) == (
        "negotiate each of them separately with Washington",
        2,
    )


def test_a_span_a_word_or_two_short_of_its_clause_runs_on_to_its_end():
    linkages = ["Extend and institutionalize existing US/Mexican defense linkages and organizational arrangements."]
    assert points.align("Extend existing defense linkages and organizational", linkages) == (
        "Extend and institutionalize existing US/Mexican defense linkages and organizational arrangements",
        1,
    )
    # more than RUN_ON words left: the span stays as aligned
    assert points.align("delink key binational issues", SENTENCES) == ("delink key binational issues", 2)


def test_a_span_ends_on_a_word_that_says_something():
    text, n = points.align("renewed nationalism, historically associated with anti-Americanism, and the", SENTENCES)
    assert (text, n) == ("renewed nationalism, historically associated with anti-Americanism", 1)


def test_a_phrase_not_in_the_sentences_is_no_point():
    assert points.align("Mexico City", SENTENCES) is None  # not written
    assert points.align("binational issues delink", SENTENCES) is None  # out of order
    assert points.align("nationalism barrier", SENTENCES) is None  # too far apart: no short span holds both
    assert points.align("...", SENTENCES) is None


def test_echoes_and_repeats_are_dropped_and_the_lead_cites_each_holder_once():
    found = points.checked(
        ["Mexico", "renewed nationalism", "renewed nationalism", "delink key binational issues", "invade"],
        "What obstacles to cooperation with Mexico do the authors identify?",
        SENTENCES,
    )
    assert found == [points.Point("renewed nationalism", 1), points.Point("delink key binational issues", 2)]
    assert points.lead(found) == ("In short: renewed nationalism; delink key binational issues.", (1, 2))
    assert points.lead([]) is None


def test_the_reply_is_read_or_refused():
    assert points.parse('{"points": ["a", " ", 3, "b"]}') == ["a", "b"]
    assert points.parse("points: a, b") is None
    assert points.parse('{"points": "a"}') is None
    assert points.parse('{"points": [') is None


class Reply:
    """A generator that returns one fixed reply and keeps the messages it was given."""

    def __init__(self, raw: str) -> None:
        self.raw, self.seen = raw, []

    def generate(self, messages, **kw):
        self.seen.append((messages, kw))
        return self.raw


def test_a_backend_error_means_no_lead_and_says_so():
    class Broken:
        def generate(self, messages, **kw):
            raise QAError("the model server is down", "start it")

    found, problem = points.ask(Broken(), "What obstacles?", [ev(SENTENCES[0])])
    assert found == [] and "failed to name the points" in problem


def test_a_point_is_two_words_or_more_and_keeps_its_closing_quote():
    sentences = ["Demonstrate success during a rapidly closing “Window of Opportunity.”", "It was investigated."]
    assert points.align("investigated", sentences) is None
    assert points.align("closing Window of Opportunity", sentences) == ("closing “Window of Opportunity.”", 1)


def test_a_span_does_not_end_on_an_owner():
    perry = [
        "Another important period of cooperation followed then–Secretary of Defense William Perry’s visit to Mexico."
    ]
    assert points.align("period of cooperation followed William Perry’s", perry) is None
    assert points.align("Secretary of Defense William Perry’s visit", perry) == (
        "Secretary of Defense William Perry’s visit to Mexico",
        1,
    )
