"""The committed answer's rules: what a question asks for, and each check on
the model's phrase (verbatim after each normalisation, kind, echo, length)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from qa import frontmatter
from qa.asks import ask_of, exact_names
from qa.commit import check_phrase, names_defined, normalise
from qa.compose import asked_share, compose, fit_length, related, why_refused
from qa.records import Chunk, Evidence, Hit, SourceInfo, SourceMeta


@pytest.mark.parametrize(
    "question, kind, target",
    [
        ("What is SEMAR?", "define", "SEMAR"),
        ("Who is Óscar Naranjo?", "define", "Óscar Naranjo"),
        ("What was the Mérida Initiative?", "define", "Mérida Initiative"),
        ("What does CISEN stand for?", "define", "CISEN"),
        # the context a name is asked in is not part of it; "mean by" asks a definition of any wording
        ("What is the PRD in Mexican politics?", "define", "PRD"),
        ('What does CRS mean by the "modern Congress"?', "define", "modern Congress"),
        ("What is meant by shared responsibility?", "define", "shared responsibility"),
        ("Who was New York's Lieutenant-Governor at the time Hamilton wrote Federalist No. 68?", "who", ""),
        ("What is the Bank of Mexico in charge of?", "thing", ""),
        ("If Mexico put the police in charge, how long would the army keep the lead?", "number", ""),
        ("After Pascual resigned, who replaced him?", "who", ""),
        (
            "What is the Center for Research and National Security?",
            "define",
            "Center for Research and National Security",
        ),
        ("Who was the U.S. ambassador in 2010?", "who", ""),
        ("Who became ambassador after Carlos Pascual resigned?", "who", ""),
        ("Which agency ran Fast and Furious?", "who", ""),
        ("what further institutions does Starr say are needed?", "thing", ""),  # bodies, not a name
        ("When did Carlos Pascual resign?", "when", ""),
        ("In what year was the office created?", "when", ""),
        ("Where does she say the military falls short?", "", ""),
        ("What year did the Mérida Initiative begin?", "when", ""),
        ("How many official visits did he make?", "number", ""),
        ("How much did Congress appropriate?", "number", ""),
        ("Where was the prison break?", "where", ""),
        ("Which city hosted the summit?", "where", ""),
        ("What equipment did the United States provide?", "thing", ""),
        ("What is the short title of S. 1439?", "thing", ""),
        ("What is the annual budget of the Bicentennial Framework?", "number", ""),
        ("Which Mexican president asked George W. Bush for help on security?", "who", ""),
        ("Which operations did the Navy lead?", "thing", ""),
        ("What was the death toll in 2010?", "number", ""),
        ("What do the sources say about fentanyl?", "topic", "fentanyl"),
        ("What does the report say about the National Guard?", "topic", "the National Guard"),
        ("Why did Calderón turn to the military?", "", ""),
        ("How did the cooperation change?", "", ""),
        ("What does Downie recommend?", "", ""),
        ("Did the United States send troops?", "", ""),
        ("What did the U.S. provide to Mexico?", "", ""),
        ("and who ran it? (mérida initiative)", "who", ""),
        # "according to X" names whose text it is; "say" after "which <noun>" still asks for the thing
        ("According to Starr, when did Calderón take office?", "when", ""),
        ("Which election do many Democrats believe they lost, according to Arzt?", "thing", ""),
        ("Which political party does the brief say will stay in power?", "who", ""),
        ("What was Richard Downie's job in 2019?", "thing", ""),
        ("What was López Obrador's approval rating after his first year in office?", "thing", ""),
        ('What is "El Grito"?', "define", "El Grito"),
        # a plain plural of a who/where noun asks the same
        ("Which senators introduced S. 1439?", "who", ""),
        ("Which Mexican drug czar was on a cartel's payroll?", "who", ""),
        # a leading clause of time or condition: its main clause asks (yes/no here: no phrase)
        ("When the House picks its leader, are Members limited to the parties' nominees?", "", ""),
        ("When the House first convenes, who presides?", "who", ""),
        ("Where was Zambada abducted, when he came from Sinaloa?", "where", ""),
        # where a power comes from is a source (a clause, a law), not a place
        ("Where does the House's power to choose its Speaker come from?", "thing", ""),
        # where something falls short, stands or differs is a respect or a position, not a place
        ("Where does the Mexican military still fall short?", "", ""),
        ("Where do the two briefs differ on legalization?", "", ""),
        ("Where do the authors stand on extradition?", "", ""),
        ("Where was the summit held?", "where", ""),
        # "the name of X" asks for what X is: a person's name for a clerk, a thing's for an operation
        ("What was the name of the House Clerk who presided over the 1962 election?", "who", ""),
        ("What is the name of the operation?", "thing", ""),
        ("What is the name of the city where he landed?", "where", ""),
        ("for how long? (weapon tracing system mexico)", "number", ""),  # a second part: "…, and for how long?"
    ],
)
def test_what_a_question_asks_for(question, kind, target):
    got = ask_of(question)
    assert (got.kind, got.target) == (kind, target)


def test_phrases_are_asked_only_for_things():
    assert ask_of("Who is X?").wants_phrase and not ask_of("Why?").wants_phrase
    assert not ask_of("What do the sources say about fentanyl?").wants_phrase


@pytest.mark.parametrize(
    "raw, norm",
    [
        ("“Indian Trust Reform Act of 2005”", '"indian trust reform act of 2005"'),
        ("``Indian Trust Reform Act''", "''indian trust reform act''"),
        ("15 percent", "15%"),
        ("15 per cent", "15%"),
        ("50,000 deaths", "50000 deaths"),
        ("counter-\nnarcotics", "counternarcotics"),
        ("A  B\nC", "a b c"),
        ("2007–2008", "2007-2008"),
        ("Ninety percent", "90%"),
        ("forty-four inmates", "44 inmates"),
    ],
)
def test_normalisations(raw, norm):
    assert normalise(raw) == norm


def ev(text: str, sid: str = "s", score: float = 0.5, start: int = 0, section: str | None = None) -> Evidence:
    meta = SourceMeta(title="T", authors=("Jane Doe",), date="2011")
    src = SourceInfo(sid, f"sources/{sid}.txt", f"sources/{sid}.txt", "0" * 64, meta, 1)
    chunk = Chunk(f"{sid}#{start}", sid, 0, start, start + len(text), text, text, section)
    return Evidence(Hit(1, 1.0, chunk, src, 1, 1), 0, len(text), text, score)


SHORT = [
    ev("The Mexican Navy Secretariat (SEMAR) established a liaison officer position at USNORTHCOM in 2007."),
    ev("Peña Nieto’s selection of a new security adviser, Óscar Naranjo, a Colombian general, seems calculated."),
    ev("Ambassador Carlos Pascual resigned in March 2011 after the cables were published."),
    ev("Violence rose to more than 15 percent of all deaths, some 50,000 people."),
    ev("This Act may be cited as the ``Indian Trust Reform Act of 2005''.", section="S. 1439"),  # the bill's heading
]


@pytest.mark.parametrize(
    "question, phrase, holder, why",
    [
        ("What is SEMAR?", "the Mexican Navy Secretariat", 1, ""),
        ("Who is Óscar Naranjo?", "a Colombian general", 2, ""),
        ("Who is Óscar Naranjo?", "Óscar Naranjo", 2, "echo"),
        ("What is SEMAR?", "SEMAR is the Mexican Navy Secretariat.", 1, ""),  # the restated subject dropped
        ("When did Carlos Pascual resign?", "March 2011", 3, ""),
        ("When did Carlos Pascual resign?", "the cables", 3, "wrong kind"),
        ("How many people died?", "50,000 people", 4, ""),
        ("How many people died?", "15 per cent", 4, "wrong kind"),  # a share counts no dead
        ("How many people died?", "all deaths", 4, "wrong kind"),
        ("Who became ambassador after Carlos Pascual resigned?", "Carlos Pascual", 3, "echo"),
        ("Who became ambassador after Carlos Pascual resigned?", "Earl Anthony Wayne", 0, "not verbatim"),
        ("Who became ambassador after Carlos Pascual resigned?", "NONE", 0, "none"),
        ("What is the short title of S. 1439?", "“Indian Trust Reform Act of 2005”", 5, ""),  # its own quotes dropped
        ("What is the short title of S. 1439?", "Indian Trust Reform Act of 2005", 5, ""),
        ("Where is the liaison position?", "USNORTHCOM", 1, ""),
        ("Where is the liaison position?", "a liaison officer position", 1, "wrong kind"),
        ("What is SEMAR?", "the Colombian general", 0, "not verbatim"),
        ("What is SEMAR?", "a Colombian general", 2, "wrong kind"),  # from a sentence that does not name SEMAR
        ("Who is Óscar Naranjo?", " ".join(["a"] * 21), 0, "too long"),
        ("How many helicopters were handed over?", "5 helicopters", 0, "not verbatim"),
        # grounded: the counted noun is in the holder, and the question's years in its passage or date
        ("How many DEA agents has Mexico refused to accredit?", "50,000", 4, "off topic"),
        ("How many deaths were there?", "50,000", 4, ""),
        ("Who resigned as ambassador in 2015?", "Carlos Pascual", 3, "off topic"),
        ("Who resigned as ambassador in 2011?", "Carlos Pascual", 3, ""),  # the source's own date
        ("Where does Óscar Naranjo work?", "Colombian", 2, "off topic"),  # names him, says nothing of work
        ("When did Peña Nieto choose Óscar Naranjo?", "mid-June", 0, "not verbatim"),
        # a source's label is the author, not a speaker its sentence quotes
        ("Who wrote about the SEMAR liaison position?", "Doe", 1, ""),
        ("Who said the SEMAR liaison position was established?", "Doe", 0, "not verbatim"),
    ],
)
def test_each_check_on_the_phrase(question, phrase, holder, why):
    c = check_phrase(question, ask_of(question), phrase, SHORT)
    assert (c.holder, c.why) == (holder, why)
    assert c.ok == (why == "")


def test_how_long_is_answered_by_a_length_of_time():
    # sources/002 (Downie): "…has not viewed the Mexican military in hostile terms in nearly a century…"
    held = [
        ev(
            "The United States has not viewed the Mexican military in hostile terms in nearly a century and has "
            "for many decades focused on threats from the Soviet Union."
        )
    ]
    q = "For how long has the United States not regarded the Mexican military as hostile?"
    assert ask_of(q).kind == "number"
    assert check_phrase(q, ask_of(q), "nearly a century", held).ok
    assert check_phrase(q, ask_of(q), "the Soviet Union", held).why == "wrong kind"
    # the model's reply run on past its phrase: the length of time inside it stands
    long = "nearly a century and has for many decades focused on threats from the Soviet Union, as the text says"
    assert check_phrase(q, ask_of(q), long, held).phrase == "nearly a century"


def test_the_kind_of_thing_asked_restated_is_no_answer():
    # sources/002 (Downie): "What equipment…?" is not answered by "Equipment transfers…"
    held = [ev("Equipment transfers made possible through the Mérida Initiative mattered: helicopters and radios.")]
    q = "What equipment did Mexico get under the Mérida Initiative?"
    assert check_phrase(q, ask_of(q), "Equipment transfers made possible", held).why == "echo"
    assert check_phrase(q, ask_of(q), "helicopters and radios", held).ok
    q = "Which treaty ended the war?"
    held = [ev("The Treaty of Guadalupe Hidalgo ended the war in 1848.")]
    assert check_phrase(q, ask_of(q), "Treaty of Guadalupe Hidalgo", held).ok


def test_an_amount_for_a_part_does_not_answer_a_question_for_the_whole():
    # sources/003 (Arzt): the installment held up is not what Congress appropriated
    held = [ev("The US\\$100 million installment of Mérida aid to Mexico was held up over concerns.")]
    q = "How much money did Congress appropriate for the Mérida Initiative?"
    assert check_phrase(q, ask_of(q), "$100 million", held).why == "off topic"
    q = "How much Mérida aid was held up over concerns?"  # the sentence's own act
    assert check_phrase(q, ask_of(q), "$100 million", held).ok


def test_the_holder_is_a_chosen_sentence_first():
    twice = [ev("The Navy (SEMAR) helped.", score=0.9), ev("SEMAR is the Navy.", score=0.1)]
    c = check_phrase("What is SEMAR?", ask_of("What is SEMAR?"), "the Navy", twice, prefer=[2])
    assert c.holder == 2
    c = check_phrase("What is SEMAR?", ask_of("What is SEMAR?"), "the Navy", twice)
    assert c.holder == 1  # the best pre-scored


def test_answer_is_led_by_the_phrase_then_its_quote_only():
    q = "When did Carlos Pascual resign?"
    c = check_phrase(q, ask_of(q), "March 2011", SHORT)
    out = compose(q, [c], SHORT, chosen=[1, 2, 3, 4], model_ids=[1, 3])
    assert out.leads == (("March 2011.", 3),) and out.quotes[0] == 3
    assert not compose(q, [check_phrase(q, ask_of(q), "NONE", SHORT)], SHORT, [1, 3], [3]).quotes


def test_topic_answers_only_sentences_naming_the_topic_one_per_source_first():
    short = [ev("Fentanyl kills many.", "a"), ev("Cartels grew.", "a"), ev("Fentanyl trafficking rose.", "b")]
    out = compose("What do the sources say about fentanyl?", [], short, [1, 2, 3], [2, 1, 3], topic="fentanyl")
    assert out.quotes == (1, 3)


def test_length_cap_keeps_the_leads_holders():
    assert fit_length(["a " * 50, "b " * 50, "c"], 3, 80, must=2) == [0, 1]
    assert fit_length(["a " * 50, "b " * 50, "c"], 3, 120, must=2) == [0, 1, 2]
    assert fit_length(["a " * 50, "b " * 50, "c"], 2, 80) == [0, 2]


def test_a_refusal_quotes_a_related_sentence_but_never_a_holder():
    q = "Who replaced Carlos Pascual after he resigned?"
    assert related(q, SHORT, [1, 3], 0.34) == 3
    assert related(q, SHORT, [1, 3], 0.34, exclude=[3]) == 0
    assert related("What is the weather in Oslo?", SHORT, [1, 3], 0.34) == 0


def test_a_phrase_from_a_passage_about_something_else_is_off_topic():
    short = [ev("The Monterrey prison break, during which a cartel murdered 44 inmates, shocked the country.")]
    q = "How many people were murdered in Ciudad Juárez in 2010?"
    assert check_phrase(q, ask_of(q), "44 inmates", short).why == "off topic"
    q = "How many inmates were murdered in the Monterrey prison break?"
    assert check_phrase(q, ask_of(q), "44 inmates", short).ok


def test_a_phrase_joined_from_pieces_and_a_source_label_are_found():
    short = [ev("Since 2007 there have been 230,000 homicides."), ev("Some 90% of crimes go unpunished.")]
    q = "How many homicides and what share of crimes go unpunished?"
    c = check_phrase(q, ask_of(q), "230,000 homicides, 90% of crimes", short)
    assert c.verbatim and c.holder == 1
    assert check_phrase(q, ask_of(q), "230,000 homicides, 95% of crimes", short).why == "not verbatim"
    q = "Who wrote that violence rose?"
    assert check_phrase(q, ask_of(q), "Doe, 2011", [ev("Violence rose.")]).ok  # the label the model was shown


def test_a_free_part_gets_its_own_quote_after_the_lead():
    """ "Who resigned, and why did the cables matter?": the lead answers the first
    part, the second part (no phrase) is answered by the chosen sentence most about it."""
    q = "When did Carlos Pascual resign?"
    lead = check_phrase(q, ask_of(q), "March 2011", SHORT)
    shortlist = [*SHORT, ev("The cables were published by WikiLeaks and angered the Mexican president.")]
    composed = compose(q, [lead], shortlist, [3, 4, 6], [3, 4, 6], free_parts=["why did the cables anger Mexico?"])
    assert composed.leads == (("March 2011.", 3),)
    assert composed.quotes == (3, 6)


def test_a_refusal_names_the_part_it_cannot_answer_in_words_a_reader_can_read():
    from qa.compose import refusal_lead

    plain = check_phrase("Who replaced him?", ask_of("Who replaced him?"), "NONE", SHORT)
    assert refusal_lead([plain], "R") == "The sources don't say who replaced him."
    q = "When did Congress pass the police bill?"
    inverted = check_phrase(q, ask_of(q), "NONE", SHORT)
    assert refusal_lead([inverted], "R") == "The sources don't answer “When did Congress pass the police bill?”"
    assert refusal_lead([], "R") == "R"


def test_a_sentence_naming_three_of_the_questions_names_is_about_it_in_other_words():
    abducted = [ev("On July 25, 2024, Ismael “El Mayo” Zambada was abducted from the state of Sinaloa.")]
    q = 'When was Ismael "El Mayo" Zambada taken from Sinaloa?'
    assert check_phrase(q, ask_of(q), "July 25, 2024", abducted).ok
    q = "When was Zambada taken?"  # one name, and nothing of "taken" in the sentence
    assert check_phrase(q, ask_of(q), "July 25, 2024", abducted).why == "off topic"


@pytest.mark.parametrize(
    "question, reply, phrase",
    [
        # the model wrote a sentence: the amount, date or name inside it is checked on its own
        ("How many people died?", "Some 50,000 people died in the violence, as the report says.", "50,000"),
        ("When did Carlos Pascual resign?", "He resigned in March 2011 after the cables came out.", "March 2011"),
    ],
)
def test_a_typed_answer_inside_a_sentence_the_model_wrote_is_salvaged(question, reply, phrase):
    c = check_phrase(question, ask_of(question), reply, SHORT)
    assert c.ok and c.phrase == phrase, c


def test_nothing_is_salvaged_when_no_span_passes_on_its_own():
    q = "How many DEA agents has Mexico refused to accredit?"
    assert check_phrase(q, ask_of(q), "Mexico refused 50,000 agents, the sources say.", SHORT).why == "not verbatim"


def test_a_salvaged_amount_must_share_the_questions_predicate():
    """ "How much does the U.S. spend on the task force?": "$100 million" from a sentence on aid held up is no answer."""
    short = [ev("The US$100 million installment of aid to Mexico was held up over concerns in Congress.")]
    q = "How much does the United States spend on the Border Enforcement Security Task Force?"
    assert check_phrase(q, ask_of(q), "The United States spends $100 million on it.", short).why == "not verbatim"
    q = "How much aid was held up over human rights concerns?"
    assert check_phrase(q, ask_of(q), "The $100 million installment was held up.", short).ok


def test_whose_words_they_are_is_not_what_the_passage_must_name():
    """ "…, according to Senator Murray?": a speech's passage need not name its speaker."""
    short = [ev("Some 70 percent of teens in foster care desire to go to college.")]
    q = "What share of teens in foster care want to go to college, according to Senator Murray?"
    assert check_phrase(q, ask_of(q), "70 percent", short).ok
    q = "What share of teens in foster care in Ohio want to go to college?"
    assert check_phrase(q, ask_of(q), "70 percent", short).why == "off topic"


