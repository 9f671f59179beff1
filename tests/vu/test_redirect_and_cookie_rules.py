"""--base-url-map also covers redirect targets; an explicit Cookie header wins over -b."""

from __future__ import annotations

from typing import Any

from vu.helpers import BASE, reqs, run_text


def test_redirect_to_the_mapped_public_host_stays_on_the_target(target: Any) -> None:
    """A redirect whose Location names the public host (as the real service would send)
    is mapped too: it must reach the local target, never the internet."""
    target.reset()
    out = run_text(target, f"""
request hop {{
  curl -L '{BASE}/redirect-to?url={BASE}/get%3Fhop%3D1'
  assert {{ status == 200 }}
}}
scenario s {{
  load 1 iterations with 1 vus
  run hop
}}
""")
    assert out.result.total_failures == 0, reqs(out)
    counts = target.counts()
    assert counts["paths"].get("/get") == 1 and counts["total"] == 2


def test_explicit_cookie_header_wins_over_b_cookies(target: Any) -> None:
    out = run_text(target, f"""
request c {{
  curl {BASE}/headers -H 'Cookie: a=1' -b 'b=2'
  assert {{
    status == 200
    $.headers.Cookie == "a=1"
  }}
}}
scenario s {{
  load 1 iterations with 1 vus
  run c
}}
""")
    assert out.result.total_failures == 0, reqs(out)
    assert out.result.checks_passed == 2
