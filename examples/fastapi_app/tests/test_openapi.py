"""The app's OpenAPI document is valid, declares every error status each
endpoint answers with the library's error body, and each declared status
occurs: a scenario per (method, path, status) provokes it, and its body
fits the declared schema."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jsonschema
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from openapi_spec_validator import validate

from complaintflow.commands import COMMAND_TYPES
from conftest import COMPLAINANT, HANDLER, STRANGER, new_complaint

Scenario = Callable[[FastAPI, TestClient, str], Any]
ONE = "/complaints/{complaint_id}"


def _bad_json(path: str) -> Scenario:
    def run(app: FastAPI, client: TestClient, cid: str) -> Any:
        headers = {**HANDLER, "Content-Type": "application/json"}
        return client.post(path.format(complaint_id=cid), content=b"{not json", headers=headers)

    return run


def _no_actor(method: str, path: str) -> Scenario:
    def run(app: FastAPI, client: TestClient, cid: str) -> Any:
        return client.request(method, path.format(complaint_id=cid), json={"type": "classify"})

    return run


def _store_down(method: str, path: str, body: Any = None) -> Scenario:
    def run(app: FastAPI, client: TestClient, cid: str) -> Any:
        app.state.engine.store.close()
        return client.request(method, path.format(complaint_id=cid), json=body, headers=HANDLER)

    return run


def _get(path: str, headers: dict[str, str], **params: str) -> Scenario:
    def run(app: FastAPI, client: TestClient, cid: str) -> Any:
        return client.get(path.format(complaint_id=cid), headers=headers, params=params)

    return run


def _post(path: str, body: Any, headers: dict[str, str], cid: str | None = None) -> Scenario:
    def run(app: FastAPI, client: TestClient, real: str) -> Any:
        return client.post(path.format(complaint_id=cid or real), json=body, headers=headers)

    return run


def _reads(suffix: str) -> dict[tuple[str, str, int], Scenario]:
    path = ONE + suffix
    return {
        ("get", path, 401): _no_actor("GET", path),
        ("get", path, 403): _get(path, STRANGER),
        ("get", path, 404): _get(path.replace("{complaint_id}", "nope"), HANDLER),
        ("get", path, 422): _get(path, {"X-Actor-Id": "a" * 201}),
        ("get", path, 503): _store_down("GET", path),
    }


CMD = ONE + "/commands"
SCENARIOS: dict[tuple[str, str, int], Scenario] = {
    ("post", "/complaints", 400): _bad_json("/complaints"),
    ("post", "/complaints", 401): _no_actor("POST", "/complaints"),
    ("post", "/complaints", 403): _post("/complaints", new_complaint(), STRANGER),
    ("post", "/complaints", 409): lambda app, client, cid: [
        client.post("/complaints", json=new_complaint(id="x-1"), headers=COMPLAINANT),
        client.post("/complaints", json=new_complaint(id="x-1"), headers=COMPLAINANT),
    ][-1],
    ("post", "/complaints", 422): _post("/complaints", new_complaint(subject=" "), COMPLAINANT),
    ("post", "/complaints", 503): _store_down("POST", "/complaints", new_complaint()),
    ("post", CMD, 400): _bad_json(CMD),
    ("post", CMD, 401): _no_actor("POST", CMD),
    ("post", CMD, 403): _post(CMD, {"type": "classify"}, STRANGER),
    ("post", CMD, 404): _post(CMD, {"type": "classify"}, HANDLER, cid="nope"),
    ("post", CMD, 409): _post(CMD, {"type": "execute", "note": "early"}, HANDLER),
    ("post", CMD, 422): _post(CMD, {"type": "approve"}, HANDLER),
    ("post", CMD, 503): _store_down("POST", CMD, {"type": "classify"}),
    **_reads(""),
    **_reads("/history"),
    **_reads("/allowed"),
    **_reads("/sla"),
}


@pytest.fixture
def doc(app: FastAPI) -> dict[str, Any]:
    return app.openapi()


def _validator(doc: dict[str, Any], ref: dict[str, Any]) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator({"components": doc["components"], **ref})


def test_the_document_is_valid_openapi(doc: dict[str, Any]) -> None:
    validate(doc)
    assert doc["openapi"].startswith("3.1")


def test_request_bodies_are_the_librarys_schemas(doc: dict[str, Any]) -> None:
    paths = doc["paths"]
    body = paths["/complaints"]["post"]["requestBody"]["content"]["application/json"]
    assert body["schema"] == {"$ref": "#/components/schemas/NewComplaint"}
    body = paths[CMD]["post"]["requestBody"]["content"]["application/json"]
    assert body["schema"] == {"$ref": "#/components/schemas/CommandBody"}
    union = doc["components"]["schemas"]["CommandBody"]
    assert sorted(union["discriminator"]["mapping"]) == sorted(COMMAND_TYPES)
    v = _validator(doc, body["schema"])
    assert v.is_valid({"type": "classify"})
    assert not v.is_valid({"type": "classify", "actor": {"id": "boss", "roles": ["supervisor"]}})


def test_every_declared_error_has_a_scenario_and_nothing_else(doc: dict[str, Any]) -> None:
    declared = {
        (method, path, int(code))
        for path, ops in doc["paths"].items()
        for method, op in ops.items()
        for code in op["responses"]
        if int(code) >= 400
    }
    assert declared == set(SCENARIOS)
    for path, ops in doc["paths"].items():
        for op in ops.values():
            for code, response in op["responses"].items():
                if int(code) >= 400:
                    schema = response["content"]["application/json"]["schema"]
                    assert schema == {"$ref": "#/components/schemas/ErrorBody"}, (path, code)


@pytest.mark.parametrize("key", sorted(SCENARIOS), ids=lambda k: f"{k[0]} {k[1]} {k[2]}")
def test_each_declared_error_occurs_with_the_error_body(
    app: FastAPI, client: TestClient, cid: str, doc: dict[str, Any], key: tuple[str, str, int]
) -> None:
    _method, _path, status = key
    r = SCENARIOS[key](app, client, cid)
    assert r.status_code == status, r.text
    errors = list(_validator(doc, {"$ref": "#/components/schemas/ErrorBody"}).iter_errors(r.json()))
    assert errors == []


def test_success_bodies_fit_the_declared_complaint_schema(
    client: TestClient, cid: str, doc: dict[str, Any]
) -> None:
    v = _validator(doc, {"$ref": "#/components/schemas/Complaint"})
    r = client.get(f"/complaints/{cid}", headers=HANDLER)
    assert r.status_code == 200
    assert list(v.iter_errors(r.json())) == []
    r = client.post(f"/complaints/{cid}/commands", json={"type": "acknowledge"}, headers=HANDLER)
    assert r.status_code == 200
    assert list(v.iter_errors(r.json())) == []
