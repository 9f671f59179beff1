"""The differential harness: one curl command sent by real curl and by ``httptool exec``
to a :class:`~support.capture.CaptureServer`, the captured bytes compared.

curl is the oracle (Debian package ``curl``; ``make test`` installs it when it may). The
command is run by bash, as a user's shell would, so ``$'...'`` and quoting are bash's own.
:func:`normalise` blanks what differs on purpose or by chance: the ``User-Agent`` value
and the multipart boundary (curl's is random; both are 24 dashes and 16 hex digits), and it
sorts the header lines by name (stable), because curl puts a few of its own headers in
another order (``Authorization`` after ``Host``, ``Content-Length`` before its own
``Content-Type``) and the order of differently named fields carries no meaning (RFC 9110
§5.3). Everything else is compared byte for byte: request line, each header, the body.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

_TESTS = str(Path(__file__).resolve().parents[1])
if _TESTS not in sys.path:
    sys.path.insert(0, _TESTS)

from support.capture import CaptureServer  # noqa: E402

CURL = shutil.which("curl")
BASH = shutil.which("bash")
needs_curl = pytest.mark.skipif(
    CURL is None or BASH is None,
    reason="real curl is the oracle: install the Debian package 'curl' (make test does)",
)
_UA = re.compile(rb"\r\nUser-Agent: [^\r\n]*", re.IGNORECASE)
_BOUNDARY = re.compile(rb"-{24}[0-9a-f]{16}")


def normalise(raw: bytes) -> bytes:
    raw = _BOUNDARY.sub(b"-" * 24 + b"B" * 16, _UA.sub(b"\r\nUser-Agent: *", raw))
    head, sep, body = raw.partition(b"\r\n\r\n")
    line, *fields = head.split(b"\r\n")
    fields.sort(key=lambda f: f.split(b":", 1)[0].lower())
    return b"\r\n".join([line, *fields]) + sep + body


def aimed(cap: CaptureServer, command: str) -> str:
    """``command`` with ``URL`` (``http://127.0.0.1:PORT``) and ``PORT`` naming ``cap``."""
    return command.replace("URL", cap.url("")).replace("PORT", str(cap.port))


def curl_sends(cap: CaptureServer, command: str) -> list[bytes]:
    """What real curl sends for ``command`` (a shell command line starting with ``curl``)."""
    assert command.startswith("curl ")
    line = f"{CURL} -s -o /dev/null {command[5:]}"
    with tempfile.TemporaryDirectory() as cwd:  # where a probe's '> out.json' lands
        subprocess.run([BASH, "-c", line], capture_output=True, timeout=20, check=False,
                       cwd=cwd)
    return [normalise(r) for r in cap.take()]


def tool_sends(cap: CaptureServer, command: str) -> tuple[list[bytes], int, str]:
    """What ``httptool exec`` sends for the same ``command`` (as one argument, the way a
    user pastes it), with its exit code and stderr."""
    from click.testing import CliRunner

    from httptool.cli.exec_cmd import exec_command

    here = os.getcwd()
    with tempfile.TemporaryDirectory() as cwd:  # where a probe's '-o x' lands, as curl's
        os.chdir(cwd)
        try:
            result = CliRunner().invoke(exec_command, [command], catch_exceptions=False)
        finally:
            os.chdir(here)
    return [normalise(r) for r in cap.take()], result.exit_code, result.stderr


def same_as_curl(cap: CaptureServer, command: str) -> list[bytes]:
    """Assert httptool sends exactly curl's bytes for ``command``; returns them."""
    want = curl_sends(cap, command)
    got, code, err = tool_sends(cap, command)
    assert want, "curl sent nothing"
    assert got == want, f"exit {code}: {err}"
    return got
