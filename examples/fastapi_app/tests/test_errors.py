"""Each of complaintflow's errors as its HTTP status, with a body that says
what went wrong; a failed request changes nothing."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from complaintflow_fastapi_example import create_app, error_status
from fastapi import FastAPI
from fastapi.testclient import TestClient

import complaintflow as cf
from complaintflow.testing import FakeClock
from conftest import COMPLAINANT, HANDLER, RESPONDENT, STRANGER, new_complaint


def post(client: TestClient, cid: str, actor: dict[str, str], **body: Any) -> Any:
    return client.post(f"/complaints/{cid}/commands", json=body, headers=actor)


def version(client: TestClient, cid: str) -> int:
    return int(client.get(f"/complaints/{cid}", headers=HANDLER).json()["version"])


# -- InvalidInput -> 422 with the field errors ---------------------------------


def test_a_bad_complaint_is_422_naming_each_field(client: TestClient) -> None:
    body = new_complaint(subject="   ")
    del body["channel"]
    r = client.post("/complaints", json=body, headers=COMPLAINANT)
    assert r.status_code == 422
    problem = r.json()
    assert problem["error"] == "invalid_input"
    assert sorted(e["field"] for e in problem["errors"]) == ["channel", "subject"]
    assert all(e["reason"] for e in problem["errors"])


def test_a_bad_command_is_422_and_changes_nothing(client: TestClient, cid: str) -> None:
    r = post(client, cid, HANDLER, type="reject", reason="spam", statement="")
    assert r.status_code == 422
    fields = {e["field"] for e in r.json()["errors"]}
    assert fields == {"reason", "statement"}
    assert version(client, cid) == 1


def test_an_unknown_command_type_is_422(client: TestClient, cid: str) -> None:
    r = post(client, cid, HANDLER, type="approve")
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "type"


def test_the_actor_cannot_come_from_the_body(client: TestClient, cid: str) -> None:
    r = client.post(
        f"/complaints/{cid}/commands",
        json={"type": "acknowledge", "actor": {"id": "boss", "roles": ["supervisor"]}},
        headers=COMPLAINANT,
    )
    assert r.status_code == 422
    assert r.json()["errors"] == [
        {
            "field": "actor",
            "reason": "set by the X-Actor-Id and X-Actor-Roles headers, not the body",
        }
    ]
    assert version(client, cid) == 1


def test_a_body_that_is_not_an_object_is_422_in_the_same_shape(client: TestClient) -> None:
    r = client.post("/complaints", json=["not", "an", "object"], headers=COMPLAINANT)
    assert r.status_code == 422
    problem = r.json()
    assert problem["error"] == "invalid_input"
    assert problem["errors"][0]["field"] == "body"


def test_a_naive_or_malformed_now_is_422(client: TestClient, cid: str) -> None:
    url = f"/complaints/{cid}/sla"
    r = client.get(url, params={"now": "2026-03-09T10:00:00"}, headers=HANDLER)
    assert r.status_code == 422
    assert r.json()["errors"] == [{"field": "now", "reason": "must be a timezone-aware datetime"}]
    r = client.get(url, params={"now": "next tuesday"}, headers=HANDLER)
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "query.now"


def test_a_bad_actor_header_is_422_naming_the_header(client: TestClient) -> None:
    r = client.get("/complaints/x", headers={"X-Actor-Id": "a" * 201})
    assert r.status_code == 422
    assert [e["field"] for e in r.json()["errors"]] == ["X-Actor-Id"]


def test_no_actor_is_401(client: TestClient, cid: str) -> None:
    r = client.get(f"/complaints/{cid}")
    assert r.status_code == 401
    assert "X-Actor-Id" in r.json()["message"]
    assert r.headers["www-authenticate"] == "X-Actor-Id"
    r = client.post(f"/complaints/{cid}/commands", json={"type": "acknowledge"})
    assert r.status_code == 401


# -- PermissionDenied -> 403 -----------------------------------------------------------


def test_a_command_the_role_may_not_run_is_403(client: TestClient, cid: str) -> None:
    r = post(client, cid, RESPONDENT, type="acknowledge")
    assert r.status_code == 403
    assert r.json()["error"] == "permission_denied"
    assert "shop-9" in r.json()["message"]
    assert version(client, cid) == 1


def test_submitting_for_someone_else_is_403(client: TestClient) -> None:
    r = client.post("/complaints", json=new_complaint(), headers=STRANGER)
    assert r.status_code == 403


@pytest.mark.parametrize("path", ["", "/allowed", "/sla"])
def test_a_stranger_may_not_read_a_complaint(client: TestClient, cid: str, path: str) -> None:
    r = client.get(f"/complaints/{cid}{path}", headers=STRANGER)
    assert r.status_code == 403
    assert r.json()["error"] == "permission_denied"


@pytest.mark.parametrize("party", [COMPLAINANT, RESPONDENT])
def test_the_audit_trail_is_for_staff(client: TestClient, cid: str, party: dict[str, str]) -> None:
    r = client.get(f"/complaints/{cid}/history", headers=party)
    assert r.status_code == 403


# -- NotFound -> 404 -----------------------------------------------------------------


@pytest.mark.parametrize("path", ["", "/history", "/allowed", "/sla"])
def test_an_unknown_complaint_is_404(client: TestClient, path: str) -> None:
    r = client.get(f"/complaints/no-such-complaint{path}", headers=HANDLER)
    assert r.status_code == 404
    assert r.json() == {
        "error": "not_found",
        "message": "no complaint 'no-such-complaint'",
        "errors": [],
    }


def test_a_command_on_an_unknown_complaint_is_404(client: TestClient) -> None:
    r = post(client, "no-such-complaint", HANDLER, type="acknowledge")
    assert r.status_code == 404


# -- InvalidTransition and GuardFailed -> 409 --------------------------------------


def test_a_command_not_allowed_in_the_status_is_409(client: TestClient, cid: str) -> None:
    r = post(client, cid, HANDLER, type="execute")
    assert r.status_code == 409
    problem = r.json()
    assert problem["error"] == "invalid_transition"
    assert "it is received" in problem["message"]
    assert "retry" not in problem  # sending it again will not help
    assert version(client, cid) == 1


def test_a_failed_guard_is_409(client: TestClient, cid: str) -> None:
    assert post(client, cid, HANDLER, type="acknowledge").status_code == 200
    assert post(client, cid, HANDLER, type="classify").status_code == 200
    r = post(client, cid, HANDLER, type="decide", outcome="upheld", basis="rules art. 12")
    assert r.status_code == 409
    problem = r.json()
    assert problem["error"] == "guard_failed"
    assert "contact_complainant, investigate" in problem["message"]
    assert version(client, cid) == 3


# -- ConcurrencyError -> 409 with a retry hint -----------------------------------------


def test_a_lost_race_is_409_with_a_retry_hint(
    app: FastAPI,
    client: TestClient,
    db_path: Path,
    clock: FakeClock,
    cid: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two workers (two stores on one file, as two processes would have) run
    a command on the same complaint; the one that saves second loses."""
    engine: cf.Engine = app.state.engine
    load = engine.store.load
    with TestClient(create_app(db_path, clock=clock)) as other:

        def load_then_lose_the_race(complaint_id: str) -> cf.Complaint | None:
            complaint = load(complaint_id)
            # the other worker acknowledges between our read and our write
            r = other.post(
                f"/complaints/{complaint_id}/commands",
                json={"type": "acknowledge"},
                headers=HANDLER,
            )
            assert r.status_code == 200
            return complaint

        monkeypatch.setattr(engine.store, "load", load_then_lose_the_race)
        r = post(client, cid, HANDLER, type="withdraw", reason="changed my mind")
        monkeypatch.undo()
    assert r.status_code == 409
    problem = r.json()
    assert problem["error"] == "conflict"
    assert "version 2, not 1" in problem["message"]
    assert "send the command again" in problem["retry"]
    # the winner's command stands; ours left nothing behind
    trail = client.get(f"/complaints/{cid}/history", headers=HANDLER).json()
    assert [e["type"] for e in trail] == ["submit", "acknowledge"]


