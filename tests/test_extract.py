"""The answer span found by rule when the model's phrase fails (``qa.extract``):
each kind's rule on real sentences of the shipped articles, and the guards
that keep a near-miss unanswerable question refused."""

from __future__ import annotations

from dataclasses import replace

import pytest

from qa.asks import ask_of
from qa.extract import committed, extracted
from qa.records import Chunk, Evidence, Hit, SourceInfo, SourceMeta


def ev(text: str, score: float = 0.5) -> Evidence:
    meta = SourceMeta(title="Mexico security", authors=("Jane Doe",), date="2011")
    src = SourceInfo("s", "sources/s.txt", "sources/s.txt", "0" * 64, meta, 1)
    chunk = Chunk("s#0", "s", 0, 0, len(text), text, text)
    return Evidence(Hit(1, 1.0, chunk, src, 1, 1), 0, len(text), text, score)


CALDERON = (
    "President Calderón reached out to President George W. Bush in 2007 requesting the United States’ help on "
    "security and controlling violence in Mexico."
)
VERACRUZ = (
    "Within this context, for example, we in the United States do not consider the importance Mexicans place on "
    "events such as the US Naval occupation of Veracruz, Mexico, in 1914."
)
ORLANDO = (
    "Rather than fight violence and mafia lawlessness through direct attacks by law enforcement, the city’s mayor, "
    "Leoluca Orlando, worked to change the culture of Palermo."
)
HELICOPTERS = (
    "Under the Mérida Initiative the United States delivered five Bell helicopters to the Mexican army in 2009."
)
GUERRERO = (
    "It will need the help of the U.S. and possibly also Canada to deal with organized crime, in what Eduardo "
    "Guerrero has called a “North American Security Treaty.”"
)
CZAR = (
    "Another well-known instance in 1998 involved Mexican President Ernesto Zedillo’s Drug Czar, General Jesús Gutiérrez\n"
    "Rebollo, who turned out to be on a cartel's payroll."
)
PENA_NIETO = (
    "Calderón’s successor President Enrique Peña Nieto continued this fight with the drug cartels when he took "
    "office in 2012."
)
PASCUAL = "Ambassador Carlos Pascual resigned in March 2011 after the WikiLeaks cables were published."
# ../shared/foreign: the Congressional Record of July 20, 2005 and the 20th Amendment
DODD = "Today, along with Senator Dodd, I am introducing the ``Paul Wellstone Early Educator Loan Forgiveness Act.''"
NOON = (
    "The Congress shall assemble at least once in every year, and such meeting shall begin at noon on the 3d day of "
    "January, unless they shall by law appoint a different day."
)


@pytest.mark.parametrize(
    "question, sentence, phrase",
    [
        ("Which Mexican president asked George W. Bush for help on security?", CALDERON, "Calderón"),
        ("In what year did the US Navy occupy Veracruz?", VERACRUZ, "1914"),
        ("Which mayor led Palermo's fight against the mafia?", ORLANDO, "Leoluca Orlando"),
        ("How many helicopters did the United States deliver to the Mexican army?", HELICOPTERS, "five"),
        ('Who proposed a "North American Security Treaty"?', GUERRERO, "Eduardo Guerrero"),
        ("Which Mexican drug czar turned out to be on a cartel's payroll?", CZAR, "Jesús Gutiérrez Rebollo"),
        # an irregular past in the sentence matches the question's present ("take office" / "took office")
        ("When did Enrique Peña Nieto take office?", PENA_NIETO, "2012"),
        # the bill's full name held: "along with" says "joined" in other words; "Today" is no name
        (
            "Which senator joined DeWine in introducing the Paul Wellstone Early Educator Loan Forgiveness Act?",
            DODD,
            "Dodd",
        ),
        # a day with no year is a date
        ("When does the Congress assemble each year?", NOON, "noon on the 3d day of January"),
    ],
)
def test_a_failed_phrase_is_replaced_by_the_span_the_rule_finds(question, sentence, phrase):
    shortlist = [ev("Mexico and the United States agreed on the Mérida Initiative in 2007."), ev(sentence)]
    c = committed(question, ask_of(question), "NONE", shortlist, [1])
    assert c.ok and c.phrase == phrase and c.holder == 2
    assert c.by == "rule" and c.model_why == "none" and c.to_json()["model_why"] == "none"


def test_a_phrase_that_stands_is_kept_as_the_model_gave_it():
    q = "In what year did the US Navy occupy Veracruz?"
    c = committed(q, ask_of(q), "in 1914", [ev(VERACRUZ)], [1])
    assert c.ok and c.by == "model" and "model_why" not in c.to_json()