def test_open_question_leads_with_the_sentence_holding_most_of_what_it_asks():
    # sentences from Starr (2012) and Arzt (2009): the model picked the related ones first
    short = [
        ev("Parallel changes could take place in the U.S. State and Justice Departments regardless of Obama."),
        ev("It is important to convey that halting the flow of weapons is not about the Second Amendment."),
        ev(
            "There are those that believe that pushing gun control could take Democrats back to the 1994 "
            "election, which many in the party believe cost them control of Congress."
        ),
        ev("After President Barack Obama took office in 2009, the initiative evolved into a broader partnership."),
    ]
    q = "Why might the Obama White House shy away from pushing gun restrictions?"
    out = compose(q, [], short, chosen=[1, 2, 3, 4], model_ids=[2, 1, 3, 4])
    assert out.quotes[0] == 3 and len(out.quotes) == 2
    out = compose(q, [], short, chosen=[1, 2, 3, 4], model_ids=[1, 2, 3, 4])
    assert out.quotes == (3,)  # a listed run is no choice: the others are related, not the answer
    assert len(out.beside) == 1  # …still weighed by the decision, which was fitted with two quotes
    out = compose(q, [], short, chosen=[1, 2, 3], model_ids=[3])
    assert out.quotes == (3,)  # the model chose one: a sentence it did not choose is not quoted beside it


