"""Client fuzzing, CI size: mutated HTTP responses through ``ConnectionPool.send``.

The harness (valid bases, mutations, the fake transport, the real-socket case server and
the rules every outcome must follow) is ``bench/fuzz_client.py``, which runs the long
campaign (>= 100,000 inputs, recorded in docs/benchmarks.md "Client fuzzing"). Here
hypothesis draws a modest number of cases on the fake transport (``HTTPTOOL_FUZZ_EXAMPLES``
raises it) and a few over loopback sockets, plus regression tests for what the long run
found.
"""

from __future__ import annotations

import asyncio
import os
import random
import sys
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from httptool.engine.client import ClientContext, ConnectionPool
from httptool.engine.errors import ErrorKind
from httptool.engine.loop import new_event_loop
from httptool.engine.request import build_request

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import fuzz_client as fz

from support.faultserver import FaultServer

pytestmark = pytest.mark.timeout(60)

EXAMPLES = int(os.environ.get("HTTPTOOL_FUZZ_EXAMPLES", "400"))
T = TypeVar("T")


@pytest.fixture(scope="module")
def loop() -> Any:
    lp = new_event_loop()
    yield lp
    lp.close()


class Runner:
    """Runs each example on one loop, collecting what reaches its exception handler."""

    def __init__(self, lp: asyncio.AbstractEventLoop) -> None:
        self.loop = lp
        self.errors: list[str] = []
        lp.set_exception_handler(fz._recorder(self.errors))
        self.ctx = ClientContext()

    def __call__(self, coro: Coroutine[Any, Any, T]) -> T:
        return self.loop.run_until_complete(asyncio.wait_for(coro, 20))


@pytest.fixture(scope="module")
def runner(loop: asyncio.AbstractEventLoop) -> Runner:
    return Runner(loop)


@st.composite
def cases(draw: st.DrawFn) -> fz.Case:
    base = draw(st.sampled_from(fz.BASES))
    rng = draw(st.randoms(use_true_random=False))
    edits = draw(st.integers(0, 6))
    return fz.Case(base, tuple(fz.split(rng, fz.mutate(rng, base.stream, edits))),
                   draw(st.booleans()))


FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])


@FUZZ
@given(case=cases())
def test_mutated_responses_fake_transport(case: fz.Case, runner: Runner) -> None:
    problems = runner(fz.run_fake(case, runner.ctx, runner.errors))
    assert problems == [], (case.base.name, case.eager, case.chunks)


