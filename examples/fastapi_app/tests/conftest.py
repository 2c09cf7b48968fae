"""An app on a temporary SQLite file, the mainland-China calendar and a
clock the tests move."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from complaintflow_fastapi_example import create_app
from fastapi import FastAPI
from fastapi.testclient import TestClient

import complaintflow as cf
from complaintflow.testing import FakeClock

SH = ZoneInfo("Asia/Shanghai")
RECEIVED = datetime(2026, 3, 9, 10, 0, tzinfo=SH)  # a Monday

COMPLAINANT = {"X-Actor-Id": "u-1", "X-Actor-Roles": "complainant"}
RESPONDENT = {"X-Actor-Id": "shop-9", "X-Actor-Roles": "respondent"}
HANDLER = {"X-Actor-Id": "agent-li", "X-Actor-Roles": "handler"}
STRANGER = {"X-Actor-Id": "u-2", "X-Actor-Roles": "complainant"}

NAME = "Zhang San"
CONTACT = "+86 138 0000 0000"
SHOP_CONTACT = "shop9@example.com"


def new_complaint(**overrides: Any) -> dict[str, Any]:
    """A goods complaint as JSON, as a web form would post it."""
    return {
        "channel": "web",
        "category": "goods",
        "complainant": {"id": "u-1", "name": NAME, "contact": CONTACT},
        "respondent": {
            "id": "shop-9",
            "kind": "merchant",
            "name": "Kettle World",
            "contact": SHOP_CONTACT,
        },
        "subject": "Kettle arrived broken",
        "description": "The base is cracked; photos attached.",
        "evidence": ["photo-1.jpg"],
        "order_id": "o-1001",
        **overrides,
    }


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(RECEIVED)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "complaints.sqlite3"


@pytest.fixture
def app(db_path: Path, clock: FakeClock) -> FastAPI:
    return create_app(db_path, clock=clock, calendar=cf.BusinessCalendar.preset("CN"))


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as c:  # runs the lifespan: the store is closed after
        yield c


@pytest.fixture
def cid(client: TestClient) -> str:
    """A complaint received at RECEIVED, by its complainant."""
    r = client.post("/complaints", json=new_complaint(), headers=COMPLAINANT)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])
