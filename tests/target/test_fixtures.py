"""The shared fixtures work: what other areas' tests rely on."""

from __future__ import annotations

import json
import os
import signal
import ssl
import subprocess
import sys
import time
import urllib.request

import pytest


def _get(url: str, context: ssl.SSLContext | None = None) -> dict:
    handlers: list = [urllib.request.ProxyHandler({})]
    if context is not None:
        handlers.append(urllib.request.HTTPSHandler(context=context))
    with urllib.request.build_opener(*handlers).open(url, timeout=10) as r:
        return json.loads(r.read())


def test_session_target_counts(target) -> None:
    target.reset()
    for _ in range(3):
        _get(target.url + "/get")
    _get(target.url + "/posts/1")
    c = target.counts()
    assert c["total"] == 4
    assert c["paths"] == {"/get": 3, "/posts/1": 1}
    assert c["methods"] == {"GET": 4}
    assert c["statuses"] == {"200": 4}
    target.reset()
    assert target.counts()["total"] == 0


def test_factory_tls_thread(target_factory) -> None:
    t = target_factory(tls=True)
    assert t.url.startswith("https://127.0.0.1:")
    body = _get(t.url + "/get?x=1", context=t.client_ssl())
    assert body["args"] == {"x": "1"}
    assert t.counts()["paths"] == {"/get": 1}


def test_factory_tls_process(target_factory) -> None:
    t = target_factory(tls=True, process=True)
    assert t.url.startswith("https://127.0.0.1:")
    assert _get(t.url + "/uuid", context=t.client_ssl())["uuid"]
    assert t.counts()["paths"] == {"/uuid": 1}


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux")
def test_process_target_dies_with_its_parent() -> None:
    """A test process killed outright does not leave a target server behind."""
    code = (
        "from httptool.target.server import ProcessTarget\n"
        "import time\n"
        "t = ProcessTarget().start()\n"
        "print(t._proc.pid, flush=True)\n"
        "time.sleep(60)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    child = int(parent.stdout.readline())
    parent.kill()
    parent.wait(10)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    os.kill(child, signal.SIGKILL)
    pytest.fail("target outlived its parent")
