"""The ``qa`` command line: a thin edge over the library.

Commands: index, sources, search, ask, serve, eval. Every command takes
``--index DIR``. Errors from ``qa.errors`` become a message naming the fix
and a non-zero exit code, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from qa.config import Settings
from qa.errors import QAError
from qa.progress import ProgressBar


def _settings(args: argparse.Namespace) -> Settings:
    overrides: dict[str, Any] = {
        "index_dir": getattr(args, "index", None),
        "sources_dir": getattr(args, "sources", None),
        "backend": getattr(args, "backend", None),
        "model_path": getattr(args, "model", None),
        "openai_base_url": getattr(args, "base_url", None),
    }
    return Settings.load(overrides)


def cmd_index(args: argparse.Namespace, settings: Settings) -> int:
    """Two steps: the sources are made searchable first (with the expansions
    already in the cache); then the model writes the missing expansions and a
    second pass adds them, so a new file is never kept waiting on the model."""
    from qa.indexer import build_index

    if args.no_expand or args.expand:
        settings = settings.replace(expand=bool(args.expand))
    bar = ProgressBar("indexing", unit="B")
    report = build_index(settings, rebuild=args.rebuild, progress=bar.update)
    bar.close()
    print(report.summary())
    if not settings.expand or report.expanded >= report.n_chunks:
        return 0
    from qa.indexer import write_missing

    print("writing expansions with the answer model (searchable meanwhile; Ctrl-C keeps what is written) ...")
    bar = ProgressBar("expanding", unit="chunk")
    interrupted = False
    try:
        expanded = write_missing(settings, tick=bar.tick)
    except KeyboardInterrupt:
        expanded, interrupted = None, True
    except QAError as exc:  # e.g. the model file fails its checksum: the index stays searchable without them
        bar.close()
        print(f"expansions not written: {exc.message}" + (f" ({exc.fix})" if exc.fix else ""), file=sys.stderr)
        print("the index is searchable without them; run qa index again once that is fixed", file=sys.stderr)
        return 1
    bar.close()
    if expanded is not None:
        print(expanded.summary())
    report = build_index(settings)
    if report.written:
        print(report.summary())
    if interrupted:
        print("interrupted: the expansions written so far are kept and in the index; run qa index to go on")
        return 130
    return 0


def cmd_sources(args: argparse.Namespace, settings: Settings) -> int:
    from qa.store import load_index

    index = load_index(settings)
    rows = [s.to_dict() for s in index.sources.values()]
    if args.json:
        print(
            json.dumps(
                {
                    "sources": rows,
                    "built_at": index.manifest.get("built_at"),
                    "updated_at": index.manifest.get("updated_at"),
                },
                ensure_ascii=False,
                indent=2,
            )
        )
        return 0
    for s in index.sources.values():
        m = s.meta
        who = ", ".join(m.authors) or "author unknown"
        print(f"{s.source_id}  [{s.n_chunks} chunks]  {s.original_file}")
        print(f"    {m.title}")
        print(f"    {who}; {m.publisher or 'publisher unknown'}; {m.date or 'date unknown'}")
        if m.url:
            print(f"    {m.url}")
    expanded = (index.manifest.get("expansions") or {}).get("chunks", 0)
    print(
        f"{len(index.chunks)} chunks ({expanded} with expansions); updated {index.manifest.get('updated_at')}; "
        f"dense index: {index.manifest.get('dense_index')}"
    )
    return 0


def cmd_search(args: argparse.Namespace, settings: Settings) -> int:
    from qa.retrieve import Retriever

    retriever = Retriever.from_settings(settings)
    hits = retriever.search(args.query, k=args.k, source_ids=args.source or None)
    if settings.expand and retriever.expanded < len(retriever.index.chunks):
        print(
            f"note: {len(retriever.index.chunks) - retriever.expanded} of {len(retriever.index.chunks)} chunks have "
            "no expansion yet (run: qa index --expand)",
            file=sys.stderr,
        )
    if args.json:
        print(json.dumps({"query": args.query, "hits": [h.to_json() for h in hits]}, ensure_ascii=False))
        return 0
    for h in hits:
        where = f"{h.source.source_id} {h.chunk.start}-{h.chunk.end}"
        if h.chunk.page:
            where += f" p.{h.chunk.page}"
        print(f"[{h.rank}] {h.score:.4f}  {where}  {h.source.meta.title}")
        print("    " + h.chunk.clean_text[:300].replace("\n", " ") + ("…" if len(h.chunk.clean_text) > 300 else ""))
    if not hits:
        print("no passages found")
    return 0


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    from qa.inputs import check_question, read_history

    # every input is checked before any model is loaded
    check_question(args.question, settings.max_question_chars)
    history = read_history(Path(args.history)) if args.history else None
    from qa.answer import QA

    qa = QA.from_settings(settings)
    if args.json:
        print(json.dumps(qa.ask(args.question, history=history).to_json(), ensure_ascii=False))
        return 0
    answer = None
    for event in qa.stream(args.question, history=history):
        if event.kind == "status":
            print(f"… {event.text}", file=sys.stderr, flush=True)
        elif event.kind == "final":
            answer = event.answer
    if answer is not None:
        from qa.render import answer_text

        print(answer_text(answer))
    return 0


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    from qa.indexer import build_index

    report = build_index(settings)
    print(report.summary())
    from qa.web import serve

    serve(settings, host=args.host, port=args.port, share=args.share, maintainer_password=args.maintainer_password)
    return 0


def cmd_restore(args: argparse.Namespace, settings: Settings) -> int:
    """List the versions kept when sources were replaced, or put one back and re-index."""
    from qa.source_versions import kept_versions, replaced_dir, restore

    sources = Path(settings.sources_dir)
    if not args.name:
        versions = kept_versions(sources)
        for v in versions:
            print(f"{v.name}  --version {v.stamp}  {v.action} at {v.at}  {v.size:,} bytes  sha256 {v.sha256[:12]}")
        print(
            f"{len(versions)} kept version(s) in {replaced_dir(sources)}"
            + ("; restore: qa restore NAME" * bool(versions))
        )
        return 0
    chosen, replaced = restore(sources, args.name, args.version)
    print(f"restored {args.name} to its version kept at {chosen.at} ({chosen.size:,} bytes)")
    if replaced is not None:
        print(f"the version it replaced is kept: qa restore {args.name} --version {replaced.stamp}")
    if args.no_index:
        print("not re-indexed (--no-index): run qa index")
        return 0
    from qa.indexer import build_index

    print(build_index(settings).summary())
    return 0


def positive_int(text: str) -> int:
    """argparse type: a whole number of 1 or more (``-k 0`` is an error, not ten hits)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number of 1 or more, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of 1 or more, got {value}")
    return value


