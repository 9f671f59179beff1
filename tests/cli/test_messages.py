"""Messages a new user meets first (issue 23 item 11), through the command line."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from httptool.cli.app import cli

pytestmark = pytest.mark.timeout(60)


def validate(tmp_path: Path, text: str) -> tuple[int, str]:
    f = tmp_path / "s.httpx"
    f.write_text(text, encoding="utf-8")
    r = CliRunner().invoke(cli, ["scenario", "validate", str(f)])
    return r.exit_code, r.stderr.replace(str(f), "s.httpx")


def test_the_no_scenario_hint_parses_as_it_is_printed(tmp_path: Path) -> None:
    code, err = validate(tmp_path, "request get { curl http://127.0.0.1:1/get }\n")
    assert code == 2
    hint = err.split("add one, e.g. '")[1].split("'\n")[0]
    assert hint == "scenario main: load 1 vus for 10s | run get"
    code, err = validate(tmp_path, "request get { curl http://127.0.0.1:1/get }\n" + hint
                         + "\n")
    assert code == 0 and err == ""


def test_assert_on_the_curl_line_is_one_error_with_how_to_end_the_curl(tmp_path: Path
                                                                       ) -> None:
    text = ('var base = "http://h"\nrequest get {\n  curl ${base}/get  assert { status == 200 }'
            "\n}\nscenario s: load 1 vus for 1s | run get\n")
    code, err = validate(tmp_path, text)
    assert code == 2
    assert err.splitlines() == [
        "s.httpx:3:21: error: 'assert' is read as part of the curl command, which runs to "
        "the end of the line: end the curl first with ';' (curl URL ; assert ...) or put "
        "assert on a line of its own",
        "    curl ${base}/get  assert { status == 200 }",
        "                      ^",
        "1 error"]
    fixed = text.replace("/get  assert", "/get ; assert")
    assert validate(tmp_path, fixed) == (0, "")


@pytest.mark.parametrize(("text", "typo", "meant"), [
    ("requets get { curl http://h/get }\n", "requets", "request"),
    ("request get {\n  curl http://h/get\n  asert { status == 200 }\n}\n", "asert", "assert"),
    ("request get { curl http://h/get }\nscenario s {\n  load 1 vus for 1s\n  rn get\n}\n",
     "rn", "run"),
    ("request get { curl http://h/get }\nsenario s: load 1 vus for 1s | run get\n",
     "senario", "scenario"),
])
def test_keyword_typos_get_did_you_mean(tmp_path: Path, text: str, typo: str,
                                        meant: str) -> None:
    code, err = validate(tmp_path, text)
    assert code == 2
    assert f"found '{typo}'; did you mean '{meant}'?" in err


def test_no_did_you_mean_for_a_word_close_to_nothing(tmp_path: Path) -> None:
    code, err = validate(tmp_path, "banana get { curl http://h/get }\n")
    assert code == 2 and "found 'banana'" in err and "did you mean" not in err
