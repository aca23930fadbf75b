"""qa.units: boundary F1 on the hand-labelled samples (the floor per document kind), one test per
class of non-prose with lines from the shipped and foreign documents, and properties on random and
adversarial text (units tile the text in order, spans round-trip, no pathological slow-down)."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from qa import units as U
from qa.flaws import answer_sentence_flaws
from qa.segment import QUOTED_CHARS
from qa.units import units

DATA = Path(__file__).parent / "data" / "segmentation"

# measured with eval/bench_segmentation.py (README of the samples there); floors a little below.
# sample.json: the rules were written against it (1.000 everywhere). heldout.json: labelled afterwards;
# measured article 0.964, book 1.000, html 0.971, markdown 0.973, pdf 1.000 (after two general fixes
# found on it: URL lines inside a paragraph, a footnote number after a sentence end; first try 0.907,
# 1.000, 0.971, 0.944, 0.926).
FLOORS = {
    "sample.json": {"article": 0.97, "book": 0.97, "html": 0.97, "markdown": 0.97, "pdf": 0.97},
    "heldout.json": {"article": 0.93, "book": 0.95, "html": 0.93, "markdown": 0.93, "pdf": 0.95},
}


def _excerpts(name: str) -> list[dict]:
    return json.loads((DATA / name).read_text(encoding="utf-8"))["excerpts"]


def _f1_per_kind(name: str) -> dict[str, float]:
    counts: dict[str, list[int]] = {}
    for x in _excerpts(name):
        gold = {u["start"] for u in x["units"][1:]}
        pred = {u.start for u in units(x["text"])} - {x["units"][0]["start"]}
        c = counts.setdefault(x["kind"], [0, 0, 0])
        c[0] += len(gold & pred)
        c[1] += len(pred - gold)
        c[2] += len(gold - pred)
    return {k: 2 * tp / (2 * tp + fp + fn) for k, (tp, fp, fn) in counts.items()}


@pytest.mark.parametrize("name", sorted(FLOORS))
def test_boundary_f1_floor_per_kind(name: str) -> None:
    f1 = _f1_per_kind(name)
    assert set(f1) == set(FLOORS[name])
    for kind, floor in FLOORS[name].items():
        assert f1[kind] >= floor, (name, kind, round(f1[kind], 3))


def test_samples_hold_enough_boundaries_and_exact_units() -> None:
    total = 0
    for name in FLOORS:
        for x in _excerpts(name):
            total += len(x["units"]) - 1
            for u in x["units"]:
                assert u["class"] in U.KINDS
                assert x["text"][u["start"] : u["end"]].strip() == x["text"][u["start"] : u["end"]]
    assert total >= 400


def test_evidence_classes_on_the_labelled_units() -> None:
    """Offered as evidence or not, on units whose boundaries match the gold. Measured precision /
    recall of evidence units: sample.json 0.995 / 1.0, heldout.json 0.911 / 1.0 (its misses: endnote
    prose, a CRS author note, a Markdown table of footnotes)."""
    floors = {"sample.json": 0.97, "heldout.json": 0.88}
    for name in FLOORS:
        tp = fp = fn = 0
        for x in _excerpts(name):
            got = {(u.start, u.end): u.kind for u in units(x["text"])}
            for g in x["units"]:
                kind = got.get((g["start"], g["end"]))
                if kind is None:
                    continue
                # the labels predate notes (a footnote's statement is labelled "reference"): see the next test
                gold_ev, got_ev = g["class"] in U.EVIDENCE_KINDS, kind in U.EVIDENCE_KINDS and kind != U.NOTE
                tp += gold_ev and got_ev
                fp += got_ev and not gold_ev
                fn += gold_ev and not got_ev
        assert tp / (tp + fp) >= floors[name] and tp / (tp + fn) >= 0.97, (name, tp, fp, fn)


def test_footnote_statements_are_notes_and_citations_are_not() -> None:
    """A footnote that states something ("4 The House takes no action to accept the resignation of a
    Speaker.") is a note, offered as evidence; one that points elsewhere stays a reference. Every note
    in the labelled samples is a unit the labels call a footnote ("reference")."""
    notes, references = [], []
    for name in FLOORS:
        for x in _excerpts(name):
            got = {(u.start, u.end): u.kind for u in units(x["text"])}
            for g in x["units"]:
                span = x["text"][g["start"] : g["end"]]
                if got.get((g["start"], g["end"])) == U.NOTE:
                    assert g["class"] == U.REFERENCE, span
                    notes.append(span)
                elif g["class"] == U.REFERENCE:
                    references.append(span)
    assert any(n.startswith("4 The House takes no action") for n in notes)
    assert any(n.startswith("2 Until the 1830s, the Speaker was elected by secret ballot") for n in notes)
    assert any(r.startswith("8 A more detailed discussion of the 1910 proceedings") for r in references)
    assert not any("http" in n for n in notes)
    text = "It failed.\n10 Rep. Jim Wright had announced his resignation.\n11 See House Manual, §27.\n"
    assert [(k, t[:6]) for k, t in _kinds(text)] == [
        ("sentence", "It fai"),
        ("note", "10 Rep"),
        ("reference", "11 See"),
    ]


def test_a_sentence_sending_the_reader_elsewhere_is_a_reference() -> None:
    """ "For a more detailed treatment…, see CRS Report RL30857…, by Valerie Heitshusen." names an author
    and years, but says nothing about the Speaker: it is no evidence ("Which Speakers were elected with
    fewer than 218 votes?" was answered "Valerie Heitshusen")."""
    pointers = [
        "For a more detailed treatment of these election procedures, as well as data on elections of the Speaker "
        "in each Congress since 1913, see CRS Report RL30857, Speakers of the House: Elections, 1913-2025, by "
        "Valerie Heitshusen.",
        "See Table A-1 in Appendix for full results.",
        "The process for scheduling floor consideration of such a resolution is addressed in the section "
        "“Floor Actions on Questions of Privilege” in CRS Report 98-411.",
    ]
    statements = [
        "For example, the House elected a Speaker in 1923 on the ninth ballot.",
        "For these reasons, see how the Mérida Initiative failed.",
    ]
    assert [U.classify_sentence(p) for p in pointers] == [U.REFERENCE] * 3
    assert [U.classify_sentence(s) for s in statements] == [U.SENTENCE] * 2


def _kinds(text: str) -> list[tuple[str, str]]:
    return [(u.kind, text[u.start : u.end]) for u in units(text)]


def test_abbreviations_keep_the_number_with_the_sentence() -> None:
    text = (
        "No Speaker had been removed from the office until October 2023, when the House removed the \n"
        "Speaker from the position by agreeing to H.Res. 757 (118th Congress),6 declaring the Speaker’s \n"
        "office vacant.7 A vote on a resolution in 1910 declaring a vacancy failed."
    )
    got = [t for k, t in _kinds(text)]
    assert len(got) == 2 and "H.Res. 757" in got[0] and got[1].startswith("A vote")
    assert len(units("See Cobell v. Norton. Sec. 4 of Art. I, No. 51 and S. 1429 apply. Then stop.")) == 3


def test_double_spaced_lines_join_into_sentences() -> None:
    text = (
        "TO WHAT expedient, then, shall we finally resort, for maintaining\n\n"
        "in practice the necessary partition of power among the several\n\n"
        "departments, as laid down in the Constitution? The only answer\n\n"
        "that can be given is, that as all these exterior provisions are\n\n"
        "found to be inadequate, the defect must be supplied.\n"
    )
    got = _kinds(text)
    assert [k for k, _ in got] == ["sentence", "sentence"]
    assert got[0][1].endswith("Constitution?") and got[1][1].startswith("The only answer")


def test_bullet_column_and_its_items() -> None:
    """sources/002: five lone bullets, then five items (the PDF put them apart)."""
    text = (
        "defense relations and mitigate the impact of potentially negative future political decisions:\n"
        "•\n•\n•\n"
        " Demonstrate success during a rapidly closing “Window of Opportunity.”\n"
        "Facilitate programs and actions that offer continuity in enhancing the US/Mexico defense\n"
        "relationship.\n"
        "Identify realistically attainable objectives and manage expectations.\n"
    )
    got = _kinds(text)
    assert [k for k, _ in got] == ["sentence", "furniture", "list_item", "list_item", "list_item"]
    assert got[3][1].endswith("defense\nrelationship.")


@pytest.mark.parametrize(
    "line, kind",
    [
        ("A. Maintain the Calderón administration’s current approach.", "list_item"),
        ("- Mexico has taken a more nationalistic course in its domestic politics.", "list_item"),
        ("Executive Summary", "heading"),
        ("## CRS PRODUCT (LIBRARY OF CONGRESS)", "heading"),
        ("When Does an Election for Speaker Occur?", "heading"),
        ("SEC. 212. TALENT SEARCH.", "heading"),
        ("| **CRS Product Number:** | 98-317", "table_row"),
        ("Introduction ........................................................ 1", "toc"),
        ("Congressional Research Service   2", "furniture"),
        ("5", "furniture"),
        ("**Author(s):** Heitshusen, Valerie", "furniture"),
        ("[Senate]", "furniture"),
        ("Listen to the full conversation below:", "furniture"),
        ("March 27, 2019", "furniture"),
        ("Professor of National Security Policy", "bio"),
        ("Dr. Downie is an acknowledged expert on Latin America, military security, and Mexico.", "bio"),
        ("The author offers special thanks to Mick Andersen and Jay Cope for reviewing this article.", "bio"),
        (
            "Survey regarding presidencial approval rating for President Felipe Calderón in Mexico, Buendía y "
            "Laredo, “Encuesta Nacional: Seguridad y Narcotráfico,” February 2010, pp. 7, 11, 13.",
            "reference",
        ),
        ("Members may vote for any individual.", "sentence"),
        # content that only looks like an acknowledgement or a title line
        (
            "Mexico City will have to accommodate mutual interests and acknowledge that the country "
            "has a serious problem with organized crime.",
            "sentence",
        ),
        ("And again, I thank Senator Murray for her commitment to these children.", "sentence"),
    ],
)
def test_line_classes(line: str, kind: str) -> None:
    got = units(line)
    assert [u.kind for u in got] == [kind], [(u.kind, line[u.start : u.end]) for u in got]


def test_a_wrapped_line_opening_with_a_title_is_no_biography() -> None:
    """The Federalist, double-spaced: a line that opens "President of …" inside running prose."""
    text = "of the\n\nPresident of the United States. But the precautions which have been\n\nso happily concerted.\n"
    assert "bio" not in [k for k, _ in _kinds(text)]


def test_footnotes_after_a_finished_sentence() -> None:
    text = (
        "practice has been to elect a new Speaker using the same process as at the start of a Congress.5 \n"
        " \n"
        "1 For additional information on House processes and precedents related to the assembly of a new \n"
        "Congress, see Chapter 1 of Precedents of the U.S. House of Representatives. \n"
        "2 This occurs before Members are sworn in. The term Member refers to a Member-elect. \n"
    )
    # the first points elsewhere ("…, see Chapter 1"); the second states something: its sentences are notes
    assert [k for k, _ in _kinds(text)] == ["sentence", "reference", "note", "note"]


def test_running_title_and_page_number_are_not_glued_to_the_sentence() -> None:
    text = (
        "Electing the Speaker of the House of Representatives: Frequently Asked Questions \n \n"
        "Congressional Research Service   2 \n"
        "resolutions declaring the office of the Speaker vacant “constitute a matter of high constitutional \n"
        "privilege.”8 \n"
    )
    got = _kinds(text)
    assert [k for k, _ in got][1:] == ["furniture", "sentence"]
    assert got[-1][1].startswith("resolutions declaring")


@pytest.mark.parametrize(
    "text, read",
    [
        (  # sources/003: a one-line footnote at the page's foot
            "A few weeks ago, the Secretary interviewed his U.S. counterpart. The Secretary had the\n\n¹ National Southwest Border Counternarcotics Strategy, ONDCP. June 2009. p.29.\n\n"
            "opportunity to visit the Northern Command and see first hand what our Mexican liaisons are learning.",
            "The Secretary had the opportunity to visit the Northern Command and see first hand what our Mexican "
            "liaisons are learning.",
        ),
        (  # sources/002: page number, then a citation line, then the sentence goes on
            "Prominent statesmen have called for the legalization of\n40\n\nLeoluca Orlando, “Fighting the Mafia and "
            "Renewing Sicilian Culture,” 2001.\n marijuana; Cardoso later advocated legalization of cocaine.41 In "
            "August 2010 even President Calderón called for a debate.",
            "Prominent statesmen have called for the legalization of marijuana; Cardoso later advocated legalization "
            "of cocaine.41",
        ),
    ],
)
def test_a_sentence_running_over_a_page_break_is_one_unit_without_the_interruption(text: str, read: str) -> None:
    first = next(u for u in units(text) if u.gaps)
    assert first.kind == "sentence" and len(first.gaps) == 1
    assert " ".join(first.read(text).split()) == read
    assert text[first.start : first.end].endswith(read.split()[-1])  # the quote is the whole stored span
    _check_tiling(text)


def test_a_sentence_resumes_after_a_long_footnote_block_and_the_running_title() -> None:
    # ../shared/foreign CRS FAQ, page 1 -> 2: footnotes whose lines open in either case, the running title
    # (repeated on every page), the page number, then the sentence goes on in lower case
    title = "Electing the Speaker of the House of Representatives: Frequently Asked Questions"
    notes = "".join(
        f"{n} Precedents (Wickham), ch. 1, p. {n}. For more information on the order of actions taken when a new\n"
        "Congress convenes, see CRS Report RL30725, The First Day of a New Congress: A Guide to Proceedings\n"
        "Member-elect.\n"
        for n in range(1, 8)
    )
    text = (
        f"{title} \n \nCongressional Research Service   1 \n"
        "It was during these 1910 proceedings that the House established the precedent that \n \n"
        f"{notes}\n{title} \n \nCongressional Research Service   2 \n"
        "resolutions declaring the office of the Speaker vacant constitute a matter of high privilege.8 \n"
        f"\n{title} \n\n{title} \n\n{title} \n"
    )
    joined = next(u for u in units(text) if u.gaps)
    assert " ".join(joined.read(text).split()) == (
        "It was during these 1910 proceedings that the House established the precedent that resolutions "
        "declaring the office of the Speaker vacant constitute a matter of high privilege.8"
    )
    _check_tiling(text)


def test_a_footnotes_second_line_does_not_resume_the_sentence() -> None:
    text = (
        "It was during these 1910 proceedings that the House established the precedent that \n \n"
        "1 For additional information on House processes related to the assembly of a new Congress and election \n"
        "of a Speaker, see Chapter 1 of Precedents of the U.S. House of Representatives. \n"
    )
    assert not any(u.gaps for u in units(text))


def test_answer_sentence_flaws() -> None:
    assert answer_sentence_flaws("federal government is to be constructed will render it") == (True, False)
    assert answer_sentence_flaws("The Big Picture -")[0]
    assert answer_sentence_flaws("Dr. Downie is an acknowledged expert on Latin America, and Mexico.") == (False, True)
    assert answer_sentence_flaws("• • • • • Demonstrate success during a rapidly closing window.")[1]
    assert answer_sentence_flaws("- Extend existing defense linkages") == (False, False)
    assert answer_sentence_flaws("The House agreed to H.Res. 757 in October 2023.") == (False, False)


# ------------------------------------------------------------------ properties


def _check_tiling(text: str) -> None:
    got = units(text)
    cursor = 0
    for u in got:
        assert cursor <= u.start < u.end <= len(text)
        assert text[cursor : u.start].strip() == ""  # only white space between units
        span = text[u.start : u.end]
        assert span == span.strip() and u.kind in U.KINDS
        inner = u.start
        for gs, ge in u.gaps:  # a page break's interruption lies inside the unit, in order
            assert inner < gs < ge < u.end
            inner = ge
        cursor = u.end
    assert text[cursor:].strip() == ""


def _random_text(rng: random.Random, n: int) -> str:
    pieces = [
        "word", "Word", "U.S.", "H.Res.", "No.", "757", "e.g.", "Dr.", "•", "-", "|", "...", ".", "?", "!", "”",
        "“", "(1)", "A.", "\n", "\n\n", "  ", "\t", "Российская", "中华人民共和国", "عربي", "ÉCOLE", "12.", "#",
        ":", "--", "``", "''", "(", ")", "\u00a0", "\r\n",
    ]  # fmt: skip
    return "".join(rng.choice(pieces) + rng.choice(["", " ", " ", "\n"]) for _ in range(n))


@pytest.mark.parametrize("seed", range(30))
def test_random_text_tiles(seed: int) -> None:
    _check_tiling(_random_text(random.Random(seed), 400))


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n\n \t ",
        "no punctuation at all just words running on " * 50,
        "\n".join(f"Heading Number {i}" for i in range(300)),
        "\n\n".join(f"A Title Line {i}\n\nAnother One" for i in range(100)),
        ". " * 2000,
        "." * 5000,
        "(" * 3000 + ")" * 10,
        "..... " * 1000 + "1",
        "中文句子。另一个句子！" * 200,
        "Mr. Mr. Mr. " * 500,
        "\n".join("•" for _ in range(500)),
    ],
)
def test_adversarial_text_tiles(text: str) -> None:
    _check_tiling(text)


