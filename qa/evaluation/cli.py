"""``qa eval``: run / compare / calibrate / export-alce. Heavy parts are imported in the handlers."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from qa.config import Settings


def register(sub: Any) -> None:
    p = sub.add_parser("eval", help="citation-accuracy benchmark (see eval/README.md)")
    esub = p.add_subparsers(dest="eval_command", required=True)
    r = esub.add_parser("run", help="answer every question of a dataset and score it")
    r.add_argument("--dataset", default="eval/datasets/questions.jsonl")
    r.add_argument("--out", required=True, help="output folder (answers.jsonl, metrics.json, report.md, plots)")
    r.add_argument("--limit", type=int)
    r.add_argument("--workers", type=int, default=1, help="questions in flight (the local model answers one at a time)")
    r.add_argument("--judge", choices=("lexical", "llm"), default="lexical", help="support judge for ALCE metrics")
    r.add_argument("--retrieval-only", action="store_true", help="measure retrieval only (no model)")
    r.add_argument("--index")
    again = r.add_mutually_exclusive_group()
    again.add_argument(
        "--resume",
        action="store_true",
        help="finish an interrupted run in --out: keep its answers, ask the rest (same settings required)",
    )
    again.add_argument("--overwrite", action="store_true", help="replace the run already in --out")
    r.set_defaults(func=cmd_run)
    rs = esub.add_parser("rescore", help="score a finished run again with today's metrics (no model)")
    rs.add_argument("run", help="folder of a finished `qa eval run`")
    rs.add_argument("--dataset", default="eval/datasets/questions.jsonl")
    rs.add_argument("--index")
    rs.set_defaults(func=cmd_rescore)
    c = esub.add_parser("compare", help="metric deltas and changed questions between two runs")
    c.add_argument("run_a")
    c.add_argument("run_b")
    c.add_argument("--index")
    c.set_defaults(func=cmd_compare)
    k = esub.add_parser("calibrate", help="fit the answer/refuse decision on a finished run (see eval/README.md)")
    k.add_argument("--run", required=True, help="folder of a finished `qa eval run` (its answers.jsonl)")
    k.add_argument("--out", default="qa/calibration.json", help="the calibration file to write")
    k.add_argument("--data", default="eval/calibration/data.jsonl", help="examples with their Yes probabilities")
    k.add_argument("--plot", default="eval/calibration/curve.png")
    k.add_argument("--false-refusal", type=float, default=0.08, help="answerable share the threshold may refuse")
    k.set_defaults(func=cmd_calibrate)
    e = esub.add_parser("export-alce", help="write a run in ALCE's input format")
    e.add_argument("run")
    e.add_argument("--out")
    e.add_argument("--index")
    e.set_defaults(func=cmd_export)


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    from qa.evaluation.resume import check_out
    from qa.evaluation.runner import run
    from qa.verify import LexicalJudge, LLMJudge

    check_out(args.out, resume=args.resume, overwrite=args.overwrite)

    fingerprint = settings.answer_fingerprint()
    again = {"resume": args.resume, "overwrite": args.overwrite}
    if args.retrieval_only:
        from qa.retrieve import Retriever, followup_query

        retriever = Retriever.from_settings(settings)
        metrics = run(
            args.dataset,
            args.out,
            search=lambda q, k, history: [
                h.to_json() for h in retriever.search(q, k=k, also=followup_query(q, history))
            ],
            judge=LexicalJudge(),
            limit=args.limit,
            workers=args.workers,
            settings_fingerprint={**fingerprint, "sources": _sources(retriever)},
            stored=_stored_texts(retriever),
            **again,
        )
    else:
        from qa.answer import QA

        qa = QA.from_settings(settings)
        judge = LLMJudge(qa.generator) if args.judge == "llm" else LexicalJudge()
        metrics = run(
            args.dataset,
            args.out,
            ask=lambda q, h: qa.ask(q, history=h).to_json(),
            judge=judge,
            limit=args.limit,
            workers=args.workers,
            settings_fingerprint={**fingerprint, "sources": _sources(qa.retriever)},
            model_info={**qa.generator.info(), "embed_model": settings.embed_model},
            stored=_stored_texts(qa.retriever),
            **again,
        )
    o = metrics["overall"]
    print(f"{o['questions']} questions, {o['errors']} errors; report: {args.out}/report.md")
    from qa.evaluation.report import flat

    for k, v in flat(o):
        print(f"  {k:40s} {v if v is not None else '–'}")
    return 0


def _sources(retriever: Any) -> dict[str, str]:
    """The indexed files and their sha256: a run is only comparable on the same sources."""
    return {s.original_file: s.sha256 for s in sorted(retriever.index.sources.values(), key=lambda s: s.original_file)}


def _stored_texts(retriever: Any) -> dict[str, str]:
    """Each indexed document's file name and original path -> its stored text,
    so a dataset may name documents of another folder (see qa.evaluation.dataset)."""
    out: dict[str, str] = {}
    for s in retriever.index.sources.values():
        out.setdefault(Path(s.original_file).name, s.source_file)
        out[s.original_file] = s.source_file
    return out


def cmd_rescore(args: argparse.Namespace, settings: Settings) -> int:
    from qa.evaluation.runner import rescore
    from qa.store import load_index
    from qa.verify import LexicalJudge

    index = load_index(settings)
    stored = {Path(s.original_file).name: s.source_file for s in index.sources.values()}
    stored.update({s.original_file: s.source_file for s in index.sources.values()})
    metrics = rescore(args.run, args.dataset, LexicalJudge(), stored)
    print(f"rescored {metrics['overall']['questions']} answers; report: {args.run}/report.md")
    return 0


def cmd_compare(args: argparse.Namespace, settings: Settings) -> int:
    from qa.evaluation.compare import compare

    print(compare(args.run_a, args.run_b))
    return 0


def cmd_calibrate(args: argparse.Namespace, settings: Settings) -> int:
    from qa.evaluation.calibrate import calibrate

    if not 0 < args.false_refusal < 1:
        from qa.errors import InputError

        raise InputError(f"--false-refusal must be within (0, 1), got {args.false_refusal}")
    print(calibrate(args.run, args.out, settings, data=args.data, plot_to=args.plot, false_refusal=args.false_refusal))
    return 0


def cmd_export(args: argparse.Namespace, settings: Settings) -> int:
    from qa.evaluation.alce import export

    print(export(args.run, args.out))
    return 0