def test_open_question_naming_two_sources_keeps_each_ones_sentence():
    short = [
        ev("Cooperation has continued because both governments share an interest in it.", sid="starr"),
        ev("Cooperation has continued, Olson said, because the agencies trust each other.", sid="pacific"),
        ev("The weather was mild that year.", sid="starr"),
    ]
    q = "Why has cooperation continued, according to Starr and the Pacific Council?"
    out = compose(q, [], short, chosen=[1, 2, 3], model_ids=[1, 2, 3], sources=["starr", "pacific"])
    assert set(out.quotes) == {1, 2}


def test_asked_share_does_not_count_the_sentences_own_author():
    q = "Why does Jane Doe think the partnership is fragile?"
    held = ev("The partnership is fragile because it rests on personal chemistry.")
    assert asked_share(q, held) == 1.0  # "Jane Doe" wrote it: her article need not name her


def test_open_question_naming_a_year_quotes_no_sentence_from_a_passage_without_it():
    short = [ev("The United States weighed designating Mexican cartels as terrorist organizations in 2019.")]
    q = "Did the United States designate Mexican cartels as foreign terrorist organizations in 2025?"
    assert not compose(q, [], short, chosen=[1], model_ids=[1]).quotes
    assert "year" in why_refused([], False, shown=False)