def test_two_megabyte_single_line() -> None:
    text = "word " * 400_000  # 2 MB, one line, no punctuation
    got = units(text)
    assert len(got) == 1 and got[0].start == 0 and got[0].end == len(text) - 1
    line = "It is here. " * 20_000  # 240 kB of sentences on one line
    assert len(units(line)) == 20_000


def test_a_checked_answer_phrase_is_not_counted_as_a_fragment() -> None:
    """The lead "$100 million." is the short answer by design; a quoted fragment still counts."""
    from qa.evaluation.metrics import unit_scores

    answer = {
        "sentences": [{"text": "$100 million."}, {"text": "opportunity to visit the Northern Command and see it"}],
        "commitments": [{"ok": True, "phrase": "$100 million"}],
    }
    assert unit_scores(answer) == {"answer_sentences": 1, "fragment_sentences": 1, "non_prose_sentences": 0}
    answer["commitments"] = [{"ok": False, "phrase": "$100 million"}]
    assert unit_scores(answer)["fragment_sentences"] == 2


def test_a_citation_cut_at_a_page_edge_is_not_joined_to_the_next_page() -> None:
    text = (
        "Jackson Diehl, “U.S. Falls Short in Helping\n"
        "Mexico End Its Drug War,” Washington Post, January 26, 2010; http://www.washingtonpost.com/wp-dyn/2010/07/25/\n"
        "AR2010072502762.html.\n"
        " and former Mexican officials have highlighted that the drug war is a US problem.\n"
    )
    assert not any(u.gaps for u in units(text))


