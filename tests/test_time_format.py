"""One time format: UTC in storage, the calendar's zone with the offset for
display (docs/concepts.md, "Times")."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from pydantic import BaseModel

import complaintflow as cf
from complaintflow._timefmt import display_time, in_zone, report_in_zone, to_utc
from complaintflow.testing import FakeClock
from complaintflow.testing.strategies import aware_datetimes, timezones

SH = ZoneInfo("Asia/Shanghai")
NY = ZoneInfo("America/New_York")
HANDLER = cf.Actor(id="agent-li", roles=frozenset({"handler"}))


@pytest.mark.parametrize(
    ("t", "tz", "shown"),
    [
        # 02:00 UTC is 10:00 in Shanghai (UTC+8, no daylight saving)
        (datetime(2026, 3, 10, 2, 0, tzinfo=UTC), SH, "2026-03-10 10:00 +08:00"),
        (datetime(2026, 3, 10, 2, 0, 30, tzinfo=UTC), SH, "2026-03-10 10:00:30 +08:00"),
        # New York: EST (-05:00) before 8 March 2026, EDT (-04:00) after
        (datetime(2026, 3, 6, 15, 0, tzinfo=UTC), NY, "2026-03-06 10:00 -05:00"),
        (datetime(2026, 3, 10, 14, 0, tzinfo=UTC), NY, "2026-03-10 10:00 -04:00"),
        # Kathmandu is UTC+5:45
        (
            datetime(2026, 3, 10, 0, 0, tzinfo=UTC),
            ZoneInfo("Asia/Kathmandu"),
            "2026-03-10 05:45 +05:45",
        ),
        (None, SH, "-"),
    ],
)
def test_display_time(t: datetime | None, tz: ZoneInfo, shown: str) -> None:
    assert display_time(t, tz) == shown


def _datetimes(value: Any, path: str = "") -> dict[str, datetime]:
    """Every datetime in a value, by path: an independent walk of the
    model's data."""
    if isinstance(value, BaseModel):
        value = dict(value)
    if isinstance(value, datetime):
        return {path: value}
    out: dict[str, datetime] = {}
    if isinstance(value, dict):
        for k, v in value.items():
            out.update(_datetimes(v, f"{path}.{k}"))
    elif isinstance(value, (list, tuple)):
        fields = getattr(value, "_fields", None)
        for i, v in enumerate(value):
            out.update(_datetimes(v, f"{path}.{fields[i] if fields else i}"))
    return out


def _flow() -> tuple[cf.Engine, cf.Complaint]:
    clock = FakeClock(datetime(2026, 3, 9, 2, 0, tzinfo=UTC))  # Monday 10:00 in Shanghai
    engine = cf.Engine(
        calendar=cf.BusinessCalendar.preset("CN"), clock=clock, load_entry_points=False
    )
    c = engine.submit(
        {
            "channel": "web",
            "category": "goods",
            "complainant": {"id": "u-1"},
            "respondent": {"id": "shop-9", "kind": "merchant"},
            "subject": "Broken kettle",
            "received_at": datetime(2026, 3, 9, 2, 0, tzinfo=UTC),
        },
        actor=HANDLER,
    )
    # given in New York time: 23:00 EDT on 8 March is 03:00 UTC on the 9th
    clock.set(datetime(2026, 3, 9, 3, 0, tzinfo=UTC))
    engine.handle(
        c.id,
        {"type": "acknowledge", "actor": HANDLER, "at": datetime(2026, 3, 8, 23, 0, tzinfo=NY)},
    )
    clock.set(datetime(2026, 3, 9, 5, 0, tzinfo=UTC))
    return engine, engine.get(c.id)


def test_a_view_in_the_calendar_zone_keeps_every_instant() -> None:
    engine, c = _flow()
    view = engine.view(c.id, actor=HANDLER)
    shown = in_zone(view, engine.calendar.tz)
    before, after = _datetimes(view), _datetimes(shown)
    assert set(before) == set(after)
    assert len(after) >= 4  # received_at, updated_at, the SLA state's times
    for path, t in after.items():
        assert t.utcoffset() == timedelta(hours=8), path
        assert t == before[path], path  # the same instant
    assert shown == view
    # acknowledged at 23:00 EDT on 8 March = 03:00 UTC = 11:00 in Shanghai on the 9th
    assert shown.updated_at.isoformat() == "2026-03-09T11:00:00+08:00"
    assert shown.received_at.isoformat() == "2026-03-09T10:00:00+08:00"


def test_an_sla_report_in_the_calendar_zone() -> None:
    engine, c = _flow()
    report = report_in_zone(engine.sla(c.id), engine.calendar.tz)
    pv = report["preliminary_verification"]
    # guide §3.3.1: 24 hours from receipt (Mon 10:00 Shanghai)
    assert pv.started_at is not None
    assert pv.started_at.isoformat() == "2026-03-09T10:00:00+08:00"
    assert pv.deadline is not None
    assert pv.deadline.isoformat() == "2026-03-10T10:00:00+08:00"
    assert pv.completed_at is not None
    assert pv.completed_at.isoformat() == "2026-03-09T11:00:00+08:00"
    for r in report.history:
        for path, t in _datetimes(r).items():
            assert t.utcoffset() == timedelta(hours=8), (r.name, path)


def test_storage_form_is_utc() -> None:
    engine, c = _flow()
    events = [to_utc(e) for e in engine.history(c.id)]
    assert [e.at.isoformat() for e in events] == [
        "2026-03-09T02:00:00+00:00",
        "2026-03-09T03:00:00+00:00",
    ]
    assert events == engine.history(c.id)


def test_a_bad_zone_is_refused() -> None:
    with pytest.raises(cf.InvalidInput) as e:
        in_zone(datetime(2026, 1, 1, tzinfo=UTC), "Asia/Shanghai")  # type: ignore[arg-type]
    assert e.value.errors[0]["field"] == "tz"


@given(t=aware_datetimes(), tz=timezones(any_iana=True))
def test_in_zone_keeps_the_instant_and_takes_the_zones_offset(t: datetime, tz: ZoneInfo) -> None:
    moved = in_zone({"a": [t, (t,)], "b": t}, tz)
    for got in (moved["a"][0], moved["a"][1][0], moved["b"]):
        assert got.astimezone(UTC) == t.astimezone(UTC)  # the same instant
        assert got.tzinfo is tz
        # the offset of the zone at that instant, computed from UTC
        assert got.utcoffset() == t.astimezone(UTC).astimezone(tz).utcoffset()
    shown = display_time(t, tz)
    off = t.astimezone(tz).utcoffset()
    assert off is not None
    minutes = int(off.total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    assert shown.endswith(f" {sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}")


def test_the_engine_returns_display_times() -> None:
    engine, c = _flow()
    view = engine.view(c.id, actor=HANDLER)
    report = engine.sla(c.id)
    times = [
        *_datetimes(view).values(),
        *(t for r in report.history for t in _datetimes(r).values()),
    ]
    assert all(t.utcoffset() == timedelta(hours=8) for t in times)


def test_notification_records_are_kept_in_utc() -> None:
    engine, c = _flow()
    notes = engine.store.notifications(c.id)  # type: ignore[attr-defined]
    assert notes
    for n in notes:
        assert n.created_at.utcoffset() == timedelta(0)
    # the acknowledgement at 23:00 EDT on 8 March is 03:00 UTC on the 9th
    ack = [n for n in notes if n.event_seq == 2]
    assert ack
    assert {n.created_at.isoformat() for n in ack} == {"2026-03-09T03:00:00+00:00"}
