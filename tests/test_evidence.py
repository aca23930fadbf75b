"""Evidence selection with a scripted generator and fixed passages: sentence
spans and cleaning, pre-scoring, quotas, sub-questions, the pick, strict
number/name checks, named sources carried into the answer."""

from __future__ import annotations

import json

import pytest

from qa import answer_type, compose, evidence, pick, shortlist
from qa.answer import QA
from qa.config import Settings
from qa.prescore import prescore
from qa.records import Chunk, Evidence, Hit, SourceInfo, SourceMeta
from qa.verify import LexicalJudge, allowed_names, check_evidence_sentence
from tests.test_answer_logic import FixedRetriever, ScriptedGenerator

DOWNIE = (
    "Calderón assessed that the police lacked professionalism and were too corrupt to fight the\n"
    "narcotraffickers, so he turned to the military.19 In meetings the generals agreed. The violence rose to\n"
    "more than 10,000 deaths in 2010.32 The border zones suffered most."
)
STARR = (
    "Starr expects the next president to refocus on reducing violence. "
    "She also expects law enforcement reform to continue under the new government."
)
TABLE = "Table 2. Funding by year\n2008 400 2009 300 2010 250\nFY 2011 FY 2012 FY 2013"


def hit(rank: int, text: str, sid: str, author: str, start: int = 50) -> Hit:
    meta = SourceMeta(title=f"Report by {author}", authors=(f"Jane {author}",), date="2011-05-01")
    src = SourceInfo(sid, f"sources/{sid}.txt", f"sources/{sid}.txt", "0" * 64, meta, 1)
    chunk = Chunk(f"{sid}#c{rank}", sid, 0, start, start + len(text), text, " ".join(text.split()))
    return Hit(rank, 1.0 / rank, chunk, src, 1, 1, dense_score=0.6)


HITS = [hit(1, DOWNIE, "downie", "Downie"), hit(2, STARR, "starr", "Starr")]


class NamingRetriever(FixedRetriever):
    """Fixed hits; names a source when its author is in the query; records per-source searches."""

    def __init__(self, hits):
        super().__init__(hits)
        self.source_searches: list[list[str]] = []

    def named_sources(self, query):
        return {h.source.source_id: 1.0 for h in self.hits if h.source.meta.authors[0].split()[-1] in query}

    def unknown_sources(self, query: str) -> list[str]:
        return []

    def unknown_names(self, query: str) -> list[str]:
        return []

    def search(self, query, k=None, source_ids=None, also=None):
        if source_ids:
            self.source_searches.append(list(source_ids))
            return [h for h in self.hits if h.source.source_id in source_ids][: k or 10]
        return super().search(query, k, source_ids, also)


def make(outputs, **settings):
    gen = ScriptedGenerator(outputs)
    ret = NamingRetriever(HITS)
    s = Settings.load({"judge": "lexical", **settings}, env={})
    return QA(s, ret, gen, judge=LexicalJudge()), gen, ret


def ids(*n: int) -> str:
    return json.dumps({"ids": list(n)})


def shortlist_of(gen: ScriptedGenerator) -> list[str]:
    """The numbered sentences the model was shown in its first turn."""
    user = gen.seen[0][-1]["content"]
    return [ln for ln in user.splitlines() if ln.startswith("[")]


# ---------------------------------------------------------------- sentences


def test_spans_are_verbatim_and_reading_text_is_clean():
    sentences = evidence.sentences_of(HITS)
    for ev in sentences:
        assert ev.hit.chunk.text[ev.start : ev.end] == ev.quote  # the quote is the stored span
        assert "\n" not in ev.text
    texts = [ev.text for ev in sentences]
    # the footnote glued after "military." is dropped from what the model reads, and ends the sentence
    assert any(t.endswith("so he turned to the military.") for t in texts)
    assert "In meetings the generals agreed." in texts
    assert any(t.endswith("more than 10,000 deaths in 2010.") for t in texts)
    first = next(ev for ev in sentences if ev.text.startswith("Calderón"))
    assert "fight the\nnarcotraffickers" in first.quote


