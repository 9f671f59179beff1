"""The differential corpus: curl commands nobody here wrote, sent by real curl and by
``httptool exec`` to capture servers on 127.0.0.1, each outcome classified.

Cases are the files under tests/data/curl_corpus/ (curlconverter's fixtures, MIT, and
browsers' "Copy as cURL" output; see tests/data/README). A file holding several commands
gives one case per command (a line starting with ``curl`` starts the next one). Both tools
get the same command with ``--connect-to ::127.0.0.1:PORT --noproxy '*' -m 5`` added, so
whatever host a command names, its request goes to the capture server with that host in
its ``Host`` header, and nothing leaves the machine. curl runs under bash (its quoting,
``$'...'`` and pipes are the shell's) with stdin closed, many at once; exec runs in-process,
one after another. Each runs in a scratch directory holding the files the commands name
(tests/data/curl_corpus/files/: a cookie file, an image, a PDF...).

Outcomes: ``identical`` (the same requests, byte for byte after wireutil.normalise),
``refused`` (httptool's validate error, exit 2, nothing sent) or ``different``.
"""

from __future__ import annotations

import os
import queue
import re
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from wireutil import BASH, CURL, CaptureServer, normalise

CORPUS = Path(__file__).resolve().parents[1] / "data" / "curl_corpus"
EXPECTED = CORPUS / "expected.json"
#: the files the commands name (-F @image.jpg, -b cookies.txt, -T file.txt ...), copied
#: into each command's scratch directory
FILES = CORPUS / "files"
_START = re.compile(r"^curl\b", re.M)


@dataclass(frozen=True)
class Case:
    id: str  # "<collection>/<file>" or "<collection>/<file>#<n>"
    command: str  # starts with "curl"


@dataclass
class Outcome:
    kind: str  # identical | different | refused
    curl: list[bytes]
    tool: list[bytes]
    detail: str = ""


def cases() -> list[Case]:
    out: list[Case] = []
    for f in sorted(CORPUS.glob("*/*.sh")):
        text = f.read_text(encoding="utf-8", errors="surrogateescape")
        starts = [m.start() for m in _START.finditer(text)]
        name = f"{f.parent.name}/{f.name}"
        for k, a in enumerate(starts):
            b = starts[k + 1] if k + 1 < len(starts) else len(text)
            cid = name if len(starts) == 1 else f"{name}#{k + 1}"
            out.append(Case(cid, text[a:b].rstrip() + "\n"))
    return out


def _extra(port: int) -> str:
    return f"--connect-to ::127.0.0.1:{port} --noproxy '*' -m 5"


def _curl_sends(case: Case, servers: queue.Queue[CaptureServer]) -> list[bytes]:
    cap = servers.get()
    try:
        # our flags after the command's own: they win (curl's last --noproxy counts)
        script = (f'curl() {{ {CURL} -s "$@" {_extra(cap.port)}; }}\n' + case.command)
        env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
        with tempfile.TemporaryDirectory() as cwd:
            shutil.copytree(FILES, cwd, dirs_exist_ok=True)
            subprocess.run([BASH, "-c", script], capture_output=True, timeout=30,
                           check=False, cwd=cwd, env=env, stdin=subprocess.DEVNULL)
        return [normalise(r) for r in cap.take()]
    finally:
        servers.put(cap)


def _tool_sends(case: Case, cap: CaptureServer) -> tuple[list[bytes], int, str]:
    from click.testing import CliRunner

    from httptool.cli.exec_cmd import exec_command

    command = "curl " + _extra(cap.port) + case.command[4:]
    here = os.getcwd()
    with tempfile.TemporaryDirectory() as cwd:
        shutil.copytree(FILES, cwd, dirs_exist_ok=True)
        os.chdir(cwd)
        try:
            r = CliRunner().invoke(exec_command, [command])
        finally:
            os.chdir(here)
    err = r.stderr + (f"\n{type(r.exception).__name__}: {r.exception}"
                      if r.exception and not isinstance(r.exception, SystemExit) else "")
    return [normalise(x) for x in cap.take()], r.exit_code, err


def run_corpus(workers: int = 8) -> dict[str, Outcome]:
    all_cases = cases()
    servers: queue.Queue[CaptureServer] = queue.Queue()
    caps = [CaptureServer(idle=2.0).__enter__() for _ in range(workers + 1)]
    try:
        for c in caps[1:]:
            servers.put(c)
        with ThreadPoolExecutor(workers) as pool:
            want = list(pool.map(lambda c: _curl_sends(c, servers), all_cases))
        out: dict[str, Outcome] = {}
        for case, w in zip(all_cases, want, strict=True):
            got, code, err = _tool_sends(case, caps[0])
            if code == 2 and not got:
                kind = "refused"
            elif got == w and w:
                kind = "identical"
            else:
                kind = "different"
            out[case.id] = Outcome(kind, w, got, f"exit {code}: {err.strip()[-400:]}")
        return out
    finally:
        for c in caps:
            c.__exit__(None, None, None)


def counts(kinds: dict[str, str]) -> dict[str, int]:
    c = {"identical": 0, "different": 0, "refused": 0}
    for k in kinds.values():
        c[k] += 1
    return c
