"""Guide §3.1 confidentiality over HTTP: each party sees the complaint
without the other's personal data, and the notification log holds ids and
kinds only."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from complaintflow_fastapi_example import LOGGER_NAME
from fastapi.testclient import TestClient

from conftest import (
    COMPLAINANT,
    CONTACT,
    HANDLER,
    NAME,
    RESPONDENT,
    SHOP_CONTACT,
    new_complaint,
)

QUESTION = "Please send the courier's delivery note for order o-1001"
ANSWER = "Delivered by courier 4411, signed by Zhang San"
BASIS = "Platform rules art. 12: goods must match their description"


def post(client: TestClient, cid: str, actor: dict[str, str], **body: Any) -> dict[str, Any]:
    r = client.post(f"/complaints/{cid}/commands", json=body, headers=actor)
    assert r.status_code == 200, r.text
    result: dict[str, Any] = r.json()
    return result


def test_the_respondent_sees_no_personal_data_of_the_complainant(
    client: TestClient, cid: str
) -> None:
    seen = client.get(f"/complaints/{cid}", headers=RESPONDENT).json()
    assert seen["complainant"] == {
        "id": "u-1",
        "kind": "person",
        "name": "[redacted]",
        "contact": "[redacted]",
    }
    assert seen["respondent"]["contact"] == SHOP_CONTACT  # its own
    assert seen["subject"] == "Kettle arrived broken"
    assert NAME not in str(seen)
    assert CONTACT not in str(seen)


def test_the_complainant_does_not_see_the_respondent_contact(client: TestClient, cid: str) -> None:
    seen = client.get(f"/complaints/{cid}", headers=COMPLAINANT).json()
    assert seen["complainant"]["contact"] == CONTACT  # their own
    assert seen["respondent"]["name"] == "Kettle World"
    assert seen["respondent"]["contact"] == "[redacted]"


def test_staff_see_everything(client: TestClient, cid: str) -> None:
    seen = client.get(f"/complaints/{cid}", headers=HANDLER).json()
    assert seen["complainant"]["contact"] == CONTACT
    assert seen["respondent"]["contact"] == SHOP_CONTACT


def test_a_command_answers_with_the_callers_view(client: TestClient, cid: str) -> None:
    """The respondent answering a question gets the complaint back, as the
    respondent may see it."""
    post(client, cid, HANDLER, type="acknowledge")
    post(client, cid, HANDLER, type="request_info", party="respondent", question=QUESTION)
    after = post(client, cid, RESPONDENT, type="provide_info", info=ANSWER)
    assert after["status"] == "verifying"
    assert after["complainant"]["contact"] == "[redacted]"
    assert CONTACT not in str(after)


def test_the_submitter_gets_their_own_view(client: TestClient) -> None:
    r = client.post("/complaints", json=new_complaint(), headers=COMPLAINANT)
    assert r.json()["respondent"]["contact"] == "[redacted]"


def test_the_notifier_logs_ids_and_kinds_only(
    client: TestClient, cid: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER_NAME)
    post(client, cid, HANDLER, type="acknowledge")
    post(client, cid, HANDLER, type="request_info", party="complainant", question=QUESTION)
    post(client, cid, COMPLAINANT, type="provide_info", info=ANSWER)
    for step in ("contact_complainant", "investigate"):
        post(client, cid, HANDLER, type="record_step", step=step)
    post(client, cid, HANDLER, type="classify")
    post(client, cid, HANDLER, type="decide", outcome="upheld", basis=BASIS, remedy="refund")

    records = [r for r in caplog.records if r.name == LOGGER_NAME]
    assert [r.getMessage() for r in records] == [
        f"notification {cid}:2:acknowledgement:complainant: acknowledgement "
        f"for the complainant of complaint {cid} (event 2)",
        f"notification {cid}:3:info_request:complainant: info_request "
        f"for the complainant of complaint {cid} (event 3)",
        f"notification {cid}:8:decision:complainant: decision "
        f"for the complainant of complaint {cid} (event 8)",
        f"notification {cid}:8:decision:respondent: decision "
        f"for the respondent of complaint {cid} (event 8)",
    ]
    assert all(r.levelno == logging.INFO for r in records)
    logged = "\n".join(r.getMessage() for r in records) + str([r.args for r in records])
    for secret in (NAME, CONTACT, SHOP_CONTACT, "Kettle", "cracked", QUESTION, ANSWER, BASIS):
        assert secret not in logged
    # not even the recipients' account ids: the role says who, the store knows which
    assert "u-1" not in logged
    assert "shop-9" not in logged


def test_delivered_notifications_leave_the_outbox(app: Any, client: TestClient, cid: str) -> None:
    post(client, cid, HANDLER, type="acknowledge")
    store = app.state.engine.store
    assert [n.status for n in store.notifications(cid)] == ["delivered"]
    assert asyncio.run(app.state.engine.deliver_pending()) == 0