def test_table_rows_and_running_titles_are_not_evidence():
    table = hit(3, TABLE, "crs", "Crs")
    assert evidence.sentences_of([table]) == []
    assert evidence.sentences_of([table], keep_furniture=True)


def test_a_sentence_in_two_overlapping_chunks_is_offered_once():
    a = hit(1, STARR, "starr", "Starr", start=0)
    tail = STARR[STARR.index("She") :]
    b = hit(2, tail, "starr", "Starr", start=STARR.index("She"))
    got = evidence.sentences_of([a, b])
    assert len(got) == 2 and len({ev.key for ev in got}) == 2


@pytest.mark.parametrize(
    ("question", "parts", "capped"),
    [
        ("When did the drug war begin, and who started it?", 2, 0),
        ("What is Mérida? What replaced it?", 2, 0),
        ("Why did Calderón use the army?", 1, 0),
        (" ".join(f"What about item {i}?" for i in range(20)), evidence.MAX_PARTS, 20 - evidence.MAX_PARTS),
    ],
)
def test_questions_with_parts_are_split_and_capped(question, parts, capped):
    got, left_out = evidence.split_parts(question)
    assert (len(got), left_out) == (parts, capped)


def test_a_short_part_carries_the_first_parts_topic():
    parts, _ = evidence.split_parts("When did Mexico's drug war begin, and who started it?")
    assert parts[1].startswith("who started it?") and "drug" in parts[1]


def test_prescore_prefers_the_asked_kind_and_penalises_echoes():
    q = "How many deaths were there in 2010?"
    ranked = prescore(evidence.sentences_of(HITS), [q])[0]
    assert "10,000" in ranked[0].text
    echo = Evidence(HITS[1], 0, 10, "How many deaths were there in 2010?")
    assert answer_type.novelty(echo.text, q) < 0.2


def test_quotas_give_each_named_source_sentences():
    q = "Compare Downie and Starr on violence."
    plan = evidence.plan(q, {"downie": 1.0, "starr": 0.8})
    assert plan.sources == ("downie", "starr") and plan.compare
    ranked = prescore(evidence.sentences_of(HITS), [q])
    chosen = shortlist.choose(ranked, plan, limit=4)
    assert {ev.hit.source.source_id for ev in chosen} == {"downie", "starr"}
    # a summary or comparison takes at most two sentences per passage
    assert max(sum(ev.hit.chunk.chunk_id == h.chunk.chunk_id for ev in chosen) for h in HITS) <= 2


def test_a_follow_ups_own_words_rank_sentences_apart_from_the_carried_topic():
    q = "Where does she say the military falls short? (What did the defense secretary do, according to Arzt)"
    assert evidence.queries(q, evidence.plan(q, {})) == [q, "Where does she say the military falls short?"]
    plain = "Why did Calderón turn to the military?"
    assert evidence.queries(plain, evidence.plan(plain, {})) == [plain]
    two = "When was Mérida signed and who signed it?"
    parts = evidence.plan(two, {}).parts
    assert len(parts) == 2 and evidence.queries(two, evidence.plan(two, {})) == [two, *parts]


