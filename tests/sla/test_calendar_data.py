"""Calendars as data: data files (TOML, JSON), .ics feeds, version ids,
coverage and the expiry warning. Expected days are read off the test files
by hand (tests/sla/data/cn-2027.toml and cn-2027.ics)."""

from __future__ import annotations

import json
import logging
import sys
import types
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pluggy
import pytest

import complaintflow as cf
from complaintflow import hookspecs
from complaintflow.cli import main
from complaintflow.sla import (
    BusinessCalendar,
    ExpiryWatch,
    MissingDependency,
    expiry_message,
    load_schedule,
    working_days,
)

SH = ZoneInfo("Asia/Shanghai")
DATA = Path(__file__).parent / "data"
# by hand from the test files
HOLIDAYS_2027 = {date(2027, 1, 1), date(2027, 5, 3)} | {date(2027, 2, d) for d in range(6, 13)}
WORKDAYS_2027 = {date(2027, 1, 31), date(2027, 2, 20)}


@pytest.fixture(scope="module")
def cn() -> BusinessCalendar:
    return BusinessCalendar.preset("CN")


def test_preset_has_an_id_a_version_and_coverage(cn: BusinessCalendar) -> None:
    assert cn.name == "CN"
    assert cn.data_ends == date(2026, 12, 31)
    assert len(cn.version) == 16
    assert int(cn.version, 16) >= 0
    assert BusinessCalendar.preset("CN").version == cn.version  # stable
    assert cn.names[date(2026, 10, 1)] == "National Day"


def test_toml_data_extends_the_preset(cn: BusinessCalendar) -> None:
    ext = cn.extended(DATA / "cn-2027.toml")
    assert ext is not cn
    assert cn.data_ends == date(2026, 12, 31)
    assert ext.data_ends == date(2027, 12, 31)
    assert ext.valid_from == cn.valid_from
    assert {d for d in ext.holidays if d.year == 2027} == HOLIDAYS_2027
    assert {d for d in ext.workdays if d.year == 2027} == WORKDAYS_2027
    assert ext.holidays >= cn.holidays
    assert ext.workdays >= cn.workdays
    assert not ext.is_working_day(date(2027, 2, 8))  # a Monday in the festival
    assert ext.is_working_day(date(2027, 1, 31))  # a Sunday made a working day
    assert ext.names[date(2027, 1, 1)] == "New Year's Day"
    assert ext.data_version == "2027-test-1"
    assert ext.source is not None
    assert "complaintflow test data" in ext.source
    assert ext.version != cn.version
    # guide §3.3.5 across the Spring Festival of the test data: from Thu 02-04,
    # 02-05 (1), 02-15..02-19 (2..6), Sat 02-20 makeup (7) -> 24:00 of 02-20
    assert ext.add(datetime(2027, 2, 4, 10, tzinfo=SH), working_days(7)) == datetime(
        2027, 2, 21, tzinfo=SH
    )


def test_json_and_mapping_give_the_same_version(cn: BusinessCalendar, tmp_path: Path) -> None:
    data: dict[str, Any] = {
        "valid_from": "2027-01-01",
        "valid_until": "2027-12-31",
        "holidays": sorted(d.isoformat() for d in HOLIDAYS_2027),
        "workdays": {d.isoformat(): "Spring Festival" for d in WORKDAYS_2027},
    }
    path = tmp_path / "cn.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    from_toml = cn.extended(DATA / "cn-2027.toml")
    assert cn.extended(path).version == from_toml.version
    assert cn.extended(data).version == from_toml.version


def test_ics_feed_is_imported(cn: BusinessCalendar) -> None:
    s = load_schedule(DATA / "cn-2027.ics")
    assert set(s.holidays) == HOLIDAYS_2027  # the festival is one event, DTEND exclusive
    assert date(2027, 2, 13) not in s.holidays
    assert set(s.workdays) == WORKDAYS_2027  # one by SUMMARY 补班, one by CATEGORIES
    assert s.holidays[date(2027, 2, 9)] == "春节"
    assert s.name == "中国大陆节假日 2027"
    assert (s.valid_from, s.valid_until) == (date(2027, 1, 1), date(2027, 12, 31))
    ext = cn.extended(DATA / "cn-2027.ics")
    assert ext.version == cn.extended(DATA / "cn-2027.toml").version
    assert ext.name == "CN"


