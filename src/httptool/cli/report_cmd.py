"""``httptool report SUMMARY.json -o report.html``: the HTML report of an earlier run.

With ``--baseline BASE.json`` the baseline's latency distribution and time series are
drawn under the run's, and the page gets ``httptool compare``'s table (docs/ci.md).

CI archives the ``--summary-json`` file and renders the page on demand; the page is the
same one ``scenario run --report`` writes, since both render the summary document. Bad
input (missing file, not JSON, not a summary, unknown schema version, a part missing or
of the wrong kind) is one line on stderr naming the file and the part, and exit 2; a
report that cannot be written is exit 1.
"""

from __future__ import annotations

import sys

import click

EXIT_RUNTIME = 1
EXIT_USAGE = 2


@click.command("report")
@click.argument("summary", metavar="SUMMARY_JSON", type=click.Path(dir_okay=False))
@click.option("-o", "--output", "output", required=True, type=click.Path(dir_okay=False),
              help="Where to write the HTML report (one self-contained file).")
@click.option("--baseline", metavar="BASE_JSON", type=click.Path(dir_okay=False), default=None,
              help="Draw this earlier run under the charts and add the comparison table.")
def report_command(summary: str, output: str, baseline: str | None) -> None:
    """Build the HTML report from a --summary-json file of an earlier run."""
    from httptool.report.html import ReportInputError, load_summary, write_html

    try:
        doc = load_summary(summary)
        base = load_summary(baseline) if baseline is not None else None
        write_html(output, doc, summary, base, baseline or "baseline")
    except ReportInputError as e:
        click.echo(f"httptool: {e}", err=True)
        sys.exit(EXIT_USAGE)
    except OSError as e:
        click.echo(f"httptool: cannot write {output}: {e.strerror or e}", err=True)
        sys.exit(EXIT_RUNTIME)
    click.echo(f"report written to {output}", err=True)