def test_what_is_x_whose_phrase_failed_quotes_only_sentences_naming_x():
    short = [
        ev("The decision resulted in the best US/Mexican military-to-military relations in decades."),
        ev("Cooperation would be limited, at best, to functional connections such as disaster relief."),
        ev("ICE leads the Border Enforcement Security Task Force (BEST) teams along the border."),
    ]
    q = "What is BEST?"
    out = compose(q, [], short, chosen=[1, 2], model_ids=[1, 2], defined="BEST")
    assert out.quotes == ()  # "best" in lower case names nothing: refused, not answered with it
    assert compose(q, [], short, chosen=[1, 3], model_ids=[1, 3], defined="BEST").quotes == (3,)
    assert names_defined("the Mexican Navy Secretariat (SEMAR)", "SEMAR")
    assert not names_defined("the best relations in decades", "BEST")
    assert names_defined("Professor Craig Deare holds that…", "Craig Deare")


def test_a_lead_is_shown_in_its_quotes_own_words():
    from qa.leads import as_written

    caption = "Delivery ceremony, December 15, 2009, which marked the official handover of five helicopters."
    assert as_written("5 helicopters", caption) == "five helicopters"  # the quote holds "five", not "5"
    assert as_written("December 15, 2009", caption) == "December 15, 2009"
    assert as_written("Mexico City", caption) == "Mexico City"  # not found: as given


