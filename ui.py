"""The chat page (Gradio): a thin edge over the ``qa`` package.

    python ui.py [--host 127.0.0.1] [--port 7860] [--index index/] [--share]
                 [--maintainer-password ...]      (or: qa serve, make run)

The page is served at once; the answer model loads in a background thread
and the page shows its status. One model instance serves every session (its
backend serialises generation); conversations live in per-session state only.
"""
from __future__ import annotations

import argparse
import hmac
import os
import re
import shutil
import threading
from pathlib import Path
from typing import Any, Callable, Iterator

import gradio as gr

from qa.config import Settings
from qa.errors import QAError
from qa.records import Answer
from qa.render import answer_html, answer_markdown, export_markdown, passages_html, sources_rows

EXAMPLES = [
    "What is the Mérida Initiative?",
    "How did security cooperation change under López Obrador?",
    "Why is U.S.-Mexico cooperation described as fragile in 2012?",
    "What do the sources say about fentanyl?",
    "What does Richard Downie recommend to improve US/Mexican defense relations?",
]
UPLOAD_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".pdf")
UPLOAD_MAX_MB = 50
CSS = """
.qa-card, .qa-passage {border:1px solid #c8d1dc; border-radius:8px; padding:10px 12px; margin:8px 0; background:#fff; color:#1a202c}
.qa-card mark, .qa-full mark {background:#fde68a; color:#111; padding:0 2px}
.qa-n {font-weight:700; color:#1d4ed8}
.qa-meta {font-size:0.85em; color:#374151; margin:2px 0 6px}
.qa-quote {margin:6px 0; padding-left:10px; border-left:3px solid #1d4ed8; white-space:pre-wrap}
.qa-full {max-height:320px; overflow:auto; white-space:pre-wrap; font-size:0.9em; border-top:1px solid #e5e7eb; margin-top:6px; padding-top:6px}
.qa-removed {color:#9b1c1c}
#qa-status {font-size:0.9em}
"""


class Assistant:
    """The shared QA instance, loaded in the background; reports its status."""

    def __init__(self, settings: Settings, factory: Callable[[], Any] | None = None) -> None:
        self.settings = settings
        self._factory = factory
        self.qa: Any = None
        self.error: str | None = None
        self.progress = 0.0
        self.ready = threading.Event()
        threading.Thread(target=self._load, daemon=True, name="qa-loader").start()

    def _load(self) -> None:
        try:
            if self._factory is not None:
                self.qa = self._factory()
            else:
                from qa.answer import QA
                from qa.backends import make_generator

                generator = make_generator(self.settings, progress=self._on_progress)
                self.qa = QA.from_settings(self.settings, generator=generator)
        except QAError as err:
            self.error = err.user_message()
        except Exception as exc:  # shown on the page instead of a traceback
            self.error = f"the assistant could not start: {type(exc).__name__}: {exc}"
        finally:
            self.ready.set()

    def _on_progress(self, fraction: float) -> None:
        self.progress = fraction

    def status(self) -> str:
        if self.error:
            return f"Problem: {self.error}"
        if self.qa is None:
            pct = f" (preparing model file: {self.progress:.0%})" if 0 < self.progress < 1 else ""
            return f"Loading the answer model{pct}… you can type your question meanwhile."
        return f"Ready — {len(self.qa.retriever.index.sources)} sources, {len(self.qa.retriever.index.chunks)} passages indexed."

    def reload_index(self) -> None:
        from qa.retrieve import Retriever

        if self.qa is not None:
            self.qa.retriever = Retriever.from_settings(self.settings, embedder=self.qa.retriever.embedder)


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
    if not assistant.ready.wait(timeout=600) or assistant.qa is None:
        chat[-1]["content"] = assistant.status()
        yield chat, gr.update(), history, "", gr.update()
        return
    draft = ""
    try:
        for ev in assistant.qa.stream(message, history=history or None):
            if ev.kind == "status":
                chat[-1]["content"] = ev.text
                yield chat, gr.update(), history, "", gr.update()
            elif ev.kind == "retrieved":
                note = "" if ev.standalone_question == message else f"*Understood as: {ev.standalone_question}*\n\n"
                chat[-1]["content"] = note + "Found passages; writing the answer…"
                yield chat, passages_html(ev.hits[:4]), history, "", gr.update()
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


def safe_upload_name(name: str) -> str:
    """A plain file name (no folders, no traversal) with a supported suffix, or ValueError."""
    base = Path(name).name
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(base).stem).strip("._") or "document"
    suffix = Path(base).suffix.lower()
    if suffix not in UPLOAD_SUFFIXES:
        raise ValueError(f"{base}: only {', '.join(UPLOAD_SUFFIXES)} files can be added")
    return stem[:100] + suffix


