"""Rendering an :class:`~.model.Imported` as .httpx text, and writing it atomically (a
temporary file beside the output, then a rename: never a half-written scenario)."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from httptool.importers.model import Body, Imported, Request

_TEMPLATE_REF = re.compile(r"(?<!\$)\$\{[^}]*\}")
_SAFE_ARG = re.compile(r"^[A-Za-z0-9_@%+=:,./{}$-]+$")


def escape_template(text: str) -> str:
    """Literal text as template text: ``${`` would interpolate, so it becomes ``$${``."""
    return text.replace("${", "$${")


def shell_quote(arg: str) -> str:
    """POSIX single quoting, as the scenario's curl lines are split like a shell would."""
    if _SAFE_ARG.match(arg):
        return arg
    return "'" + arg.replace("'", "'\\''") + "'"


def dsl_string(text: str) -> str:
    """A double-quoted string of the language (``\\"``, ``\\\\``, ``\\n``, ``\\t``)."""
    out = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return '"' + out.replace("\t", "\\t") + '"'


def _body_args(body: Body) -> list[str]:
    if body.kind == "raw":
        return ["--data-raw", body.text]
    if body.kind == "file":
        return ["--data-binary", "@" + body.text]
    if body.kind == "urlencode":
        return [a for name, value in body.parts for a in ("--data-urlencode", f"{name}={value}")]
    args: list[str] = []
    for name, value in body.parts:
        args += ["-F", f"{name}={value}"]
    return args


def curl_args(req: Request) -> list[list[str]]:
    """The curl command as argument groups, one continuation line each."""
    first = ["curl"]
    implied = "POST" if req.body is not None else "GET"
    if req.method == "HEAD":
        first.append("-I")
    elif req.method != implied:
        first += ["-X", req.method]
    if any(c in _TEMPLATE_REF.sub("", req.url) for c in "[]{}"):
        first.append("-g")  # curl would expand [..] and {..} as a URL glob
    first.append(req.url)
    groups = [first]
    groups += [["-H", f"{k}: {v}"] for k, v in req.headers]
    if req.user is not None:
        groups.append(["-u", req.user])
    if req.cookies:
        groups.append(["-b", req.cookies])
    if req.compressed:
        groups.append(["--compressed"])
    if req.body is not None:
        args = _body_args(req.body)
        groups += [args[i:i + 2] for i in range(0, len(args), 2)]
    return groups


def render_request(req: Request) -> str:
    lines = []
    if req.section:
        lines += ["", f"# ---- {req.section} ----"]
    lines += [f"# {c}" if c else "#" for c in _comment_lines(req.comments)]
    lines.append(f"request {req.name} {{")
    groups = curl_args(req)
    for i, g in enumerate(groups):
        text = " ".join(shell_quote(a) if j or i else a for j, a in enumerate(g))
        tail = " \\" if i < len(groups) - 1 else ""
        lines.append(("  " if i == 0 else "    ") + text + tail)
    if req.extracts:
        lines.append("  extract {")
        lines += [f"    {var} = {src}" for var, src in req.extracts]
        lines.append("  }")
    if req.status is not None:
        lines.append(f"  assert status == {req.status}")
    lines.append("}")
    return "\n".join(lines)


def _comment_lines(comments: list[str]) -> list[str]:
    out: list[str] = []
    for c in comments:
        out += c.splitlines() or [""]
    return out


def _think(ms: int) -> str:
    return f"{ms / 1000:g}s" if ms % 1000 == 0 else f"{ms}ms"


def render(imp: Imported) -> str:
    """The whole scenario file."""
    out = [f"# Imported by `httptool import {imp.source}` from {Path(imp.file).name}.",
           "# Edit the load line (or pass --vus/--duration) before a real run."]
    for w in imp.warnings:
        out.append(f"# warning: {w}")
    out.append("")
    for name, value in imp.variables:
        out.append(f"var {name} = {dsl_string(value)}")
    for req in imp.requests:
        out += ["", render_request(req)]
    names = imp.flow if imp.flow is not None else [r.name for r in imp.requests]
    by_name = {r.name: r for r in imp.requests}
    out += ["", f"scenario {imp.scenario} {{", f"  {imp.load}"]
    for name in names:
        out.append(f"  run {name}")
        step = by_name.get(name)
        if step is not None and step.think_after_ms and name != names[-1]:
            out.append(f"  think {_think(step.think_after_ms)}")
    out.append("}")
    return "\n".join(out) + "\n"


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same directory."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def write_bodies(imp: Imported, out: Path) -> list[Path]:
    """Write the binary body files beside ``out``; returns their paths."""
    paths = []
    for rel, data in imp.binary_files.items():
        atomic_write(out.parent / rel, data)
        paths.append(out.parent / rel)
    return paths