def test_a_phrase_the_model_cut_short_runs_on_to_the_end_of_its_clause():
    from qa.leads import as_written

    # sources/000 (Starr): the model ended its phrase with "..." mid-clause
    s = (
        "Further steps should include the creation of a permanent bilateral commission on security cooperation "
        "responsible for setting priorities, suggesting joint strategies, and overseeing policy coordination; a "
        "permanent bilateral office to coordinate cooperation among border-state governors; and a long-term "
        "agreement governing cross-border training and liaison activities."
    )
    cut = "A permanent bilateral office to coordinate cooperation among border-state governors; and a long-term agreement governing cross-border training and..."
    assert as_written(cut, s).endswith("training and liaison activities")
    assert as_written("a permanent bilateral commission on security cooperation…", s).endswith(
        "overseeing policy coordination"
    )
    assert as_written("words the sentence does not hold and...", s) == "words the sentence does not hold"


def test_a_share_asked_of_a_group_is_the_amount_written_of_that_group():
    from qa.extract import committed
    from qa.spans import amount_of_group

    # ../shared/foreign/congressional_record_2005-07-20_S8560.html: two shares in one sentence
    s = ev(
        "A report from Casey Family Programs indicated that, nationwide, less than 27 percent of foster youth who "
        "graduated from secondary school went on to college, as compared to 52 percent of the general population."
    )
    q = "What share of foster youth who finish high school go on to college?"
    assert amount_of_group(q, s.text) == "27 percent"
    assert not check_phrase(q, ask_of(q), "52%", [s]).ok  # true, a number, but the other group's
    c = committed(q, ask_of(q), "52%", [s], (1,))
    assert c.ok and c.phrase == "27 percent" and c.by == "rule"
    # the group must be named whole: "drug-related deaths" is not "drug-war deaths" (sources/002)
    deaths = (
        "Ninety percent of drug-related deaths involved the traffickers; about 6 percent represent deaths in clashes."
    )
    assert amount_of_group("What share of drug-war deaths come from shootouts?", deaths) is None


def test_a_follow_ups_own_words_choose_the_first_quote_of_an_open_answer():
    # q010's shape: the rewrite carries the earlier answer's topic (the abduction), the user asks how Mexico reacted
    short = [
        ev("On July 25, 2024, Ismael “El Mayo” Zambada was allegedly abducted from the state of Sinaloa."),
        ev("The Mexican government was unaware of the operation and demanded an explanation, alleging violations."),
    ]
    q = "How did the Mexican government react to El Mayo Zambada's abduction?"
    assert compose(q, [], short, chosen=[1, 2], model_ids=[1, 2]).quotes[0] == 1  # the topic's words win
    out = compose(q, [], short, chosen=[1, 2], model_ids=[1, 2], own="How did the Mexican government react?")
    assert out.quotes[0] == 2


def test_a_question_asking_for_several_is_led_by_the_quote_that_names_them_not_one_phrase():
    from qa.asks import ask_of

    q = "Which U.S.-Canada defense institutions does Downie point to as a model of a mature partnership?"
    assert ask_of(q).plural and not ask_of("Which agency ran Fast and Furious?").plural
    short = [
        ev(
            "The defense relationship with Canada involves joint commissions, including the US/Canada Permanent Joint "
            "Board on Defense, established in 1948; the Military Cooperation Committee; and the North America "
            "Aerospace Defense Command."
        )
    ]
    c = check_phrase(q, ask_of(q), "North America Aerospace Defense Command", short)
    assert c.ok
    out = compose(q, [c], short, chosen=[1], model_ids=[1])
    assert out.leads == () and out.quotes == (1,)  # the whole list, not one of its items as "the" answer
    one = "Which U.S.-Canada defense institution does Downie point to first?"
    assert compose(
        one,
        [check_phrase(one, ask_of(one), "North America Aerospace Defense Command", short)],
        short,
        chosen=[1],
        model_ids=[1],
    ).leads


def test_a_failed_phrase_for_several_names_says_nothing_of_the_sources():
    """ "Who were the three leading candidates…?": one copied phrase cannot name them all; the quotes
    are decided instead of a refusal (the sentence listing the candidates was refused as "closest")."""
    q = "Who were the three leading candidates in Mexico's 2012 presidential election?"
    short = [
        ev(
            "Despite stump speeches devoid of detail, all three leading contenders -- Peña Nieto; Josefina Vázquez "
            "Mota of the ruling National Action Party (PAN); and Andrés Manuel López Obrador -- agree on the goal."
        )
    ]
    several = check_phrase(q, ask_of(q), "Pamela K. Starr", short)
    assert ask_of(q).plural and not several.ok and not several.refutes
    one = "Who was the ruling party's candidate in Mexico's 2012 presidential election?"
    assert check_phrase(one, ask_of(one), "Pamela K. Starr", short).refutes


def test_a_question_naming_a_numbered_bill_is_not_answered_from_a_passage_without_that_number():
    from qa.asks import ask_of

    short = [
        ev(
            "A vote on a resolution in 1910 declaring a vacancy failed, and the sitting Speaker, Joseph Cannon, remained."
        ),
        ev("Representative Matt Gaetz offered H.Res. 757, declaring the office of Speaker vacant, on October 2."),
    ]
    q = "Which Member offered H.Res. 757 to vacate the Speaker's office?"
    assert ask_of(q).kind == "who"  # a Member is a person
    assert check_phrase(q, ask_of(q), "Joseph Cannon", short).why == "off topic"
    assert check_phrase(q, ask_of(q), "Matt Gaetz", short).ok