ICS_HEAD = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\n"


def _ics(*events: str) -> str:
    body = "".join(f"BEGIN:VEVENT\r\nUID:{i}@t\r\n{e}END:VEVENT\r\n" for i, e in enumerate(events))
    return ICS_HEAD + body + "END:VCALENDAR\r\n"


@pytest.mark.parametrize(
    ("event", "reason"),
    [
        ("DTSTART:20270101T090000\r\nSUMMARY:x\r\n", "all-day"),
        ("DTSTART;VALUE=DATE:20270101\r\nRRULE:FREQ=YEARLY\r\nSUMMARY:x\r\n", "RRULE"),
        ("SUMMARY:x\r\n", "DTSTART"),
        ("DTSTART;VALUE=DATE:20270102\r\nDTEND;VALUE=DATE:20270101\r\nSUMMARY:x\r\n", "DTEND"),
    ],
)
def test_ics_refuses_what_it_cannot_read(
    cn: BusinessCalendar, tmp_path: Path, event: str, reason: str
) -> None:
    path = tmp_path / "bad.ics"
    path.write_text(_ics(event), encoding="utf-8")
    with pytest.raises(cf.InvalidInput, match=reason) as info:
        cn.extended(path)
    assert info.value.errors[0]["field"].startswith("VEVENT[0]")


def test_ics_range_can_be_given_and_empty_feed_needs_one(cn: BusinessCalendar) -> None:
    from complaintflow.sla._data import parse_ics

    with pytest.raises(cf.InvalidInput, match="no all-day events"):
        parse_ics(_ics())
    s = parse_ics(_ics(), valid_from=date(2027, 1, 1), valid_until=date(2027, 1, 31))
    assert (s.holidays, s.workdays) == ({}, {})
    with pytest.raises(cf.InvalidInput, match="not an iCalendar"):
        parse_ics("hello")


def test_ics_without_icalendar_names_the_extra(
    cn: BusinessCalendar, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "icalendar", None)
    with pytest.raises(MissingDependency, match=r"complaintflow\[ics\]"):
        cn.extended(DATA / "cn-2027.ics")


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"valid_from": "2027-01-01"}, "valid_until"),
        ({}, "valid_from"),
        ({"valid_from": "2027-01-01", "valid_until": "2027-12-31", "colour": 1}, "colour"),
        ({"valid_from": "2027-01-01", "valid_until": "2026-12-31"}, "valid_until"),
        ({"valid_from": "2028-01-01", "valid_until": "2028-12-31"}, "valid_from"),  # a gap
        ({"first_year": 2027, "last_year": 2027, "timezone": "UTC"}, "timezone"),
        ({"first_year": 2027, "last_year": 2027, "weekmask": "1111110"}, "weekmask"),
        ({"first_year": 2027, "last_year": True}, "last_year"),
        ({"first_year": 2027, "last_year": 2027, "holidays": {"2028-01-01": "x"}}, "holidays"),
        ({"first_year": 2027, "last_year": 2027, "holidays": ["2027-13-01"]}, "holidays[0]"),
        ({"first_year": 2027, "last_year": 2027, "holidays": {"2027-01-01": 1}}, "holidays."),
        ({"first_year": 2027, "last_year": 2027, "holidays": "2027-01-01"}, "holidays"),
        (
            {
                "first_year": 2027,
                "last_year": 2027,
                "holidays": ["2027-01-02"],
                "workdays": ["2027-01-02"],
            },
            "workdays",
        ),
        ({"first_year": 2027, "last_year": 2027, "format": 2}, "format"),
        ({"first_year": 2027, "last_year": 2027, "source": 3}, "source"),
        ({"first_year": 2027, "last_year": 2027, "business_hours": {"mon": "9-5"}}, "business"),
        ({"first_year": 2027, "last_year": 2027, "business_hours": {"xmas": []}}, "business"),
        ({"first_year": 2027, "last_year": 2027, "business_hours": [1]}, "business_hours"),
        (
            {"first_year": 2027, "last_year": 2027, "business_hours": {"mon": [["9am", "5pm"]]}},
            "business_hours.mon",
        ),
        (
            {"first_year": 2027, "last_year": 2027, "business_hours": {"mon": [["09:00"]]}},
            "business_hours.mon[0]",
        ),
        ({"valid_from": datetime(2027, 1, 1), "valid_until": "2027-12-31"}, "valid_from"),
    ],
)
def test_bad_data_names_the_field_and_changes_nothing(
    cn: BusinessCalendar, data: dict[str, Any], field: str
) -> None:
    before = cn.version
    with pytest.raises(cf.InvalidInput) as info:
        cn.extended(data)
    assert info.value.errors[0]["field"].startswith(field)
    assert cn.version == before


