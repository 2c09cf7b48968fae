"""Every public entry point raises only ComplaintFlowError subclasses for
bad input: the cases found by trying (dates in year 1 and 9999, deeply
nested TOML, malformed events, bad limits and statuses, control
characters) as examples, then a Hypothesis property feeding random unicode,
control characters, extreme dates and numbers to each entry point."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import complaintflow as cf
from complaintflow.cli import main
from complaintflow.stores._find import FIND_FILTERS
from complaintflow.testing import FakeClock
from flow_helpers import (
    COMPLAINANT,
    COMPLAINANT_CONTACT,
    HANDLER,
    SUPERVISOR,
    T0,
    bring_to,
    cmd,
    new_complaint,
    snapshot,
)

EAST = timezone(timedelta(hours=14))
WEST = timezone(-timedelta(hours=12))
EXTREMES = [
    datetime(1, 1, 1, tzinfo=UTC),
    datetime(1, 1, 1, 3, tzinfo=EAST),
    datetime(9999, 12, 31, 23, tzinfo=UTC),
    datetime(9999, 12, 31, 20, tzinfo=WEST),
    datetime(1899, 12, 31, 23, 59, tzinfo=UTC),
    datetime(2500, 1, 1, tzinfo=UTC),
]


def submitted(engine: cf.Engine, **overrides: Any) -> cf.Complaint:
    return engine.submit(new_complaint(**overrides), actor=COMPLAINANT)


# -- the reported cases, one by one ------------------------------------------


@pytest.mark.parametrize("when", EXTREMES)
def test_extreme_received_at_is_invalid_input(engine: cf.Engine, when: datetime) -> None:
    data = new_complaint().model_dump() | {"received_at": when}
    with pytest.raises(cf.InvalidInput) as info:
        engine.submit(data, actor=COMPLAINANT)
    assert info.value.errors[0]["field"] == "received_at"
    assert engine.store.find() == []


@pytest.mark.parametrize("when", EXTREMES)
def test_extreme_at_and_effective_at_are_invalid_input(
    engine: cf.Engine, clock: FakeClock, when: datetime
) -> None:
    c = bring_to(engine, clock, "classified", category="goods")
    before = snapshot(engine, c.id)
    with pytest.raises(cf.InvalidInput) as info:
        engine.handle(c.id, cmd("acknowledge", HANDLER, at=when))
    assert info.value.errors[0]["field"] == "at"
    decide = cmd("decide", HANDLER, outcome="upheld", basis="policy 3", effective_at=when)
    with pytest.raises(cf.InvalidInput) as info:
        engine.handle(c.id, decide)
    assert info.value.errors[0]["field"] == "effective_at"
    assert snapshot(engine, c.id) == before


@pytest.mark.parametrize("when", EXTREMES)
def test_extreme_now_is_invalid_input(engine: cf.Engine, when: datetime) -> None:
    c = submitted(engine)
    for call in (
        lambda: engine.sla(c.id, now=when),
        lambda: engine.sweep(now=when),
        lambda: engine.deliver_pending(now=when),
        lambda: engine.metrics(since=when, until=T0),
    ):
        with pytest.raises(cf.InvalidInput):
            call()


@pytest.mark.parametrize("when", EXTREMES)
@pytest.mark.parametrize("duration", [cf.hours(5), cf.working_days(7), cf.calendar_days(3)])
def test_calendars_answer_or_raise_library_errors_at_extreme_dates(
    when: datetime, duration: cf.Duration
) -> None:
    for cal in (cf.BusinessCalendar("UTC"), cf.BusinessCalendar.preset("CN")):
        try:
            result = cal.add(when, duration)
        except cf.ComplaintFlowError:
            continue
        assert result.tzinfo is not None


def test_the_earliest_and_latest_dates_allowed_work(engine: cf.Engine) -> None:
    importer = cf.Actor(id="migration", roles=frozenset({"importer"}))  # times believed
    for when in (datetime(1900, 1, 1, tzinfo=UTC), datetime(2499, 12, 1, tzinfo=UTC)):
        c = engine.submit(new_complaint(received_at=when), actor=importer)
        assert c.received_at == when


def test_model_validate_raises_invalid_input_without_quoting_the_contact() -> None:
    data = new_complaint().model_dump() | {"subject": 5}
    with pytest.raises(cf.InvalidInput) as info:
        cf.NewComplaint.model_validate(data)
    assert [p["field"] for p in info.value.errors] == ["subject"]
    assert COMPLAINANT_CONTACT not in str(info.value)
    with pytest.raises(cf.InvalidInput):
        cf.NewComplaint.model_validate_json('{"channel": 1}')


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda e: e.sweep(limit="x"), "limit"),
        (lambda e: e.sweep(limit=0), "limit"),
        (lambda e: e.sweep(limit=True), "limit"),
        (lambda e: e.deliver_pending(limit=-1), "limit"),
        (lambda e: e.deliver_pending(now=datetime(2026, 1, 5, 12)), "now"),
        (lambda e: e.deliver_pending(now="2026-01-05"), "now"),
        (lambda e: e.store.find(status="bogus"), "status"),
        (lambda e: e.store.find(status=["received", "bogus"]), "status"),
        (lambda e: e.replay("not events"), "events"),
        (lambda e: e.replay([{"type": "submit"}]), "events[0]"),
    ],
)
def test_bad_arguments_are_invalid_input(
    engine: cf.Engine, call: Callable[[cf.Engine], object], field: str
) -> None:
    with pytest.raises(cf.InvalidInput) as info:
        call(engine)
    assert info.value.errors[0]["field"] == field


@pytest.mark.parametrize(
    ("index", "change", "field"),
    [
        (0, {}, "events[0].data.complaint"),
        (0, {"policy": {"name": "x"}}, "events[0].data.policy"),
        (3, {"step": 5}, "events[3].data.step"),
        (3, {"data": "not a mapping"}, "events[3].data.data"),
        (5, {"outcome": "maybe"}, "events[5].data.outcome"),
        (5, {"basis": None}, "events[5].data.basis"),
    ],
)
def test_replaying_malformed_events_names_the_event_and_field(
    engine: cf.Engine, clock: FakeClock, index: int, change: dict[str, Any], field: str
) -> None:
    c = bring_to(engine, clock, "decided", category="goods")
    events = engine.history(c.id)
    # the trail by hand: submit, acknowledge, classify, record_step x2, decide
    assert [e.type for e in events][:6] == [
        "submit",
        "acknowledge",
        "classify",
        "record_step",
        "record_step",
        "decide",
    ]
    data = {} if index == 0 and not change else {**events[index].data, **change}
    events[index] = events[index].model_copy(update={"data": data})
    with pytest.raises(cf.InvalidInput) as info:
        engine.replay(events)
    assert info.value.errors[0]["field"].startswith(field)


@pytest.mark.parametrize("char", ["\x00", "\x07", "\x1b", "\x7f", "\x85", "\ud800"])
def test_control_characters_are_refused_in_every_text_field(
    engine: cf.Engine, clock: FakeClock, char: str
) -> None:
    for change, field in (
        ({"subject": f"ket{char}tle"}, "subject"),
        ({"description": f"a{char}b"}, "description"),
        ({"complainant": {"id": "u-1", "name": f"W{char}x"}}, "complainant.name"),
        ({"complainant": {"id": f"u{char}1"}}, "complainant.id"),
        ({"evidence": ("ok", f"x{char}y")}, "evidence.1"),
    ):
        data = new_complaint().model_dump() | change
        with pytest.raises(cf.InvalidInput) as info:
            engine.submit(data, actor=COMPLAINANT)
        assert info.value.errors[0]["field"] == field
        # pydantic refuses a lone surrogate itself ("unable to parse")
        assert f"U+{ord(char):04X}" in str(info.value) or char == "\ud800"
    c = bring_to(engine, clock, "verifying", category="goods")
    with pytest.raises(cf.InvalidInput) as info:
        engine.handle(c.id, cmd("note", HANDLER, text=f"call{char} back"))
    assert info.value.errors[0]["field"] == "text"


def test_tabs_and_line_breaks_are_kept_in_free_text(engine: cf.Engine) -> None:
    c = submitted(engine, description="line one\n\tline two\r\n")
    seen = engine.view(c.id, actor=cf.Actor.system())  # the text is in the vault
    assert seen.description == "line one\n\tline two\r\n"


@pytest.mark.parametrize("depth", [20, 3000])
def test_deeply_nested_input_is_invalid_input(depth: int, tmp_path: Path) -> None:
    nested: Any = "x"
    for _ in range(depth):
        nested = {"a": nested}
    with pytest.raises(cf.InvalidInput):
        cf.RuleSet.from_data({"ruleset": nested})
    text = "a = " + "[" * depth + "]" * depth
    with pytest.raises(cf.RuleFileError):
        cf.RuleSet.loads(text)
    with pytest.raises(cf.InvalidInput):
        cf.NewComplaint.model_validate(nested)


# -- the property --------------------------------------------------------------

CONTROL = st.sampled_from(["\x00", "\x01", "\x1b", "\x7f", "\x85", "\ud800", "\u2028", "\ufeff"])
TEXT = st.text(st.one_of(st.characters(), CONTROL), max_size=30)
DATES = st.one_of(
    st.datetimes(timezones=st.sampled_from([UTC, EAST, WEST])),
    st.datetimes(),  # naive
    st.sampled_from(EXTREMES),
)
NUMBERS = st.one_of(
    st.integers(),
    st.floats(),
    st.sampled_from([10**100, -(10**100), 0, -1, True, 1e300, float("nan")]),
)
SCALARS = st.one_of(st.none(), TEXT, DATES, NUMBERS, st.dates(), st.timedeltas())
NESTED = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(TEXT, inner, max_size=3)),
    max_leaves=8,
)
# scalars as often as containers (st.recursive alone draws mostly lists)
VALUES = st.one_of(st.none(), TEXT, DATES, NUMBERS, NESTED)
FIELD_NAMES = [
    "channel",
    "subject",
    "description",
    "category",
    "order_id",
    "received_at",
    "evidence",
    "complainant",
    "respondent",
    "id",
]
FIELDS = st.sampled_from(FIELD_NAMES)
# the find filter each drawn field name stands for, so that every filter
# gets values of every type
FIND_FILTER_OF = dict(zip(FIELD_NAMES, [*sorted(FIND_FILTERS), "status"], strict=True))
COMMANDS = st.sampled_from(
    [
        "acknowledge",
        "classify",
        "record_step",
        "decide",
        "note",
        "extend",
        "reject",
        "assign",
        "withdraw",
        "bogus",
    ]
)

ENTRY_POINTS = [
    "submit",
    "handle",
    "view",
    "allowed",
    "get",
    "history",
    "replay",
    "sla",
    "sweep",
    "metrics",
    "deliver_pending",
    "find",
    "rules",
    "calendar",
    "cli",
]


def _call(engine: cf.Engine, cid: str, which: str, v: Any, w: Any, field: str, kind: str) -> Any:
    actor = {"id": v, "roles": w} if isinstance(w, list) else COMPLAINANT
    if which == "submit":
        return engine.submit(new_complaint().model_dump() | {field: v}, actor=COMPLAINANT)
    if which == "handle":
        return engine.handle(cid, {"type": kind, "actor": actor, field: v, "at": w})
    if which == "view":
        return engine.view(v, actor=w)
    if which == "allowed":
        return engine.allowed(cid, actor=actor)
    if which in ("get", "history"):
        return getattr(engine, which)(v)
    if which == "replay":
        events = engine.history(cid)
        events[-1] = events[-1].model_copy(update={"data": {field: v}})
        return engine.replay(events if w is None else [*events, w])
    if which == "sla":
        return engine.sla(cid, now=v)
    if which == "sweep":
        return engine.sweep(now=w if isinstance(w, datetime) else None, limit=v)
    if which == "metrics":
        return engine.metrics(since=v, until=w, category=field)
    if which == "deliver_pending":
        return engine.deliver_pending(now=v, limit=w)
    if which == "find":
        # any value for any filter: the stores check them all
        return engine.store.find(**{FIND_FILTER_OF[field]: v})
    if which == "rules":
        return cf.RuleSet.from_data({"screening": {"malicious": {"window_hours": v}}, field: w})
    if which == "calendar":
        cal = cf.BusinessCalendar("Asia/Shanghai")
        return cal.add(v, cf.working_days(w) if isinstance(w, int) else cf.hours(1))
    return main(["rules", "check", str(v)])


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(
    which=st.sampled_from(ENTRY_POINTS),
    v=VALUES,
    w=st.one_of(VALUES, st.lists(TEXT, max_size=2)),
    field=FIELDS,
    kind=COMMANDS,
)
def test_only_library_errors_escape(
    engine: cf.Engine, which: str, v: Any, w: Any, field: str, kind: str
) -> None:
    cid = engine.store.find()[0].id if engine.store.find() else submitted(engine).id
    try:
        _call(engine, cid, which, v, w, field, kind)
    except cf.ComplaintFlowError:
        pass
    except SystemExit:  # argparse's exit for a CLI given bad arguments
        assert which == "cli"


def test_the_property_reaches_every_entry_point_kind() -> None:
    # a guard against the property silently testing nothing: each name it
    # draws is dispatched by _call (the last branch is the CLI)
    source = Path(__file__).read_text("utf-8")
    for name in ENTRY_POINTS[:-1]:
        assert f'"{name}"' in source.split("def _call", 1)[1]
    assert sys.version_info >= (3, 11)
    assert date.today().year >= 2026


# -- replaying edited audit trails ----------------------------------------------


def _trails() -> tuple[cf.Engine, list[list[cf.Event]]]:
    """An engine and two audit trails covering the commands and SLA events
    (an information request, an extension, notes, an assignment and an
    escalation; SLA warnings and a breach)."""
    clock = FakeClock(T0)
    engine = cf.Engine(clock=clock, load_entry_points=False)
    busy = bring_to(engine, clock, "awaiting_info", origin="verifying", category="goods")
    engine.handle(busy.id, cmd("provide_info", HANDLER))
    engine.handle(
        busy.id, cmd("extend", SUPERVISOR, target="verification", amount=1, reason="busy")
    )
    engine.handle(busy.id, cmd("note", HANDLER, text="called"))
    engine.handle(busy.id, cmd("assign", SUPERVISOR, handler="h-2"))
    engine.handle(busy.id, cmd("escalate", HANDLER, reason="hard"))
    late = bring_to(engine, clock, "verifying", category="goods")
    engine.sweep(now=clock() + timedelta(days=30))
    closed = bring_to(engine, clock, "closed", category="goods")
    return engine, [engine.history(x.id) for x in (busy, late, closed)]


ENGINE_AND_TRAILS = _trails()
ODD = st.one_of(
    st.none(),
    NUMBERS,
    TEXT,
    st.sampled_from([[], {}, {"target": 5}, {"target": "verification", "amount": "x"}]),
)


@settings(max_examples=300)
@given(data=st.data())
def test_replaying_an_edited_trail_raises_only_library_errors(data: st.DataObject) -> None:
    engine, trails = ENGINE_AND_TRAILS
    events = list(data.draw(st.sampled_from(trails)))
    i = data.draw(st.integers(0, len(events) - 1))
    payload = dict(events[i].data)
    keys = sorted(payload)
    how = data.draw(st.sampled_from(["drop", "change", "empty"]))
    if keys and how == "drop":
        del payload[data.draw(st.sampled_from(keys))]
    elif keys and how == "change":
        payload[data.draw(st.sampled_from(keys))] = data.draw(ODD)
    else:
        payload = {}
    events[i] = events[i].model_copy(update={"data": payload})
    with contextlib.suppress(cf.ComplaintFlowError):
        engine.replay(events)


def test_the_edited_trails_cover_sla_events_and_extensions() -> None:
    _, trails = ENGINE_AND_TRAILS
    kinds = {e.type for trail in trails for e in trail}
    assert {"sla_warning", "sla_breach", "extend", "request_info", "decide"} <= kinds