@pytest.mark.parametrize(
    "question, sentences",
    [
        # the near miss: only his resignation is written, no successor
        ("Who became ambassador after Carlos Pascual resigned?", [PASCUAL]),
        ("Who replaced Carlos Pascual as ambassador?", [PASCUAL]),
        # a bare "who" has no role to anchor a name
        ("Who asked George W. Bush for help on security?", [CALDERON]),
        # a date from a sentence that does not share the question's predicate
        ("When did the Navy occupy Tampico?", [VERACRUZ]),
        # …all of it: "created" is not said of the national guard
        (
            "When was Mexico's national guard created?",
            [
                "As a consequence of the events of September 11, 2001, the United States reorganized its national "
                "security structure to create the US Northern Command."
            ],
        ),
        # a date of another year than the question names
        (
            "When was Mexico's 2012 presidential election held?",
            ["Since his election in July 2018, López Obrador has acted."],
        ),
        # an amount of people for a question asking for money
        (
            "What was the budget of Mexico's federal police in 2011?",
            [
                "The federal police force has been increased from 6,000 officers to 35,000 officers from 2008 until 2011."
            ],
        ),
        # an amount of something else than what is counted
        ("How many helicopters did Mexico buy from Russia?", ["Mexico bought 12 aircraft from Russia in 2010."]),
        # two spans of the kind in one sentence: no choosing between them
        ("When was the agreement signed and ratified?", ["The agreement was signed in 2007 and ratified in 2008."]),
        # the bill named in full, but no senator beside it
        (
            "Which senator opposed the Paul Wellstone Early Educator Loan Forgiveness Act?",
            ["Our bill, the Paul Wellstone Early Educator Loan Forgiveness Act, would expand loan forgiveness."],
        ),
    ],
)
def test_no_span_is_found_where_the_sentence_does_not_answer(question, sentences):
    assert extracted(question, ask_of(question), [ev(s) for s in sentences], [1]) is None


def test_untyped_questions_get_no_span_by_rule():
    q = "Why did Calderón ask for help?"
    assert extracted(q, ask_of(q), [ev(CALDERON)]) is None


@pytest.mark.parametrize(
    "question, sentence, phrase",
    [
        (
            "Who is Óscar Naranjo?",
            "Peña Nieto named a new security adviser, Óscar Naranjo, a Colombian general with a long track record.",
            "a Colombian general with a long track record",
        ),
        (
            "What is SEMAR?",
            "In 2007 the Mexican Navy Secretariat (SEMAR) established a liaison officer position at USNORTHCOM.",
            "the Mexican Navy Secretariat",
        ),
        (
            "Who is Óscar Naranjo?",
            "Peña Nieto chose a new security adviser, Óscar Naranjo, a Colombian general close to U.S. officials, in June.",
            "a Colombian general close to U.S. officials",  # "U.S." before a word in lower case goes on
        ),
        (
            "What is the Center for Research and National Security?",
            "As partners leave the federal police and the Center for Research and National Security, Mexico’s premier "
            "intelligence agency, the relationship will suffer.",
            "Mexico’s premier intelligence agency",  # an apposition opening with an owner
        ),
        (
            "What is BEST?",
            "BEST (Border Enforcement Security Task Force) units combine agencies.",
            "Border Enforcement Security Task Force",
        ),
        (
            "Who is Craig Deare?",
            "Another school of thought, expressed by National Defense University Professor Craig Deare, holds that ties will last.",
            "National Defense University Professor",
        ),
    ],
)
def test_a_definition_is_read_off_an_apposition_when_the_model_echoes(question, sentence, phrase):
    target = question.split(" ", 2)[2].rstrip("?")
    c = committed(question, ask_of(question), target, [ev(sentence)], [1])
    assert c.ok and c.phrase == phrase and c.by == "rule" and c.model_why == "echo"


DEATHS = (
    "In response to his administration’s direct attack on corruption, the violence in Mexico dramatically increased "
    "to nearly 6,000 narcotics-related deaths per year since 2007 and more than 10,000 in 2010."
)
HOMICIDES = (
    "Drug-related homicides rose from 2,826 in 2007 to 5,207 in 2008; 6,587 in 2009; and more than 10,000 in 2010."
)


@pytest.mark.parametrize(
    "sentence, year, amount",
    [
        (DEATHS, 2010, "10,000"),
        (DEATHS, 2007, "6,000"),
        (HOMICIDES, 2007, "2,826"),
        (HOMICIDES, 2008, "5,207"),
        (HOMICIDES, 2009, "6,587"),
        (HOMICIDES, 2010, "10,000"),
    ],
)
def test_the_amount_of_the_asked_year_and_no_other_stands(sentence, year, amount):
    from qa.spans import amount_of_year

    noun = "narcotics-related deaths" if sentence == DEATHS else "drug-related homicides"
    q = f"How many {noun} did Mexico have in {year}?"
    assert amount_of_year(q, sentence) == amount
    wrong = next(a for a in ("6,000", "10,000", "2,826") if a in sentence and a != amount)
    c = committed(q, ask_of(q), wrong, [ev(sentence)], [1])
    assert c.ok and c.phrase == amount and c.by == "rule" and c.model_why == "off topic"
    assert committed(q, ask_of(q), amount, [ev(sentence)], [1]).by == "model"