def test_a_quotation_is_one_sentence_with_its_speaker() -> None:
    # sources/003: the quoted words and who said them are one unit ("Who said …?" finds the speaker)
    text = (
        'In El Paso, U.S. "Border Czar" Alan Bersin told the audience, "Make no mistake. A national security '
        'threat to Mexico is a national security threat to the United States." Only days later, Napolitano signed.'
    )
    got = [text[u.start : u.end] for u in units(text)]
    assert got[0].startswith("In El Paso") and got[0].endswith('United States."') and len(got) == 2
    # a quote mark never closed stops nothing past QUOTED_CHARS: the text is split as usual
    long = "He said, “It began. " + "The war went on. " * 60
    lengths = [u.end - u.start for u in units(long)]
    assert max(lengths) <= QUOTED_CHARS + len("The war went on. ") and len(lengths) > 20
    _check_tiling(long)


def test_a_superscript_footnote_mark_after_the_full_stop_ends_the_sentence() -> None:
    # sources/003: "…in our communities.¹ Ten years have passed since the first talks…"
    text = "All of which fuel the violence in our communities.¹ Ten years have passed since the first talks."
    assert [text[u.start : u.end] for u in units(text)] == [
        "All of which fuel the violence in our communities.¹",
        "Ten years have passed since the first talks.",
    ]


