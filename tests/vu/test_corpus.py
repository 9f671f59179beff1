"""The corpus (``../shared/examples/original``) run for real: each file's every scenario,
one iteration with one VU, its public hosts mapped to the built-in target with
``base_url_map`` (the CLI's ``--base-url-map``), checked against what its comments say
it does. ``wiretap`` shows what crossed the socket (the target echoes what it got).

Two files cannot work as written; their tests show how they fail, and the corrected
copies in ``examples/scenarios/`` (each says what changed and why in its first lines)
are run too:

* ``list-then-detail.httpx`` expects a nested block to run once per element of an
  extracted array; the language has no implicit iteration (``foreach`` does that), so
  ``${post.id}`` is undefined.
* ``user-journey.httpx`` uploads ``avatar.jpg`` from next to the scenario file, and the
  corpus does not ship one.

Every copy in ``examples/scenarios/`` (pointed at ``http://127.0.0.1:8080``, the
target's default port) must validate and run against the target.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from httptool.dsl import load_plan
from httptool.plan import LoadSpec
from support.runshard import Outcome, plan_file, run_plan
from vu.conftest import Tapped
from vu.helpers import checks, failures, reasons, reqs

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO / ".." / "shared" / "examples" / "original"
COPIES = REPO / "examples" / "scenarios"
PUBLIC = ("https://httpbin.org", "https://jsonplaceholder.typicode.com",
          "https://staging.example.org")
ONCE = LoadSpec("iterations", vus=1, iterations=1)

needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"corpus {CORPUS} missing")


def run_file(path: Path, scenario: str | None, target: Any, hosts: tuple[str, ...] = PUBLIC,
             load: LoadSpec = ONCE) -> Outcome:
    return run_plan(plan_file(path), scenario, load=load,
                    base_url_map=tuple((h, target.url) for h in hosts))


def original(name: str) -> Path:
    return CORPUS / name


def names(out: Outcome) -> list[str]:
    return [e[4] for e in reqs(out)]


def ok(out: Outcome) -> bool:
    return out.result.total_failures == 0 and all(e[9] for e in reqs(out))


def tapped(log: list[Tapped], path_prefix: str) -> list[Tapped]:
    return [t for t in log if t.path.startswith(path_prefix)]


# --------------------------------------------------------------------------- the corpus as written


@needs_corpus
def test_template_runs_once_its_placeholder_is_mapped(target: Any, wiretap: list[Tapped]) -> None:
    # base_url is "YOUR_API_BASE_URL_HERE": a URL prefix like any other for the map
    out = run_file(original("TEMPLATE-YOUR-CURLS.httpx"), None, target,
                   hosts=("YOUR_API_BASE_URL_HERE",))
    assert names(out) == ["get_posts_list", "get_post_detail_1", "get_post_detail_2",
                          "get_post_detail_3"]
    assert ok(out), reasons(out, "get_post_detail_1")
    assert [t.json()["id"] for t in tapped(wiretap, "/api/posts/")] == [1, 2, 3]


@needs_corpus
@pytest.mark.parametrize("scenario", ["my_test", "my_test_parallel"])
def test_your_use_case_list_then_details(target: Any, wiretap: list[Tapped],
                                         scenario: str) -> None:
    out = run_file(original("YOUR-USE-CASE.httpx"), scenario, target)
    assert names(out)[0] == "list_posts"
    assert sorted(names(out)[1:]) == ["get_post_1", "get_post_2", "get_post_3"]
    assert ok(out)
    assert sorted(t.path for t in tapped(wiretap, "/posts/")) == ["/posts/1", "/posts/2",
                                                                  "/posts/3"]


@needs_corpus
def test_conditional_flow_takes_the_new_api_branch(target: Any, wiretap: list[Tapped]) -> None:
    out = run_file(original("conditional-flow.httpx"), "adaptive_routing", target)
    assert names(out) == ["check_feature", "new_api"]  # feature=new_api -> the if branch
    assert ok(out)
    assert [t.path for t in wiretap] == ["/get?feature=new_api", "/get?version=v2"]


@needs_corpus
def test_conditional_flow_retry_really_retries_the_503(target: Any) -> None:
    target.reset()
    out = run_file(original("conditional-flow.httpx"), "with_retry", target)
    assert target.counts()["paths"] == {"/status/503": 3}  # max_attempts = 3
    fallback = reqs(out, "fallback")
    assert [e[7] for e in fallback] == [503, 503, 503]
    assert failures(out) == {"assertion": 3}
    assert reasons(out, "fallback") == ["assert status in [200, 201] failed: got 503"] * 3
    t = [e[1] for e in fallback]  # exponential from 100 ms: 100 ms, then 200 ms
    assert 0.099 <= t[1] - t[0] < 0.17 and 0.199 <= t[2] - t[1] < 0.27, t


@needs_corpus
def test_list_then_detail_as_written_has_no_post_variable(target: Any) -> None:
    target.reset()
    out = run_file(original("list-then-detail.httpx"), None, target)
    assert names(out) == ["list_posts", "get_post_detail"]
    assert reasons(out, "get_post_detail") == ["undefined variable 'post.id' (line 22)"]
    assert failures(out) == {"variable": 1}
    assert target.counts()["paths"] == {"/posts": 1}  # nothing with ${...} was sent


@needs_corpus
@pytest.mark.parametrize(("scenario", "branches"), [
    ("dashboard_load", ["get_user", "get_notifications", "get_activity_feed", "get_stats",
                        "get_messages"]),
    ("spike_test", ["get_user", "get_notifications", "get_stats"]),
])
def test_parallel_dashboard_loads_every_branch(target: Any, wiretap: list[Tapped],
                                               scenario: str, branches: list[str]) -> None:
    out = run_file(original("parallel-dashboard.httpx"), scenario, target)
    assert names(out)[0] == "login" and sorted(names(out)[1:]) == sorted(branches)
    assert ok(out)
    login = wiretap[0]
    # token = $.headers.X-Request-Id: the id the target stamped on the echoed request
    assert login.json()["headers"]["X-Request-Id"]
    endpoints = sorted(t.json()["args"]["endpoint"] for t in wiretap[1:])
    assert endpoints == sorted(b.removeprefix("get_").replace("activity_", "")
                               for b in branches)


@needs_corpus
@pytest.mark.parametrize("file", ["posts-pattern.httpx", "posts-simple.httpx"])
def test_posts_list_then_three_details(target: Any, file: str) -> None:
    for sc in plan_file(original(file)).scenarios:
        out = run_file(original(file), sc.name, target)
        assert len(reqs(out)) == 4 and ok(out), (sc.name, reasons(out, names(out)[1]))
        ids = [e[6].rsplit("/", 1)[1] for e in reqs(out)[1:]]  # $[0].id .. $[2].id
        assert (sorted(ids) if "parallel" in sc.name else ids) == ["1", "2", "3"]
        body_checks = {n: c for n, c in checks(out).items() if "$.id" in n}
        assert all(c == (1, 0) for c in body_checks.values()), body_checks


@needs_corpus
@pytest.mark.parametrize("file", ["quick-test.httpx", "simple-load.httpx"])
def test_single_request_files(target: Any, file: str) -> None:
    out = run_file(original(file), None, target)
    assert len(reqs(out)) == 1 and ok(out)
    assert reqs(out)[0][6] == f"{target.url}/get"


@needs_corpus
def test_user_journey_as_written_lacks_its_avatar_file(target: Any,
                                                       wiretap: list[Tapped]) -> None:
    out = run_file(original("user-journey.httpx"), "user_journey", target)
    assert sorted(names(out)) == sorted(["register", "get_profile", "update_profile",
                                         "upload_avatar", "update_settings"])
    (why,) = reasons(out, "upload_avatar")
    assert why.startswith("cannot read file") and "avatar.jpg" in why
    assert failures(out) == {"invalid": 1}
    assert all(e[9] for e in reqs(out) if e[4] != "upload_avatar")


@needs_corpus
def test_user_journey_carries_per_vu_email_into_the_next_request(
        target: Any, wiretap: list[Tapped]) -> None:
    out = run_file(original("user-journey.httpx"), "simple_journey", target,
                   load=LoadSpec("iterations", vus=2, iterations=2))
    assert ok(out)
    registered = sorted(t.json()["json"]["email"] for t in tapped(wiretap, "/post"))
    assert registered == ["user-1@test.com", "user-2@test.com"]
    profiles = sorted(t.json()["args"]["user"] for t in tapped(wiretap, "/get"))
    assert profiles == registered  # user_id = $.json.email, sent as ?user=${user_id}
    assert {t.json()["json"]["name"] for t in tapped(wiretap, "/post")} == {"User 1", "User 2"}


@needs_corpus
def test_voter_outreach_sends_its_browser_cookies(target: Any, wiretap: list[Tapped]) -> None:
    out = run_file(original("voter_outreach_user.httpx"), None, target)
    assert ok(out)
    (t,) = wiretap
    assert t.path == "/api/v1/user/programs?limit=10" and len(t.json()) == 10
    assert (b"\r\nCookie: _ga=GA1.2.000000000.0000000000; session_id=REDACTED-SESSION-TOKEN"
            b"\r\n") in t.wire
    assert b"\r\nsec-ch-ua-platform: \"macOS\"\r\n" in t.wire


@needs_corpus
@pytest.mark.parametrize("scenario", ["cookie_flow", "cookie_nested"])
def test_with_cookies_keeps_the_session(target: Any, wiretap: list[Tapped],
                                        scenario: str) -> None:
    out = run_file(original("with-cookies.httpx"), scenario, target)
    assert names(out) == ["login", "get_user_data", "update_settings"] and ok(out)
    assert reqs(out, "login")[0][7] == 302  # Set-Cookie, not followed (no -L)
    after = wiretap[1:]
    assert [t.path for t in after] == ["/cookies", "/cookies"]
    assert all(t.json() == {"cookies": {"session": "abc123", "user_id": "42"}} for t in after)


# --------------------------------------------------------------------------- corrected copies


def copies() -> list[Path]:
    return sorted(COPIES.glob("*.httpx"))


def test_every_corpus_file_has_a_copy() -> None:
    if CORPUS.is_dir():
        missing = {p.name for p in CORPUS.glob("*.httpx")} - {p.name for p in copies()}
        assert not missing


@pytest.mark.parametrize("path", copies(), ids=lambda p: p.name)
def test_copy_validates_and_every_scenario_runs(target: Any, path: Path) -> None:
    plan, diags, text = load_plan(str(path), None)
    assert plan is not None, diags.render(text)
    if path.name != "demo.httpx":
        assert text.startswith(f"# Copy of the original project's {path.name} example")
        assert not diags.items, diags.render(text)  # the shipped examples warn of nothing
        assert re.search(r"^# Changed: ", text, re.M)
    for sc in plan.scenarios:
        out = run_file(path, sc.name, target, hosts=("http://127.0.0.1:8080",))
        assert reqs(out), sc.name
        if (path.name, sc.name) == ("conditional-flow.httpx", "with_retry"):
            assert failures(out) == {"assertion": 3}  # a 503 on purpose, to show retry
            continue
        assert ok(out), (path.name, sc.name, [e[10] for e in reqs(out) if not e[9]])


def test_list_then_detail_copy_fetches_every_post(target: Any) -> None:
    out = run_file(COPIES / "list-then-detail.httpx", None, target,
                   hosts=("http://127.0.0.1:8080",))
    details = reqs(out, "get_post_detail")
    assert [e[6].rsplit("/", 1)[1] for e in details] == [str(i) for i in range(1, 101)]
    assert checks(out)["get_post_detail $.id == ${post.id}"] == (100, 0)


def test_user_journey_copy_uploads_the_avatar(target: Any, wiretap: list[Tapped]) -> None:
    out = run_file(COPIES / "user-journey.httpx", "user_journey", target,
                   hosts=("http://127.0.0.1:8080",))
    assert ok(out)
    (upload,) = [t for t in wiretap if b'name="file"; filename="avatar.jpg"' in t.wire]
    assert upload.json()["files"]["file"].startswith("data:")
    assert (COPIES / "avatar.jpg").read_bytes() in upload.wire


def test_demo_login_token_is_carried_in_the_authorization_header(
        target: Any, wiretap: list[Tapped]) -> None:
    out = run_file(COPIES / "demo.httpx", None, target, hosts=("http://127.0.0.1:8080",),
                   load=LoadSpec("iterations", vus=2, iterations=2))
    assert ok(out)
    logins = {t.json()["user"]: t.json()["token"] for t in tapped(wiretap, "/login")}
    assert set(logins) == {"user-1", "user-2"}
    sent = [t.wire for t in tapped(wiretap, "/users/1")]
    assert sorted(f"Bearer {tok}".encode() in w for w in sent for tok in logins.values()) == [
        False, False, True, True]