def test_a_who_phrase_ending_in_the_questions_own_name_is_an_echo():
    q = "Who wrote the preface to Downie's CHDS paper?"
    sentence = "This paper features an outstanding paper by CHDS Director, Dr. Richard Downie, with a preface."
    c = committed(q, ask_of(q), "Richard Downie", [ev(sentence)], [1])
    assert not c.ok and c.why == "echo"


def test_an_amount_in_another_unit_than_the_counted_noun_is_the_wrong_kind():
    q = "How many terms may a Senator serve under the Constitution?"
    sentence = "The Senate shall be composed of two Senators from each State, elected for six years."
    c = committed(q, ask_of(q), "six years", [ev(sentence)], [1])
    assert not c.ok and c.why == "wrong kind"
    q = "How many helicopters did the United States deliver to the Mexican army?"
    assert committed(q, ask_of(q), "five", [ev(HELICOPTERS)], [1]).ok


def test_a_lead_keeps_the_closing_quote_of_a_quoted_name():
    from qa.leads import lead_text

    assert lead_text('U.S. "Border Czar"') == 'U.S. "Border Czar".'
    assert lead_text('"July 2012"') == "July 2012."
    assert (
        lead_text("Mexican Fighter Squadron 201, the “Aztec Eagles,”")
        == "Mexican Fighter Squadron 201, the “Aztec Eagles”."
    )


def test_the_one_clause_of_a_list_sentence_naming_the_asked_thing_gives_its_date():
    # sources/002 (Downie): a sentence listing events with their years, clauses split at ";"
    events = ev(
        "Within this context, we do not consider the importance Mexicans place on events such as: Texas’s "
        "declaration of independence from Mexico in 1836 and its accession to the United States in 1845; the US "
        "war with Mexico from 1846–48; the US Naval occupation of Veracruz, Mexico, in 1914; and US punitive "
        "expeditions into Mexico in 1916 and 1917 to hunt for Pancho Villa."
    )
    q = "In what year did U.S. naval forces occupy Veracruz?"
    c = extracted(q, ask_of(q), [events])
    assert c is not None and c.phrase == "1914" and c.ok
    # a clause must hold every name the question asks about, and one date only
    for near_miss in ("In what year did U.S. forces occupy Mexico City?", "When did Texas declare independence?"):
        assert extracted(near_miss, ask_of(near_miss), [events]) is None


def test_who_did_an_act_is_read_off_the_passives_agent():
    """ "Who originally wrote…?" and NONE beside "This report was originally written by Thomas P. Carr…"
    (a CRS report's own note): the agent of the asked act is the answer; a passive with no name is none."""
    meta = SourceMeta(title="Types of Committee Hearings", authors=("Valerie Heitshusen",), date="2026")
    src = SourceInfo("s", "sources/s.txt", "sources/s.txt", "0" * 64, meta, 1)

    def of_report(text: str) -> Evidence:
        return Evidence(Hit(1, 1.0, Chunk("s#0", "s", 0, 0, len(text), text, text), src, 1, 1), 0, len(text), text, 0.5)

    q = "Who originally wrote the CRS report Types of Committee Hearings?"
    note = "This report was originally written by Thomas P. Carr, formerly an Analyst in American National Government."
    shortlist = [of_report("Committees hold several types of hearings."), of_report(note)]
    c = committed(q, ask_of(q), "NONE", shortlist, [1])
    assert c.ok and c.phrase == "Thomas P. Carr" and c.by == "rule"
    unnamed = [of_report("This report was originally written by the staff of the committee.")]
    assert not committed(q, ask_of(q), "NONE", unnamed, [1]).ok
    bill = "Who introduced S. 1439?"
    sponsor = [ev("S. 1439 was introduced by Sen. John McCain and referred to the Committee on Indian Affairs.")]
    assert committed(bill, ask_of(bill), "NONE", sponsor, [1]).phrase == "John McCain"


