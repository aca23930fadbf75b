"""The docs keep up with the code: every ``QA_*`` setting is documented in
docs/settings.md, every ``QA_*`` name there exists, and the README stays a
newcomer's page (≤ 8 KB, every file it links to present)."""

from __future__ import annotations

import ast
import re
from dataclasses import fields

from qa.config import Settings
from tests.conftest import ROOT

SETTINGS_DOC = ROOT / "docs" / "settings.md"
NAME = re.compile(r"\bQA_[A-Z0-9_]+\b")


def setting_names() -> set[str]:
    """The environment variables ``Settings.load`` reads: ``QA_`` + each field name in capitals."""
    return {"QA_" + f.name.upper() for f in fields(Settings)}


def other_names() -> set[str]:
    """``QA_*`` variables the package reads itself (``os.environ.get("QA_…")``), outside ``Settings``."""
    out = set()
    for path in (ROOT / "qa").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("get", "getenv")
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and str(node.args[0].value).startswith("QA_")
            ):
                out.add(str(node.args[0].value))
    return out


def documented(text: str) -> set[str]:
    """Names given a row of their own: in backticks in the first cell of a table row."""
    out = set()
    for line in text.splitlines():
        cells = line.split("|")
        if line.startswith("|") and len(cells) > 2:
            out.update(NAME.findall(" ".join(re.findall(r"`([^`]*)`", cells[1]))))
    return out


def test_every_setting_is_documented_and_every_documented_one_exists():
    text = SETTINGS_DOC.read_text("utf-8")
    known = setting_names() | other_names()
    missing = sorted(setting_names() - documented(text))
    assert not missing, (
        f"settings in qa/config.py without a row in {SETTINGS_DOC.relative_to(ROOT)}: {', '.join(missing)} "
        "-> add a row (setting | default | what it trades) to that file"
    )
    extra = sorted(set(NAME.findall(text)) - known)
    assert not extra, (
        f"{SETTINGS_DOC.relative_to(ROOT)} names settings qa/config.py does not have: {', '.join(extra)} "
        "-> remove them from that file (or add the field to Settings in qa/config.py)"
    )


def test_the_check_sees_a_missing_and_a_stale_setting():
    rows = "| setting | default | what |\n|---|---|---|\n| `QA_BACKEND`, `QA_SEED` | x | y |\n"
    assert documented(rows + "`QA_TOP_K` in prose is not a row; | `QA_N_CTX` | too\n") == {"QA_BACKEND", "QA_SEED"}
    assert "QA_BACKEND" in setting_names() and "QA_FEW_SHOTS" not in setting_names()
    assert "QA_MAINTAINER_PASSWORD" in other_names()  # read by the CLI, documented too


def test_readme_is_a_newcomers_page():
    readme = (ROOT / "README.md").read_text("utf-8")
    assert len(readme.encode("utf-8")) <= 8 * 1024
    for target in re.findall(r"\]\(([^)#]+)", readme):
        if not target.startswith("http"):
            assert (ROOT / target).exists(), f"README.md links to {target}, which does not exist"
    assert "docs/settings.md" in readme and "docs/measurements.md" in readme