def test_a_table_cell_wrapped_in_a_narrow_column_is_a_table_row_not_a_list_item() -> None:
    # sources/002, the "Summary of Options" table: cells below a column of lone bullets
    text = (
        "•\n\n•\n\nOffers opportunity\nto announce new\nstrategy/fresh start.\n\n"
        "Police reforms necessary for effective\ntransfer of lead role\nwill take years\n\n"
        "Severely limits/\nends cooperation\nachieved during\nCalderón administration\n"
    )
    kinds = {text[u.start : u.end].split("\n")[0]: u.kind for u in units(text)}
    assert kinds["Offers opportunity"] == "list_item"  # a finished item reads as one
    assert kinds["Police reforms necessary for effective"] == "table_row"
    assert kinds["Severely limits/"] == "table_row"
    # a bill's wrapped items and a legal list's "…; and" stay list items (../shared/foreign, S8560)
    bill = (
        "(A) are less likely to be enrolled in college preparatory\n     classes than non-foster care youth; and\n"
        "(d) Certain Claims.--Nothing in this title precludes any\n     court from granting any legal\n"
    )
    assert {u.kind for u in units(bill)} == {"list_item"}
    _check_tiling(text)


def test_a_sentence_resumes_after_a_figure_caption() -> None:
    # sources/002: a photo's caption set between the halves of a sentence at a page break
    text = (
        "Yet the issues most important to Mexico, such as gun control and immigration reform, are the most "
        "controversial, painful,\n\nBell-412 Helicopter formal delivery ceremony at Benito Juarez International "
        "Airport, Mexico City, December 15, 2009,\nwhich marked the official handover of five helicopters.\n\n"
        "and divisive for the United States.\nOver the past several years, the relationship improved.\n"
    )
    first = units(text)[0]
    assert first.kind == "sentence" and len(first.gaps) == 1
    assert " ".join(first.read(text).split()).endswith("painful, and divisive for the United States.")
    # the caption is no part of the sentence, but it is evidence of its own ("five helicopters")
    from qa.evidence import evidence_units

    texts = [" ".join(u.read(text).split()) for u in evidence_units(text)]
    assert any(t.startswith("Bell-412 Helicopter") and t.endswith("five helicopters.") for t in texts), texts
    # a new paragraph that opens upper-case and is not followed by a lower-case resumption is no caption
    plain = "It ends here without a stop,\n\nA new paragraph starts.\n\nAnother one.\n"
    assert not any(u.gaps for u in units(plain))
    _check_tiling(text)


