"""The chat page (Gradio): a thin edge over the package, started by
``qa serve`` (or ``python ui.py``, the same flags) with the Settings the CLI
built — never a second Settings.

The page is served at once; the answer model loads in a background thread
(``qa.assistant.Assistant``) and the page shows its status. One model
instance serves every session (its backend serialises generation);
conversations live in per-session state only. ``gr.api(..., api_name="ask")``
returns ``Answer.to_json()`` (what ``qa ask --json`` prints) and waits for the
model to finish loading; failures are Gradio errors, never an answer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import gradio as gr

from qa.assistant import Assistant
from qa.config import Settings
from qa.errors import QAError
from qa.records import Answer
from qa.render import (
    answer_html,
    answer_markdown,
    evidence_html,
    evidence_markdown,
    export_markdown,
    passages_html,
    sources_table_html,
)
from qa.throttle import PasswordThrottle

EXAMPLES = [
    "What is the Mérida Initiative?",
    "How did security cooperation change under López Obrador?",
    "Why is U.S.-Mexico cooperation described as fragile in 2012?",
    "What do the sources say about fentanyl?",
    "What does Richard Downie recommend to improve US/Mexican defense relations?",
]
EMPTY_SIDE = "<p>Cited passages will appear here.</p>"
CSS = """
.qa-card, .qa-passage {border:1px solid #c8d1dc; border-radius:8px; padding:10px 12px; margin:8px 0; background:#fff; color:#1a202c}
.qa-card mark, .qa-full mark {background:#fde68a; color:#111; padding:0 2px}
.qa-n {font-weight:700; color:#1d4ed8}
.qa-meta {font-size:0.85em; color:#374151; margin:2px 0 6px}
.qa-quote {margin:6px 0; padding-left:10px; border-left:3px solid #1d4ed8; white-space:pre-wrap}
.qa-full {max-height:320px; overflow:auto; white-space:pre-wrap; font-size:0.9em; border-top:1px solid #e5e7eb; margin-top:6px; padding-top:6px}
.qa-removed {color:#9b1c1c}
#qa-status {font-size:0.9em}
.qa-sources {border-collapse:collapse; width:100%; font-size:0.9em}
.qa-sources th, .qa-sources td {border:1px solid #c8d1dc; padding:4px 6px; text-align:left; vertical-align:top}
"""


def respond(assistant: Assistant, message: str, chat: list, history: list) -> Iterator[tuple]:
    """Stream one answer into the chat; yields (chat, side panel, history, textbox, export)."""
    chat = list(chat or [])
    history = list(history or [])
    message = (message or "").strip()
    if not message:
        yield chat, gr.update(), history, "", gr.update()
        return
    chat += [{"role": "user", "content": message}, {"role": "assistant", "content": "Searching the sources…"}]
    yield chat, gr.update(), history, "", gr.update()
    draft = ""
    try:
        qa = assistant.wait()
        for ev in qa.stream(message, history=history or None):
            if ev.kind == "status":
                chat[-1]["content"] = ev.text
                yield chat, gr.update(), history, "", gr.update()
            elif ev.kind == "retrieved":
                note = "" if ev.standalone_question == message else f"*Understood as: {ev.standalone_question}*\n\n"
                chat[-1]["content"] = note + "Found passages; writing the answer…"
                yield chat, passages_html(ev.hits[:4]), history, "", gr.update()
            elif ev.kind == "evidence":
                shown = evidence_markdown(ev.evidence) + "\n\n*Writing the answer…*"
                chat[-1]["content"] = shown
                yield chat, evidence_html(ev.evidence), history, "", gr.update()
            elif ev.kind == "token":
                draft += ev.text
                chat[-1]["content"] = draft + " ▌"
                yield chat, gr.update(), history, "", gr.update()
            elif ev.kind == "final" and ev.answer is not None:
                answer: Answer = ev.answer
                chat[-1]["content"] = answer_markdown(answer)
                history += [{"role": "user", "content": message}, {"role": "assistant", "content": answer.answer}]
                yield chat, answer_html(answer), history, "", export_markdown(answer)
    except QAError as err:
        chat[-1]["content"] = f"Problem: {err.user_message()}"
        yield chat, gr.update(), history, "", gr.update()


WAITING = (
    "Waiting for the model: it is answering questions asked before yours (your place in the queue is shown below)…"
)


def enqueue(message: str, chat: list) -> tuple[list, str, str]:
    """At once, outside the queue: the question shows in the chat with a waiting note
    while it waits for its turn; returns (chat, cleared textbox, the question)."""
    message = (message or "").strip()
    if not message:
        return list(chat or []), "", ""
    return [*(chat or []), {"role": "user", "content": message}, {"role": "assistant", "content": WAITING}], "", message


def answer_queued(assistant: Assistant, message: str, chat: list, history: list) -> Iterator[tuple]:
    """Its turn in the queue: ``respond`` in place of the waiting note ``enqueue`` added."""
    chat = list(chat or [])
    if message and len(chat) >= 2 and WAITING in _text(chat[-1].get("content")):
        chat = chat[:-2]
    yield from respond(assistant, message, chat, history)


def _text(content: object) -> str:
    """A chat message's text, however the page sends it back (a string, or Gradio's list of parts)."""
    if isinstance(content, str):
        return content
    if isinstance(content, dict):
        return str(content.get("text") or content.get("value") or "")
    if isinstance(content, (list, tuple)):
        return " ".join(_text(c) for c in content)
    return ""


def api_answer(assistant: Assistant, question: str) -> dict:
    """The same JSON as `qa ask --json` (no history). Waits for the model to
    load; a load that failed or outlasts the timeout is an error, as is a bad question."""
    try:
        return assistant.wait().ask(question).to_json()
    except QAError as err:
        raise gr.Error(err.one_line(), print_exception=False) from None


def sources_view(settings: Settings) -> tuple[str, str]:
    """The Sources tab: a read-only table, one row per indexed document, and a summary line."""
    from qa.store import load_index

    try:
        index = load_index(settings)
    except QAError as err:
        return sources_table_html([]), f"Problem: {err.user_message()}"
    m = index.manifest
    return sources_table_html(index.sources.values()), (
        f"{len(index.sources)} documents, {len(index.chunks)} passages; index built {m.get('built_at')}, "
        f"updated {m.get('updated_at')}; dense index: {m.get('dense_index')}."
    )


def build_app(
    settings: Settings,
    assistant: Assistant | None = None,
    maintainer_password: str | None = None,
    throttle: PasswordThrottle | None = None,
) -> tuple[gr.Blocks, Assistant]:
    """The page for ``settings``; ``assistant`` defaults to the real one (loading starts now),
    ``throttle`` (wrong maintainer passwords) to one built from the settings."""
    assistant = assistant or Assistant(settings)

    def on_submit(message: str, chat: list, history: list) -> Iterator[tuple]:
        yield from answer_queued(assistant, message, chat, history)

    def ask(question: str) -> dict:
        """The same JSON as `qa ask --json` (no history)."""
        return api_answer(assistant, question)

    def show_sources() -> tuple[str, str]:
        return sources_view(settings)

    with gr.Blocks(title="Cited answers from the sources") as app:
        gr.Markdown(
            "## Ask the sources\nAnswers come only from the indexed documents; every sentence cites "
            "the passage it rests on. If the sources don't say, the assistant says so."
        )
        status = gr.Markdown(assistant.status(), elem_id="qa-status")
        gr.Timer(2.0).tick(assistant.status, outputs=status)
        history = gr.State([])
        asked = gr.State("")  # the question between enqueue (at once) and its answer (queued)
        with gr.Tab("Ask"), gr.Row(equal_height=False):
            chat, box, send, new, export, side = _ask_tab()
        with gr.Tab("Sources"):
            _sources_tab(app, settings, assistant, maintainer_password, show_sources, throttle)
        outputs = [chat, side, history, box, export]
        # every answer (page or API) waits in one queue, served serve_concurrency at a time: a waiting
        # user sees their place and an estimate; other events (sources, status) have their own limits
        queued: dict = {"concurrency_id": "answer", "concurrency_limit": settings.serve_concurrency}
        for trigger in (box.submit, send.click):
            trigger(enqueue, [box, chat], [chat, box, asked], api_visibility="private", queue=False).then(
                on_submit, [asked, chat, history], outputs, api_visibility="private", **queued
            )
        new.click(lambda: ([], EMPTY_SIDE, [], "", ""), outputs=outputs, api_visibility="private", queue=False)
        gr.api(ask, api_name="ask", **queued)
    app.queue(max_size=64)
    return app, assistant


def _ask_tab() -> tuple[gr.Chatbot, gr.Textbox, gr.Button, gr.Button, gr.Textbox, gr.HTML]:
    """The Ask tab's components: conversation, question box, Ask and New buttons, Markdown export, side panel."""
    with gr.Column(scale=3, min_width=320):
        chat = gr.Chatbot(label="Conversation", height=480, elem_id="qa-chat")
        box = gr.Textbox(
            label="Your question",
            placeholder="Ask about the sources and press Enter",
            elem_id="qa-input",
            lines=1,
            max_lines=4,
        )
        with gr.Row():
            send = gr.Button("Ask", variant="primary", elem_id="qa-send")
            new = gr.Button("New conversation", elem_id="qa-new")
        gr.Examples(EXAMPLES, inputs=box, label="Example questions")
        export = gr.Textbox(
            label="Last answer as Markdown (copy to share)",
            lines=4,
            buttons=["copy"],
            elem_id="qa-export",
            interactive=False,
        )
    with gr.Column(scale=2, min_width=300):
        side = gr.HTML(EMPTY_SIDE, elem_id="qa-side")
    return chat, box, send, new, export, side


def _sources_tab(
    app: gr.Blocks,
    settings: Settings,
    assistant: Assistant,
    maintainer_password: str | None,
    show_sources: Callable[[], tuple[str, str]],
    throttle: PasswordThrottle | None = None,
) -> None:
    """The Sources tab: the indexed sources (loaded with the page; read-only HTML, never an
    editable grid), and the maintainer panel if a password is set. Reading them never waits
    behind the answer queue."""
    table = gr.HTML(elem_id="qa-sources")
    info = gr.Markdown()
    gr.Button("Refresh").click(show_sources, outputs=[table, info], api_visibility="private", queue=False)
    app.load(show_sources, outputs=[table, info], api_visibility="private", queue=False)
    if maintainer_password:
        from qa.web_maintainer import maintainer_panel

        maintainer_panel(settings, assistant, maintainer_password, show_sources, table, info, throttle)


def serve(
    settings: Settings, *, host: str, port: int, share: bool = False, maintainer_password: str | None = None
) -> None:
    """Build the page for ``settings`` and serve it until interrupted."""
    app, _ = build_app(settings, maintainer_password=maintainer_password)
    print(f"serving on http://{host}:{port}", flush=True)
    app.launch(server_name=host, server_port=port, share=share, css=CSS, theme=gr.themes.Default(), show_error=False)