def port_number(text: str) -> int:
    """argparse type: a TCP port, 1..65535."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"must be a port number 1..65535, got {text!r}")
    return value


def _add_serve_arguments(p: argparse.ArgumentParser) -> None:
    """The flags of `qa serve` (and `python ui.py`) besides --index and the model ones."""
    p.add_argument("--sources", help="sources folder, indexed first and used by maintainer uploads (default: sources/)")
    p.add_argument(
        "--host",
        default=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"),
        help="address to listen on (default: 127.0.0.1 or GRADIO_SERVER_NAME)",
    )
    p.add_argument(
        "--port",
        type=port_number,
        default=os.environ.get("GRADIO_SERVER_PORT", "7860"),
        help="port (default: 7860 or GRADIO_SERVER_PORT)",
    )
    p.add_argument("--share", action="store_true", help="ask Gradio for a public share link (off by default)")
    p.add_argument(
        "--maintainer-password",
        default=os.environ.get("QA_MAINTAINER_PASSWORD"),
        help="enables the page's add-a-document panel (default: QA_MAINTAINER_PASSWORD)",
    )


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--index", help="index folder (default: index/ or QA_INDEX_DIR)")
    model = argparse.ArgumentParser(add_help=False)
    model.add_argument("--backend", choices=("llama_cpp", "transformers", "openai"), help="answer backend")
    model.add_argument("--model", help="GGUF file or Hugging Face model folder (default: packaged Qwen2.5-Coder-1.5B)")
    model.add_argument("--base-url", dest="base_url", help="OpenAI-compatible server URL, for --backend openai")

    parser = argparse.ArgumentParser(prog="qa", description="Answers from your documents, every sentence cited.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("index", parents=[common], help="build or update the index (only changed files)")
    p.add_argument("--sources", help="sources folder (default: sources/)")
    p.add_argument("--rebuild", action="store_true", help="start over instead of updating")
    group = p.add_mutually_exclusive_group()
    group.add_argument(
        "--expand",
        action="store_true",
        help="add expansions (questions the answer model writes per chunk; cached in sources/expansions.jsonl)",
    )
    group.add_argument("--no-expand", action="store_true", help="build without expansions (the default; QA_EXPAND)")
    p.set_defaults(func=cmd_index)

    p = sub.add_parser("sources", parents=[common], help="list indexed sources")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_sources)

    p = sub.add_parser("restore", parents=[common], help="list or restore versions of sources replaced by page uploads")
    p.add_argument("name", nargs="?", help="file name in the sources folder (none: list the kept versions)")
    p.add_argument("--version", help="the kept version's stamp (default: the newest)")
    p.add_argument("--sources", help="sources folder (default: sources/)")
    p.add_argument("--no-index", action="store_true", help="restore the file only; do not re-index")
    p.set_defaults(func=cmd_restore)

    p = sub.add_parser("search", parents=[common], help="retrieve passages for a query")
    p.add_argument("query")
    p.add_argument("-k", type=positive_int, default=10, help="how many passages (default: 10)")
    p.add_argument("--source", action="append", help="only this source id (repeatable)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_search)

    p = sub.add_parser("ask", parents=[common, model], help="answer a question with checked citations")
    p.add_argument("question")
    p.add_argument("--history", help="JSON file: [{role, content}, ...] of the conversation so far")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("serve", parents=[common, model], help="update the index, then serve the chat page")
    _add_serve_arguments(p)
    p.set_defaults(func=cmd_serve)

    try:
        from qa.evaluation.cli import register
    except ImportError:
        pass
    else:
        register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func: Callable[[argparse.Namespace, Settings], int] = args.func
    try:
        return func(args, _settings(args))
    except QAError as err:
        print(f"error: {err.one_line()}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
