"""``httptool scenario run`` of a scenario text, as a user runs it, with its summary JSON."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any


def scenario_run(tmp: Path, text: str, *args: str, timeout: float = 80
                 ) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    """Write ``text`` to TMP/scenario.httpx and run it with ``args`` and
    ``--summary-json``: (the finished process, the summary; {} when none was written)."""
    path, summary = tmp / "scenario.httpx", tmp / "summary.json"
    path.write_text(text, encoding="utf-8")
    p = subprocess.run([sys.executable, "-m", "httptool", "scenario", "run", str(path), *args,
                        "--summary-json", str(summary)],
                       capture_output=True, text=True, timeout=timeout)
    doc = json.loads(summary.read_text(encoding="utf-8")) if summary.exists() else {}
    return p, doc