def test_a_sentence_holding_the_asked_kind_is_not_crowded_out_of_its_passage():
    # sources/002 (Downie): four sentences of one passage on Palermo; the mayor's name is in the fourth best
    palermo = (
        "The Palermo Model helped that city in Italy confront the mafia in the 1980s. Tourists and businesses had "
        "shunned Palermo because the mafia controlled the public sphere. The mayor worked to strengthen the "
        "judiciary against the mafia. Rather than fight the mafia directly, the city's mayor, Leoluca Orlando, "
        "worked to change the culture of impunity."
    )
    q = "Which mayor led Palermo's campaign against the mafia?"
    assert answer_type.asked_type(q) == "who"  # the head noun's kind ("mayor"), as qa.asks reads it
    plan = evidence.plan(q, {})
    ranked = [[e for e in prescore(evidence.sentences_of([hit(1, palermo, "downie", "Downie")]), [q])[0]]]
    ranked = [sorted(ranked[0], key=lambda e: "Orlando" in e.text)]  # the name last
    assert not any("Orlando" in e.text for e in shortlist.choose(ranked, plan, limit=8))  # three per passage
    assert any("Orlando" in e.text for e in shortlist.choose(ranked, plan, limit=8, question=q))


def test_a_sentence_repeated_across_reports_is_offered_once():
    # ../shared/foreign: each CRS report ends with the same boilerplate; it takes one slot, not three
    boiler = "CRS serves as nonpartisan  shared staff to congressional committees and Members of Congress."
    hits = [hit(n, f"{boiler} Report {n} covers the Speaker of the House.", f"crs{n}", "Beth") for n in (1, 2, 3)]
    q = "What does CRS mean by the modern Congress?"
    ranked = prescore(evidence.sentences_of(hits), [q])
    chosen = [e.text for e in shortlist.choose(ranked, evidence.plan(q, {}), limit=8)]
    assert sum("nonpartisan" in t for t in chosen) == 1 and len(chosen) == 4


def test_prescore_lifts_a_sentence_naming_what_is_defined():
    # ../shared/foreign (CRS, Speaker elections): the sentence on the modern Congress, not CRS's boilerplate
    text = (
        "CRS serves as nonpartisan shared staff to congressional committees and Members of Congress. "
        "The modern Congress is usually reckoned from the implementation of the Legislative Reorganization Act."
    )
    q = 'What does CRS mean by the "modern Congress"?'
    ranked = prescore(evidence.sentences_of([hit(1, text, "crs", "Beth")]), [q])[0]
    assert ranked[0].text.startswith("The modern Congress") and ranked[0].score - ranked[1].score >= 0.0999


def test_parse_selection_and_topped_up_choice():
    assert pick.parse_pick('{"ids": [3, 1, 3, 9]}', 4).ids == (3, 1)
    assert pick.parse_pick('{"ids": [2], "answers": ["NONE", "14"]}', 4, 2).answers == ("", "14")
    assert pick.parse_pick('{"ids": [2]}', 4, 1).answers == ("",)
    assert pick.parse_pick("not json", 4) is None
    assert pick.parse_pick('{"other": 1}', 4) is None
    short = [Evidence(HITS[0], 0, 1, "a", score=s) for s in (0.1, 0.9, 0.5)]
    assert shortlist.with_top([1], short, 1) == [1, 2]


# ---------------------------------------------------------------- strict checks against the quotes


def _ev(text: str, author: str = "Downie") -> Evidence:
    h = hit(1, text, author.lower(), author)
    return Evidence(h, 0, len(text), text)


def test_a_number_not_in_the_cited_sentence_is_rejected():
    evs = [_ev("The violence rose to more than 10,000 deaths in 2010."), _ev("Mérida began in 2008.")]
    ok, why = check_evidence_sentence("More than 10,000 deaths in 2010.", [1], evs, LexicalJudge())
    assert ok.supports and why == ""
    # the year comes from another chosen sentence: re-cited to it, not taken from the title
    bad, why = check_evidence_sentence("More than 10,000 deaths in 2011.", [1], evs, LexicalJudge())
    assert not bad.supports and why == "number"
    recited, why = check_evidence_sentence("Mérida began in 2008 and deaths passed 10,000.", [1], evs, LexicalJudge())
    assert why == "" and {s.key for s in recited.supports} == {1, 2}


