"""Data rows, shared pools and run-wide numbers (``${VU}``, ``${COUNTER}``, sequential
rows) across shards: ``run_plan(shards=2)`` runs two real shards (threads here, each with
its own event loop, exactly as worker processes would)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from support.runshard import plan_file, run_plan
from vu.helpers import checks, reasons, reqs, run_text, url_map

ROWS = [{"id": f"r{i}", "name": f"name {i}"} for i in range(1, 7)]


def _scenario_dir(tmp_path: Path, flow: str) -> Path:
    (tmp_path / "data").mkdir()
    csv = "id,name\n" + "".join(f"{r['id']},{r['name']}\n" for r in ROWS)
    (tmp_path / "data" / "rows.csv").write_text(csv)
    (tmp_path / "rows.json").write_text(json.dumps(ROWS))
    (tmp_path / "s.httpx").write_text(f"""
data from_csv from "data/rows.csv"
data from_json from "rows.json"
data inline = [{{id: "r1"}}, {{id: "r2"}}, {{id: "r3"}}]
request r {{ curl "http://vu.test/anything/${{row.id}}?name=${{row.name}}&vu=${{VU}}"
  assert {{ $.args.name == ${{row.name}} }} }}
request two {{ curl "http://vu.test/anything/again-${{row.id}}" }}
request i {{ curl "http://vu.test/anything/${{row.id}}?vu=${{VU}}" }}
{flow}
""")
    return tmp_path / "s.httpx"


def _row_of(e: tuple[Any, ...]) -> str:
    return e[6].split("/anything/", 1)[1].split("?", 1)[0]


def test_csv_and_json_files_relative_to_the_scenario_file(target: Any, tmp_path: Path) -> None:
    path = _scenario_dir(tmp_path, """
scenario csv { load 6 iterations with 1 vus
  use row from from_csv
  run r -> two }
scenario json { load 6 iterations with 1 vus
  use row from from_json
  run r }
""")
    plan = plan_file(path)
    for sc in ("csv", "json"):
        out = run_plan(plan, sc, base_url_map=url_map(target))
        assert [_row_of(e) for e in reqs(out, "r")] == [r["id"] for r in ROWS]
        assert all(f == 0 for _, f in checks(out).values()), reasons(out, "r")
        if sc == "csv":  # the row lasts for the whole iteration
            assert [_row_of(e) for e in reqs(out, "two")] == [f"again-{r['id']}" for r in ROWS]


def test_sequential_rows_are_run_wide_across_two_shards(target: Any, tmp_path: Path) -> None:
    plan = plan_file(_scenario_dir(tmp_path, """
scenario s { load 12 iterations with 4 vus
  use row from from_json
  run r }
"""))
    out = run_plan(plan, base_url_map=url_map(target), shards=2)
    assert out.result.completed == 12
    used = Counter(_row_of(e) for e in reqs(out))
    assert used == {r["id"]: 2 for r in ROWS}  # each row twice, none three times
    assert {e[2] for e in reqs(out)} == {1, 2, 3, 4}


def test_random_and_per_vu_rows(target: Any, tmp_path: Path) -> None:
    plan = plan_file(_scenario_dir(tmp_path, """
scenario rnd { load 40 iterations with 2 vus
  use row from inline random
  run i }
scenario pervu { load 8 iterations with 4 vus
  use row from inline per vu
  run i }
"""))
    out = run_plan(plan, "rnd", base_url_map=url_map(target))
    used = Counter(_row_of(e) for e in reqs(out))
    assert set(used) == {"r1", "r2", "r3"} and sum(used.values()) == 40
    assert max(used.values()) < 40
    out = run_plan(plan, "pervu", base_url_map=url_map(target), shards=2)
    pairs = {(e[2], _row_of(e)) for e in reqs(out)}
    assert pairs == {(1, "r1"), (2, "r2"), (3, "r3"), (4, "r1")}  # row VU-1, wrapping


def test_two_use_statements_advance_independently(target: Any) -> None:
    text = """
data a = [{n: 1}, {n: 2}, {n: 3}]
data b = [{m: "x"}, {m: "y"}, {m: "z"}]
request r { curl http://vu.test/anything/${p.n}${q.m} }
scenario s { load 3 iterations with 1 vus
  use p from a
  use q from b
  run r }
"""
    out = run_text(target, text)
    assert [e[6].rsplit("/", 1)[1] for e in reqs(out)] == ["1x", "2y", "3z"]


def test_counter_is_unique_run_wide_across_shards(target: Any) -> None:
    target.reset()
    text = """
request r { curl http://vu.test/anything/c-${COUNTER} }
scenario s { load 20 iterations with 4 vus
  run r }
"""
    out = run_text(target, text, shards=2)
    assert out.result.total_requests == 20
    paths = target.counts()["paths"]
    assert paths == {f"/anything/c-{i}": 1 for i in range(1, 21)}


def test_vu_numbers_are_unique_across_shards(target: Any) -> None:
    text = """
request r { curl http://vu.test/anything?vu=${VU}&iter=${ITER} }
scenario s { load 5 vus for 400ms
  run r
  think 50ms }
"""
    out = run_text(target, text, shards=2)
    events = reqs(out)
    assert {e[2] for e in events} == {1, 2, 3, 4, 5}
    assert all(f"vu={e[2]}&iter={e[3]}" in e[6] for e in events)
    assert sorted(v.vu for v in out.result.vus) == [1, 2, 3, 4, 5]
    starts = [e[2] for e in out.events if e[0] == "vu_start"]
    assert sorted(starts) == [1, 2, 3, 4, 5]


def test_shared_pool_push_and_random_per_process(target: Any) -> None:
    text = """
shared tokens = []
shared users = []
request login { curl -X POST http://vu.test/login -d 'username=u${VU}&password=p'
  extract { token = $.token
            me = $ } }
request use { curl "http://vu.test/anything?u=${shared.users.random.user}"
  assert { $.args.u == "u${VU}" } }
request me { curl http://vu.test/me -H "Authorization: Bearer ${shared.tokens.random}"
  assert { $.user == "u${VU}" } }
scenario s {
  load 8 iterations with 2 vus
  run login
  shared.tokens.push(${token})
  shared.users.push(${me})
  run use -> me
}
"""
    # two shards with one VU each: a VU only ever draws values its own process pushed
    out = run_text(target, text, shards=2)
    assert {e[2] for e in reqs(out)} == {1, 2}
    assert checks(out) == {'use $.args.u == "u${VU}"': (8, 0), 'me $.user == "u${VU}"': (8, 0)}


def test_empty_pool_is_an_undefined_variable(target: Any) -> None:
    text = """
shared pool = []
request r { curl http://vu.test/anything?v=${shared.pool.random} }
scenario s { run r }
"""
    out = run_text(target, text)
    assert reasons(out, "r") == ["undefined variable 'shared.pool.random' (line 3)"]
