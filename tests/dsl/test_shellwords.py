"""Shell word splitting of pasted curl commands: bash's quoting rules and exact positions."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from httptool.dsl.diagnostics import Diagnostics
from httptool.dsl.shellwords import Locator, split_words

pytestmark = pytest.mark.timeout(60)


def split(text: str, line: int = 1, col: int = 1) -> tuple[list[str] | None, Diagnostics]:
    d = Diagnostics()
    words = split_words(text, Locator(text, line, col), d)
    return (None if words is None else [w.text for w in words]), d


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("curl http://x", ["curl", "http://x"]),
        ("  curl\t\thttp://x  ", ["curl", "http://x"]),
        ("curl 'a b' \"c d\"", ["curl", "a b", "c d"]),
        ("curl 'a'\"b\"c", ["curl", "abc"]),  # adjacent pieces join
        ("curl a\\ b", ["curl", "a b"]),
        ("curl \\'x", ["curl", "'x"]),
        ("curl 'it'\\''s'", ["curl", "it's"]),
        ('curl "say \\"hi\\" \\\\ \\$ \\` \\n"', ["curl", 'say "hi" \\ $ ` \\n']),
        ("curl 'no \\n escapes $x'", ["curl", "no \\n escapes $x"]),
        ("curl \\\n  -s \\\r\n  x", ["curl", "-s", "x"]),  # continuations (LF and CRLF)
        ('curl "a\\\nb"', ["curl", "ab"]),  # backslash-newline inside double quotes
        ("curl 'a\nb'", ["curl", "a\nb"]),  # newline kept inside single quotes
        ("curl $'a\\nb\\tc\\x41\\u00e9\\U0001F600\\'\\\\\\101\\cA\\e'",
         ["curl", "a\nb\tcAé😀'\\A\x01\x1b"]),
        ("curl $'\\q'", ["curl", "\\q"]),  # unknown ANSI-C escape is kept
        ("curl $'\\x\\u.'", ["curl", "\\x\\u."]),  # \x, \u without digits too
        ("curl a#b '#c' \"#d\"", ["curl", "a#b", "#c", "#d"]),
        ("curl x # a comment 'with quote\n -s", ["curl", "x", "-s"]),
        ("curl x #", ["curl", "x"]),
        ("# only a comment", []),
        ("curl ${base}/x", ["curl", "${base}/x"]),
        ("curl ${ spaced }/x", ["curl", "${ spaced }/x"]),  # never split inside ${...}
        ("curl $${x} $ a$", ["curl", "$${x}", "$", "a$"]),
        ("curl '' \"\"", ["curl", "", ""]),  # empty quoted words are words
        ("curl -H'X: y' -d\"a b\"", ["curl", "-HX: y", "-da b"]),
        ("curl a\u00a0b", ["curl", "a\u00a0b"]),  # NBSP is not a separator
        ("curl x\\", ["curl", "x"]),  # a trailing lone backslash continues onto nothing
    ],
)
def test_split(text: str, words: list[str]) -> None:
    got, d = split(text)
    assert not d.items, d.items
    assert got == words


@pytest.mark.parametrize(
    ("text", "line", "col", "message"),
    [
        ("curl 'abc", 1, 6, "unterminated single quote"),
        ('curl "abc', 1, 6, "unterminated double quote"),
        ('curl -d "a\\"', 1, 9, "unterminated double quote"),
        ("curl \\\n  -H 'x", 2, 6, "unterminated single quote"),
        ("curl $'abc", 1, 6, "unterminated single quote"),
        ("curl x$'abc", 1, 7, "unterminated single quote"),
    ],
)
def test_unterminated(text: str, line: int, col: int, message: str) -> None:
    got, d = split(text)
    assert got is None
    [diag] = d.items
    assert (diag.line, diag.col, diag.severity) == (line, col, "error")
    assert message in diag.message


def test_invalid_unicode_escape_is_a_diagnostic() -> None:
    got, d = split("curl $'\\UFFFFFFFF'")
    assert got == ["curl", ""]
    [diag] = d.items
    assert "invalid unicode escape" in diag.message
    assert (diag.line, diag.col) == (1, 8)


def test_source_offsets_survive_quotes_and_escapes() -> None:
    text = "curl  'ab'\"c\\\"d\"e\\ f $'g\\nh'"
    d = Diagnostics()
    words = split_words(text, Locator(text, 1, 1), d)
    assert words is not None
    w = words[1]
    assert w.text == 'abc"de f'
    assert w.start == 6
    # every character of the word maps back to the source character it came from
    expect = {0: 7, 1: 8, 2: 11, 3: 12, 4: 14, 5: 16, 6: 17, 7: 19}
    assert {k: w.source_offset(k) for k in expect} == expect
    w2 = words[2]
    assert w2.text == "g\nh"
    assert [w2.source_offset(k) for k in range(3)] == [text.index("g"), text.index("\\n"),
                                                       text.index("h'")]


def test_locator_maps_lines_and_columns() -> None:
    text = "curl a \\\n  bb \\\n   ccc"
    loc = Locator(text, 5, 3)
    assert loc.at(0) == (5, 3)
    assert loc.at(5) == (5, 8)
    assert loc.at(text.index("bb")) == (6, 3)
    assert loc.at(text.index("ccc")) == (7, 4)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=st.sampled_from(list("ab $'\"\\#{}\n\t-xu0")), max_size=60))
def test_random_text_never_raises(text: str) -> None:
    d = Diagnostics()
    words = split_words(text, Locator(text, 1, 1), d)
    if words is None:
        assert d.has_errors
    else:
        for w in words:  # offsets always point inside the text
            for k in range(len(w.text) + 1):
                assert 0 <= w.source_offset(k) <= len(text)
