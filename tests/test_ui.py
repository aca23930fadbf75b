"""The chat page: rendering (fast, hand-made records); the /ask API and the
maintainer panel with a fake slow-loading assistant (real QA, retriever and
index over a hash embedder, scripted generator); then the real app on loopback
with the real model — the gradio_client API, 8 concurrent questions, a real
headless Chromium driven by Playwright, and `qa serve` with the OpenAI backend
against a real llama_cpp.server."""

from __future__ import annotations

import html
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from conftest import HashEmbedder, free_port

from qa.assistant import Assistant
from qa.backends import Generator
from qa.config import Settings
from qa.errors import InputError, ModelError
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
    src = SourceInfo(
        "003_03240e58ad883d7f",
        SRC,
        SRC,
        "0",
        SourceMeta("The Road Ahead", ("Sigrid Arzt",), "Wilson Center", "2009-09"),
    )
    hit = Hit(
        1, 1.0, Chunk("003#x", src.source_id, 0, c.start, c.end, c.quote, "<script>alert(1)</script> " + c.quote), src
    )
    if refused:
        return Answer("q", "q", "The sources don't answer this.", True, (), (), (hit,))
    return Answer(
        "What is BEST?",
        "What is BEST?",
        "A task force [1]",
        False,
        (Sentence("A task force", (1,), True),),
        (c,),
        (hit,),
        removed_sentences=("Unsupported claim.",),
    )


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
    from qa.web_maintainer import safe_upload_name

    assert safe_upload_name("../../etc/passwd.txt") == "passwd.txt"
    assert safe_upload_name("My Report (final).pdf") == "My_Report_final.pdf"
    assert safe_upload_name("notes.MARKDOWN") == "notes.markdown"  # the indexer's suffixes, not a copy
    with pytest.raises(InputError, match="only .txt, .md"):
        safe_upload_name("script.sh")


# -- the page's logic with a fake slow-loading assistant ------------------------------------------

BRIDGE = (
    "The Zorblax Bridge in Quentin City was opened in 1987 by mayor Hilda Varga.\n\n"
    "It spans the Merrow River and carries two tram lines.\n"
)
ANSWER = json.dumps(
    {"sentences": [{"passages": [1], "text": "The Zorblax Bridge was opened in 1987 by mayor Hilda Varga."}]}
)


class OneAnswerGenerator(Generator):
    """Always drafts the same JSON answer."""

    name = "scripted"

    def stream(
        self, messages: list, *, max_tokens: int | None = None, stop: Any = None, json_schema: Any = None
    ) -> Iterator[str]:
        yield from (ANSWER[i : i + 9] for i in range(0, len(ANSWER), 9))


class SlowAssistant(Assistant):
    """A real QA (real index and retriever over a hash embedder) that finishes
    loading only when ``gate`` is set; ``waiting`` is set once a caller waits."""

    def __init__(self, settings: Settings, load_timeout_s: float = 600.0, fail: Exception | None = None) -> None:
        self.gate = threading.Event()
        self.waiting = threading.Event()
        self.fail = fail
        super().__init__(settings, load_timeout_s)

    def build(self) -> Any:
        from qa.answer import QA
        from qa.retrieve import Retriever

        self.gate.wait()
        if self.fail is not None:
            raise self.fail
        return QA(self.settings, Retriever.from_settings(self.settings, embedder=HashEmbedder()), OneAnswerGenerator())

    def wait(self, timeout: float | None = None) -> Any:
        self.waiting.set()
        return super().wait(timeout)


@pytest.fixture
def bridge_settings(settings_for, tmp_path) -> Settings:
    from qa.indexer import build_index

    sources = tmp_path / "docs"
    sources.mkdir()
    (sources / "bridge.txt").write_text(BRIDGE, encoding="utf-8")
    settings = settings_for(sources, judge="lexical")
    build_index(settings, embedder=HashEmbedder())
    return settings