def test_a_name_not_in_the_quotes_is_rejected_unless_author_or_asked():
    evs = [_ev("The generals agreed to the plan in 2009.")]
    allowed = allowed_names("What did the generals agree?", evs)
    assert "downie" in allowed
    _, why = check_evidence_sentence(
        "According to Downie, the generals agreed to the plan in 2009.", [1], evs, None, allowed
    )
    assert why == ""
    _, why = check_evidence_sentence("The generals agreed with Petraeus in 2009.", [1], evs, None, allowed)
    assert why == "name"


# ---------------------------------------------------------------- the whole path, scripted


def test_extractive_answer_quotes_chosen_sentences_verbatim():
    qa, gen, _ = make([ids(1)])
    events = list(qa.stream("Why did Calderón turn to the military instead of the police?"))
    kinds = [e.kind for e in events]
    assert kinds.index("retrieved") < kinds.index("evidence") < kinds.index("final")
    a = events[-1].answer
    assert a is not None and not a.refused and a.pipeline == "evidence"
    assert "too corrupt" in a.answer
    texts = {h.source.source_id: h.chunk.text for h in HITS}
    for c in a.citations:
        assert texts[c.source_id][c.start - 50 : c.end - 50] == c.quote  # verbatim span of the stored text
    assert len(gen.seen) == 1  # extractive: one model call
    assert a.to_json()["evidence"] and a.to_json()["pipeline"] == "evidence"


def test_named_sources_are_searched_and_both_offered():
    qa, gen, ret = make([ids(1)], broad_answers=False)  # the quota path (tests/test_broad.py has the blocks)
    qa.ask("Compare Downie and Starr on the police.")
    assert sorted(map(tuple, ret.source_searches)) == [("downie",), ("starr",)]
    shown = " ".join(shortlist_of(gen))
    assert "(Downie, 2011)" in shown and "(Starr, 2011)" in shown


def test_a_question_with_many_parts_is_capped_with_a_notice():
    qa, _, _ = make([ids(1)])
    q = " ".join(f"What about item {i}?" for i in range(20))
    a = qa.ask(q)
    assert any("only the first 4 were answered" in n for n in a.notices)


def test_a_page_number_line_before_a_sentence_is_not_quoted():
    text = "The first sentence ends here.\n28\nPolitics in Mexico are vibrant and changeable."
    spans = [u.read(text) for u in evidence.evidence_units(text)]
    assert spans == ["The first sentence ends here.", "Politics in Mexico are vibrant and changeable."]


def test_the_pick_keeps_a_sentence_of_each_named_source():
    a, b = HITS
    short = [Evidence(a, 0, 1, "x", score=0.9), Evidence(b, 0, 1, "y", score=0.2), Evidence(b, 1, 2, "z", score=0.5)]
    assert shortlist.cover_sources([1], short, ["downie", "starr"]) == [1, 3]
    assert shortlist.cover_sources([1, 2], short, ["downie", "starr"]) == [1, 2]
    assert shortlist.cover_sources([1], short, []) == [1]


def test_each_named_source_leads_the_extractive_answer():
    a, b = HITS
    short = [Evidence(a, 0, 1, "x"), Evidence(a, 1, 2, "y"), Evidence(b, 0, 1, "z")]
    assert compose.sources_first([1, 2, 3], short, ["starr", "downie"]) == [3, 1, 2]
    assert compose.sources_first([2, 1], short, []) == [2, 1]
    assert compose.sources_first([2, 3], short, ["starr", "downie"], before=[1]) == [3, 2]


def test_biographies_are_evidence_only_for_questions_about_a_background():
    """ "Where did Downie earn his Ph.D.?" can only be answered by the author biography."""
    from qa.evidence import asks_background, evidence_units

    text = (
        "The Mérida Initiative began in 2008. "
        "Dr. Downie earned his Ph.D. at the University of Southern California in International Relations."
    )
    assert asks_background("Where did Richard Downie earn his Ph.D.?")
    assert asks_background("What post did Óscar Naranjo hold in Colombia?")
    assert not asks_background("When did the Mérida Initiative begin?")
    assert len(evidence_units(text)) == 1
    assert len(evidence_units(text, bios=True)) == 2