def test_bad_files_are_refused(cn: BusinessCalendar, tmp_path: Path) -> None:
    with pytest.raises(cf.InvalidInput, match=r"expected a \.toml"):
        cn.extended(tmp_path / "cal.yaml")
    with pytest.raises(cf.InvalidInput, match="cannot read"):
        cn.extended(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("holidays = [", encoding="utf-8")
    with pytest.raises(cf.InvalidInput, match="not valid toml"):
        cn.extended(bad)
    unknown = tmp_path / "unknown.json"
    unknown.write_text('{"first_year": 2027, "last_year": 2027, "x": 1}', encoding="utf-8")
    with pytest.raises(cf.InvalidInput, match=r"unknown\.json: x"):
        cn.extended(unknown)
    with pytest.raises(cf.InvalidInput, match="source"):
        cn.extended(42)  # type: ignore[arg-type]
    with pytest.raises(cf.InvalidInput, match="data"):
        load_schedule([])  # type: ignore[arg-type]


def test_new_data_replaces_the_old_inside_its_range(cn: BusinessCalendar) -> None:
    # a correction: October 2026 without National Day
    ext = cn.extended({"valid_from": "2026-10-01", "valid_until": "2026-10-31"})
    assert ext.is_working_day(date(2026, 10, 1))
    assert not any((d.year, d.month) == (2026, 10) for d in ext.holidays | ext.workdays)
    assert {d for d in ext.holidays if d.month != 10 or d.year != 2026} == {
        d for d in cn.holidays if d.month != 10 or d.year != 2026
    }
    assert ext.data_ends == cn.data_ends


def test_business_hours_and_to_data_round_trip() -> None:
    cal = BusinessCalendar(
        "Asia/Shanghai", valid_from=date(2027, 1, 1), valid_until=date(2027, 1, 31)
    )
    ext = cal.extended(
        {
            "first_year": 2027,
            "last_year": 2027,
            "business_hours": {"default": [["09:00", "12:00"], ["13:00", "18:00"]], "sat": []},
            "holidays": {"2027-01-01": "New Year's Day"},
        }
    )
    assert ext.business_hours == {
        wd: [(time(9), time(12)), (time(13), time(18))] for wd in range(5)
    }
    data = ext.to_data()
    assert data["business_hours"]["mon"] == [["09:00", "12:00"], ["13:00", "18:00"]]
    again = BusinessCalendar("Asia/Shanghai", valid_from=date(2027, 1, 1),
                             valid_until=date(2027, 1, 1)).extended(data)  # fmt: skip
    assert again.version == ext.version
    with pytest.raises(cf.InvalidInput, match="unbounded"):
        BusinessCalendar("UTC").to_data()


def test_unbounded_calendar_extends_without_a_range() -> None:
    ext = BusinessCalendar("UTC").extended({"first_year": 2027, "last_year": 2027,
                                            "holidays": ["2027-01-01"]})  # fmt: skip
    assert ext.valid_from is None
    assert ext.data_ends is None
    assert not ext.is_working_day(date(2027, 1, 1))


def test_constructor_checks_the_new_arguments() -> None:
    with pytest.raises(cf.InvalidInput, match="name"):
        BusinessCalendar("UTC", name=3)  # type: ignore[arg-type]
    with pytest.raises(cf.InvalidInput, match="names"):
        BusinessCalendar("UTC", names={"2027-01-01": "x"})  # type: ignore[dict-item]


def test_deadline_info_is_final_inside_and_provisional_past_the_data(
    cn: BusinessCalendar,
) -> None:
    inside = cn.deadline_info(datetime(2026, 12, 1, 10, tzinfo=SH), working_days(7))
    # 12-02..12-04 (1..3), 12-07..12-10 (4..7) -> 24:00 of 12-10
    assert inside == (datetime(2026, 12, 11, tzinfo=SH), None, "CN", cn.version)
    past = cn.deadline_info(datetime(2026, 12, 30, 10, tzinfo=SH), working_days(2))
    # 12-31 (1), 2027-01-01 Fri on the weekly pattern (2) -> 24:00 of 01-01
    assert past.deadline == datetime(2027, 1, 2, tzinfo=SH)
    assert past.provisional is not None
    assert "2027-01-01" in past.provisional
    paused = cn.deadline_info(
        datetime(2026, 12, 30, 10, tzinfo=SH),
        working_days(1),
        pauses=[(datetime(2026, 12, 30, 11, tzinfo=SH), datetime(2026, 12, 31, 12, tzinfo=SH))],
    )
    # the pause takes half of 12-31: 12-31 12:00 .. 01-01 12:00 is the one day
    assert paused.deadline == datetime(2027, 1, 1, 12, tzinfo=SH)
    assert paused.provisional is not None


def test_expires_within(cn: BusinessCalendar) -> None:
    # the data ends at 2027-01-01 00:00 +08: 60 days after 2026-11-02 00:00
    assert cn.expires_within(timedelta(days=60), datetime(2026, 11, 2, tzinfo=SH))
    assert not cn.expires_within(timedelta(days=60), datetime(2026, 11, 1, 23, 59, tzinfo=SH))
    assert cn.expires_within(timedelta(0), datetime(2027, 3, 1, tzinfo=SH))  # already ended
    assert not BusinessCalendar("UTC").expires_within(
        timedelta(days=999), datetime(2026, 1, 1, tzinfo=SH)
    )
    with pytest.raises(cf.InvalidInput, match="horizon"):
        cn.expires_within(timedelta(days=-1), datetime(2026, 11, 2, tzinfo=SH))
    with pytest.raises(cf.InvalidInput, match="now"):
        cn.expires_within(timedelta(days=1), datetime(2026, 11, 2))


class _Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, date]] = []

    @hookspecs.hookimpl
    def complaintflow_calendar_expiring(self, calendar: BusinessCalendar, data_ends: date) -> None:
        self.calls.append((calendar.version, data_ends))