def test_an_open_answers_second_quote_must_hold_half_as_much_of_the_question_as_its_first():
    short = [
        ev(
            "Calderón assessed that the police were too corrupt to fight the narcotraffickers, so he chose the military."
        ),
        ev("The Army has been charged with many human rights violations in urban areas."),
        ev("Calderón turned to the military because the police forces were corrupt and poorly trained."),
    ]
    q = "Why did Calderón give the fight against the narcotraffickers to the military instead of the police?"
    out = compose(q, [], short, chosen=[1, 2], model_ids=[2, 1])
    assert out.quotes == (1,)  # the Army's record holds little of what is asked: related, not the answer
    out = compose(q, [], short, chosen=[1, 3], model_ids=[1, 3])
    assert out.quotes == (1, 3)


def test_an_acronym_answer_is_shown_as_its_quote_spells_it_out():
    from qa.leads import as_written

    pan = "all three -- Peña Nieto; Josefina Vázquez Mota of the ruling National Action Party (PAN); and López Obrador"
    assert as_written("PAN", pan) == "National Action Party (PAN)"
    assert (
        as_written("SEMAR", "the Mexican Navy Secretariat (SEMAR) set up a post") == "Mexican Navy Secretariat (SEMAR)"
    )
    assert as_written("DEA", "agents of the DEA stayed") == "DEA"  # not spelled out in the quote: as it is
    q = "Which party was Josefina Vázquez Mota the candidate of?"
    c = check_phrase(q, ask_of(q), "PAN", [ev(pan)])
    lead = compose(q, [c], [ev(pan)], [1], [1]).leads
    assert c.ok and lead == (("National Action Party (PAN).", 1),), (c, lead)


def test_the_counted_noun_is_read_up_to_its_preposition():
    from qa.grounding import counted_noun

    q = "How many human rights complaints against the Mexican military were filed in 2008?"
    assert counted_noun(q) == "complaint"
    victims = [ev("The number of victims was approximately 2,275 in 2007; 5,207 in 2008; and 6,587 in 2009.")]
    assert check_phrase(q, ask_of(q), "5,207", victims).why == "off topic"  # victims, not complaints


def test_a_sentence_naming_one_of_two_names_is_not_about_the_question():
    abducted = [ev("On July 25, 2024, Ismael “El Mayo” Zambada was allegedly abducted from the state of Sinaloa.")]
    q = "When is El Mayo Zambada's trial in New York scheduled to begin?"  # his name is three words, one name
    assert check_phrase(q, ask_of(q), "2024", abducted).why == "off topic"


def test_a_number_the_quote_gives_as_a_range_is_shown_as_the_range():
    from qa.leads import as_written

    hope = "“We have gone from having six to eight major cartels that were mostly devoted to smuggling drugs"
    assert as_written("six", hope) == "six to eight"
    assert as_written("six major cartels", hope) == "six to eight major cartels"
    assert as_written("2,275", "approximately 2,275 in 2007; 5,207 in 2008") == "2,275"  # a list, not a range


def test_a_decade_does_not_answer_what_year():
    dfs = [ev("In the 1980s, the entire Federal Security Directorate was disbanded because of the cartels.")]
    q = "In what year was Mexico's Federal Security Directorate disbanded?"
    assert not check_phrase(q, ask_of(q), "1980s", dfs).ok
    q = "When was the Federal Security Directorate disbanded?"  # "when" takes the decade the text gives
    assert check_phrase(q, ask_of(q), "1980s", dfs).ok


def test_a_post_beside_a_name_says_where_the_person_works():
    olson = [
        ev(
            "Eric Olson, director of the Central America-D.C. Platform at the Seattle International Foundation, said so."
        )
    ]
    q = "Where does Eric Olson work?"
    assert check_phrase(q, ask_of(q), "Seattle International Foundation", olson).ok


def test_a_passage_that_does_not_name_the_asked_framework_does_not_answer_who_signed_it():
    letter = [
        ev(
            "Only days later, Homeland Security Secretary Janet Napolitano signed a letter of intent with Mexico's "
            "Attorney General to enhance cooperation."
        )
    ]
    q = "Who signed the Bicentennial Framework for Security, Public Health, and Safe Communities for the United States?"
    assert check_phrase(q, ask_of(q), "Janet Napolitano", letter).why == "off topic"
    q = "Who signed a letter of intent with Mexico's Attorney General?"
    assert check_phrase(q, ask_of(q), "Janet Napolitano", letter).ok


def test_a_question_about_money_is_answered_by_an_amount_of_money():
    police = [ev("The federal police force has been increased from 6,000 officers to 35,000 officers by 2011.")]
    q = "What was the budget of Mexico's federal police?"
    assert check_phrase(q, ask_of(q), "35,000 officers", police).why != ""
    aid = [ev("Congress held up a US$100 million installment of Mérida aid over human rights concerns.")]
    q = "How much Mérida aid did Congress hold up?"
    assert check_phrase(q, ask_of(q), "US$100 million", aid).ok
    budget = [ev("Some 15 percent of the security budget went to the federal police.")]
    q = "What share of the security budget went to the federal police?"
    assert check_phrase(q, ask_of(q), "15 percent", budget).ok


def test_a_name_is_a_run_of_adjacent_capitalised_words():
    from qa.text import name_groups

    assert name_groups("When did George W. Bush visit New York?") == [{"george", "w", "bush"}, {"new", "york"}]
    # a capitalised word with no index term ("The") does not join "Hague" to an earlier name
    assert name_groups("Then Calderón met The Hague envoy.") == [{"calderon"}, {"hague"}]