def test_ask_api_waits_for_the_model_instead_of_returning_the_status(bridge_settings):
    from qa.web import api_answer

    assistant = SlowAssistant(bridge_settings)
    assert assistant.status().startswith("Loading the answer model")
    with ThreadPoolExecutor(1) as pool:
        future = pool.submit(api_answer, assistant, "Who opened the Zorblax Bridge?")
        assistant.waiting.wait(30)
        assert not future.done()  # it cannot be: the model is still loading
        assistant.gate.set()
        obj = future.result(60)
    assert not obj["refused"] and "Hilda Varga" in obj["answer"]
    assert obj["citations"][0]["source_file"].endswith("docs/bridge.txt") and obj["model"]["backend"] == "scripted"
    assert assistant.status().startswith("Ready — 1 sources")


@pytest.mark.parametrize(
    "fail, timeout, in_message",
    [
        (None, 0.01, "the answer model is still loading after 0.01 s -> try again in a minute"),
        (ModelError("model file is corrupt", "run: qa index"), 600, "model file is corrupt -> run: qa index"),
        (RuntimeError("boom"), 600, "the assistant could not start: RuntimeError: boom -> read the server log"),
    ],
)
def test_ask_api_errors_when_loading_fails_or_runs_out(bridge_settings, fail, timeout, in_message):
    import gradio as gr

    from qa.web import api_answer, respond

    assistant = SlowAssistant(bridge_settings, load_timeout_s=timeout, fail=fail)
    if fail is not None:
        assistant.gate.set()
    with pytest.raises(gr.Error) as err:
        api_answer(assistant, "Who opened the Zorblax Bridge?")
    assert in_message in err.value.message
    chat = list(respond(assistant, "Who opened the Zorblax Bridge?", [], []))[-1][0]
    assert chat[-1]["content"].startswith("Problem: ") and in_message.split(" -> ")[0] in chat[-1]["content"]
    assistant.gate.set()


def test_ask_api_through_gradio_client_waits_for_loading(bridge_settings):
    from gradio_client import Client

    from qa.web import build_app

    assistant = SlowAssistant(bridge_settings)
    app, same = build_app(bridge_settings, assistant=assistant)
    assert same is assistant
    port = free_port()
    app.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    try:
        client = Client(f"http://127.0.0.1:{port}/", verbose=False)
        job = client.submit("Who opened the Zorblax Bridge?", api_name="/ask")
        assistant.waiting.wait(60)
        assert not job.done()
        assistant.gate.set()
        obj = job.result(timeout=120)
        assert "Hilda Varga" in obj["answer"] and obj["citations"]
        with pytest.raises(Exception, match="the question is empty"):
            client.predict("  ", api_name="/ask")
    finally:
        app.close()


def test_maintainer_upload_goes_to_the_settings_sources_folder(bridge_settings, tmp_path):
    from qa.web import sources_view
    from qa.web_maintainer import add_and_reindex

    assistant = SlowAssistant(bridge_settings)
    assistant.gate.set()
    assistant.wait(60)
    upload = tmp_path / "upload" / "Tram Lines (2020).md"
    upload.parent.mkdir()
    upload.write_text("The Quentin City tram network opened a third line in 2020.\n", encoding="utf-8")
    message = add_and_reindex(bridge_settings, assistant, upload)
    sources = Path(bridge_settings.sources_dir)
    assert "added Tram_Lines_2020.md" in message and (sources / "Tram_Lines_2020.md").is_file()
    table, info = sources_view(bridge_settings)
    assert "<td>Tram_Lines_2020</td>" in table and "<td>bridge</td>" in table and info.startswith("2 documents")
    assert assistant.status().startswith("Ready — 2 sources")  # the live assistant searches the new index


def test_maintainer_upload_limits_come_from_settings(bridge_settings, tmp_path):
    from qa.web_maintainer import add_document

    upload = tmp_path / "big.txt"
    upload.write_text("x" * 2000, encoding="utf-8")
    with pytest.raises(InputError, match="larger than 0.001 MB"):
        add_document(bridge_settings.replace(max_file_mb=0.001), upload)
    (Path(bridge_settings.sources_dir) / "big.txt").symlink_to(tmp_path / "elsewhere.txt")
    with pytest.raises(InputError, match="is a symlink"):
        add_document(bridge_settings, upload)
    assert not (tmp_path / "elsewhere.txt").exists()


