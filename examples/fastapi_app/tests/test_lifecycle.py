"""One goods complaint through the guide's whole process over HTTP, with
every deadline computed by hand in a comment beside it (CN calendar,
Asia/Shanghai, UTC+8 all year)."""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from complaintflow_fastapi_example import app_from_env, create_app
from fastapi.testclient import TestClient

import complaintflow as cf
from complaintflow.testing import FakeClock
from conftest import COMPLAINANT, HANDLER, RECEIVED, RESPONDENT, SH, new_complaint


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=SH)


def iso(day: int, hour: int, minute: int = 0) -> str:
    return at(day, hour, minute).isoformat()


def command(
    client: TestClient,
    clock: FakeClock,
    cid: str,
    when: datetime,
    actor: dict[str, str],
    **body: Any,
) -> dict[str, Any]:
    clock.set(when)
    r = client.post(f"/complaints/{cid}/commands", json=body, headers=actor)
    assert r.status_code == 200, r.text
    result: dict[str, Any] = r.json()
    return result


def sla(client: TestClient, cid: str, now: datetime) -> dict[str, Any]:
    r = client.get(f"/complaints/{cid}/sla", params={"now": now.isoformat()}, headers=HANDLER)
    assert r.status_code == 200, r.text
    targets: dict[str, Any] = r.json()["targets"]
    return targets