@pytest.mark.parametrize(
    ("question", "names"),
    [
        ("What is the Center for Research and National Security?", ["Center for Research and National Security"]),
        ("Richard Downie appears in two of the documents: what is he in each?", ["Richard Downie"]),
        ("Who is Óscar Naranjo?", ["Óscar Naranjo"]),  # the wh-word opens no name
        ("When is El Mayo Zambada's trial in New York?", ["El Mayo Zambada", "New York"]),
        ("What is the short title of S. 1439?", ["S. 1439"]),
        ("Did the Pacific Council on International Policy say so?", ["Pacific Council on International Policy"]),
        ("What did Downie say about the army?", []),  # one capitalised word is no phrase to match
    ],
)
def test_exact_names_are_the_questions_names_as_written(question, names):
    assert exact_names(question) == names


def test_a_free_part_is_answered_by_its_own_words_from_the_whole_shortlist():
    """ "When was he taken, and how did the government respond? (el mayo zambada taken mexico)": the
    topic carried into the second part picks no sentence; the part's own words find one the model
    did not choose."""
    q = "When was El Mayo Zambada taken from Mexico?"
    short = [
        ev("On July 25, 2024, El Mayo Zambada was allegedly abducted from the state of Sinaloa in Mexico."),
        ev("The capo was taken into custody in El Paso, Texas, after he landed in Mexico's neighbour."),
        ev("The Mexican government was unaware of the operation and demanded that the U.S. government respond."),
    ]
    lead = check_phrase(q, ask_of(q), "July 25, 2024", short)
    part = "how did the Mexican government respond? (el mayo zambada taken mexico)"
    composed = compose(q, [lead], short, [1, 2], [1, 2], free_parts=[part])
    assert composed.quotes == (1, 3)


def test_a_why_questions_first_quote_gives_a_cause():
    q = "Why did Calderón hand the fight to the armed forces instead of the police?"
    short = [
        ev("Calderón put the armed forces in charge of the fight against the cartels across the country."),
        ev("Calderón judged the police too corrupt to fight the cartels, so he decided the army should lead."),
    ]
    assert compose(q, [], short, chosen=[1, 2], model_ids=[1, 2]).quotes[0] == 2
    # the same sentences for a question that asks no cause: the one holding more of the question first
    assert compose("What did Calderón do with the armed forces in the fight?", [], short, [1, 2], [1, 2]).quotes[0] == 1


_HANDOVER = "The United States marked its delivery of five helicopters to the government of Mexico in a ceremony."
_TASK_FORCE = "The special task force on the supply of fentanyl"


@pytest.mark.parametrize(
    ("question", "phrase", "sentence", "why"),
    [
        (
            "How many helicopters did the United States deliver to Mexico in total?",
            "five helicopters",
            _HANDOVER,
            "off topic",
        ),
        (
            "How many helicopters did the United States deliver to Mexico in total?",
            "27 helicopters",
            "In total the United States delivered 27 helicopters to the government of Mexico.",
            "",
        ),
        # no total asked: the handover answers
        ("How many helicopters did the United States deliver to Mexico?", "five helicopters", _HANDOVER, ""),
        (
            "Who leads the special task force on the supply of fentanyl?",
            "Hope",
            "Seelke, Hope, and Olson affirmed the creation of a special task force on the supply of fentanyl.",
            "off topic",
        ),
        (
            "Who leads the special task force on the supply of fentanyl?",
            "Clare Seelke",
            f"{_TASK_FORCE} is headed by Clare Seelke of the State Department.",
            "",
        ),
        # no listed act: the other checks decide
        (
            "Who became ambassador after Carlos Pascual resigned?",
            "Earl Anthony Wayne",
            "Earl Anthony Wayne became ambassador after Carlos Pascual.",
            "",
        ),
    ],
)
def test_a_total_or_a_who_act_needs_a_sentence_that_writes_it(question, phrase, sentence, why):
    assert check_phrase(question, ask_of(question), phrase, [ev(sentence)]).why == why


def test_a_verb_of_the_same_event_grounds_a_date_but_a_name_word_does_not():
    from qa.grounding import grounded

    q = "When did the Mérida Initiative begin?"
    adopted = ev("The Mérida Initiative, an accord between the two countries adopted in 2008, was a step forward.")
    framed = ev("In 2007, the Mérida Initiative framed joint work by the two countries.")  # "Initiative" is its name
    assert grounded(q, ask_of(q), adopted)
    assert not grounded(q, ask_of(q), framed)


def test_a_count_is_not_answered_by_a_share():
    q = "How many people were murdered in Ciudad Juárez in 2010?"
    share = [ev("In 2010, 15 percent of all homicides occurred in one city, Ciudad Juárez.")]
    assert check_phrase(q, ask_of(q), "15 percent", share).why == "wrong kind"
    q2 = "What share of homicides occurred in Ciudad Juárez in 2010?"
    assert check_phrase(q2, ask_of(q2), "15 percent", share).ok


def test_a_free_part_of_few_words_of_its_own_reads_its_carried_topic():
    """ "…, and what followed? (cables published pascual)": "followed" is in no sentence; the carried
    topic finds the chosen one about the cables."""
    q = "When did Carlos Pascual resign?"
    lead = check_phrase(q, ask_of(q), "March 2011", SHORT)
    shortlist = [*SHORT, ev("The cables were published by WikiLeaks and angered the Mexican president.")]
    part = "and what came after? (cables published pascual)"
    assert compose(q, [lead], shortlist, [3, 6], [3, 6], free_parts=[part]).quotes == (3, 6)


def test_a_lone_predicate_word_inside_a_name_does_not_ground_a_date():
    from qa.grounding import shares_predicate

    q = "When was Mexico's national guard created?"
    visit = "Admiral Mullen visited Mexico in March 2009 and met the Secretary of National Defense."
    assert not shares_predicate(q, visit)  # "national" only in "National Defense"
    assert shares_predicate(q, "The National Guard was created in 2019 by constitutional reform.")
    assert shares_predicate(q, "Its national guard was set up in 2019.")  # "national" in lower case