def test_an_author_note_answers_only_who_wrote_the_report():
    """ "This report was initially written by Richard S. Beth…" (a CRS acknowledgement) says nothing about
    the Speaker: it is no answer to "What does the CRS report say?", only to who its authors are."""
    from qa.evidence import asks_background, evidence_units

    text = (
        "Although the Constitution does not so require, the Speaker has always been a Member of the House.\n\n"
        "This report was initially written by Richard S. Beth, former CRS Specialist on Congress and the "
        "Legislative Process."
    )
    assert len(evidence_units(text)) == 1
    assert len(evidence_units(text, bios=True)) == 2
    assert asks_background("Who are the authors of the Pacific Council piece?")
    # "who wrote" reads the title block and signatures (qa.frontmatter): biographies would crowd them out
    assert not asks_background("Who wrote the preface to Downie's CHDS paper?")
    assert not asks_background("What do the Constitution and the CRS report say?")


@pytest.mark.parametrize(
    "raw, read",
    [
        (  # sources/002: the footnote number after "all drugs." opens the next unit
            "42 On his blog, Fox wrote that legalization would not mean that drugs were good.",
            "On his blog, Fox wrote that legalization would not mean that drugs were good.",
        ),
        ("15 Mexican soldiers were killed.", "15 Mexican soldiers were killed."),  # a count stays
        ("42 inmates escaped.", "42 inmates escaped."),
        ("42 On-call teams were formed.", "42 On-call teams were formed."),
        (  # crs_speaker_elections: footnote 11 glued after the resolution's number
            "In October 2023, the House declared the office of the Speaker to be vacant via adoption of H.Res. 757.11",
            "In October 2023, the House declared the office of the Speaker to be vacant via adoption of H.Res. 757.",
        ),
        ("The violence grows in our communities.¹", "The violence grows in our communities."),  # sources/003
    ],
)
def test_footnote_numbers_at_a_sentences_edges_are_dropped_counts_kept(raw, read):
    assert evidence.reading_text(raw) == read


FEDERALIST = (
    'Let us at least avoid an excess of refinement.\n\nPUBLIUS.\n\n1 "Spirit of Laws," vol. i., book ix.\n\n\n\n'
    "FEDERALIST No. 10\n\n\n\nThe Same Subject Continued\n\n(The Union as a Safeguard Against Domestic Faction and\n"
    "Insurrection)\n\nFrom the New York Packet.\n\nFriday, November 23, 1787.\n\n\n\nMADISON\n\n"
    "To the People of the State of New York:\n\nAMONG the numerous advantages promised by a well-constructed Union, "
    "none deserves to be more accurately developed than its tendency to break and control the violence of faction.\n"
)


def test_a_front_matter_question_gets_the_title_block_as_one_unit():
    # ../shared/foreign/federalist_papers.txt: the paper's title block, not the previous paper's signature
    from qa.frontmatter import asks_front_matter, front_blocks

    assert asks_front_matter("When was Federalist No. 10 published?")
    assert asks_front_matter("Who wrote the preface to Downie's CHDS paper?")
    assert not asks_front_matter("When did Calderón take office?")
    h = hit(1, FEDERALIST, "fed", "Publius")
    [block] = front_blocks([h], "When was Federalist No. 10 published?")
    assert block.text.startswith("FEDERALIST No. 10") and "November 23, 1787" in block.text
    assert block.text.endswith("MADISON To the People of the State of New York:")
    assert FEDERALIST[block.start : block.end] == block.quote  # an exact span
    assert front_blocks([h], "Who wrote Federalist No. 1?") == []  # "No. 10" is not "No. 1"
    assert all("MADISON" not in e.text for e in evidence.sentences_of([h]))  # not evidence for other questions