def test_a_standalone_sentence_ending_in_a_quotation_is_no_heading() -> None:
    sentence = "Lopez Obrador refused to concede the victory and declared himself the “Legitimate President.”"
    assert [u.kind for u in units(sentence)] == ["sentence"]
    assert answer_sentence_flaws(sentence) == (False, False)


def test_a_biography_is_non_prose_unless_the_question_asks_for_one() -> None:
    bio = "Dr. Downie earned his Ph.D. at the University of Southern California in International Relations."
    assert answer_sentence_flaws(bio)[1]
    assert answer_sentence_flaws(bio, frozenset({"bio"})) == (False, False)


def test_emphasis_in_capitals_and_a_glued_indented_line_stay_in_their_sentences():
    # ../shared/foreign/federalist_papers.txt: an emphasised clause wraps over lines in capitals; in the
    # double-spaced text, an indented line follows the one before with no blank line between
    caps = (
        "ought to be equally unconfined. I believe it may be regarded as a\n"
        "position warranted by the history of mankind, that, IN THE USUAL\n"
        "PROGRESS OF THINGS, THE NECESSITIES OF A NATION, IN EVERY STAGE OF\n"
        "ITS EXISTENCE, WILL BE FOUND AT LEAST EQUAL TO ITS RESOURCES.\n\n"
        "To say that deficiencies may be provided for is another matter.\n"
    )
    got = [(u.kind, caps[u.start : u.end].split()[-1]) for u in units(caps)]
    assert ("sentence", "RESOURCES.") in got and not any(k == "heading" for k, _ in got), got
    glued = (
        "biennial elections be necessary or useful. The propriety of\n\n"
        "answering this question in the affirmative will appear from\n\n"
        "several very obvious considerations.\n"
        "                                        No man can be a\n\n"
        "competent legislator who does not add to an upright intention and\n\n"
        "a sound judgment a certain degree of knowledge of the subjects on\n\n"
        "which he is to legislate. A part of this knowledge may be\n\n"
        "acquired by means of information which lie within the compass of\n\n"
    )
    texts = [" ".join(glued[u.start : u.end].split()) for u in units(glued)]
    assert (
        "No man can be a competent legislator who does not add to an upright intention and a sound judgment a certain degree of knowledge of the subjects on which he is to legislate."
        in texts
    ), texts