def test_a_complaint_through_its_whole_lifecycle(client: TestClient, clock: FakeClock) -> None:
    # 1. receive (接收投诉): Monday 2026-03-09 10:00 by the engine's clock
    r = client.post("/complaints", json=new_complaint(), headers=COMPLAINANT)
    assert r.status_code == 201, r.text
    c = r.json()
    cid = c["id"]
    assert r.headers["location"] == f"/complaints/{cid}"
    assert c["status"] == "received"
    assert c["received_at"] == RECEIVED.isoformat()
    assert "sla" not in c  # the raw tracker state stays inside; GET .../sla reports it

    t = sla(client, cid, RECEIVED)
    # 24 hours from Mon 10:00 -> Tue 03-10 10:00; 48 hours -> Wed 03-11 10:00
    assert t["preliminary_verification"]["deadline"] == "2026-03-10T10:00:00+08:00"
    assert t["preliminary_verification"]["state"] == "running"
    assert t["preliminary_verification"]["duration"] == "24 hours"
    assert t["verification"]["deadline"] == "2026-03-11T10:00:00+08:00"
    assert t["decision_notice"]["state"] == "pending"
    assert t["decision_notice"]["deadline"] is None

    # 2. verify (核实信息): acknowledged after an hour, within its 24 hours
    c = command(client, clock, cid, at(9, 11), HANDLER, type="acknowledge")
    assert c["status"] == "verifying"
    assert c["version"] == 2

    # the handler asks the complainant at 12:00; the clocks pause until 15:00
    c = command(
        client,
        clock,
        cid,
        at(9, 12),
        HANDLER,
        type="request_info",
        party="complainant",
        question="Was the box damaged too?",
    )
    assert c["status"] == "awaiting_info"
    t = sla(client, cid, at(9, 13))
    assert t["verification"]["state"] == "paused"
    assert t["verification"]["deadline"] is None  # unknown until the party answers
    allowed = client.get(f"/complaints/{cid}/allowed", headers=COMPLAINANT).json()
    assert allowed == {"commands": ["provide_info", "withdraw"]}
    c = command(
        client, clock, cid, at(9, 15), COMPLAINANT, type="provide_info", info="Yes, crushed."
    )
    assert c["status"] == "verifying"
    t = sla(client, cid, at(9, 15))
    # three hours paused: Wed 03-11 10:00 + 3 h = 13:00
    assert t["verification"]["deadline"] == "2026-03-11T13:00:00+08:00"
    assert t["preliminary_verification"]["state"] == "met"

    # 3. the category's procedure (guide §4.1), then classify (分类处理)
    for step in ("contact_complainant", "investigate"):
        c = command(client, clock, cid, at(9, 16), HANDLER, type="record_step", step=step)
    assert c["steps_done"] == ["contact_complainant", "investigate"]
    c = command(client, clock, cid, at(10, 9), HANDLER, type="classify")
    assert c["status"] == "classified"
    t = sla(client, cid, at(10, 9))
    assert t["verification"]["state"] == "met"
    assert t["verification"]["completed_at"] == "2026-03-10T09:00:00+08:00"
    # 24 hours from Tue 09:00 -> Wed 03-11 09:00
    assert t["decision_notice"]["deadline"] == "2026-03-11T09:00:00+08:00"

    # 4. decide (处理决定) on Tuesday 17:00, taking effect Wednesday 09:00
    c = command(
        client,
        clock,
        cid,
        at(10, 17),
        HANDLER,
        type="decide",
        outcome="upheld",
        basis="Platform rules art. 12: goods must match their description",
        remedy="full refund",
        effective_at=iso(11, 9),
    )
    assert c["status"] == "decided"
    assert c["decision"]["outcome"] == "upheld"
    t = sla(client, cid, at(10, 17))
    assert t["decision_notice"]["state"] == "met"
    # the execution clock starts when the decision takes effect, not when it
    # is made: 24 hours from Wed 09:00 -> Thu 03-12 09:00
    assert t["execution"]["started_at"] == "2026-03-11T09:00:00+08:00"
    assert t["execution"]["deadline"] == "2026-03-12T09:00:00+08:00"

    # 5. execute (执行处理) Thursday 08:30, half an hour to spare
    c = command(client, clock, cid, at(12, 8, 30), HANDLER, type="execute", note="refund issued")
    assert c["status"] == "executed"
    t = sla(client, cid, at(12, 8, 30))
    assert t["execution"]["state"] == "met"
    # 7 working days, the start day (Thu 12) not counted: Fri 13 (1), Mon 16 (2),
    # Tue 17 (3), Wed 18 (4), Thu 19 (5), Fri 20 (6), Mon 23 (7); the period ends
    # at 24:00 on Monday 03-23, i.e. 00:00 on Tuesday 03-24
    assert t["follow_up"]["deadline"] == "2026-03-24T00:00:00+08:00"
    assert t["follow_up"]["duration"] == "7 working days"
    # on Friday 03-20, after 6 of the 7 working days, one is left
    t = sla(client, cid, at(20, 23, 59))
    assert t["follow_up"]["state"] == "running"
    assert t["follow_up"]["at_risk"] is True  # past the 50 % and 80 % warnings

    # 6. follow up (跟进反馈) on Monday 03-16 and close
    c = command(client, clock, cid, at(16, 10), HANDLER, type="follow_up", satisfied=True)
    assert c["status"] == "closed"
    assert c["closed_at"] == "2026-03-16T10:00:00+08:00"
    t = sla(client, cid, at(16, 10))
    assert {name: target["state"] for name, target in t.items()} == {
        "preliminary_verification": "met",
        "verification": "met",
        "decision_notice": "met",
        "execution": "met",
        "follow_up": "met",
    }
    assert client.get(f"/complaints/{cid}/allowed", headers=HANDLER).json() == {"commands": []}

    # the audit trail, for staff
    r = client.get(f"/complaints/{cid}/history", headers=HANDLER)
    assert r.status_code == 200
    trail = r.json()
    assert [e["type"] for e in trail] == [
        "submit",
        "acknowledge",
        "request_info",
        "provide_info",
        "record_step",
        "record_step",
        "classify",
        "decide",
        "execute",
        "follow_up",
    ]
    assert [e["seq"] for e in trail] == list(range(1, 11))
    assert trail[3]["actor"] == "u-1"  # the actor came from the headers
    assert trail[-1]["at"] == "2026-03-16T10:00:00+08:00"


def test_commands_may_carry_their_own_time(client: TestClient, clock: FakeClock, cid: str) -> None:
    """``at`` in the body says when it happened, believed within a few
    minutes of the engine's clock; a time farther off is refused (422,
    naming ``at``) and changes nothing."""
    clock.set(at(10, 11, 3))  # Tuesday 11:03 in Shanghai
    r = client.post(
        f"/complaints/{cid}/commands",
        json={"type": "acknowledge", "at": "2026-03-09T11:00:00+08:00"},  # a day back
        headers=HANDLER,
    )
    assert r.status_code == 422, r.text
    assert [e["field"] for e in r.json()["errors"]] == ["at"]
    r = client.post(
        f"/complaints/{cid}/commands",
        json={"type": "acknowledge", "at": "2026-03-10T11:00:00+08:00"},  # 3 minutes back
        headers=HANDLER,
    )
    assert r.status_code == 200, r.text
    r = client.get(
        f"/complaints/{cid}/sla", params={"now": "2026-03-10T11:00:00+08:00"}, headers=HANDLER
    )
    target = r.json()["targets"]["preliminary_verification"]
    # due Tuesday 10:00, acknowledged at 11:00: an hour late
    assert target["state"] == "breached"
    assert target["completed_at"] == "2026-03-10T11:00:00+08:00"