# -- the real app -------------------------------------------------------------


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    from qa.indexer import build_index
    from qa.web import CSS, build_app

    index = tmp_path_factory.mktemp("ui") / "index"
    settings = Settings.load({"index_dir": str(index)})
    build_index(settings)
    app, assistant = build_app(settings)
    port = free_port()
    app.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, css=CSS, quiet=True)
    assistant.ready.wait(600)
    assert assistant.qa is not None, assistant.status()
    yield f"http://127.0.0.1:{port}/"
    app.close()


def _check_quotes(obj: dict) -> None:
    for c in obj["citations"]:
        assert (ROOT / c["source_file"]).read_text(encoding="utf-8")[c["start"] : c["end"]] == c["quote"]


@pytest.mark.model
def test_gradio_client_api_matches_cli_shape(app_url):
    from gradio_client import Client

    obj = Client(app_url, verbose=False).predict(
        "What did Janet Napolitano sign with Mexico's Attorney General?", api_name="/ask"
    )
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
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
            ],
        )
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
        # the README's picture: the page as it opens, with the answer and its cited quotes
        page.screenshot(path=str(ARTIFACTS / "chat.png"))
        if os.environ.get("UPDATE_SCREENSHOT") == "1":
            shutil.copyfile(ARTIFACTS / "chat.png", ROOT / "docs" / "chat.png")

        box.fill("What is the recipe for a classic French omelette?")
        box.press("Enter")
        page.wait_for_function(
            "() => document.querySelector('#qa-side') && document.querySelector('#qa-side').innerText.includes('Related, but not an answer')",
            timeout=300_000,
        )
        assert "don't answer" in page.locator("#qa-chat").inner_text()
        page.screenshot(path=str(ARTIFACTS / "ui-refusal.png"), full_page=True)
        page.set_viewport_size({"width": 420, "height": 900})
        page.screenshot(path=str(ARTIFACTS / "ui-narrow.png"), full_page=True)
        browser.close()
    (ARTIFACTS / "ui-timings.json").write_text(
        json.dumps({"enter_to_sources_s": round(t_sources, 2), "enter_to_final_s": round(t_final, 2)})
    )
    print(f"Enter -> sources shown: {t_sources:.1f}s; Enter -> final answer: {t_final:.1f}s")


# -- `qa serve` with its own flags, end to end ---------------------------------------------------


@pytest.mark.model
@pytest.mark.slow
def test_qa_serve_passes_backend_base_url_and_sources_to_the_page(llama_server, tmp_path):
    """`qa serve --backend openai --base-url URL --sources DIR` (once dropped by a second Settings):
    the page answers through the real llama_cpp.server, from DIR's file."""
    from gradio_client import Client

    sources = tmp_path / "docs"
    sources.mkdir()
    (sources / "bridge.txt").write_text(BRIDGE, encoding="utf-8")
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""), "QA_N_THREADS": "1"}
    log = tmp_path / "serve.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "qa",
                "serve",
                "--backend",
                "openai",
                "--base-url",
                llama_server,
                "--sources",
                str(sources),
                "--index",
                str(tmp_path / "index"),
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=tmp_path,
        )
    url = f"http://127.0.0.1:{port}/"
    try:
        _wait_for_page(proc, url, log)
        obj = Client(url, verbose=False).predict("Who opened the Zorblax Bridge?", api_name="/ask")
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
    assert obj["model"]["backend"] == "openai" and obj["model"]["base_url"] == llama_server
    assert {Path(h["source_file"]).resolve() for h in obj["retrieved"]} == {(sources / "bridge.txt").resolve()}
    assert not obj["refused"] and obj["citations"], obj["answer"]
    for c in obj["citations"]:
        assert Path(c["source_file"]).resolve() == (sources / "bridge.txt").resolve()
        assert BRIDGE[c["start"] : c["end"]] == c["quote"]
    assert "Varga" in obj["answer"]