def test_a_list_items_sentence_runs_over_a_page_marker_and_keeps_its_number():
    # ../shared/foreign/congressional_record_2005-07-20_S8560.html (as extracted): "[[Page S8565]]" between halves
    text = (
        "Trust assets would have to be managed in accordance with 1. The Federal trust responsibility and\n"
        "2. Certain basic standards set forth in the section. The trust\n"
        "management plan itself would not create, diminish or increase\n\n"
        "[[Page S8565]]\n\n"
        "the liability of either the United States or the Indian tribe. The\n"
        "tribe would have the right to terminate the plan.\n"
    )
    got = [(u.kind, " ".join(text[u.start : u.end].split())) for u in units(text)]
    assert ("list_item", "2. Certain basic standards set forth in the section.") in got, got
    whole = [t for k, t in got if t.startswith("The trust management plan")]
    assert whole and whole[0].endswith("the Indian tribe."), got


def test_an_abbreviation_ending_a_hyphenated_name_does_not_end_the_sentence() -> None:
    text = (
        "Eric Olson, director of the Central America-D.C. Platform at the Seattle International Foundation, "
        "said so. Then he left."
    )
    got = [t for _, t in _kinds(text)]
    assert len(got) == 2 and "Seattle International Foundation" in got[0], got


def test_a_long_line_of_prose_wrapped_before_a_capital_is_no_heading() -> None:
    text = (
        "SEDENA’s Deputy Chief of Operations declared that Mexico had nothing to do with it.13\n"
        "Then Secretary of National Defense Gen. Ricardo Clemente Vega Garcia also testified in the Mexican\n"
        "Congress that the Mexican Army and Air Force would not participate in USNORTHCOM operations\n"
        "or programs.14 At this point, the stage was set.\n"
    )
    got = _kinds(text)
    assert ("sentence", got[1][1]) == got[1] and "Vega Garcia" in got[1][1] and "or programs." in got[1][1], got
