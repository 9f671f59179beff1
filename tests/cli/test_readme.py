"""The README's example scenario is valid (docs must match the behaviour)."""

from __future__ import annotations

import re
from pathlib import Path

from httptool.dsl import compile_source

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_scenario_compiles() -> None:
    text = README.read_text(encoding="utf-8")
    m = re.search(r"## A scenario\n\n```\n(.*?)```", text, re.S)
    assert m, "README lost its '## A scenario' block"
    plan, diags = compile_source(m.group(1), "README.md")
    assert plan is not None and not diags.items, diags.render(m.group(1))
    assert [r.name for r in plan.requests] == ["login", "profile"]
