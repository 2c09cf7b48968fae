"""Complaints and lifecycles for the store tests."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

import complaintflow as cf
from complaintflow.testing import FakeClock

T0 = datetime(2026, 1, 5, 9, tzinfo=UTC)  # a Monday morning
HANDLER = cf.Actor(id="h-1", roles=frozenset({"handler"}))
SUPERVISOR = cf.Actor(id="s-1", roles=frozenset({"supervisor"}))


def complainant(i: int | str = 1) -> cf.Actor:
    return cf.Actor(id=f"u-{i}", roles=frozenset({"complainant"}))


def new(i: int | str = 1, **overrides: Any) -> cf.NewComplaint:
    fields: dict[str, Any] = {
        "channel": "web",
        "category": "goods",
        "complainant": cf.Party(id=f"u-{i}", name="Wang Xiaohong", contact="+86 139 1234 5678"),
        "respondent": cf.Party(id="shop-9", kind="merchant", name="Golden Kettle"),
        "subject": "Kettle arrived cracked",
        "description": "The kettle leaks from the base.",
        "evidence": ("photo-1.jpg",),
        "order_id": "o-1001",
    }
    fields.update(overrides)
    return cf.NewComplaint(**fields)


# a full lifecycle after submit: (command type, payload); each queues what it queues
LIFECYCLE: tuple[tuple[str, dict[str, Any]], ...] = (
    ("acknowledge", {}),
    ("record_step", {"step": "contact_complainant"}),
    ("record_step", {"step": "investigate"}),
    ("classify", {}),
    ("decide", {"outcome": "upheld", "basis": "Platform rule 4.2", "remedy": "refund"}),
    ("execute", {"note": "refund issued"}),
    ("follow_up", {"satisfied": True}),
)


def command(kind: str, payload: dict[str, Any], actor: cf.Actor = HANDLER) -> dict[str, Any]:
    return {"type": kind, "actor": actor, **payload}


def engine_on(
    store: Any, clock: FakeClock | None = None, plugins: tuple[object, ...] = ()
) -> cf.Engine:
    return cf.Engine(
        store=store, clock=clock or FakeClock(T0), plugins=plugins, load_entry_points=False
    )


def run_lifecycle(engine: cf.Engine, clock: FakeClock, i: int | str = 1) -> cf.Complaint:
    c = engine.submit(new(i), actor=complainant(i))
    for kind, payload in LIFECYCLE:
        clock.advance(hours=1)
        c = engine.handle(c.id, command(kind, payload))
    return c


def check_consistent(engine: cf.Engine, cid: str) -> cf.Complaint:
    """The stored complaint is the replay of its trail; the trail has no gaps."""
    c = engine.get(cid)
    trail = engine.history(cid)
    assert [e.seq for e in trail] == list(range(1, len(trail) + 1))
    assert c.version == len(trail)
    assert engine.replay(trail) == c
    return c


def later(t: datetime, **kw: float) -> datetime:
    return t + timedelta(**kw)


# -- PostgreSQL ---------------------------------------------------------------------

PG_DSN = os.environ.get("COMPLAINTFLOW_TEST_POSTGRES_DSN")
PG_SKIP = "COMPLAINTFLOW_TEST_POSTGRES_DSN is not set: PostgreSQL store tests skipped"
needs_pg = pytest.mark.skipif(not PG_DSN, reason=PG_SKIP)

StoreFactory = Callable[[], Any]
"""Opens (another) store on the same data: a new connection for SQL stores."""


def new_schema() -> str:
    return f"cf_test_{uuid.uuid4().hex[:12]}"


def drop_schema(schema: str) -> None:
    import psycopg

    assert PG_DSN is not None
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'.encode())


class Recorder:
    """A notifier plugin that records what it is handed, and can fail."""

    def __init__(self) -> None:
        self.seen: list[cf.Notification] = []
        self.fail = False

    @cf.hookimpl
    def complaintflow_notify(self, notification: cf.Notification) -> None:
        if self.fail:
            raise ConnectionError("mail server down")
        self.seen.append(notification)
