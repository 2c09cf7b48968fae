"""``submit`` builds the new record from the facts its ``submit`` event was
made of, without validating them again: the record must be the one the
event gives when applied the slow way (replay, a store's trail)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

import complaintflow as cf
from complaintflow._intake import _dump
from complaintflow._reducer import apply_event, apply_tracked, submitted
from complaintflow.models import Complaint

HANDLER = cf.Actor(id="h-1", roles=frozenset({"handler"}))
START = datetime(2026, 3, 9, 2, 0, tzinfo=UTC)
ZONES = [UTC, ZoneInfo("Asia/Shanghai"), ZoneInfo("Europe/London"), ZoneInfo("America/Santiago")]

texts = st.text(alphabet="abc xyz漏水退款", min_size=1, max_size=30).filter(str.strip)


@st.composite
def parties(draw: st.DrawFn, prefix: str, kind: str) -> cf.Party:
    return cf.Party(
        id=f"{prefix}-{draw(st.integers(0, 3))}",
        kind=kind,
        name=draw(st.none() | texts),
        contact=draw(st.none() | texts),
    )


@st.composite
def new_complaints(draw: st.DrawFn) -> dict[str, Any]:
    zone = draw(st.sampled_from(ZONES))
    received = START + timedelta(minutes=draw(st.integers(0, 60 * 24 * 30)))
    return {
        "channel": draw(st.sampled_from(["web", "app"])),
        "category": draw(st.none() | st.sampled_from(["goods", "service", "violation"])),
        "complainant": draw(parties("u", "person")),
        "respondent": draw(st.none() | parties("shop", "merchant")),
        "subject": draw(st.sampled_from(["Broken kettle", "退款未到账", "Account hacked"])),
        "description": draw(st.sampled_from(["", "The base is cracked.", "钱没退"])),
        "evidence": tuple(draw(st.lists(texts, max_size=2))),
        "order_id": draw(st.none() | st.sampled_from(["o-1", "o-2"])),
        "received_at": received.astimezone(zone),
        "id": draw(st.none() | st.sampled_from(["c-fixed"])),
    }


def _same(a: Complaint, b: Complaint) -> None:
    assert a == b
    assert list(a.__dict__) == list(b.__dict__)  # the same field order (dumps)
    for name, value in a.__dict__.items():
        assert type(value) is type(b.__dict__[name]), name


@given(st.lists(new_complaints(), min_size=1, max_size=6))
def test_submit_record_is_the_one_its_event_gives(news: list[dict[str, Any]]) -> None:
    engine = cf.Engine(
        calendar=cf.BusinessCalendar("UTC"),
        clock_skew=timedelta(days=36500),
        intake_window=timedelta(days=36500),
        load_entry_points=False,
    )
    for new in news:
        if new["id"] is not None and engine.store.load(new["id"]) is not None:
            continue
        created = engine.submit(new, actor=HANDLER)
        event = engine.store.events(created.id)[0]
        _same(created, apply_tracked(None, event, engine._sla))
        _same(engine.replay(engine.store.events(created.id)), created)


@given(new_complaints())
def test_submitted_equals_applying_the_event(new: dict[str, Any]) -> None:
    engine = cf.Engine(clock_skew=timedelta(days=36500), load_entry_points=False)
    given_fields = set(new["complainant"].model_fields_set)
    draft = engine._intake.draft(cf.NewComplaint(**new), new["received_at"])
    draft = engine._intake.classify(draft)
    facts, _ = engine._vault.prepare(draft)
    event = engine._intake.event(draft, "h-1", "caller", START, facts)
    assert event.data["complaint"] == _dump(facts)
    _same(submitted(facts, event), apply_event(None, event))
    # the caller's party object is left as it was (the record shares copies)
    assert new["complainant"].model_fields_set == given_fields


@given(
    amount=st.floats(min_value=0, max_value=24 * 400, allow_nan=False),
    warn_at=st.lists(st.floats(min_value=0.01, max_value=0.99), max_size=3, unique=True).map(
        lambda w: tuple(sorted(w))
    ),
    start=st.datetimes(
        min_value=datetime(1990, 1, 1),
        max_value=datetime(2400, 1, 1),
        timezones=st.sampled_from(ZONES),
    ),
    kind=st.sampled_from(["hours", "business_hours", "calendar_days", "working_days"]),
    named=st.booleans(),
    cycle=st.integers(1, 3),
)
def test_a_started_target_is_recomputed_as_the_general_path_does(
    amount: float, warn_at: tuple[float, ...], start: datetime, kind: str, named: bool, cycle: int
) -> None:
    """The submit's shortcut for a target just started gives the record the
    general recomputation gives (deadline, first alert, calendar)."""
    from complaintflow.sla import SlaTarget
    from complaintflow.sla._policy import Duration
    from complaintflow.sla._tracker import SlaTracker, _new_state

    if kind == "working_days":
        amount = float(round(amount) % 30)
    shanghai = cf.BusinessCalendar("Asia/Shanghai", name="sh")
    tracker = SlaTracker(cf.BusinessCalendar("Europe/London"))
    tracker.calendars["sh"] = shanghai
    target = SlaTarget("t", "receipt", "acknowledge", Duration(kind, amount), warn_at=warn_at)
    record = tracker._record(target, cycle, start)
    calendar = "sh" if named else None
    state = _new_state(({}, start, (), None, calendar))
    general = tracker._done(state, [record], {0}).targets[0]
    fast = tracker._started(target, start, calendar, cycle)
    assert fast == general
    assert fast.deadline is None or fast.deadline.tzinfo == general.deadline.tzinfo
