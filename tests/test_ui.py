"""The chat page: rendering (fast, hand-made records), then the real app on
loopback with the real model — the gradio_client API, 8 concurrent questions,
and a real headless Chromium driven by Playwright."""
from __future__ import annotations

import html
import json
import os
import shutil
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from qa.records import Answer, Chunk, Citation, Hit, Sentence, SourceInfo, SourceMeta
from qa.render import answer_html, answer_markdown, export_markdown, highlighted_paragraph, paragraph_around

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
SRC = "sources/003_03240e58ad883d7f.txt"


def _citation() -> Citation:
    text = (ROOT / SRC).read_text(encoding="utf-8")
    quote = "Napolitano also announced the first-ever Mexico-based Border Enforcement Security Task Force (BEST)"
    start = text.index(quote)
    return Citation(1, "003#x", "003_03240e58ad883d7f", SRC, "The Road Ahead", start, start + len(quote), quote)


def _answer(refused: bool = False) -> Answer:
    c = _citation()
    src = SourceInfo("003_03240e58ad883d7f", SRC, SRC, "0", SourceMeta("The Road Ahead", ("Sigrid Arzt",), "Wilson Center", "2009-09"))
    hit = Hit(1, 1.0, Chunk("003#x", src.source_id, 0, c.start, c.end, c.quote, "<script>alert(1)</script> " + c.quote), src)
    if refused:
        return Answer("q", "q", "The sources don't answer this.", True, (), (), (hit,))
    return Answer("What is BEST?", "What is BEST?", "A task force [1]", False,
                  (Sentence("A task force", (1,), True),), (c,), (hit,), removed_sentences=("Unsupported claim.",))


def test_highlight_is_verbatim_inside_its_paragraph():
    c = _citation()
    out = highlighted_paragraph(c)
    assert f"<mark>{html.escape(c.quote)}</mark>" in out
    text = (ROOT / SRC).read_text(encoding="utf-8")
    a, b = paragraph_around(text, c.start, c.end)
    assert a <= c.start and b >= c.end and "Alan Bersin" in text[a:b]


def test_cards_escape_and_mark_removed_sentences():
    out = answer_html(_answer())
    assert "Sigrid Arzt" in out and "2009-09" in out and "Removed" in out and "Unsupported claim." in out
    assert 'data-source-file="sources/003_03240e58ad883d7f.txt"' in out


def test_refusal_shows_related_passages_escaped():
    a = _answer(refused=True)
    out = answer_html(a)
    assert "Related, but not an answer" in out and "<script>" not in out and "&lt;script&gt;" in out
    assert "don't answer" in answer_markdown(a)


def test_export_markdown_has_references():
    md = export_markdown(_answer())
    assert "**References**" in md and "Border Enforcement Security Task Force" in md and "Sigrid Arzt" in md


def test_upload_names_are_safe():
    from ui import safe_upload_name

    assert safe_upload_name("../../etc/passwd.txt") == "passwd.txt"
    assert safe_upload_name("My Report (final).pdf") == "My_Report_final.pdf"
    with pytest.raises(ValueError):
        safe_upload_name("script.sh")


# -- the real app -------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    from qa.config import Settings
    from qa.indexer import build_index
    from ui import CSS, build_app

    index = tmp_path_factory.mktemp("ui") / "index"
    settings = Settings.load({"index_dir": str(index)})
    build_index(settings)
    app, assistant = build_app(settings)
    port = _free_port()
    app.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, css=CSS, quiet=True)
    assistant.ready.wait(600)
    assert assistant.qa is not None, assistant.status()
    yield f"http://127.0.0.1:{port}/"
    app.close()


def _check_quotes(obj: dict) -> None:
    for c in obj["citations"]:
        assert (ROOT / c["source_file"]).read_text(encoding="utf-8")[c["start"]:c["end"]] == c["quote"]


@pytest.mark.model
def test_gradio_client_api_matches_cli_shape(app_url):
    from gradio_client import Client

    obj = Client(app_url, verbose=False).predict("What did Janet Napolitano sign with Mexico's Attorney General?", api_name="/ask")
    assert not obj["refused"] and obj["citations"]
    assert {"question", "standalone_question", "answer", "sentences", "citations", "retrieved", "timings"} <= set(obj)
    _check_quotes(obj)


