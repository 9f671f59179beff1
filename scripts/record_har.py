"""Re-record tests/data/har/app-session.har: a real headless Chromium session against the
built-in target's /app endpoints (docs/target.md), saved by Playwright's ``record_har_path``.

Run by hand, never by the tests (they read the committed file):

    .venv/bin/pip install -e '.[record]'      # Playwright, the Python package only
    bash scripts/ensure-chromium.sh           # the system Chromium Playwright drives
    .venv/bin/python scripts/record_har.py [OUT.har]

The browser signs in through the HTML form (hidden CSRF input), follows the redirect with
its one-time ticket, calls the JSON API with a fresh bearer token and an order id from a
listing, and saves the account form (a second CSRF token): every value the importer must
correlate for the recording to replay.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

from httptool.target.server import ThreadTarget

REPO = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO / "tests" / "data" / "har" / "app-session.har"

_API_CALLS = """async () => {
  const login = await fetch('/app/api/login', {method: 'POST',
      headers: {'Content-Type': 'application/json'},
      body: JSON.stringify({username: 'alice', password: 'wonderland'})});
  const token = (await login.json()).access_token;
  const auth = {headers: {'Authorization': 'Bearer ' + token, 'Accept': 'application/json'}};
  const list = await (await fetch('/app/api/orders', auth)).json();
  const one = await fetch('/app/api/orders/' + list.orders[0].id, auth);
  return one.status;
}"""


def record(out: Path) -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        sys.exit("chromium is not on PATH: bash scripts/ensure-chromium.sh")
    out.parent.mkdir(parents=True, exist_ok=True)
    target = ThreadTarget()
    target.start()
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
            context = browser.new_context(record_har_path=str(out), record_har_content="embed")
            page = context.new_page()
            page.goto(f"{target.url}/app/login")
            page.fill("input[name=username]", "alice")
            page.fill("input[name=password]", "wonderland")
            page.click("button[type=submit]")
            page.wait_for_url("**/app/welcome*")
            page.wait_for_timeout(300)
            if page.evaluate(_API_CALLS) != 200:
                raise SystemExit("the API calls did not succeed in the browser")
            page.wait_for_timeout(300)
            page.click("a[href='/app/account']")
            page.wait_for_url("**/app/account")
            page.fill("input[name=bio]", "Curiouser and curiouser")
            page.click("button[type=submit]")
            page.wait_for_url("**/app/account?saved=1")
            context.close()  # writes the HAR
            browser.close()
    finally:
        target.stop()
    print(f"recorded {out}")


if __name__ == "__main__":
    record(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_OUT)