def test_sla_defaults_to_the_engine_clock(client: TestClient, clock: FakeClock, cid: str) -> None:
    clock.set(at(10, 10, 30))  # half an hour past the 24-hour acknowledgement
    r = client.get(f"/complaints/{cid}/sla", headers=COMPLAINANT)
    assert r.status_code == 200
    report = r.json()
    assert report["complaint_id"] == cid
    assert report["cycle"] == 1
    assert report["targets"]["preliminary_verification"]["state"] == "breached"
    assert report["targets"]["verification"]["state"] == "running"
    assert report["targets"]["verification"]["remaining"] == "PT23H30M"
    assert len(report["history"]) == 5


def test_complaints_survive_a_restart(db_path: Path, clock: FakeClock, cid: str) -> None:
    again = create_app(db_path, clock=clock)
    with TestClient(again) as client:
        r = client.get(f"/complaints/{cid}", headers=RESPONDENT)
        assert r.status_code == 200
        assert r.json()["subject"] == "Kettle arrived broken"


def test_the_store_is_closed_when_the_app_stops(db_path: Path) -> None:
    app = create_app(db_path)
    with TestClient(app):
        pass
    with pytest.raises(cf.StoreError):
        asyncio.run(app.state.engine.get("anything"))


def test_app_from_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("COMPLAINTFLOW_DB", str(tmp_path / "env.sqlite3"))
    monkeypatch.setenv("COMPLAINTFLOW_CALENDAR", "CN")
    app = app_from_env()
    with TestClient(app) as client:
        r = client.post("/complaints", json=new_complaint(), headers=COMPLAINANT)
        assert r.status_code == 201, r.text
    assert (tmp_path / "env.sqlite3").exists()
    cn = cf.BusinessCalendar.preset("CN")
    assert app.state.engine.calendar.valid_until == cn.valid_until


def test_the_worker_runs_as_a_lifespan_task(db_path: Path, clock: FakeClock) -> None:
    """With ``worker=...`` the app sweeps deadlines while it serves: a
    complaint left unacknowledged past its 24 hours gets its breach."""
    import time

    app = create_app(db_path, clock=clock, worker={"interval": 0.01})
    with TestClient(app) as client:
        r = client.post("/complaints", json=new_complaint(), headers=COMPLAINANT)
        cid = r.json()["id"]
        clock.advance(days=3)
        for _ in range(500):
            trail = client.get(f"/complaints/{cid}/history", headers=HANDLER).json()
            if "sla_breach" in [e["type"] for e in trail]:
                break
            time.sleep(0.01)
        assert "sla_breach" in [e["type"] for e in trail]
        task = app.state.worker
    assert task.done()
    health = task.result()
    assert health.state == "stopped"
    assert health.alerts >= 1


def test_every_time_comes_back_in_the_calendars_zone(
    client: TestClient, clock: FakeClock, cid: str
) -> None:
    """One time format: the CN calendar's zone, +08:00, whatever zone a
    command was given in (here an acknowledgement sent in UTC)."""
    clock.set(at(9, 11))
    r = client.post(
        f"/complaints/{cid}/commands",
        json={"type": "acknowledge", "at": "2026-03-09T03:00:00Z"},
        headers=HANDLER,
    )
    assert r.status_code == 200
    assert r.json()["updated_at"] == "2026-03-09T11:00:00+08:00"
    sla = client.get(f"/complaints/{cid}/sla", headers=HANDLER).json()
    pv = sla["targets"]["preliminary_verification"]
    assert pv["started_at"] == "2026-03-09T10:00:00+08:00"
    assert pv["completed_at"] == "2026-03-09T11:00:00+08:00"
    trail = client.get(f"/complaints/{cid}/history", headers=HANDLER).json()
    assert [e["at"] for e in trail] == ["2026-03-09T10:00:00+08:00", "2026-03-09T11:00:00+08:00"]
    times = [
        v
        for t in sla["history"]
        for k, v in t.items()
        if k in ("started_at", "deadline", "completed_at") and v is not None
    ]
    assert times
    assert all(v.endswith("+08:00") for v in times)
