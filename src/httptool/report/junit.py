"""``--junit PATH``: checks and thresholds as JUnit XML test cases, for CI test tabs.

One ``<testsuite>`` for the checks (a test case per check; it fails when any evaluation
of the check failed), one for the thresholds (a test case per threshold) and, for a run
stopped by Ctrl-C or SIGTERM, one whose ``run finished`` case is an error. Built with
``xml.etree`` so the XML is always well-formed and escaped.
"""

from __future__ import annotations

import os
import time
import xml.etree.ElementTree as ET
from collections.abc import Sequence

from httptool.metrics.result import RunResult
from httptool.report.info import RunInfo
from httptool.report.thresholds import ThresholdOutcome
from httptool.report.units import fmt_pct


def _suite(parent: ET.Element, name: str, kind: str, info: RunInfo, result: RunResult,
           cases: list[tuple[str, str | None, str]], tag: str = "failure") -> None:
    """``cases``: (test name, failure message or None, failure detail); ``kind`` is the
    failures' ``type`` attribute; ``tag`` ``error`` for a case the run could not finish."""
    failures = sum(1 for _, msg, _ in cases if msg is not None)
    suite = ET.SubElement(parent, "testsuite", {
        "name": name, "tests": str(len(cases)),
        "failures": str(failures if tag == "failure" else 0),
        "errors": str(failures if tag == "error" else 0),
        "skipped": "0", "time": f"{result.duration_s:.3f}",
        "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(info.started_at)),
    })
    props = ET.SubElement(suite, "properties")
    for key, value in (("file", info.file), ("scenario", info.scenario), ("load", info.load),
                       ("workers", str(info.workers)),
                       ("interrupted", "true" if info.interrupted else "false")):
        ET.SubElement(props, "property", {"name": key, "value": value})
    for case_name, msg, detail in cases:
        case = ET.SubElement(suite, "testcase", {"classname": name, "name": case_name,
                                                 "time": "0"})
        if msg is not None:
            fail = ET.SubElement(case, tag, {"message": msg, "type": kind})
            fail.text = detail


def junit_tree(result: RunResult, info: RunInfo,
               outcomes: Sequence[ThresholdOutcome] = ()) -> ET.ElementTree:
    """The JUnit document: ``<testsuites>`` with a checks and a thresholds suite (each
    only when non-empty)."""
    root = ET.Element("testsuites", {"name": f"httptool {info.scenario}"})
    checks = []
    for c in result.checks.values():
        msg = None
        if c.failed:
            msg = f"{c.failed} of {c.total} failed ({fmt_pct(c.pass_rate)} passed)"
        checks.append((c.name, msg, f"check {c.name!r}: {c.passed} passed, {c.failed} failed"))
    thresholds = []
    for o in outcomes:
        msg = None if o.passed else f"{o.threshold.text}: {o.shown}"
        detail = (f"threshold {o.threshold.text!r} "
                  f"{'held' if o.passed else 'failed'}: actual {o.shown}")
        thresholds.append((o.threshold.text, msg, detail))
    for suffix, kind, cases in (("checks", "check", checks),
                                ("thresholds", "threshold", thresholds)):
        if cases:
            _suite(root, f"{info.scenario}.{suffix}", kind, info, result, cases)
    if info.interrupted:
        # a CI test tab must not show a stopped run as green (with no checks and no
        # thresholds it would show nothing at all)
        why = info.partial_status()
        _suite(root, f"{info.scenario}.run", "interrupted", info, result,
               [("run finished", why, f"the run was {why}, after {result.duration_s:.1f}s")],
               tag="error")
    suites = root.findall("testsuite")
    root.set("tests", str(sum(int(s.get("tests", "0")) for s in suites)))
    root.set("failures", str(sum(int(s.get("failures", "0")) for s in suites)))
    root.set("errors", str(sum(int(s.get("errors", "0")) for s in suites)))
    root.set("time", f"{result.duration_s:.3f}")
    tree = ET.ElementTree(root)
    ET.indent(tree)
    return tree


def write_junit(path: str | os.PathLike[str], result: RunResult, info: RunInfo,
                outcomes: Sequence[ThresholdOutcome] = ()) -> None:
    """Write :func:`junit_tree` to ``path`` (UTF-8, XML declaration); OSError if it cannot."""
    path = os.fspath(path)
    tmp = f"{path}.tmp{os.getpid()}"
    try:
        junit_tree(result, info, outcomes).write(tmp, encoding="utf-8", xml_declaration=True)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
