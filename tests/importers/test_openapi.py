"""The OpenAPI importer on the OpenAPI Initiative's examples (Apache-2.0) and on a
document describing the built-in target, which runs clean."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from importkit import DATA, httptool

from httptool.dsl import compile_source
from httptool.importers.model import ImportFailure
from httptool.importers.openapi import OpenApiOptions, import_openapi
from httptool.importers.schema_example import Examples
from httptool.importers.writer import render

OPENAPI = DATA / "openapi"
TARGET_API = OPENAPI / "target-api.yaml"
CORPUS = sorted(p for p in OPENAPI.iterdir() if "webhook" not in p.name)


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.name)
def test_every_corpus_document_validates(path: Path) -> None:
    imp = import_openapi(str(path), OpenApiOptions())
    text = render(imp)
    _, diags = compile_source(text, "imported.httpx")
    assert not diags.errors, diags.render(text)
    assert imp.requests and imp.flow


def test_petstore_yaml_json_and_swagger_agree_on_shape() -> None:
    yaml_imp = import_openapi(str(OPENAPI / "petstore.yaml"), OpenApiOptions())
    json_imp = import_openapi(str(OPENAPI / "petstore.json"), OpenApiOptions())
    assert [r.name for r in yaml_imp.requests] == ["list_pets", "create_pets", "show_pet_by_id"]
    assert [r.name for r in json_imp.requests] == [r.name for r in yaml_imp.requests]
    assert yaml_imp.variables == [("base", "http://petstore.swagger.io/v1")]
    assert yaml_imp.flow == ["list_pets", "show_pet_by_id"]
    swagger = import_openapi(str(OPENAPI / "swagger2-petstore-expanded.json"), OpenApiOptions())
    assert swagger.notes[0].startswith("Swagger 2.0 'Swagger Petstore': 4 operations")
    add = next(r for r in swagger.requests if r.name == "add_pet")
    assert add.body is not None and json.loads(add.body.text) == {"name": "string"}
    uspto = import_openapi(str(OPENAPI / "uspto.yaml"), OpenApiOptions())
    assert uspto.variables[0] == ("base", "https://developer.uspto.gov/ds-api")  # server var
    search = next(r for r in uspto.requests if r.name == "perform_search")
    assert search.body is not None and search.body.kind == "urlencode"


def test_target_document_parameters_bodies_security() -> None:
    imp = import_openapi(str(TARGET_API), OpenApiOptions())
    by = {r.name: r for r in imp.requests}
    assert imp.variables == [("base", "http://127.0.0.1:8080"), ("token", "change-me"),
                             ("api_key", "change-me")]
    assert by["list_posts"].url == "${base}/posts?userId=2"  # no generated _limit
    assert by["get_post"].url == "${base}/posts/7"  # path-level $ref'd parameter
    assert by["get_posts_id_comments"].url == "${base}/posts/3/comments"  # minimum
    assert by["list_comments"].url == "${base}/comments?postId=4"  # default
    assert by["get_user"].url == "${base}/users/5"  # examples
    assert ("Authorization", "Bearer ${token}") in by["check_bearer"].headers  # global
    assert not any(k == "Authorization" for k, _ in by["list_posts"].headers)  # security: []
    assert by["echo_with_key"].url == "${base}/get?api_key=${api_key}"
    body = by["create_post"].body
    assert body is not None
    assert json.loads(body.text) == {"title": "hello", "body": "stringstri", "tags": ["news"],
                                     "replies": [], "userId": 1}  # allOf, cycle cut
    assert by["create_post"].status == 201 and "create_post" not in (imp.flow or [])


def test_schema_examples_are_deterministic_and_cut_cycles() -> None:
    root = {"components": {"schemas": {
        "Node": {"type": "object", "required": ["name", "child", "kids"], "properties": {
            "name": {"type": "string", "format": "email"},
            "child": {"$ref": "#/components/schemas/Node"},
            "kids": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}}}},
        "Loop": {"$ref": "#/components/schemas/Loop"}}}}
    ex = Examples(root)
    node = ex.of({"$ref": "#/components/schemas/Node"})
    assert node == {"name": "user@example.com", "kids": []}
    assert ex.of({"$ref": "#/components/schemas/Node"}) == node
    assert ex.of({"$ref": "#/components/schemas/Loop"}) is None
    assert ex.of({"$ref": "other.yaml#/X"}) is None
    assert any("external reference" in p for p in ex.problems)
    assert ex.of({"type": ["integer", "null"], "exclusiveMinimum": 5}) == 6
    assert ex.of({"oneOf": [{"type": "boolean"}, {"type": "string"}]}) is True


@pytest.mark.parametrize(("text", "message"), [
    ("openapi: 3.2.0\npaths: {}\n", "/openapi is '3.2.0'"),
    ('{"swagger": "1.2", "paths": {}}', "/swagger is '1.2'"),
    ("openapi: 3.0.0\ninfo: {title: x}\n", "missing required field /paths"),
    ("openapi: 3.1.0\nwebhooks: {}\n", "no operations under /paths"),
    ("openapi: 3.0.0\npaths:\n  /a: [1]\n", "/paths/~1a must be an object"),
    ("openapi: 3.0.0\npaths: {a: b\n", "neither JSON nor valid YAML"),
])
def test_bad_documents(tmp_path: Path, text: str, message: str) -> None:
    f = tmp_path / "api.yaml"
    f.write_text(text)
    with pytest.raises(ImportFailure, match=message.replace(".", r"\.")):
        import_openapi(str(f), OpenApiOptions())


@pytest.mark.slow
def test_target_document_runs_clean(target: Any, tmp_path: Path) -> None:
    out = tmp_path / "api.httpx"
    r = httptool("import", "openapi", str(TARGET_API), "-o", str(out))
    assert r.returncode == 0, r.stderr
    summary = tmp_path / "s.json"
    target.reset()
    run = httptool("scenario", "run", str(out), "-q", "--summary-json", str(summary),
                   "--base-url-map", f"http://127.0.0.1:8080={target.url}")
    assert run.returncode == 0, run.stdout + run.stderr
    doc = json.loads(summary.read_text())
    assert (doc["requests"], doc["failures"]) == (8, 0)
    assert target.counts()["total"] == 8