class _Broken:
    @hookspecs.hookimpl
    def complaintflow_calendar_expiring(self, calendar: BusinessCalendar, data_ends: date) -> None:
        raise RuntimeError("boom")


def test_expiry_watch_calls_the_hook_once_per_version(
    cn: BusinessCalendar, caplog: pytest.LogCaptureFixture
) -> None:
    pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    pm.add_hookspecs(hookspecs)
    rec = _Recorder()
    pm.register(_Broken())  # called last (pluggy calls the latest first)
    pm.register(rec)
    watch = ExpiryWatch(pm.hook)
    early = datetime(2026, 6, 1, tzinfo=SH)
    late = datetime(2026, 12, 2, tzinfo=SH)
    with caplog.at_level(logging.WARNING, logger="complaintflow.sla"):
        assert not watch.check(cn, early)
        assert watch.check(cn, late)
        assert not watch.check(cn, late + timedelta(days=1))
    assert rec.calls == [(cn.version, date(2026, 12, 31))]
    assert any("2026-12-31" in m for m in caplog.messages)
    assert any("hook failed" in m for m in caplog.messages)
    ext = cn.extended(DATA / "cn-2027.toml")
    assert not watch.check(ext, late)
    assert expiry_message(ext, datetime(2027, 11, 30, tzinfo=SH)) is not None
    with pytest.raises(cf.InvalidInput, match="horizon"):
        ExpiryWatch(pm.hook, horizon=3)  # type: ignore[arg-type]


