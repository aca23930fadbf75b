"""Reading and cleaning real files: the offset map round-trips on the shipped
sources and on foreign documents (PDF, HTML, Markdown, a 1.2 MB book);
debris is removed; bad files are refused with a clear message."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from qa.clean import clean, is_heading
from qa.errors import SourceError
from qa.ingest import list_source_files, read_document

ROOT = Path(__file__).resolve().parent.parent
FOREIGN = ROOT.parent / "shared" / "foreign"
MB = 1 << 20


def norm(s: str) -> str:
    return re.sub(r"[\W_]+", "", s)  # words only: bullets and hyphens may go


def assert_round_trip(text: str) -> None:
    c = clean(text)
    assert len(c.offsets) == len(c.text)
    for i, ch in enumerate(c.text):
        if not ch.isspace():
            assert text[c.offsets[i]] == ch, (i, ch)
    assert "\n\n\n" not in c.text and "  " not in c.text
    # any paragraph maps back to a stored span with the same words in order
    pos = 0
    for para in c.text.split("\n\n"):
        a, b = c.to_original(pos, pos + len(para))
        assert norm(para) == norm(text[a:b]) or norm(para) in norm(text[a:b])
        pos += len(para) + 2


@pytest.mark.parametrize("path", sorted((ROOT / "sources").glob("*.txt")), ids=lambda p: p.name)
def test_shipped_sources_round_trip(path):
    doc = read_document(path, path.stem, max_bytes=50 * MB)
    assert doc.text_is_file and doc.text == path.read_text(encoding="utf-8")
    assert_round_trip(doc.text)


FOREIGN_FILES = (
    sorted(p for p in FOREIGN.glob("*") if p.suffix in (".pdf", ".html", ".md", ".txt")) if FOREIGN.exists() else []
)


@pytest.mark.skipif(not FOREIGN_FILES, reason="../shared/foreign is not beside this checkout")
@pytest.mark.parametrize("path", FOREIGN_FILES, ids=lambda p: p.name)
def test_foreign_documents_round_trip(path):
    doc = read_document(path, path.stem, max_bytes=50 * MB)
    assert doc.text.strip()
    assert_round_trip(doc.text)
    if path.suffix == ".pdf":
        assert len(doc.page_starts) > 1 and doc.page_at(doc.page_starts[1]) == 2


def test_boilerplate_removed_from_real_sources():
    t = (ROOT / "sources" / "001_baffcb275c64405d.txt").read_text(encoding="utf-8")
    c = clean(t).text
    assert "Print This Publication" not in c and "Share this Publication" not in c and "Copy Citation" not in c
    assert "Tony Payan and Rodrigo Montes de Oca" in c
    t = (ROOT / "sources" / "000_935ac076c558d15c.txt").read_text(encoding="utf-8")
    c = clean(t).text
    assert "Subscribe Now" not in c and "free article" not in c and "PAMELA K. STARR" in c


def test_hard_wraps_joined():
    t = (ROOT / "sources" / "002_e096c096f4fc120f.txt").read_text(encoding="utf-8")
    c = clean(t).text
    assert "new Occasional Papers Series on strategic issues" in c


WRAPPED = "\n".join(f"line {i} of a hard-wrapped page that simply continues on the next" for i in range(24)) + ".\n"


@pytest.mark.parametrize(
    "raw, expected",
    [
        (WRAPPED + "The inter-\nnational effort was\nlarge.", "The international effort was large."),
        (WRAPPED + "Trust between U.S.-\nMexico agencies grew.", "Trust between U.S.-Mexico agencies grew."),
        ("Page 3 of 17\nReal sentence here.", "Real sentence here."),
        ("# A Heading\nBody text.", "A Heading\n\nBody text."),
        ("Line one.\n\n\n\n12\n\nLine two.", "Line one.\n\nLine two."),
    ],
)
def test_clean_rules(raw, expected):
    assert clean(raw).text.endswith(expected)


def test_wrapped_paragraph_not_split_at_a_heading_like_first_line():
    # Project Gutenberg style: a real heading, then paragraphs whose first
    # line is short, capitalised and unpunctuated (it looked like a heading)
    raw = (
        WRAPPED + "\nFEDERALIST No. 2\n\n"
        "This country and this people seem to have been made for each\n"
        "other, and it appears as if it was the design of Providence.\n\n"
        "Similar sentiments have hitherto prevailed among all orders and\n"
        "denominations of men among us.\n"
    )
    paragraphs = clean(raw).text.split("\n\n")
    assert "FEDERALIST No. 2" in paragraphs
    assert (
        "This country and this people seem to have been made for each other, "
        "and it appears as if it was the design of Providence."
    ) in paragraphs
    assert (
        "Similar sentiments have hitherto prevailed among all orders and denominations of men among us." in paragraphs
    )


def test_markdown_heading_kept_in_wrapped_text():
    assert "Committee Hearings" in clean(WRAPPED + "\n## Committee Hearings\nbody text goes on here.\n").text.split(
        "\n\n"
    )


def test_is_heading():
    assert is_heading("Executive Summary") and is_heading("2. Historical Context")
    assert not is_heading("This is a full sentence.") and not is_heading("12")


def test_non_utf8_decoded_with_warning(tmp_path):
    p = tmp_path / "latin.txt"
    p.write_bytes("Señor López habló de la cooperación en seguridad con Estados Unidos.".encode("cp1252"))
    doc = read_document(p, "latin", max_bytes=MB)
    assert "López" in doc.text and not doc.text_is_file and doc.warnings


def test_binary_refused(tmp_path):
    p = tmp_path / "x.txt"
    p.write_bytes(bytes(range(256)) * 10)
    with pytest.raises(SourceError, match="binary"):
        read_document(p, "x", max_bytes=MB)


def test_oversize_refused(tmp_path):
    p = tmp_path / "big.txt"
    p.write_text("word " * 1000)
    with pytest.raises(SourceError, match="limit"):
        read_document(p, "big", max_bytes=100)


def test_empty_file_is_a_warning_not_a_crash(tmp_path):
    p = tmp_path / "empty.txt"
    p.write_text("")
    doc = read_document(p, "empty", max_bytes=MB)
    assert doc.text == "" and doc.warnings


def _pdf(tmp_path: Path, encrypt: bool) -> Path:
    from pypdf import PdfWriter

    w = PdfWriter()
    w.add_blank_page(width=200, height=200)
    if encrypt:
        w.encrypt("secret")
    p = tmp_path / "doc.pdf"
    with open(p, "wb") as f:
        w.write(f)
    return p


def test_encrypted_pdf_refused(tmp_path):
    with pytest.raises(SourceError, match="encrypted"):
        read_document(_pdf(tmp_path, True), "doc", max_bytes=MB)


def test_pdf_without_text_layer_refused(tmp_path):
    with pytest.raises(SourceError, match="no text layer"):
        read_document(_pdf(tmp_path, False), "doc", max_bytes=MB)


def test_corrupt_pdf_refused(tmp_path):
    p = tmp_path / "bad.pdf"
    p.write_bytes(b"%PDF-1.4 this is not really a pdf")
    with pytest.raises(SourceError):
        read_document(p, "bad", max_bytes=MB)


def test_list_source_files(tmp_path):
    for name in ("a.txt", "b.md", "c.pdf", ".hidden.txt", "metadata.json", "notes.docx"):
        (tmp_path / name).write_text("x")
    assert [p.name for p in list_source_files(tmp_path)] == ["a.txt", "b.md", "c.pdf"]


def test_html_text(tmp_path):
    p = tmp_path / "page.html"
    p.write_text(
        "<html><head><script>var x=1;</script><style>p{}</style></head><body><nav>Menu</nav>"
        "<h1>Title</h1><p>First paragraph.</p><p>Second &amp; last.</p></body></html>"
    )
    doc = read_document(p, "page", max_bytes=MB)
    assert "var x" not in doc.text and "Menu" not in doc.text
    assert "Title" in doc.text and "Second & last." in doc.text


def test_foreign_questions_quote_their_documents_verbatim():
    """eval/datasets/foreign_questions.jsonl: each quote occurs once in the stored
    text of its document in ../shared/foreign (the extracted text for the PDF)."""
    if not FOREIGN.is_dir():
        pytest.skip(f"{FOREIGN} is not on this machine")
    rows = [
        json.loads(x) for x in (ROOT / "eval" / "datasets" / "foreign_questions.jsonl").read_text("utf-8").splitlines()
    ]
    assert len(rows) >= 12 and len({r["id"] for r in rows}) == len(rows)
    texts: dict[str, str] = {}
    for row in rows:
        for g in row["gold"]:
            name = g["source_file"]
            if name not in texts:
                texts[name] = read_document(FOREIGN / name, Path(name).stem, max_bytes=10**8).text
            assert texts[name].count(g["quote"]) == 1, (row["id"], name)
        flat = [" ".join(g["quote"].split()).lower() for g in row["gold"]]  # line breaks as spaces
        assert all(any(" ".join(k.split()).lower() in q for q in flat) for k in row["key_facts"]), row["id"]


def test_metadata_without_a_sidecar_comes_from_the_texts_own_header():
    from qa.metadata import fallback_meta

    book = (
        "The Project Gutenberg EBook of The Federalist Papers, by \n"
        "Alexander Hamilton and John Jay and James Madison\n\n"
        "Title: The Federalist Papers\n\nAuthor: Alexander Hamilton\n        John Jay\n        James Madison\n\n"
        "Posting Date: December 12, 2011 [EBook #18]\nRelease Date: August, 1991\n\nFEDERALIST No. 1\n"
    )
    meta = fallback_meta("federalist_papers.txt", book)
    assert meta.title == "The Federalist Papers"
    assert meta.authors == ("Alexander Hamilton", "John Jay", "James Madison")
    assert meta.date is None  # an ebook's posting or release date is not the work's
    report = "# Types of Committee Hearings\n\n**Publication Date:** 04/13/2026\n**Author(s):** Heitshusen, Valerie\n"
    meta = fallback_meta("crs.md", report)
    assert (meta.title, meta.authors, meta.date) == ("Types of Committee Hearings", ("Valerie Heitshusen",), "2026")
    # no header: the first short line; a line breaking after "by" goes on with the authors
    assert fallback_meta("r.txt", "A Study of Rivers, by\nAnn Lee\n\nRivers run.").authors == ("Ann Lee",)
    assert fallback_meta("r.txt", "A Study of Rivers, by\nAnn Lee\n\nRivers run.").title == "A Study of Rivers"
    pdf = "Electing the Speaker of the House of\nRepresentatives: Frequently Asked Questions\nUpdated January 2025\n"
    assert (
        fallback_meta("r.pdf", pdf).title
        == "Electing the Speaker of the House of Representatives: Frequently Asked Questions"
    )
    assert fallback_meta("fish_notes.txt", "x" * 400).title == "fish notes"
    # a report's masthead: its date line and the line naming its publisher
    masthead = "Speakers of the House: Elections, 1913-2025\nUpdated April 13, 2026\nCongressional Research Service\n"
    meta = fallback_meta("r.pdf", masthead + "https://crsreports.congress.gov\nRL30857\n\nEach new House elects…")
    assert (meta.title, meta.publisher, meta.date) == (
        "Speakers of the House: Elections, 1913-2025",
        "Congressional Research Service",
        "2026",
    )
    record = "Congressional Record, Volume 151 Issue 99 (Wednesday, July 20, 2005)\n[Senate]\n"
    assert fallback_meta("r.html", record).date == "2005"
    # a date in a sentence is not the document's; a text opening with prose has no title line
    prose = "We the People of the United States, " + "in Order to form a more perfect Union, " * 5 + "do ordain.\n"
    meta = fallback_meta("us_constitution.txt", prose + "\nThe Constitutional Convention\nArticle I\n")
    assert (meta.title, meta.date, meta.publisher) == ("us constitution", None, None)
    assert fallback_meta("m.txt", "Minutes\nThe board met on July 20, 2005 to vote.\n").date is None
