"""Shared test data and helpers for driving complaints through the public API.

Expected values here are written out from GUIDE.md / DESIGN.md and the core
issue, never read back from the library."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

import complaintflow as cf
from complaintflow.testing import FakeClock

T0 = datetime(2026, 1, 5, 9, tzinfo=UTC)  # a Monday morning

CATEGORIES = ("service", "goods", "after_sales", "transaction_dispute", "violation")

# guide §4 / issue 2: the category's procedure and the steps required before decide
S41 = ("check_content", "confirm_target", "contact_complainant", "investigate", "feedback_result")
GUIDE_STEPS: dict[str, tuple[str, ...]] = {
    "service": S41,
    "goods": S41,
    "after_sales": S41,
    "transaction_dispute": (
        "confirm_dispute_type",
        "contact_both_parties",
        "investigate",
        "propose_solution",
        "follow_outcome",
    ),
    "violation": ("check_content", "confirm_target", "contact_respondent", "investigate"),
}
GUIDE_REQUIRED: dict[str, frozenset[str]] = {
    "service": frozenset({"contact_complainant", "investigate"}),
    "goods": frozenset({"contact_complainant", "investigate"}),
    "after_sales": frozenset({"contact_complainant", "investigate"}),
    "transaction_dispute": frozenset({"contact_both_parties", "investigate"}),
    "violation": frozenset({"contact_respondent", "investigate"}),
}

COMMAND_TYPES = (
    "acknowledge",
    "classify",
    "record_step",
    "request_info",
    "provide_info",
    "decide",
    "execute",
    "follow_up",
    "reject",
    "withdraw",
    "reopen",
    "assign",
    "escalate",
    "note",
    "extend",
)

COMPLAINANT_ID = "u-1"
RESPONDENT_ID = "shop-9"
COMPLAINANT_NAME = "Wang Xiaohong"
COMPLAINANT_CONTACT = "+86 139 1234 5678"
RESPONDENT_NAME = "Golden Kettle Trading Co"
RESPONDENT_CONTACT = "kettle-shop@example.cn"
PERSONAL_DATA = (COMPLAINANT_NAME, COMPLAINANT_CONTACT, RESPONDENT_NAME, RESPONDENT_CONTACT)

COMPLAINANT = cf.Actor(id=COMPLAINANT_ID, roles=frozenset({"complainant"}))
RESPONDENT = cf.Actor(id=RESPONDENT_ID, roles=frozenset({"respondent"}))
STRANGER = cf.Actor(id="u-2", roles=frozenset({"complainant"}))
HANDLER = cf.Actor(id="h-1", roles=frozenset({"handler"}))
SUPERVISOR = cf.Actor(id="s-1", roles=frozenset({"supervisor"}))
SYSTEM = cf.Actor.system()

# one valid payload per command type (besides actor and at)
PAYLOADS: dict[str, dict[str, Any]] = {
    "acknowledge": {},
    "classify": {},
    "record_step": {"step": "investigate"},  # a step of every built-in category
    "request_info": {"party": "complainant", "question": "Please send a photo of the receipt."},
    "provide_info": {"info": "Photo attached."},
    "decide": {
        "outcome": "upheld",
        "basis": "Platform rule 4.2: goods must match their description",
        "remedy": "full refund",
    },
    "execute": {"note": "refund issued"},
    "follow_up": {"satisfied": False},
    "reject": {"reason": "incomplete", "statement": "No order number was given."},
    "withdraw": {"reason": "Settled with the seller."},
    "reopen": {"reason": "The refund never arrived."},
    "assign": {"handler": "h-2"},
    "escalate": {"reason": "High-value order."},
    "note": {"text": "Called the shop, no answer."},
    "extend": {"amount": 1, "reason": "The carrier's depot is closed by a typhoon."},
}


def new_complaint(category: str | None = "goods", **overrides: Any) -> cf.NewComplaint:
    fields: dict[str, Any] = {
        "channel": "web",
        "category": category,
        "complainant": cf.Party(
            id=COMPLAINANT_ID, name=COMPLAINANT_NAME, contact=COMPLAINANT_CONTACT
        ),
        "respondent": cf.Party(
            id=RESPONDENT_ID, kind="merchant", name=RESPONDENT_NAME, contact=RESPONDENT_CONTACT
        ),
        "subject": "Kettle arrived cracked",
        "description": "The kettle leaks from the base.",
        "evidence": ("photo-1.jpg",),
        "order_id": "o-1001",
    }
    fields.update(overrides)
    return cf.NewComplaint(**fields)


def make_engine(clock: FakeClock | None = None, plugins: tuple[object, ...] = ()) -> cf.Engine:
    return cf.Engine(clock=clock or FakeClock(T0), plugins=plugins, load_entry_points=False)


def cmd(kind: str, actor: cf.Actor, **overrides: Any) -> dict[str, Any]:
    """A command as a dict: the valid payload of ``kind`` with ``overrides``."""
    return {"type": kind, "actor": actor, **PAYLOADS[kind], **overrides}


def do(
    engine: cf.Engine, clock: FakeClock, cid: str, kind: str, actor: cf.Actor = HANDLER, **kw: Any
) -> cf.Complaint:
    """Advance the clock an hour, then run one command."""
    clock.advance(hours=1)
    return engine.handle(cid, cmd(kind, actor, **kw))


def record_required(
    engine: cf.Engine, clock: FakeClock, cid: str, actor: cf.Actor = HANDLER
) -> None:
    category = engine.get(cid).category
    assert category is not None
    for step in sorted(GUIDE_REQUIRED[category]):
        do(engine, clock, cid, "record_step", actor, step=step)


# how to bring a fresh complaint to each status, as command types
PATHS: dict[str, tuple[str, ...]] = {
    "received": (),
    "verifying": ("acknowledge",),
    "classified": ("acknowledge", "classify", "*steps"),
    "decided": ("acknowledge", "classify", "*steps", "decide"),
    "executed": ("acknowledge", "classify", "*steps", "decide", "execute"),
    "closed": ("acknowledge", "classify", "*steps", "decide", "execute", "follow_up"),
    "rejected": ("reject",),
    "withdrawn": ("withdraw",),
}


def bring_to(
    engine: cf.Engine,
    clock: FakeClock,
    status: str,
    *,
    category: str = "goods",
    origin: str | None = None,
    actor: cf.Actor = HANDLER,
) -> cf.Complaint:
    """Submit a complaint and drive it to ``status``; for ``awaiting_info``,
    ``origin`` is the status the information is requested from."""
    c = engine.submit(new_complaint(category), actor=COMPLAINANT)
    path = (
        PATHS[origin or "received"] + ("request_info",)
        if status == "awaiting_info"
        else PATHS[status]
    )
    for kind in path:
        if kind == "*steps":
            record_required(engine, clock, c.id, actor)
        else:
            do(engine, clock, c.id, kind, actor)
    c = engine.get(c.id)
    assert c.status == status
    return c


def finish(
    engine: cf.Engine, clock: FakeClock, cid: str, *, satisfied: bool = True
) -> cf.Complaint:
    """Drive an open complaint (not awaiting information) on to ``closed``."""
    start = {"received": 0, "verifying": 1, "classified": 2, "decided": 4, "executed": 5}
    for kind in PATHS["closed"][start[engine.get(cid).status] :]:
        if kind == "*steps":
            record_required(engine, clock, cid)
        elif kind == "follow_up":
            do(engine, clock, cid, kind, satisfied=satisfied)
        else:
            do(engine, clock, cid, kind)
    c = engine.get(cid)
    assert c.status == "closed"
    return c


def snapshot(engine: cf.Engine, cid: str) -> tuple[Any, ...]:
    """Everything a failed command must leave as it was."""
    return (engine.get(cid), engine.history(cid), engine.store.notifications(cid))


def check_trail(engine: cf.Engine, cid: str) -> list[cf.Event]:
    """The audit trail is gap-free from 1 and replays to the stored complaint."""
    events = engine.history(cid)
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert events[0].type == "submit"
    assert events[0].from_status is None
    for before, after in itertools.pairwise(events):
        assert after.from_status == before.to_status
        assert after.at >= before.at
    c = engine.get(cid)
    assert c.version == events[-1].seq
    assert engine.replay(events) == c
    return events


# -- the DESIGN.md transition table, written out (not imported from the library) --

STATUSES = (
    "received",
    "verifying",
    "classified",
    "decided",
    "executed",
    "closed",
    "awaiting_info",
    "rejected",
    "withdrawn",
)
OPEN = frozenset(STATUSES) - {"closed", "rejected", "withdrawn"}
SAME = "<same>"
PRIOR = "<status before request_info>"

# DESIGN.md: command -> (allowed from, goes to)
TABLE: dict[str, tuple[frozenset[str], str]] = {
    "acknowledge": (frozenset({"received"}), "verifying"),
    "classify": (frozenset({"verifying"}), "classified"),
    "decide": (frozenset({"classified"}), "decided"),
    "execute": (frozenset({"decided"}), "executed"),
    "follow_up": (frozenset({"executed"}), "closed"),
    "reject": (frozenset({"received", "verifying"}), "rejected"),
    "request_info": (OPEN - {"awaiting_info"}, "awaiting_info"),
    "provide_info": (frozenset({"awaiting_info"}), PRIOR),
    "withdraw": (OPEN, "withdrawn"),
    "reopen": (frozenset({"closed"}), "verifying"),
    "record_step": (frozenset({"verifying", "classified", "decided", "executed"}), SAME),
    "assign": (OPEN, SAME),
    "escalate": (OPEN, SAME),
    "note": (OPEN, SAME),
    "extend": (OPEN, SAME),
}


def sqlite_engine_with(
    histories: list[Any], path: Any, now: datetime, calendar: cf.BusinessCalendar
) -> cf.Engine:
    """An engine on a SQLite file at ``path`` that has run ``histories``
    (generated by ``complaint_histories``), its fake clock following them
    from ``now``."""
    clock = FakeClock(now)
    engine = cf.Engine(
        calendar=calendar,
        store=cf.stores.SQLiteStore(path),
        clock=clock,
        load_entry_points=False,
    )
    for h in histories:
        h.run(engine, clock)
    return engine
