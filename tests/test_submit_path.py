"""``submit`` builds the new record from the facts its ``submit`` event was
made of, without validating them again: the record must be the one the
event gives when applied the slow way (replay, a store's trail)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel

import complaintflow as cf
from complaintflow._intake import _dump
from complaintflow._reducer import apply_event, apply_tracked, submitted
from complaintflow.models import Complaint

HANDLER = cf.Actor(id="h-1", roles=frozenset({"handler"}))
START = datetime(2026, 3, 9, 2, 0, tzinfo=UTC)
ZONES = [UTC, ZoneInfo("Asia/Shanghai"), ZoneInfo("Europe/London"), ZoneInfo("America/Santiago")]
LONDON = ZoneInfo("Europe/London")
# the repeated hour of London's autumn change, both times, and the skipped spring hour
EDGES = [
    datetime(2026, 10, 25, 1, 30, tzinfo=LONDON),
    datetime(2026, 10, 25, 1, 30, fold=1, tzinfo=LONDON),
    datetime(2026, 3, 29, 1, 30, tzinfo=LONDON),
]

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
    received = received.astimezone(zone)
    if draw(st.integers(0, 4)) == 0:
        received = draw(st.sampled_from(EDGES))
    return {
        "channel": draw(st.sampled_from(["web", "app"])),
        "category": draw(st.none() | st.sampled_from(["goods", "service", "violation"])),
        "complainant": draw(parties("u", "person")),
        "respondent": draw(st.none() | parties("shop", "merchant")),
        "subject": draw(st.sampled_from(["Broken kettle", "退款未到账", "Account hacked"])),
        "description": draw(st.sampled_from(["", "The base is cracked.", "钱没退"])),
        "evidence": tuple(draw(st.lists(texts, max_size=2))),
        "order_id": draw(st.none() | st.sampled_from(["o-1", "o-2"])),
        "received_at": received,
        "id": draw(st.none() | st.sampled_from(["c-fixed"])),
    }


def _alike(a: Any, b: Any, where: str) -> None:
    """``a`` and ``b`` hold the same values, types, offsets and fields-sets."""
    assert type(a) is type(b), where
    if isinstance(a, datetime):
        assert a.isoformat() == b.isoformat(), where  # the same wall time and offset
        assert a.utcoffset() == b.utcoffset(), where
    elif isinstance(a, BaseModel):
        assert a.model_fields_set == b.model_fields_set, where
        assert list(a.__dict__) == list(b.__dict__), where
        for name, value in a.__dict__.items():
            _alike(value, b.__dict__[name], f"{where}.{name}")
    elif isinstance(a, tuple | list):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _alike(x, y, f"{where}[{i}]")
    else:
        assert a == b, where


def _same(a: Complaint, b: Complaint) -> None:
    assert a == b
    _alike(a, b, "complaint")
    assert a.model_dump(exclude_unset=True) == b.model_dump(exclude_unset=True)


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


def _engine() -> cf.Engine:
    return cf.Engine(clock=lambda: START, clock_skew=timedelta(days=36500), load_entry_points=False)


BASE = cf.NewComplaint(
    id="c-1", channel="web", complainant=cf.Party(id="u-1"), subject="Broken kettle"
)


@pytest.mark.parametrize(
    ("new", "field"),
    [
        (BASE.model_copy(update={"received_at": datetime(2026, 3, 9, 1)}), "received_at"),
        (BASE.model_copy(update={"channel": 5}), "channel"),
        (BASE.model_copy(update={"evidence": ("ok", 7)}), "evidence.1"),
        (cf.NewComplaint.model_construct(channel="web", complainant=cf.Party(id="u")), "subject"),
        (BASE.model_copy(update={"channel": ""}), "channel"),
        (BASE.model_copy(update={"id": "a\x00b"}), "id"),
        # a validated NewComplaint holding a party that skipped validation
        (
            cf.NewComplaint(
                channel="web",
                complainant=cf.Party(id="u-1").model_copy(update={"id": 7}),
                subject="s",
            ),
            "complainant.id",
        ),
        (
            cf.NewComplaint(
                channel="web", complainant=cf.Party.model_construct(kind="person"), subject="s"
            ),
            "complainant.id",
        ),
        (
            BASE.model_copy(
                update={"respondent": cf.Party(id="s-1").model_copy(update={"kind": ["x"]})}
            ),
            "respondent.kind",
        ),
    ],
)
def test_an_instance_that_skipped_validation_is_validated(new: Any, field: str) -> None:
    """``model_construct`` and ``model_copy(update=...)`` skip pydantic's
    validation: a field of a type validation never gives is refused by
    name, and nothing is stored."""
    engine = _engine()
    with pytest.raises(cf.InvalidInput) as info:
        engine.submit(new, actor=HANDLER)
    assert info.value.errors[0]["field"] == field
    assert engine.store.find() == []


def test_an_extra_field_of_a_subclass_is_refused() -> None:
    class Mine(cf.NewComplaint):
        extra: str = "x"

    engine = _engine()
    with pytest.raises(cf.InvalidInput, match="extra"):
        engine.submit(Mine(channel="web", complainant=cf.Party(id="u"), subject="s"), actor=HANDLER)
    assert engine.store.find() == []


def test_a_party_given_as_a_dict_through_model_copy_is_validated() -> None:
    engine = _engine()
    c = engine.submit(BASE.model_copy(update={"complainant": {"id": "u-z"}}), actor=HANDLER)
    assert type(c.complainant) is cf.Party
    assert c.complainant.id == "u-z"


def test_party_subclasses_are_kept_as_plain_parties() -> None:
    """What a store gives back, and replay, is a plain Party: the record is
    the same; two respondents with the same details but for a subclass's
    own field do not share one object."""

    class Merchant(cf.Party):
        tier: str = "basic"

    engine = _engine()
    made = []
    for cid, tier in (("c-1", "gold"), ("c-2", "silver")):
        new = BASE.model_copy(
            update={"id": cid, "respondent": Merchant(id="shop-1", kind="merchant", tier=tier)}
        )
        made.append(engine.submit(new, actor=HANDLER))
    for c in made:
        assert type(c.respondent) is cf.Party
        _same(c, engine.replay(engine.store.events(c.id)))


@given(
    pack=st.sampled_from(["guide", "samr", "fca", "cfpb"]),
    start=st.datetimes(
        min_value=datetime(2020, 1, 1),
        max_value=datetime(2030, 1, 1),
        timezones=st.sampled_from(ZONES),
    ),
    named=st.booleans(),
)
def test_a_new_complaints_sla_state_is_the_general_paths(
    pack: str, start: datetime, named: bool
) -> None:
    """``submit_state`` (started records, the earliest alert) against the
    general path: the receipt targets recorded, then recomputed by ``_done``."""
    from complaintflow.sla._tracker import SlaTracker, _new_state

    policy = cf.SlaPolicy.pack(pack)
    tracker = SlaTracker(cf.BusinessCalendar("Europe/London"))
    tracker.calendars["sh"] = cf.BusinessCalendar("Asia/Shanghai", name="sh")
    calendar = "sh" if named else None
    data = {"policy": policy.to_data(), **({"calendar": calendar} if named else {})}
    event = cf.Event(
        complaint_id="c-1", seq=1, type="submit", at=start, actor="h-1",
        from_status=None, to_status=cf.Status.received, data=data,
    )  # fmt: skip
    records = [tracker._record(t, 1, start) for t in policy if t.start == "receipt"]
    first = _new_state((data["policy"], start, (), None, calendar))
    general = tracker._done(first, records, set(range(len(records))))
    assert tracker.submit_state(event) == general


def test_a_datetime_subclass_is_kept_as_a_plain_datetime() -> None:
    class Stamp(datetime):
        pass

    engine = _engine()
    at = Stamp(2026, 3, 9, 2, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    c = engine.submit(BASE.model_copy(update={"received_at": at}), actor=HANDLER)
    assert type(c.received_at) is datetime
    assert type(engine.store.load(c.id).received_at) is datetime  # type: ignore[union-attr]
    _same(c, engine.replay(engine.store.events(c.id)))


class _Screens:
    def __init__(self, *flags: Any) -> None:
        self.flags = flags

    @cf.hookimpl
    def complaintflow_screen(self, complaint: Any, store: Any, rules: Any) -> Any:
        return list(self.flags)


def test_a_screens_flag_is_kept_as_replay_gives_it() -> None:
    class Mine(cf.Flag):
        score: int = 3

    flags = (
        cf.Flag.model_construct(kind="custom", reason="r", related=["a"]),
        Mine(kind="mine", reason="m"),
    )
    engine = cf.Engine(clock=lambda: START, plugins=[_Screens(*flags)], load_entry_points=False)
    c = engine.submit(BASE, actor=HANDLER)
    assert [type(f) for f in c.flags if f.kind in ("custom", "mine")] == [cf.Flag, cf.Flag]
    _same(c, engine.replay(engine.store.events(c.id)))


def test_a_screens_flag_that_is_not_valid_is_a_plugin_error() -> None:
    bad = cf.Flag.model_construct(kind="custom", reason=5)
    engine = cf.Engine(clock=lambda: START, plugins=[_Screens(bad)], load_entry_points=False)
    with pytest.raises(cf.PluginError, match="reason"):
        engine.submit(BASE, actor=HANDLER)
    assert engine.store.find() == []