def test_a_listed_run_of_ids_is_no_choice_every_sentence_stays_a_candidate():
    assert pick.uninformative((1, 2, 3, 4)) and pick.uninformative((3, 4, 5, 6, 7))
    assert not pick.uninformative((1, 2, 3)) and not pick.uninformative((2, 1, 3, 4)) and not pick.uninformative((6,))
    first = (
        "Zambada was abducted from Sinaloa in July 2024. The capo landed in Santa Teresa, New Mexico, on a small "
        "plane. He was quickly taken into custody and then to the federal court building in El Paso, Texas."
    )
    then = (
        "Prosecutors in New York later filed several new charges of drug trafficking against him. The Mexican "
        "government was unaware of the operation and demanded an explanation, alleging violations of its sovereignty."
    )
    hits = [hit(1, first, "payan", "Payan"), hit(2, then, "payan", "Payan", start=400)]
    question = "How did the Mexican government react to the operation that took Zambada?"

    def asked(pick_reply):
        gen = ScriptedGenerator([pick_reply])
        s = Settings.load({"judge": "lexical", "evidence_prescore_keep": 0}, env={})
        qa = QA(s, NamingRetriever(hits), gen, judge=LexicalJudge())
        return qa.ask(question), shortlist_of(gen)

    a, shown = asked(ids(1, 2, 3, 4))  # the model listed the first four: the answer is the fifth
    assert shown[4].startswith("[5] (Payan, 2011) The Mexican government was unaware"), shown
    assert not a.refused, a.notices
    assert "alleging violations of its sovereignty" in a.answer, a.answer
    a, _ = asked(ids(2, 1))  # a choice is a choice: the fifth is not quoted
    assert "sovereignty" not in a.answer


@pytest.mark.parametrize(
    "text, furniture",
    [
        (
            "Today, along with Senator Dodd, I am introducing the ``Paul Wellstone Early Educator Loan Forgiveness Act.''",
            False,
        ),
        (
            "Another well-known instance in 1998 involved President Ernesto Zedillo’s Drug Czar, General Jesús Gutiérrez Rebollo.",
            False,
        ),
        (
            "Damien Cave and Ginger Thompson, “After US Envoy Quits in Mexico, Questions Arise,” in The New York Times, p. 10.",
            True,
        ),
        ("See Roll Call vote numbers 2 through 4 (January 3); 5 through 7 (January 4); and 20 (January 7).", True),
        ("Option B. Assign Law Enforcement (Rather than the Military) the Lead Role in Combating TCOs.", True),
        ("Table 2. Speaker Elections 1913 2025 Votes", True),
        ("The House elects a Speaker by roll call vote when it first convenes.", False),
    ],
)
def test_a_statement_dense_with_names_is_a_sentence_not_furniture(text, furniture):
    assert evidence.is_furniture(text) is furniture


def test_a_bill_named_by_number_brings_the_passages_that_name_it_into_the_pool():
    from tests.test_answer_logic import FixedRetriever
    from tests.test_answer_logic import hit as bare_hit

    q = "Which Senate committee was S. 1429 referred to?"
    others = [bare_hit(i, f"Senate committee hearing procedures, part {i}.", f"s{i}") for i in range(1, 11)]
    listing = bare_hit(11, "S. 1429. A bill to amend the Higher Education Act; to the Committee on Finance.", "rec")
    hits = [*others, listing]
    plan = evidence.plan(q, {})
    got = evidence.pool(q, hits[:10], plan, FixedRetriever(hits).search, 8)
    assert [h.chunk.source_id for h in got] == [f"s{i}" for i in range(1, 9)] + ["rec"]
    q2 = "Which Senate committee holds hearings?"  # no bill named: the best 8 only
    assert len(evidence.pool(q2, hits[:10], evidence.plan(q2, {}), FixedRetriever(hits).search, 8)) == 8
