"""The Postman importer on public collections (newman's, Apache-2.0) and on a collection
aimed at the built-in target, which runs clean."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from importkit import DATA, httptool

from httptool.dsl import compile_source
from httptool.importers.model import ImportFailure
from httptool.importers.postman import PostmanOptions, import_postman
from httptool.importers.writer import render

POSTMAN = DATA / "postman"
TOUR = POSTMAN / "target-tour.postman_collection.json"
CORPUS = sorted(p for p in POSTMAN.glob("*.json") if "environment" not in p.name)


def _compiled(path: Path, **opts: Any) -> str:
    text = render(import_postman(str(path), PostmanOptions(**opts)))
    _, diags = compile_source(text, str(POSTMAN / "imported.httpx"))
    assert not diags.errors, diags.render(text)
    return text


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.name)
def test_every_corpus_collection_validates(path: Path) -> None:
    env = path.with_name(path.name.replace("collection", "environment"))
    text = _compiled(path, environment=str(env) if env.exists() else None)
    assert "\nrequest " in text and "scenario imported {" in text


def test_folders_variables_auth_and_bodies() -> None:
    imp = import_postman(str(TOUR), PostmanOptions())
    by = {r.name: r for r in imp.requests}
    assert list(by)[:2] == ["echo_get_with_query", "echo_post_json"]
    assert by["echo_get_with_query"].section == "Echo"
    assert by["auth_basic_from_the_folder"].section == "Auth"
    assert imp.variables == [("baseUrl", "http://127.0.0.1:8080"), ("user_name", "ann"),
                             ("token", "tour-token-7f3a9c")]
    assert by["echo_get_with_query"].url == "${baseUrl}/get?user=${user_name}&page=2"
    assert ("X-Trace", "${UUID}") in by["echo_get_with_query"].headers
    assert ("Authorization", "Bearer ${token}") in by["echo_post_json"].headers  # collection
    assert by["auth_basic_from_the_folder"].user == "${user_name}:s3cret"  # folder
    assert not any(k == "Authorization" for k, _ in by["auth_no_auth_at_all"].headers)
    assert by["api_key_in_the_query"].url.endswith("?page=1&api_key=${token}")
    form = by["echo_post_form"].body
    assert form is not None and form.kind == "urlencode"
    assert form.parts == [("greeting", "hello world & more"), ("who", "${user_name}")]
    graphql = by["echo_graphql"].body
    assert graphql is not None
    assert json.loads(graphql.text)["variables"] == {"id": 1}
    assert by["auth_no_auth_at_all"].status == 401
    assert any("echo_post_json: its prerequest script is not run" in w for w in imp.warnings)
    assert "#   pm.variables.set('started', Date.now());" in render(imp)


def test_environment_overrides_and_undefined_variables(tmp_path: Path) -> None:
    env = tmp_path / "env.json"
    env.write_text(json.dumps({"name": "e", "values": [
        {"key": "baseUrl", "value": "http://10.0.0.1", "enabled": True},
        {"key": "off", "value": "x", "enabled": False}]}))
    imp = import_postman(str(TOUR), PostmanOptions(environment=str(env)))
    assert ("baseUrl", "http://10.0.0.1") in imp.variables
    assert all(name != "off" for name, _ in imp.variables)
    text = _compiled(POSTMAN / "inherited-entities.postman_collection.json")
    assert "collectionScriptURL" in text


@pytest.mark.parametrize(("doc", "message"), [
    ({"info": {"schema": "https://schema.getpostman.com/json/collection/v1.0.0/"}, "item": []},
     "collection v1.0; v2.0 and v2.1 are supported"),
    ({"requests": [], "name": "old"}, "a Postman collection v1"),
    ({"info": {"schema": "https://example.com/other"}, "item": []}, "not a Postman collection"),
    ({"info": {"name": "x", "schema": "collection/v2.1.0/"}}, "missing required field /item"),
    ({"info": {"name": "x", "schema": "collection/v2.1.0/"}, "item": [{"name": "bare"}]},
     "/item/0 has neither 'request' nor 'item'"),
])
def test_bad_collections(tmp_path: Path, doc: object, message: str) -> None:
    f = tmp_path / "c.json"
    f.write_text(json.dumps(doc))
    with pytest.raises(ImportFailure, match=message.replace("(", r"\(").replace(")", r"\)")):
        import_postman(str(f), PostmanOptions())


@pytest.mark.slow
def test_target_collection_runs_clean(target: Any, tmp_path: Path) -> None:
    env = tmp_path / "local.postman_environment.json"
    env.write_text(json.dumps({"values": [{"key": "baseUrl", "value": target.url}]}))
    out = tmp_path / "tour.httpx"
    r = httptool("import", "postman", str(TOUR), "--environment", str(env), "-o", str(out))
    assert r.returncode == 0, r.stderr
    summary = tmp_path / "s.json"
    target.reset()
    run = httptool("scenario", "run", str(out), "-q", "--summary-json", str(summary))
    assert run.returncode == 0, run.stdout + run.stderr
    doc = json.loads(summary.read_text())
    assert (doc["requests"], doc["failures"]) == (10, 0)
    assert target.counts()["total"] == 10
