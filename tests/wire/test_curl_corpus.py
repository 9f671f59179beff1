"""Issue 23 item 3 / issue 24 "Done when": a corpus nobody here wrote (curlconverter's
fixtures and browsers' "Copy as cURL" output), replayed by real curl and by ``httptool
exec`` (see corpus.py). Each case's outcome must stay the committed one in
tests/data/curl_corpus/expected.json, so fidelity can't regress; a case that gets better
fails too, until the file (and the counts in docs/curl.md) say so:
``HTTPTOOL_CORPUS_UPDATE=1 .venv/bin/pytest tests/wire/test_curl_corpus.py``."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from corpus import EXPECTED, cases, counts, run_corpus
from wireutil import needs_curl

pytestmark = [pytest.mark.timeout(120)]
ROOT = Path(__file__).resolve().parents[2]


def _expected() -> dict[str, str]:
    return json.loads(EXPECTED.read_text(encoding="utf-8"))


@needs_curl
def test_every_case_keeps_its_outcome():
    got = run_corpus()
    kinds = {k: v.kind for k, v in got.items()}
    if os.environ.get("HTTPTOOL_CORPUS_UPDATE"):
        EXPECTED.write_text(json.dumps(kinds, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        pytest.skip(f"wrote {EXPECTED}: {counts(kinds)}")
    changed = {k: (_expected().get(k), v.kind, v.detail, v.curl, v.tool)
               for k, v in got.items() if _expected().get(k) != v.kind}
    assert not changed, "\n".join(
        f"{k}: expected {e}, got {g}\n  {d}\n  curl: {c!r}\n  tool: {t!r}"
        for k, (e, g, d, c, t) in sorted(changed.items()))


def test_the_expected_file_covers_the_corpus_and_docs_say_its_counts():
    expected = _expected()
    assert set(expected) == {c.id for c in cases()}
    n = counts(expected)
    doc = (ROOT / "docs/curl.md").read_text(encoding="utf-8")
    line = (f"**{len(expected)} commands: {n['identical']} identical, {n['different']} "
            f"different, {n['refused']} refused**")
    assert line in doc, f"docs/curl.md should say {line}"
