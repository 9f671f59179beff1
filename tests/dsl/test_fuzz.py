"""Property tests: random and mutated scenario text never raises; it only gives diagnostics.

CI runs a modest number of examples; ``HTTPTOOL_FUZZ_EXAMPLES=100000`` runs a long campaign
(see docs/benchmarks.md, "Parser fuzzing").
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from httptool.dsl import compile_source
from httptool.dsl.diagnostics import Diagnostics

EXAMPLES = int(os.environ.get("HTTPTOOL_FUZZ_EXAMPLES", "200"))
REPO = Path(__file__).resolve().parents[2]
CORPUS_DIR = REPO / ".." / "shared" / "examples" / "original"

_BUILTIN_SEEDS = [
    (REPO / "examples" / "scenarios" / "demo.httpx").read_text(encoding="utf-8"),
    'req a: curl -X POST http://h/a -d \'{"x":1}\' | extract t=$.x | assert status==200\n'
    "scenario s: load 10 vus for 1m | run a\n",
    "a = curl http://h/a >> extract t=$.t >> assert status == 200\n"
    "s = load(10 vus, 1m) >> run(a) >> think(1s..2s)\n",
    'request "a" { curl: `curl http://h/a`, extract: { t: "$.t" }, assert: { latency: "<5ms" } }\n'
    'scenario "s" { load: { rps: 5, duration: "1m" }, flow: ["a"] }\n',
    "data d = [ { a: 1, b: 'x' }, ]\nshared p = []\nrequest a { curl http://h/${a} }\n"
    "scenario s {\n load { stage { duration = 1m, vus = 3 } }\n use r from d per vu\n"
    " foreach x in d limit 2 { run a }\n if ${r.a} in [1, 2] { run a } else { think 1s ± 0.5s }\n"
    " parallel(a, a)\n repeat 2 { shared.p.push(${t}) }\n"
    " thresholds { p95 < 500ms  a.p99 < 1s  error_rate < 1% }\n}\n",
]


def seeds() -> list[str]:
    out = list(_BUILTIN_SEEDS)
    if CORPUS_DIR.is_dir():
        out += [p.read_text(encoding="utf-8") for p in sorted(CORPUS_DIR.glob("*.httpx"))]
    return out


SEEDS = seeds()
_TOKEN = re.compile(r"\s+|\w+|\$\{[^}]*\}|.", re.S)
ALPHABET = st.sampled_from(list(
    "abcdefghijklmnopqrstuvwxyz_$.{}[]()<>=!-+|@#:,;'\"`\\\n \t0123456789%±…é"))
SNIPPETS = st.sampled_from([
    "request", "req", "scenario", "@request", "@scenario", "end", "curl", "extract",
    "assert", "retry", "load", "run", "->", ">>", "|", "parallel", "if", "else", "foreach",
    "repeat", "think", "use", "shared", "var", "data", "from", "{", "}", "[", "]", "(", ")",
    "${", "${x}", "$.", "$[0]", "'", '"', "`", "\\\n", "\n", "vus", "rps", "for", "1m", "0",
    "==", "=", "in", "not", "between", "and", "matches", "exists", "stage", "thresholds",
    "p95 <", "1%", "regex:", "header:", "cookie:", "-H", "-d", "-F", "@", "#",
])

FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None,
                suppress_health_check=list(HealthCheck))


def check(text: str) -> None:
    plan, diags = compile_source(text, "fuzz.httpx", base_dir=str(REPO / "examples"))
    assert isinstance(diags, Diagnostics)
    assert (plan is None) == diags.has_errors
    for d in diags.items:
        assert d.line >= 1 and d.col >= 0, d
    diags.render(text)  # printing never fails either


@pytest.mark.timeout(600)
@FUZZ
@given(st.text(ALPHABET, max_size=300))
def test_random_text_only_diagnoses(text: str) -> None:
    check(text)


@st.composite
def mutated(draw: st.DrawFn) -> str:
    seed = draw(st.sampled_from(SEEDS))
    toks = _TOKEN.findall(seed)
    for _ in range(draw(st.integers(1, 6))):
        if not toks:
            break
        i = draw(st.integers(0, len(toks) - 1))
        kind = draw(st.sampled_from(["del", "dup", "ins", "char_del", "char_ins", "swap"]))
        if kind == "del":
            del toks[i]
        elif kind == "dup":
            toks.insert(i, toks[i])
        elif kind == "ins":
            toks.insert(i, draw(SNIPPETS))
        elif kind == "swap":
            j = draw(st.integers(0, len(toks) - 1))
            toks[i], toks[j] = toks[j], toks[i]
        else:
            t = toks[i]
            k = draw(st.integers(0, len(t)))
            if kind == "char_del" and t:
                toks[i] = t[: max(k - 1, 0)] + t[k:]
            else:
                toks[i] = t[:k] + draw(ALPHABET) + t[k:]
    return "".join(toks)


@pytest.mark.timeout(600)
@FUZZ
@given(mutated())
def test_mutated_corpus_only_diagnoses(text: str) -> None:
    check(text)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("n", range(len(SEEDS)))
def test_every_seed_compiles(n: int) -> None:
    plan, diags = compile_source(SEEDS[n], "seed.httpx", base_dir=str(REPO / "examples"))
    assert plan is not None, diags.render(SEEDS[n])