@pytest.mark.model
@pytest.mark.slow
def test_eight_concurrent_questions_get_their_own_answers(app_url):
    from gradio_client import Client

    questions = {
        "What is the Border Enforcement Security Task Force?": "003_03240e58ad883d7f",
        "What approval rating did López Obrador have 100 days into office?": "004_f3c0b219aa0238ab",
        "What replaced the Mérida Initiative in 2022?": "001_baffcb275c64405d",
        "Who did Peña Nieto choose as his security adviser?": "000_935ac076c558d15c",
        "How many homicides has Mexico had since 2007 according to Downie?": "004_f3c0b219aa0238ab",
        "Where is El Mayo Zambada awaiting trial?": "001_baffcb275c64405d",
        "What happened during the Monterrey prison break?": "000_935ac076c558d15c",
        "What share of Mérida funds can be withheld over human rights?": "003_03240e58ad883d7f",
    }

    def ask(q: str) -> dict:
        return Client(app_url, verbose=False).predict(q, api_name="/ask")

    t = time.time()
    with ThreadPoolExecutor(8) as pool:
        results = dict(zip(questions, pool.map(ask, questions)))
    assert time.time() - t < 900
    right = 0
    for q, obj in results.items():
        assert obj["question"] == q  # each caller got its own answer
        _check_quotes(obj)
        right += any(c["source_id"] == questions[q] for c in obj["citations"])
    # isolation and verbatim quotes are asserted strictly above; whether each answer is
    # right is the benchmark's job (qa eval) — here a floor catches a broken pipeline
    assert right >= 4, {q: [c["source_id"] for c in o["citations"]] for q, o in results.items()}


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.mark.model
@pytest.mark.browser
def test_real_browser_question_citation_and_refusal(app_url):
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI") == "true":
            pytest.fail("Chromium is missing in CI: .ci/run must install chromium and chromium-driver")
        pytest.skip("no Chromium: install it with `apt-get install chromium chromium-driver` to run the browser test")
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--no-first-run"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(app_url)
        page.wait_for_selector("#qa-input textarea", timeout=60_000)
        box = page.locator("#qa-input textarea")
        box.fill("What did Janet Napolitano sign with Mexico's Attorney General?")
        t0 = time.time()
        box.press("Enter")
        page.wait_for_selector("#qa-side .qa-passage, #qa-side .qa-card", timeout=120_000)
        t_sources = time.time() - t0
        page.wait_for_selector("#qa-side .qa-card", timeout=300_000)
        t_final = time.time() - t0
        card = page.locator("#qa-side .qa-card").first
        source_file = card.get_attribute("data-source-file")
        quote = card.locator(".qa-quote mark").first.inner_text()
        stored = (ROOT / source_file).read_text(encoding="utf-8")
        assert quote and " ".join(quote.split()) in " ".join(stored.split())
        start, end = int(card.get_attribute("data-start")), int(card.get_attribute("data-end"))
        assert " ".join(stored[start:end].split()) == " ".join(quote.split())
        page.screenshot(path=str(ARTIFACTS / "ui-answer.png"), full_page=True)

        box.fill("What is the recipe for a classic French omelette?")
        box.press("Enter")
        page.wait_for_function(
            "() => document.querySelector('#qa-side') && document.querySelector('#qa-side').innerText.includes('Related, but not an answer')",
            timeout=300_000)
        assert "don't answer" in page.locator("#qa-chat").inner_text()
        page.screenshot(path=str(ARTIFACTS / "ui-refusal.png"), full_page=True)
        page.set_viewport_size({"width": 420, "height": 900})
        page.screenshot(path=str(ARTIFACTS / "ui-narrow.png"), full_page=True)
        browser.close()
    (ARTIFACTS / "ui-timings.json").write_text(json.dumps({"enter_to_sources_s": round(t_sources, 2),
                                                           "enter_to_final_s": round(t_final, 2)}))
    print(f"Enter -> sources shown: {t_sources:.1f}s; Enter -> final answer: {t_final:.1f}s")