def test_a_holder_on_another_year_than_the_sentence_naming_the_asked_resolution_is_off_topic():
    q = "Which Member offered H.Res. 757 to vacate the Speaker's office?"
    named = ev("In October 2023 the House removed the Speaker by agreeing to H.Res. 757, declaring the office vacant.")
    cannon = ev(
        "A vote on a resolution in 1910 declaring a vacancy in the Speaker's office failed, and Joseph Cannon stayed."
    )
    passage = f"{named.text} {cannon.text}"  # one passage holds both: the passage rule alone lets Cannon stand
    chunk = replace(cannon.hit.chunk, text=passage, clean_text=passage)
    held = [replace(named, hit=replace(named.hit, chunk=chunk)), replace(cannon, hit=replace(cannon.hit, chunk=chunk))]
    held[1] = replace(held[1], start=len(named.text) + 1, end=len(passage))
    assert check_phrase(q, ask_of(q), "Joseph Cannon", held[1:]).why == ""
    assert check_phrase(q, ask_of(q), "Joseph Cannon", held).why == "off topic"
    # the bill's text never repeats its number, and names no other year than its heading: it stands
    q2 = "What is the short title of S. 1439?"
    heading = ev("S. 1439. A bill to provide for Indian trust asset management reform.")
    title = ev("This Act may be cited as the ``Indian Trust Reform Act of 2005''.", section="S. 1439")
    assert check_phrase(q2, ask_of(q2), "Indian Trust Reform Act of 2005", [heading, title]).ok


def test_none_for_one_thing_refutes_but_a_failed_copy_or_a_definition_does_not():
    verdict = "What was the verdict in El Mayo Zambada's trial in New York?"
    trial = [ev("He has been charged with drug trafficking and is currently awaiting trial in New York.")]
    assert check_phrase(verdict, ask_of(verdict), "NONE", trial).refutes
    assert not check_phrase(verdict, ask_of(verdict), "the verdict of the New York jury was", trial).refutes
    several = "What advantages would a police-led strategy offer, according to Downie?"
    assert not check_phrase(several, ask_of(several), "NONE", trial).refutes  # asks for several: the quotes decide
    assert not check_phrase("Who is Eduardo Guerrero?", ask_of("Who is Eduardo Guerrero?"), "NONE", trial).refutes


def test_a_thing_asked_of_a_named_person_is_not_answered_from_a_passage_that_never_names_them():
    arrest = [
        ev(
            "This concern was later reinforced by the arrest of three high-ranking Mexican army generals in May "
            "on suspicion of collaborating with organized crime."
        )
    ]
    q = "What prison sentence did General Jesús Gutiérrez Rebollo receive?"
    phrase = "three high-ranking Mexican army generals in May on suspicion of collaborating with organized crime"
    assert check_phrase(q, ask_of(q), phrase, arrest).why == "off topic"
    assert check_phrase(q, ask_of(q), phrase, arrest).refutes  # a true sentence about others: the sources lack it
    named = [ev("General Gutiérrez Rebollo was sentenced to 40 years in prison for protecting a drug lord.")]
    assert check_phrase(q, ask_of(q), "40 years in prison", named).ok


def test_the_original_author_or_date_is_answered_only_by_a_sentence_that_says_it_was_the_original():
    titled = replace(ev("x").hit.source.meta, title="Types of Committee Hearings")

    def of_report(text: str) -> Evidence:
        e = ev(text)
        return replace(e, hit=replace(e.hit, source=replace(e.hit.source, meta=titled)))

    update = of_report("The report, CRS Report 98-317, was updated and written by Valerie Heitshusen in 2026.")
    carr = of_report("This report was originally written by Thomas P. Carr, formerly an Analyst at CRS.")
    plain = "Who wrote the CRS report Types of Committee Hearings?"
    assert check_phrase(plain, ask_of(plain), "Valerie Heitshusen", [update]).ok
    q = "Who originally wrote the CRS report Types of Committee Hearings?"
    assert check_phrase(q, ask_of(q), "Valerie Heitshusen", [update]).why == "off topic"
    assert check_phrase(q, ask_of(q), "Valerie Heitshusen", [update]).refutes
    assert check_phrase(q, ask_of(q), "Thomas P. Carr", [update, carr]).ok
    published = of_report("CRS Report 98-317 was published on April 13, 2026.")
    when = "When was CRS Report 98-317 published?"
    assert check_phrase(when, ask_of(when), "April 13, 2026", [published]).ok
    first = "When was CRS Report 98-317 first published?"
    assert check_phrase(first, ask_of(first), "April 13, 2026", [published]).why == "off topic"
    # "first" asks for the original only beside publishing or writing: "first removed" is a plain "when"
    removed = "When was a Speaker of the House first removed from office?"
    until = ev("No Speaker had been removed from the office until October 2023, when the House removed the Speaker.")
    assert check_phrase(removed, ask_of(removed), "October 2023", [until]).ok


def test_a_masthead_is_on_topic_for_who_wrote_it_but_not_for_when_it_was_first_published():
    masthead = ev("Types of Committee Hearings Updated April 13, 2026 (98-317)")
    front = frozenset({masthead.key})
    first = "When was CRS Report 98-317 first published?"
    off = replace(check_phrase(first, ask_of(first), "April 13, 2026", [masthead]), why="off topic")
    assert frontmatter.waived(off, [masthead], front).why == "off topic"  # "Updated" is not "first"
    when = "When was CRS Report 98-317 published?"
    plain = replace(check_phrase(when, ask_of(when), "April 13, 2026", [masthead]), why="off topic", holder=1)
    assert frontmatter.waived(plain, [masthead], front).ok  # a title block names nothing of the question
    assert frontmatter.waived(plain, [masthead], frozenset()).why == "off topic"  # not front matter: stays