def test_which_noun_is_read_off_the_one_noun_the_sentence_names():
    """ "Which election…?" beside "…back to the 1994 election, which many in the party believe they lost…":
    the named noun answers; a sentence naming no election, or two, gives none."""
    q = "Which election do many Democrats believe they lost because of gun politics?"
    gun = (
        "There are those that believe that pushing gun control could take Democrats back to the 1994 election, "
        "which many in the party believe they lost because of gun politics."
    )
    c = committed(q, ask_of(q), "2009", [ev("Mexico held elections."), ev(gun)], [1])
    assert c.ok and c.phrase == "1994 election" and c.by == "rule" and c.holder == 2
    two = gun.replace("the 1994 election", "the 1994 election or the 2010 election")
    assert not committed(q, ask_of(q), "2009", [ev(two)], [1]).ok
    none = gun.replace("the 1994 election", "an old election")
    assert not committed(q, ask_of(q), "2009", [ev(none)], [1]).ok
    # a verb or a determiner after "what" is no head noun: "The Mexicans were" names nothing asked
    were = "What were the reasons the Mexicans were angry about the checkpoints?"
    angry = [ev("The Mexicans were angry about the checkpoints, which The Army ran.")]
    assert not committed(were, ask_of(were), "NONE", angry, [1]).ok


def test_a_counted_number_leads_with_the_noun_it_counts():
    from qa.leads import with_noun

    treason = "No Person shall be convicted of Treason unless on the Testimony of two Witnesses to the same overt Act"
    q = "How many witnesses does the Constitution require to convict someone of treason?"
    assert with_noun("two", treason, q) == "two Witnesses"
    assert with_noun("five", HELICOPTERS, "How many helicopters were delivered?") == "five Bell helicopters"
    assert with_noun("2009", HELICOPTERS, "How many helicopters were delivered?") == "2009"  # no noun after it
    assert with_noun("five", HELICOPTERS, "When were the helicopters delivered?") == "five"  # nothing counted


def test_which_committee_is_read_as_the_committee_the_sentence_titles():
    # ../shared/foreign's Congressional Record: a bill and the committee it went to
    bill = (
        "S. 1429. A bill to amend the Higher Education Act of 1965 to assist homeless students, and for other "
        "purposes; referred to the Committee on Health, Education, Labor, and Pensions."
    )
    q = "Which committee was S. 1429 referred to?"
    found = extracted(q, ask_of(q), [ev(bill)])
    assert found is not None and found.phrase == "Committee on Health, Education, Labor, and Pensions"


def test_what_the_source_says_is_asked_not_that_it_says_it():
    from qa.asks import without_source_says

    q = "Which political party does the Baker Institute brief say will stay in power in Mexico for the next six years?"
    assert without_source_says(q) == "Which political party will stay in power in Mexico for the next six years?"
    # a question on the saying itself, or on what a source says about a topic, keeps its words
    for kept in ("When did General Renuart say relations were better than ever?", "What does Downie say about Mérida?"):
        assert without_source_says(kept) == kept
    morena = ev(
        "- Mexico's renewed nationalism and the ratification of the MORENA Party in power over the next six years "
        "is a barrier for bilateral cooperation."
    )
    brief = SourceMeta(title="Election 2024: Policy Playbook", authors=("Baker Institute",), date="2024")
    morena = replace(morena, hit=replace(morena.hit, source=replace(morena.hit.source, meta=brief)))
    c = extracted(q, ask_of(q), [morena])
    assert c is not None and c.phrase == "MORENA Party"


def test_a_sentence_of_one_clause_gets_no_looser_clause_rule():
    q = "When was Mexico's national guard created?"
    northcom = ev(
        "After September 11, 2001, the United States reorganized its national security structure to create "
        "the US Northern Command, with security cooperation with Mexico, Canada, and the Bahamas."
    )
    assert extracted(q, ask_of(q), [northcom]) is None  # two of three predicate words: not the rule's three


def test_a_name_in_the_question_is_no_which_noun_head():
    q = "What was López Obrador's approval rating after his first year in office?"
    s = ev(
        "Since his election, Mexican President Andrés Manuel López Obrador has enjoyed an 85 percent approval "
        "rating 100 days into office."
    )
    assert extracted(q, ask_of(q), [s]) is None  # not "President Andrés Manuel López Obrador"


@pytest.mark.parametrize(
    "text, dates",
    [
        ("such meeting shall begin at noon on the 3d day of January, unless", ["noon on the 3d day of January"]),
        ("shall be on the first Monday in December, unless", ["the first Monday in December"]),
        ("the election, set to take place on July 1.", ["July 1"]),
        ("On July 1, 2012, Mexicans voted; in March 2011 he resigned.", ["July 1, 2012", "March 2011"]),
        ("The bill may be debated for 30 days.", []),
    ],
)
def test_a_day_with_no_year_is_a_date(text, dates):
    from qa.spans import typed_spans

    assert typed_spans(text, "when") == dates


def test_a_title_with_no_name_after_it_is_no_name_beside_the_role():
    from qa.extract import _role_names

    assert _role_names("Which senator spoke?", "the senator Sen. spoke") == []  # no name: none, no error
    assert _role_names("Which general led the raid?", "The general, Gen. Smith, led it.") == ["Smith"]
