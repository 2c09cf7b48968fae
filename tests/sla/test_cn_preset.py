"""The bundled CN preset: its data file, and every covered day checked against two
independent sources (``chinese_calendar`` and ``holidays``) and by hand."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, datetime, timedelta
from importlib import resources
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from complaintflow.sla import BusinessCalendar, working_days

SH = ZoneInfo("Asia/Shanghai")
ROOT = Path(__file__).resolve().parents[2]
_CN = BusinessCalendar.preset("CN")


@pytest.fixture(scope="module")
def cn() -> BusinessCalendar:
    return BusinessCalendar.preset("CN")


def _data() -> dict[str, object]:
    text = resources.files("complaintflow.sla").joinpath("data", "cn.json").read_text("utf-8")
    data: dict[str, object] = json.loads(text)
    return data


def _days(cal: BusinessCalendar) -> list[date]:
    assert cal.valid_from is not None
    assert cal.valid_until is not None
    n = (cal.valid_until - cal.valid_from).days + 1
    return [cal.valid_from + timedelta(days=i) for i in range(n)]


def test_data_file_is_package_data_and_deterministic() -> None:
    data = _data()
    assert data["country"] == "CN"
    assert str(data["source"]).startswith("chinese-calendar ")
    assert data["first_year"] == 2020
    assert isinstance(data["last_year"], int)
    assert data["last_year"] >= 2025
    for key in ("holidays", "workdays"):
        days = data[key]
        assert isinstance(days, dict)
        assert list(days) == sorted(days)
    workdays = data["workdays"]
    assert isinstance(workdays, dict)
    # every makeup working day is a weekend day
    assert all(date.fromisoformat(d).weekday() >= 5 for d in workdays)


def test_preset_range(cn: BusinessCalendar) -> None:
    data = _data()
    assert cn.valid_from == date(2020, 1, 1)
    assert cn.valid_until == date(int(data["last_year"]), 12, 31)  # type: ignore[call-overload]
    assert cn.tz == SH
    assert cn.weekmask == "1111100"


def test_generator_output_is_up_to_date() -> None:
    pytest.importorskip("chinese_calendar", reason="chinese-calendar is not installed")
    script = ROOT / "scripts" / "gen_cn_calendar.py"
    run = subprocess.run(
        [sys.executable, str(script), "--check"], capture_output=True, text=True, check=False
    )
    assert run.returncode == 0, run.stdout + run.stderr


def test_every_day_agrees_with_chinese_calendar(cn: BusinessCalendar) -> None:
    chinese_calendar = pytest.importorskip(
        "chinese_calendar", reason="chinese-calendar is not installed"
    )
    wrong = [d for d in _days(cn) if cn.is_working_day(d) != chinese_calendar.is_workday(d)]
    assert wrong == []


def test_every_day_agrees_with_holidays_package(cn: BusinessCalendar) -> None:
    holidays = pytest.importorskip("holidays", reason="the holidays package is not installed")
    assert cn.valid_from is not None
    assert cn.valid_until is not None
    years = range(cn.valid_from.year, cn.valid_until.year + 1)
    china = holidays.country_holidays("CN", years=years)
    if not hasattr(china, "weekend_workdays"):  # pragma: no cover - older holidays releases
        # without makeup working days only the holidays themselves can be compared
        assert all(not cn.is_working_day(d) for d in china if d.year in years)
        pytest.skip("this holidays release has no makeup working days (weekend_workdays)")
    wrong = [d for d in _days(cn) if cn.is_working_day(d) != china.is_working_day(d)]
    assert wrong == []


@pytest.mark.parametrize(
    ("day", "working"),
    [
        # 2024 Spring Festival: Feb 10-17 off; Sun Feb 4 and Sun Feb 18 are working days
        *[(date(2024, 2, d), False) for d in range(10, 18)],
        (date(2024, 2, 4), True),
        (date(2024, 2, 18), True),
        (date(2024, 2, 9), True),  # 除夕, officially a working day in 2024
        (date(2024, 2, 3), False),  # an ordinary Saturday
        # 2025 National Day: Oct 1-8 off; Sun Sep 28 and Sat Oct 11 are working days
        *[(date(2025, 10, d), False) for d in range(1, 9)],
        (date(2025, 9, 28), True),
        (date(2025, 10, 11), True),
        (date(2025, 10, 9), True),
        (date(2025, 10, 12), False),
    ],
)
def test_hand_checked_days(cn: BusinessCalendar, day: date, working: bool) -> None:
    assert cn.is_working_day(day) is working


@given(
    day=st.dates(min_value=date(2020, 1, 1), max_value=date(2025, 12, 1)),
    n=st.integers(min_value=0, max_value=25),
    hour=st.integers(min_value=0, max_value=23),
)
def test_working_days_agree_with_chinese_calendar(day: date, n: int, hour: int) -> None:
    chinese_calendar = pytest.importorskip(
        "chinese_calendar", reason="chinese-calendar is not installed"
    )
    # day by day with chinese_calendar: the n-th working day after `day`, then its midnight
    d, left = day, n
    while left:
        d += timedelta(days=1)
        left -= chinese_calendar.is_workday(d)
    if n == 0:
        d = day
    expected = datetime.combine(d + timedelta(days=1), datetime.min.time(), tzinfo=SH)
    start = datetime.combine(day, datetime.min.time(), tzinfo=SH) + timedelta(hours=hour)
    assert _CN.add(start, working_days(n)) == expected
