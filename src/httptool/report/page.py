"""What the HTML report and the live dashboard pages share: the packaged assets and the
page head (one Content-Security-Policy, uPlot's and the report's styles), so the two
pages cannot drift apart."""

from __future__ import annotations

from importlib import resources


def asset(folder: str, name: str) -> str:
    """A file packaged under ``httptool/report/FOLDER`` (templates, vendor)."""
    return (resources.files("httptool.report") / folder / name).read_text(encoding="utf-8")


def page_head(title: str, connect_self: bool = False) -> str:
    """``templates/head.html`` up to the page's own head lines: ``title`` (HTML-escaped by
    the caller) and the inlined styles. Nothing may be fetched unless ``connect_self``:
    then the page's script may connect to its own origin (the dashboard's event stream)."""
    values = {
        "CONNECT_SRC": "; connect-src 'self'" if connect_self else "",
        "TITLE": title,
        "UPLOT_CSS": asset("vendor", "uPlot.min.css"),
        "REPORT_CSS": asset("templates", "report.css"),
    }
    head = asset("templates", "head.html")
    for k, v in values.items():  # CONNECT_SRC and TITLE first: the styles hold no marker
        head = head.replace("{{" + k + "}}", v)
    return head.rstrip("\n")