def _wait_for_page(proc: subprocess.Popen, url: str, log: Path) -> None:
    import httpx

    deadline = time.monotonic() + 300  # indexing loads the real embedder first
    while True:
        if proc.poll() is not None:
            pytest.fail(f"qa serve exited: {log.read_text()[-2000:]}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            pytest.fail(f"qa serve did not answer within 300 s: {log.read_text()[-2000:]}")
        time.sleep(1)


# -- a team on one page: uploads that cannot destroy, a queue people see, a read-only table ------
# (a real Chromium against the real page, with the fake assistant: no answer model needed)


class GatedGenerator(OneAnswerGenerator):
    """Holds every answer until ``gate`` is set; ``started`` is set once one is being written."""

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.started = threading.Event()

    def stream(self, messages: list, **kw: Any) -> Iterator[str]:
        self.started.set()
        self.gate.wait(120)
        yield from super().stream(messages, **kw)


class GatedAssistant(SlowAssistant):
    """Loaded at once; its answers wait for ``generator.gate``."""

    def __init__(self, settings: Settings) -> None:
        self.generator = GatedGenerator()
        super().__init__(settings)
        self.gate.set()

    def build(self) -> Any:
        from qa.answer import QA
        from qa.retrieve import Retriever

        return QA(self.settings, Retriever.from_settings(self.settings, embedder=HashEmbedder()), self.generator)


def _chromium(p: Any) -> Any:
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI") == "true":
            pytest.fail("Chromium is missing in CI: .ci/run must install chromium and chromium-driver")
        pytest.skip("no Chromium: install it with `apt-get install chromium chromium-driver` to run the browser test")
    return p.chromium.launch(
        executable_path=CHROMIUM,
        args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"],
    )


@pytest.fixture
def team_page(bridge_settings):
    """The page over the bridge index with the gated assistant and a maintainer password; yields (url, assistant)."""
    from qa.web import CSS, build_app

    assistant = GatedAssistant(bridge_settings)
    assistant.wait(60)
    app, _ = build_app(bridge_settings, assistant=assistant, maintainer_password="s3cret")
    port = free_port()
    app.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, css=CSS, quiet=True)
    try:
        yield f"http://127.0.0.1:{port}/", assistant
    finally:
        assistant.generator.gate.set()
        app.close()


@pytest.mark.browser
def test_browser_waiting_user_sees_queue_position_and_can_read_sources(team_page):
    from playwright.sync_api import sync_playwright

    url, assistant = team_page
    with sync_playwright() as p:
        browser = _chromium(p)
        first, second = browser.new_page(), browser.new_page()  # two users, two sessions
        for page in (first, second):
            page.goto(url)
            page.wait_for_selector("#qa-input textarea", timeout=60_000)
        first.locator("#qa-input textarea").fill("Who opened the Zorblax Bridge?")
        first.locator("#qa-input textarea").press("Enter")
        assert assistant.generator.started.wait(60)  # the first answer holds the model
        second.locator("#qa-input textarea").fill("What does the Zorblax Bridge carry?")
        second.locator("#qa-input textarea").press("Enter")
        second.wait_for_function(
            "() => /queue: 1\\/1/.test(document.querySelector('#qa-chat').innerText)", timeout=60_000
        )
        waiting = second.locator("#qa-chat").inner_text()  # the question and a note say why nothing happens yet
        assert "What does the Zorblax Bridge carry?" in waiting and "Waiting for the model" in waiting
        ARTIFACTS.mkdir(exist_ok=True)
        second.screenshot(path=str(ARTIFACTS / "ui-queue.png"), full_page=True)
        # while the queue is blocked, the Sources tab is readable: in the waiting user's page, and
        # in a page opened only now (its table loads outside the answer queue)
        second.get_by_role("tab", name="Sources").click()
        second.wait_for_selector("#qa-sources td:has-text('bridge')", timeout=10_000)
        third = browser.new_page()
        third.goto(url)
        third.get_by_role("tab", name="Sources").click()
        third.wait_for_selector("#qa-sources td:has-text('bridge')", timeout=20_000)
        third.get_by_role("button", name="Refresh").click()
        third.wait_for_selector("#qa-sources td:has-text('bridge')", timeout=10_000)
        assert not assistant.generator.gate.is_set()  # the first answer is still being written
        assistant.generator.gate.set()
        for page in (first, second):
            page.get_by_role("tab", name="Ask").click()
            page.wait_for_function(
                "() => document.querySelector('#qa-chat').innerText.includes('Hilda Varga')", timeout=60_000
            )
        browser.close()