def build_app(settings: Settings, qa_factory: Callable[[], Any] | None = None,
              maintainer_password: str | None = None) -> tuple[gr.Blocks, Assistant]:
    assistant = Assistant(settings, qa_factory)

    def on_submit(message: str, chat: list, history: list) -> Iterator[tuple]:
        yield from respond(assistant, message, chat, history)

    def api_ask(question: str) -> dict:
        """The same JSON as `qa ask --json` (no history)."""
        if not assistant.ready.wait(timeout=600) or assistant.qa is None:
            return {"error": assistant.status()}
        try:
            return assistant.qa.ask(question).to_json()
        except QAError as err:
            return {"error": err.user_message()}

    def sources_view() -> tuple[list, str]:
        from qa.store import load_index

        try:
            index = load_index(settings)
        except QAError as err:
            return [], f"Problem: {err.user_message()}"
        m = index.manifest
        return sources_rows(index.sources.values()), (
            f"{len(index.sources)} documents, {len(index.chunks)} passages; index built {m.get('built_at')}, "
            f"updated {m.get('updated_at')}; dense index: {m.get('dense_index')}.")

    with gr.Blocks(title="Cited answers from the sources") as app:
        gr.Markdown("## Ask the sources\nAnswers come only from the indexed documents; every sentence cites "
                    "the passage it rests on. If the sources don't say, the assistant says so.")
        status = gr.Markdown(assistant.status(), elem_id="qa-status")
        gr.Timer(2.0).tick(assistant.status, outputs=status)
        history = gr.State([])
        with gr.Tab("Ask"):
            with gr.Row(equal_height=False):
                with gr.Column(scale=3, min_width=320):
                    chat = gr.Chatbot(label="Conversation", height=480, elem_id="qa-chat")
                    box = gr.Textbox(label="Your question", placeholder="Ask about the sources and press Enter",
                                     elem_id="qa-input", lines=1, max_lines=4)
                    with gr.Row():
                        send = gr.Button("Ask", variant="primary", elem_id="qa-send")
                        new = gr.Button("New conversation", elem_id="qa-new")
                    gr.Examples(EXAMPLES, inputs=box, label="Example questions")
                    export = gr.Textbox(label="Last answer as Markdown (copy to share)", lines=4,
                                        buttons=["copy"], elem_id="qa-export", interactive=False)
                with gr.Column(scale=2, min_width=300):
                    side = gr.HTML("<p>Cited passages will appear here.</p>", elem_id="qa-side")
        with gr.Tab("Sources"):
            table = gr.Dataframe(headers=["id", "title", "authors", "publisher", "date", "chunks", "file"],
                                 interactive=False, wrap=True)
            info = gr.Markdown()
            gr.Button("Refresh").click(sources_view, outputs=[table, info], api_visibility="private")
            app.load(sources_view, outputs=[table, info], api_visibility="private")
            if maintainer_password:
                _maintainer_panel(settings, assistant, maintainer_password, sources_view, table, info)
        outputs = [chat, side, history, box, export]
        box.submit(on_submit, [box, chat, history], outputs, api_visibility="private")
        send.click(on_submit, [box, chat, history], outputs, api_visibility="private")
        new.click(lambda: ([], "<p>Cited passages will appear here.</p>", [], "", ""), outputs=outputs,
                  api_visibility="private")
        gr.api(api_ask, api_name="ask")
    app.queue(default_concurrency_limit=2, max_size=64)
    return app, assistant


def _maintainer_panel(settings: Settings, assistant: Assistant, password: str, sources_view: Callable,
                      table: Any, info: Any) -> None:
    gr.Markdown("### Maintainer: add a document and re-index")
    pw = gr.Textbox(label="Maintainer password", type="password")
    upload = gr.File(label=f"Document ({', '.join(UPLOAD_SUFFIXES)}; ≤ {UPLOAD_MAX_MB} MB)", file_count="single")
    log = gr.Markdown()

    def add_and_index(secret: str, file: Any) -> tuple:
        if not hmac.compare_digest((secret or "").encode(), password.encode()):
            return (*sources_view(), "Problem: wrong maintainer password")
        messages = []
        if file is not None:
            path = Path(file if isinstance(file, str) else file.name)
            try:
                name = safe_upload_name(path.name)
                if path.stat().st_size > UPLOAD_MAX_MB * 1024 * 1024:
                    raise ValueError(f"{path.name} is larger than {UPLOAD_MAX_MB} MB")
            except ValueError as err:
                return (*sources_view(), f"Problem: {err}")
            dest = Path(settings.sources_dir) / name
            shutil.copyfile(path, dest)
            messages.append(f"added {name}")
        from qa.indexer import build_index

        try:
            report = build_index(settings)
        except QAError as err:
            return (*sources_view(), f"Problem: {err.user_message()}")
        assistant.reload_index()
        messages.append(report.summary().replace("\n", "  \n"))
        return (*sources_view(), "  \n".join(messages))

    gr.Button("Add and re-index").click(add_and_index, [pw, upload], [table, info, log], api_visibility="private")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description="Serve the chat page.")
    ap.add_argument("--host", default=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"))
    ap.add_argument("--port", type=int, default=int(os.environ.get("GRADIO_SERVER_PORT", "7860")))
    ap.add_argument("--index", help="index folder (default: index/)")
    ap.add_argument("--sources", help="sources folder (for maintainer uploads)")
    ap.add_argument("--share", action="store_true", help="ask Gradio for a public share link (off by default)")
    ap.add_argument("--maintainer-password", default=os.environ.get("QA_MAINTAINER_PASSWORD"))
    args = ap.parse_args(argv)
    try:
        settings = Settings.load({"index_dir": args.index, "sources_dir": args.sources})
    except QAError as err:
        raise SystemExit(f"error: {err.user_message()}") from None
    app, _ = build_app(settings, maintainer_password=args.maintainer_password)
    print(f"serving on http://{args.host}:{args.port}")
    app.launch(server_name=args.host, server_port=args.port, share=args.share, css=CSS,
               theme=gr.themes.Default(), show_error=False)


if __name__ == "__main__":
    main()