def test_cn_preset_reads_a_newer_chinese_calendar(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = types.ModuleType("chinese_calendar")

    def is_workday(d: date) -> bool:
        if d.year > 2027:
            raise NotImplementedError(d.year)
        return True

    fake.is_workday = is_workday  # type: ignore[attr-defined]
    fake.holidays = {date(2027, 1, 1): "New Year's Day", date(2026, 1, 1): "old"}  # type: ignore[attr-defined]
    fake.workdays = {date(2027, 2, 20): "Spring Festival"}  # type: ignore[attr-defined]
    fake.__version__ = "9.9"  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "chinese_calendar", fake)
    cal = BusinessCalendar.preset("CN")
    assert cal.data_ends == date(2027, 12, 31)
    assert not cal.is_working_day(date(2027, 1, 1))
    assert cal.is_working_day(date(2027, 2, 20))
    assert cal.source is not None
    assert "chinese-calendar 9.9" in cal.source
    monkeypatch.setitem(sys.modules, "chinese_calendar", None)
    assert BusinessCalendar.preset("CN").data_ends == date(2026, 12, 31)


# -- the command line ---------------------------------------------------------


def test_cli_show_check_import(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["calendar", "show", "--year", "2027", "--data", str(DATA / "cn-2027.toml")]) == 0
    out = capsys.readouterr().out
    assert "data covers 2020-01-01 to 2027-12-31" in out
    assert "2027-01-31 Sun  makeup working day  Spring Festival" in out
    assert "2026-" not in out.split("source:")[1]
    assert main(["calendar", "show", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["valid_until"] == "2026-12-31"
    assert data["name"] == "CN"

    assert main(["calendar", "check", "--now", "2026-12-02"]) == 0
    out = capsys.readouterr().out
    assert "WARNING: calendar CN" in out
    assert "ends on 2026-12-31" in out
    assert main(["calendar", "check", str(DATA / "cn-2027.toml"), "--now", "2026-12-02"]) == 0
    out = capsys.readouterr().out
    assert "cn-2027.toml: ok, 11 days added" in out  # 9 holidays, 2 makeup days
    assert "not within 60 days" in out

    target = tmp_path / "cn-2027.json"
    assert main(["calendar", "import", str(DATA / "cn-2027.ics"), "-o", str(target)]) == 0
    assert "9 holidays, 2 makeup working days" in capsys.readouterr().out
    imported = BusinessCalendar.preset("CN").extended(target)
    assert imported.version == BusinessCalendar.preset("CN").extended(DATA / "cn-2027.toml").version
    assert main(["calendar", "import", str(DATA / "cn-2027.toml")]) == 0
    assert json.loads(capsys.readouterr().out)["version"] == "2027-test-1"


def test_cli_reports_bad_data(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"first_year": 2029, "last_year": 2029}', encoding="utf-8")
    assert main(["calendar", "check", str(bad)]) == 1
    assert "gap" in capsys.readouterr().err
    assert main(["calendar", "import", str(DATA / "cn-2027.ics"), "-o", "x.toml"]) == 1
    assert "--output" in capsys.readouterr().err
    assert main(["calendar", "check", "--now", "tomorrow"]) == 1
    assert "--now" in capsys.readouterr().err