@pytest.mark.browser
def test_browser_sources_table_cannot_be_edited(team_page):
    from playwright.sync_api import sync_playwright

    url, _ = team_page
    with sync_playwright() as p:
        browser = _chromium(p)
        page = browser.new_page()
        page.goto(url)
        page.get_by_role("tab", name="Sources").click()
        cell = page.locator("#qa-sources td", has_text="bridge").first
        cell.wait_for(timeout=30_000)
        cell.dblclick()
        page.keyboard.type("edited")
        editable = "#qa-sources input, #qa-sources textarea, #qa-sources [contenteditable='true'], #qa-sources button"
        assert page.locator(editable).count() == 0
        assert "edited" not in page.locator("#qa-sources").inner_text()
        # the only file input on the tab is the maintainer's upload, not a CSV box on the table
        assert page.locator("input[type=file]").count() == page.locator("#qa-upload input[type=file]").count() == 1
        browser.close()


@pytest.mark.browser
def test_browser_same_name_upload_keeps_the_original_and_restores_it(team_page, tmp_path):
    from playwright.sync_api import sync_playwright

    url, assistant = team_page
    sources = Path(assistant.settings.sources_dir)
    original = (sources / "bridge.txt").read_bytes()
    oops = tmp_path / "bridge.txt"
    oops.write_text("18 bytes of oops.\n", encoding="utf-8")
    with sync_playwright() as p:
        browser = _chromium(p)
        page = browser.new_page(viewport={"width": 1280, "height": 1400})
        page.goto(url)
        page.get_by_role("tab", name="Sources").click()
        page.locator("#qa-password input").fill("s3cret")
        page.locator("#qa-upload input[type=file]").set_input_files(str(oops))
        page.locator("#qa-add").click()
        page.wait_for_selector("#qa-maintainer-log:has-text('replaced bridge.txt')", timeout=60_000)
        log = page.locator("#qa-maintainer-log").inner_text()
        assert ".replaced" in log and "qa restore bridge.txt --version" in log and "changed: bridge" in log
        assert (sources / "bridge.txt").read_text() == "18 bytes of oops.\n"
        kept = [p for p in (sources / ".replaced").iterdir() if p.name.startswith("bridge.txt.")]
        assert len(kept) == 1 and kept[0].read_bytes() == original  # the original, byte for byte
        page.screenshot(path=str(ARTIFACTS / "ui-replaced.png"), full_page=True)
        # restore it from the page
        page.locator("#qa-versions input").click()
        page.get_by_role("option").first.click()
        page.locator("#qa-restore").click()
        page.wait_for_selector("#qa-maintainer-log:has-text('restored bridge.txt')", timeout=60_000)
        assert (sources / "bridge.txt").read_bytes() == original
        browser.close()
    assert assistant.status().startswith("Ready — 1 sources")


def test_the_waiting_note_is_replaced_however_the_page_sends_the_chat_back():
    from qa import web

    for note in (web.WAITING, [{"type": "text", "text": web.WAITING}]):
        chat = [{"role": "user", "content": "Q?"}, {"role": "assistant", "content": note}]
        seen = []

        def respond(assistant, message, chat, history, seen=seen):
            seen.append(list(chat))
            yield chat

        original = web.respond
        web.respond = respond
        try:
            list(web.answer_queued(None, "Q?", chat, []))  # type: ignore[arg-type]
        finally:
            web.respond = original
        assert seen == [[]]  # the question and its note are taken out before the answer adds them back