def test_reusing_a_complaint_id_is_409(client: TestClient) -> None:
    body = new_complaint(id="host-42")
    assert client.post("/complaints", json=body, headers=COMPLAINANT).status_code == 201
    r = client.post("/complaints", json=body, headers=COMPLAINANT)
    assert r.status_code == 409
    assert r.json()["error"] == "conflict"


# -- CalendarRangeError -> 422 ---------------------------------------------------------


def test_a_day_outside_the_calendar_is_422(app: FastAPI, client: TestClient) -> None:
    """The engine keeps a deadline it cannot compute as the SLA target's
    ``problem``; a host that calls the calendar itself (here, a route of its
    own) gets the error, mapped like the others."""
    calendar = app.state.engine.calendar

    @app.get("/calendar/due")
    def due(received: str) -> dict[str, str]:
        return {
            "due": calendar.add(datetime.fromisoformat(received), cf.working_days(7)).isoformat()
        }

    r = client.get("/calendar/due", params={"received": "2027-03-09T10:00:00+08:00"})
    assert r.status_code == 422
    problem = r.json()
    assert problem["error"] == "calendar_range"
    assert "outside" in problem["message"]


# -- StoreError -> 503 ------------------------------------------------------------------


def test_a_store_failure_is_503(app: FastAPI, client: TestClient, cid: str) -> None:
    app.state.engine.store.close()
    r = client.get(f"/complaints/{cid}", headers=HANDLER)
    assert r.status_code == 503
    assert r.json()["error"] == "store_unavailable"
    assert "retry" in r.json()


def test_error_status_table() -> None:
    assert error_status(cf.InvalidInput("x")) == (422, "invalid_input")
    assert error_status(cf.CalendarRangeError("x")) == (422, "calendar_range")
    assert error_status(cf.PermissionDenied("x")) == (403, "permission_denied")
    assert error_status(cf.NotFound("x")) == (404, "not_found")
    assert error_status(cf.InvalidTransition("x")) == (409, "invalid_transition")
    assert error_status(cf.GuardFailed("x")) == (409, "guard_failed")
    assert error_status(cf.ConcurrencyError("x")) == (409, "conflict")
    assert error_status(cf.StoreError("x")) == (503, "store_unavailable")
    assert error_status(cf.PluginError("x")) == (500, "plugin_error")