@settings(max_examples=min(EXAMPLES // 8, 60), deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(case=cases())
def test_mutated_responses_real_sockets(case: fz.Case, runner: Runner) -> None:
    async def main() -> list[str]:
        srv = await fz.CaseServer().start()
        pool = ConnectionPool(ClientContext())
        try:
            return await fz.run_real(case, srv, pool, runner.errors)
        finally:
            pool.close()
            await srv.stop()

    assert runner(main()) == [], (case.base.name, case.chunks)


def test_unmutated_bases_succeed(runner: Runner) -> None:
    """The harness itself: every valid base, whole or byte by byte, answers without error
    (so a fuzz failure is the client's, not the fake server's)."""
    for base in fz.BASES:
        for chunks in ([base.stream], [base.stream[i:i + 1] for i in range(len(base.stream))]):
            for eager in (False, True):
                pool = fz.FakePool(runner.ctx, list(chunks), eager)
                req = fz.request_for(base, "http://fuzz.test/a", 2.0)

                async def main(pool: fz.FakePool = pool, req: Any = req,
                               n: int = base.requests) -> list[Any]:
                    return [await pool.send(req, keep_body=True) for _ in range(n)]

                for r in runner(main()):
                    assert r.error is None and r.status >= 200, (base.name, eager, r)
                pool.close()


def test_rules_flag_a_hang_and_a_statusless_success(runner: Runner) -> None:
    """The rules the fuzzer relies on: an error value passes, a total timeout on the fake
    transport is a hang, a success without a status is wrong."""
    r = runner(fz.ConnectionPool(runner.ctx).send(
        build_request("GET", "http://127.0.0.1:1/")))  # refused: an error value
    assert fz.check_response(r, True) is None and r.error == ErrorKind.REFUSED
    late = fz.Response("GET", "u", 0)
    late.error, late.reason = ErrorKind.TIMEOUT, "timed out waiting for the response"
    assert "hang" in (fz.check_response(late, True) or "")
    assert fz.check_response(late, False) is None  # over sockets a timeout is an outcome
    assert "status 0" in (fz.check_response(fz.Response("GET", "u", 0), True) or "")


# ------------------------------------------------------------------ regressions (bugs found)

BAD_STATUS = [
    # llhttp accepts any three digits; a status below 100 used to come out as a success
    # with status 0 or 4 (close-delimited body, HEAD, or taken for an interim response)
    (b"HTTP/1.0 000 OK\r\nContent-Type: text/plain\r\n\r\nhello", "GET", "000"),
    (b"HTTP/1.1 000 OK\r\nContent-Lngth: 1000\r\n\r\n", "HEAD", "000"),
    (b"HTTP/1.1 004 No Content\r\n\r\nHTTP/1.1 304 Not Modified\r\n\r\n", "GET", "004"),
    (b"HTTP/1.1 000 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", "POST",
     "000"),
    (b"HTTP/1.1 099 X\r\nContent-Length: 2\r\n\r\nok", "GET", "099"),
]


@pytest.mark.parametrize(("stream", "method", "code"), BAD_STATUS)
@pytest.mark.parametrize("split", ["whole", "bytes"])
def test_status_below_100_is_malformed(stream: bytes, method: str, code: str, split: str,
                                       runner: Runner) -> None:
    chunks = [stream] if split == "whole" else [stream[i:i + 1] for i in range(len(stream))]
    pool = fz.FakePool(runner.ctx, chunks, False)
    req = build_request(method, "http://fuzz.test/a", body=b"x" if method == "POST" else b"")
    r = runner(pool.send(req))
    assert r.error == ErrorKind.MALFORMED, r
    assert r.status == 0
    assert r.reason == f"malformed response: bad status line (status {code})"
    ok = runner(pool.send(build_request("GET", "http://fuzz.test/ok"), keep_body=True))
    assert (ok.error, ok.status, ok.body) == (None, 200, b"ok")
    pool.close()


def test_status_below_100_over_a_socket(runner: Runner) -> None:
    async def main() -> tuple[Any, Any]:
        srv = await fz.CaseServer().start()
        pool = ConnectionPool(ClientContext())
        try:
            srv.arm([b"HTTP/1.0 000 OK\r\n\r\nbody until close"])
            url = f"http://127.0.0.1:{srv.port}"
            bad = await pool.send(build_request("GET", url + "/a"))
            ok = await pool.send(build_request("GET", url + "/ok"))
            return bad, ok
        finally:
            pool.close()
            await srv.stop()

    bad, ok = runner(main())
    assert bad.error == ErrorKind.MALFORMED and "status 000" in bad.reason
    assert ok.error is None and ok.status == 200


def test_random_seeds_are_reproducible() -> None:
    a = [fz.make_case(random.Random(7)) for _ in range(3)]
    b = [fz.make_case(random.Random(7)) for _ in range(3)]
    assert a == b


@pytest.mark.parametrize("path", ["/trailing-garbage", "/trailing-response"])
def test_bytes_after_a_response_do_not_fail_the_next_request(path: str,
                                                             runner: Runner) -> None:
    """Found by the fuzzer: bytes after a complete response, in the same read, left the
    connection in the pool with a broken (or mid-message) parser, so the server's correct
    answer to the NEXT request on it came out malformed (or as a phantom response). The
    connection is now dropped at once and the next request goes to a fresh one."""

    async def main() -> list[Any]:
        async with FaultServer() as srv:
            pool = ConnectionPool(ClientContext())
            first = await pool.send(build_request("GET", srv.url(path)), keep_body=True)
            await asyncio.sleep(0.05)  # the server keeps the connection open
            after = [await pool.send(build_request("GET", srv.url("/ok")), keep_body=True)
                     for _ in range(2)]
            pool.close()
            return [first, *after, srv.connections]

    first, second, third, connections = runner(main())
    assert (first.error, first.status, first.body) == (None, 200, b"ok")
    assert (second.error, second.status, second.body) == (None, 200, b"ok"), second
    assert second.new_connection and not second.resent
    assert (third.error, third.body, third.new_connection) == (None, b"ok", False)
    assert connections == 2


@pytest.mark.parametrize("extra", [b"garbage!", b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n"])
def test_bytes_after_a_response_fake_transport(extra: bytes, runner: Runner) -> None:
    pool = fz.FakePool(runner.ctx, [fz.VALID + extra], False)
    first = runner(pool.send(build_request("GET", "http://fuzz.test/a")))
    assert first.error is None and first.status == 200
    t = pool.transports[0]
    t.chunks.append(fz.VALID)  # the same server would answer the next request correctly
    second = runner(pool.send(build_request("GET", "http://fuzz.test/a"), keep_body=True))
    assert (second.error, second.body, second.new_connection) == (None, b"ok", True)
    assert pool.connections_opened == 2
    pool.close()
