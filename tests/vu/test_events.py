"""The events a VU emits (verbose log, NDJSON/CSV outputs): their order, the URL as sent
(interpolated and mapped), status, latency, outcome and reason, and masked secrets."""

from __future__ import annotations

from typing import Any

from vu.helpers import reqs, run_text


def test_event_sequence_and_request_fields(target: Any) -> None:
    text = """
request ok { curl "http://vu.test/anything/${VU}?i=${ITER}" }
request bad { curl http://vu.test/status/401
  assert { status == 200 } }
scenario s { load 4 iterations with 2 vus
  run ok -> bad }
"""
    out = run_text(target, text)
    for vu in (1, 2):
        mine = [e for e in out.events if e[2] == vu]
        kinds = [e[0] for e in mine]
        assert kinds == ["vu_start", "iter", "req", "req", "iter", "req", "req", "vu_done"]
        times = [e[1] for e in mine]
        assert times == sorted(times)
        iters = [e[3] for e in mine if e[0] == "iter"]
        assert iters == [1, 2]
    for e in reqs(out, "ok"):
        _, _, vu, it, _name, method, url, status, latency, ok, reason, protocol = e
        assert url == f"{target.url}/anything/{vu}?i={it}"
        assert (method, status, ok, reason, protocol) == ("GET", 200, True, "", "http/1.1")
        assert 0 < latency < 1000
    for e in reqs(out, "bad"):
        assert (e[7], e[9], e[10]) == (401, False, "assert status == 200 failed: got 401")


def test_transport_error_event(target: Any) -> None:
    text = """
request down { curl http://127.0.0.1:9/x }
scenario s { run down }
"""
    (e,) = reqs(run_text(target, text))
    assert e[6] == "http://127.0.0.1:9/x" and e[7] == 0 and e[9] is False
    assert "refused" in e[10]


def test_credentials_in_the_url_are_masked(target: Any) -> None:
    host = target.url.split("://", 1)[1]
    text = f"""
var pw = "s3cr3t-pw"
request auth {{ curl "http://alice:${{pw}}@{host}/basic-auth/alice/s3cr3t-pw"
  assert {{ status == 200 }} }}
request dash_u {{ curl -u "alice:${{pw}}" http://vu.test/basic-auth/alice/s3cr3t-pw
  assert {{ status == 200 }} }}
scenario s {{ run auth -> dash_u }}
"""
    out = run_text(target, text)
    auth, dash_u = reqs(out)
    assert auth[9] and dash_u[9], (auth, dash_u)  # the credentials were sent ...
    assert auth[6] == f"http://alice:****@{host}/basic-auth/alice/s3cr3t-pw"
    # ... but the only place the password shows is the path this endpoint requires
    assert all("s3cr3t-pw@" not in str(x) for e in out.events for x in e)
    assert dash_u[6] == f"{target.url}/basic-auth/alice/s3cr3t-pw"


def test_no_events_when_nobody_listens(target: Any) -> None:
    text = """
request r { curl http://vu.test/get }
scenario s { load 3 iterations with 1 vus
  run r }
"""
    out = run_text(target, text, events=False)
    assert out.events == [] and out.result.total_requests == 3
