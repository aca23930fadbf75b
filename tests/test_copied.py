"""The run a failed answer phrase copied from a sentence (``qa.copied``), and the
organisation check of "which agency / party …" answers (``qa.phrase_kind.of_kind``),
on real sentences of the shipped articles."""

from __future__ import annotations

from qa.asks import ask_of
from qa.copied import runs
from qa.extract import committed
from qa.phrase_kind import of_kind
from tests.test_extract import ev

DOWNIE = (
    "On a March 14 teleconference with the Pacific Council, Dr. Richard Downie, managing director of Delphi "
    "Strategic Communications, explained that Mexican voters have become fed up with violence, corruption, and "
    "astronomical rates of homicide."
)
EAGLES = (
    "For example, during World War II, the two countries formed the Joint Mexican–United States Defense Commission "
    "(JMUSDC), and Mexico sent the famous Mexican Fighter Squadron 201, the “Aztec Eagles,” to fly close air "
    "support missions for US troops in the Philippines."
)
ZAMBADA = (
    "The capo landed in Santa Teresa, New Mexico, and was quickly taken into custody and then to the U.S. Federal "
    "Court Building in El Paso, Texas."
)


def test_a_sentence_the_model_wrote_is_cut_to_the_run_it_copied() -> None:
    q = "What was Richard Downie's job at the time of the Pacific Council teleconference?"
    said = (
        "Richard Downie was the managing director of Delphi Strategic Communications at the time of the 2019 "
        "Pacific Council teleconference."
    )
    c = committed(q, ask_of(q), said, [ev(DOWNIE)], [1])
    assert (c.ok, c.by, c.phrase, c.model_why) == (
        True,
        "copied",
        "managing director of Delphi Strategic Communications",
        "not verbatim",
    )


def test_a_run_keeps_the_closing_quote_it_opened() -> None:
    q = "Which Mexican air unit flew alongside American forces in the Second World War?"
    said = "Mexican Fighter Squadron 201, the 'Aztec Eagles', flew alongside American forces in the Philippines."
    assert "Mexican Fighter Squadron 201, the “Aztec Eagles,”" in runs(said, EAGLES)
    c = committed(q, ask_of(q), said, [ev(EAGLES)], [1])
    assert c.ok and c.by == "copied" and c.phrase.startswith("Mexican Fighter Squadron 201")


def test_a_run_that_only_repeats_the_question_is_not_an_answer() -> None:
    q = "What was Richard Downie's job at the time of the Pacific Council teleconference?"
    said = "Richard Downie spoke at the time of the Pacific Council teleconference about voters."
    c = committed(q, ask_of(q), said, [ev(DOWNIE)], [1])
    assert not c.ok and c.by == "model"


def test_a_single_copied_word_is_not_taken() -> None:
    q = "Who runs the floor vote for the Speaker when a new House first convenes?"
    c = committed(q, ask_of(q), "Members of the party caucus select a candidate", [ev(DOWNIE)], [1])
    assert not c.ok


def test_a_building_is_not_the_agency_asked_for() -> None:
    q = "Which U. S. agency ran the operation that abducted El Mayo Zambada in the summer of 2024?"
    said = "U. S. Federal Court Building in El Paso, Texas"
    assert not committed(q, ask_of(q), said, [ev(ZAMBADA)], [1]).ok
    for phrase in ("the Drug Enforcement Administration (DEA)", "ATF", "Bureau of Alcohol, Tobacco and Firearms"):
        assert of_kind(ask_of(q), phrase, q), phrase
    party = "Which political party does the brief say will stay in power in Mexico?"
    assert of_kind(ask_of(party), "MORENA Party", party)
    assert not of_kind(ask_of(party), "Andrés Manuel López Obrador", party)


def test_the_noun_asked_for_is_no_echo_of_the_question():
    brief = (
        "Mexico’s renewed nationalism, historically associated with anti-Americanism, and the ratification of the "
        "MORENA Party in power over the next six years is a barrier for bilateral cooperation."
    )
    q = "Which political party does the brief say will stay in power in Mexico for the next six years?"
    c = committed(q, ask_of(q), "MORENA Party", [ev(brief)], [1])
    assert c.ok, c.why
    who = "Who wrote the preface to Downie's paper?"
    assert committed(who, ask_of(who), "Richard Downie", [ev(DOWNIE)], [1]).why == "echo"


def test_a_number_in_a_name_is_no_predicate_word():
    from qa.grounding import shares_predicate

    q = "At what time and on what day must Congress assemble each year under the 20th Amendment?"
    terms = (
        "The terms of the President and the Vice President shall end at noon on the 20th day of January, and the "
        "terms of Senators and Representatives at noon on the 3d day of January."
    )
    meets = "The Congress shall assemble at least once in every year, and such meeting shall begin at noon on the 3d day of January."
    assert not shares_predicate(q, terms)  # "20th" of "the 20th Amendment" is not "the 20th day"
    assert shares_predicate(q, meets)


CLERK = "When a Speaker is selected at the start of a new Congress, the Clerk of the House presides."
VACANT = (
    "In October of the first session of the 118th Congress, the House elected a new Speaker after having "
    "declared the position vacant earlier in the month."
)


def test_a_run_is_cut_of_the_question_words_at_its_ends() -> None:
    q = "Who presides over the election of a Speaker at the start of a new Congress?"
    said = "The Clerk of the House presides at the start of a new Congress."
    c = committed(q, ask_of(q), said, [ev(CLERK)], [1])
    assert (c.ok, c.by, c.phrase) == (True, "copied", "Clerk of the House")


def test_the_role_the_question_names_is_no_one_new() -> None:
    # "Speaker" is said by the question's "speakership": "new Speaker" names no one
    q = "Who presided after the speakership was declared vacant in October 2023?"
    assert not of_kind(ask_of(q), "new Speaker", q)
    assert of_kind(ask_of(q), "Patrick McHenry", q)
    c = committed(q, ask_of(q), "The new Speaker presided.", [ev(VACANT)], [1])
    assert not c.ok
