"""The conformance kit: the library checks its own calendars, policies,
categories, notifier path and stores with it (so the kit cannot rot), and
each check catches a planted defect with a readable counterexample."""

from __future__ import annotations

import contextlib
import os
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import settings
from hypothesis.stateful import run_state_machine_as_test

import complaintflow as cf
from complaintflow._builtins import BuiltinCategories
from complaintflow.categories import BUILTIN_CATEGORIES
from complaintflow.sla._durations import Duration
from complaintflow.stores import SQLiteStore
from complaintflow.testing import (
    CategoryContract,
    ConformanceError,
    FakeClock,
    NotifierContract,
    WorkflowMachine,
    check_category_plugin,
    check_notifier,
    verify_calendar,
    verify_policy,
)

QUICK = int(os.environ.get("KIT_EXAMPLES", "60"))


# -- dogfooding: the library's own objects pass ----------------------------------------


@pytest.fixture(scope="module")
def cn() -> cf.BusinessCalendar:
    return cf.BusinessCalendar.preset("CN")


@pytest.mark.parametrize(
    "calendar",
    [
        pytest.param(lambda: cf.BusinessCalendar.preset("CN"), id="preset-CN"),
        pytest.param(lambda: cf.BusinessCalendar("UTC"), id="engine-default-UTC"),
        pytest.param(
            lambda: cf.BusinessCalendar(
                "Europe/London",
                business_hours={0: [(time(9), time(12)), (time(13), time(17, 30))]},
                weekmask="1111110",
            ),
            id="London-split-hours",
        ),
        pytest.param(
            lambda: cf.BusinessCalendar.from_holidays("GB", years=range(2020, 2027)),
            id="holidays-GB",
        ),
        pytest.param(lambda: cf.SlaPolicy.pack_calendar("samr"), id="pack-samr"),
    ],
)
def test_built_in_calendars_pass_verify_calendar(calendar: Any) -> None:
    verify_calendar(calendar(), max_examples=QUICK)


def test_the_cn_preset_extended_by_a_year_keeps_every_2025_deadline(
    cn: cf.BusinessCalendar,
) -> None:
    # the preset as shipped a year earlier: the same data, cut at 2025-12-31
    old = cf.BusinessCalendar.preset("CN", valid_until=date(2025, 12, 31))
    verify_calendar(old, extended=cn, max_examples=QUICK)


@pytest.mark.parametrize("name", ["guide", "samr", "fca", "cfpb"])
def test_policy_packs_pass_verify_policy_on_their_calendars(name: str) -> None:
    calendar = cf.SlaPolicy.pack_calendar(name, years=range(2020, 2027))
    verify_policy(cf.SlaPolicy.pack(name), calendar, max_examples=QUICK)


def test_guide_policy_passes_on_the_cn_preset(cn: cf.BusinessCalendar) -> None:
    verify_policy(cf.GUIDE_POLICY, cn, max_examples=QUICK)


class TestBuiltinCategories(CategoryContract):
    plugin = BuiltinCategories()
    calendar = cf.BusinessCalendar.preset("CN")


def test_the_category_contract_returns_the_five_guide_categories() -> None:
    cats = check_category_plugin(BuiltinCategories())
    # guide §1.1: five categories
    assert [c.id for c in cats] == [
        "service",
        "goods",
        "after_sales",
        "transaction_dispute",
        "violation",
    ]


class SmsGateway:
    """A well-behaved notifier: its transport fails the first ``failures``
    sends of each notification; it drops keys it has already sent."""

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.tries: Counter[str] = Counter()
        self.sent: list[str] = []

    @cf.hookimpl
    def complaintflow_notify(self, notification: cf.Notification) -> None:
        key = notification.idempotency_key
        if key in self.sent:
            return
        self.tries[key] += 1
        if self.tries[key] <= self.failures:
            raise ConnectionError(f"gateway down (try {self.tries[key]})")
        self.sent.append(key)


class TestEngineNotifierPath(NotifierContract):
    """The engine's outbox, retries and leases with a notifier that keeps
    its side of the contract."""

    def make_notifier(self, failures: int) -> SmsGateway:
        return SmsGateway(failures)

    def delivered(self, notifier: SmsGateway) -> list[str]:
        return notifier.sent


class TestNotifierContractOnEveryCategory:
    @pytest.mark.parametrize("category", BUILTIN_CATEGORIES, ids=lambda c: c.id)
    def test_each_category_lifecycle(self, category: cf.Category) -> None:
        check_notifier(SmsGateway, lambda n: n.sent, category=category)


class MemoryWorkflow(WorkflowMachine):
    pass


MemoryWorkflow.TestCase.settings = settings(
    max_examples=QUICK // 3, stateful_step_count=30, deadline=None
)
TestMemoryWorkflow = MemoryWorkflow.TestCase


def test_the_workflow_machine_on_the_sqlite_store(tmp_path: Path) -> None:
    paths = iter(tmp_path / f"db-{i}.sqlite3" for i in range(10_000))

    class SQLiteWorkflow(WorkflowMachine):
        def make_engine(self, clock: FakeClock) -> cf.Engine:
            return cf.Engine(clock=clock, store=SQLiteStore(next(paths)), load_entry_points=False)

    run_state_machine_as_test(
        SQLiteWorkflow,
        settings=settings(max_examples=8, stateful_step_count=20, deadline=None),
    )


# -- planted defects -------------------------------------------------------------------


class LosesAMakeupDay:
    """A host's calendar adapter that rebuilt the CN preset from its own feed
    and lost the 调休 day 2026-01-04 (a Sunday worked for New Year), while
    still reporting the preset's list of makeup days."""

    def __init__(self) -> None:
        full = cf.BusinessCalendar.preset("CN")
        self.workdays = full.workdays
        self._inner = cf.BusinessCalendar.preset("CN", workdays=full.workdays - {date(2026, 1, 4)})

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def test_verify_calendar_catches_a_dropped_makeup_day() -> None:
    cn = cf.BusinessCalendar.preset("CN")
    assert date(2026, 1, 4) in cn.workdays  # 2026 New Year 调休 (State Council notice)
    with pytest.raises(ConformanceError) as caught:
        verify_calendar(LosesAMakeupDay(), max_examples=QUICK)  # type: ignore[arg-type]
    e = caught.value
    assert isinstance(e, cf.ComplaintFlowError)
    assert isinstance(e, AssertionError)
    assert "调休" in e.property
    assert "2026-01-04 (Sunday)" in str(e)
    assert e.counterexample == {"day": "2026-01-04"}


class CountsPastAMakeupDay:
    """An adapter whose is_working_day is right but whose deadlines skip the
    makeup day 2026-02-28 (a Saturday worked before Spring Festival)."""

    def __init__(self) -> None:
        self._full = cf.BusinessCalendar.preset("CN")
        self._wrong = cf.BusinessCalendar.preset(
            "CN", workdays=self._full.workdays - {date(2026, 2, 28)}
        )

    def __getattr__(self, name: str) -> Any:
        return getattr(self._full, name)

    def add(self, start: datetime, duration: cf.Duration, pauses: Any = None) -> datetime:
        return self._wrong.add(start, duration, pauses)


def test_verify_calendar_catches_deadlines_that_skip_a_makeup_day() -> None:
    assert date(2026, 2, 28) in cf.BusinessCalendar.preset("CN").workdays
    with pytest.raises(ConformanceError) as caught:
        verify_calendar(CountsPastAMakeupDay(), max_examples=QUICK)  # type: ignore[arg-type]
    text = str(caught.value)
    assert "makeup working day (调休) counts in working-day deadlines" in text
    # from Fri 2026-02-27 12:00, one working day is Sat 02-28 (makeup): 24:00 of it
    assert "working_days(1) from 2026-02-27 12:00:00+08:00" in text
    assert "2026-02-28 (Saturday)" in text


class ForgetsPauses:
    """A calendar adapter that drops the pauses (a host's caching layer keyed
    on start and duration only)."""

    def __init__(self) -> None:
        self._inner = cf.BusinessCalendar("Asia/Shanghai")

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def add(self, start: datetime, duration: cf.Duration, pauses: Any = None) -> datetime:
        return self._inner.add(start, duration)


def test_verify_calendar_catches_pauses_that_are_not_counted() -> None:
    with pytest.raises(ConformanceError, match="pauses add exactly their working time") as caught:
        verify_calendar(ForgetsPauses(), max_examples=200)  # type: ignore[arg-type]
    assert caught.value.counterexample["pauses"] != "none"


def _negative(kind: str, amount: float) -> Duration:
    """A Duration with a negative amount, bypassing its validation (as a
    policy loaded by a host's own code without the library's checks could)."""
    bad = object.__new__(Duration)
    measure = timedelta(hours=amount) if kind.endswith("hours") else timedelta(days=amount)
    for name, value in {
        "kind": kind,
        "amount": amount,
        "_measure": measure,
        "_units": measure // timedelta(microseconds=1),
        "_whole_days": -1,
        "_wd_fast": 0,
    }.items():
        object.__setattr__(bad, name, value)
    return bad


def test_durations_refuse_a_negative_amount_at_construction() -> None:
    with pytest.raises(cf.InvalidInput, match="must not be negative"):
        cf.hours(-24)


def test_verify_policy_catches_a_negative_duration(cn: cf.BusinessCalendar) -> None:
    stricter = cf.SlaPolicy(
        [
            *(t for t in cf.GUIDE_POLICY if t.name != "execution"),
            cf.SlaTarget("execution", "decision_effective", "execute", _negative("hours", -24)),
        ],
        name="stricter",
    )
    with pytest.raises(ConformanceError) as caught:
        verify_policy(stricter, cn, max_examples=QUICK)
    e = caught.value
    assert e.subject == "policy 'stricter'"
    assert "target 'execution'" in e.property
    assert "never before its start" in e.property
    # -24 hours puts the deadline a day before the start, whatever the start
    assert "is 1 day, 0:00:00 before the start" in e.explanation
    assert e.counterexample["duration"] == "-24 hours"


def test_verify_policy_catches_business_hours_on_a_calendar_without_hours() -> None:
    policy = cf.SlaPolicy(
        [cf.SlaTarget("first_reply", "receipt", "acknowledge", cf.business_hours(8))], name="bh"
    )
    with pytest.raises(ConformanceError, match="needs a calendar with business hours"):
        verify_policy(policy, cf.BusinessCalendar("UTC"))


def test_verify_calendar_catches_an_extension_that_rewrites_old_data(
    cn: cf.BusinessCalendar,
) -> None:
    old = cf.BusinessCalendar.preset("CN", valid_until=date(2025, 12, 31))
    # a "later version" that also dropped a holiday inside the old data
    # (2025-10-08, the last day of the 2025 National Day holiday)
    assert date(2025, 10, 8) in cn.holidays
    rewritten = cf.BusinessCalendar.preset("CN", holidays=cn.holidays - {date(2025, 10, 8)})
    with pytest.raises(ConformanceError) as caught:
        verify_calendar(old, extended=rewritten, max_examples=QUICK)
    e = caught.value
    assert e.subject == "calendar extension"
    assert "never moves a deadline" in e.property
    # from Tue 10-07 12:00 one working day: 24:00 of Thu 10-09 with 10-08 a
    # holiday (old), 24:00 of Wed 10-08 without (the rewrite)
    assert "2025-10-08 (Wednesday) is not a working day in the old calendar" in e.explanation
    assert "ends 2025-10-10 00:00:00+08:00 (Asia/Shanghai) in the old" in e.explanation
    assert "2025-10-09 00:00:00+08:00 (Asia/Shanghai) in the extended" in e.explanation


class RollsBack(SmsGateway):
    """A notifier that, when its gateway fails, aborts the host's unit of
    work (an exception that is not an ``Exception``, as some frameworks use
    to roll a transaction back)."""

    class Rollback(BaseException):
        pass

    @cf.hookimpl
    def complaintflow_notify(self, notification: cf.Notification) -> None:
        try:
            super().complaintflow_notify(notification)
        except ConnectionError as e:
            raise self.Rollback(f"rolling back: {e}") from e


def test_the_notifier_contract_catches_a_notifier_that_rolls_back() -> None:
    with pytest.raises(ConformanceError) as caught:
        check_notifier(RollsBack, lambda n: n.sent)
    e = caught.value
    assert e.property == "a failing notifier never rolls back a command"
    # the first command that queues a notification: acknowledge (guide §5.1)
    assert e.counterexample == {"command": "acknowledge"}
    assert "raised Rollback: rolling back: gateway down (try 1)" in e.explanation


class SendsRepeats(SmsGateway):
    @cf.hookimpl
    def complaintflow_notify(self, notification: cf.Notification) -> None:
        self.sent.append(notification.idempotency_key)


def test_the_notifier_contract_catches_a_notifier_that_ignores_idempotency_keys() -> None:
    with pytest.raises(ConformanceError, match="at-least-once") as caught:
        check_notifier(SendsRepeats, lambda n: n.sent)
    assert "sent twice" in caught.value.explanation


class SwallowsFailures(SmsGateway):
    """Reports success when the gateway fails: the message is lost."""

    @cf.hookimpl
    def complaintflow_notify(self, notification: cf.Notification) -> None:
        with contextlib.suppress(ConnectionError):
            super().complaintflow_notify(notification)


def test_the_notifier_contract_catches_a_notifier_that_loses_failed_messages() -> None:
    with pytest.raises(ConformanceError, match="pending with its error"):
        check_notifier(SwallowsFailures, lambda n: n.sent)


def _category(**changes: Any) -> cf.Category:
    goods = next(c for c in BUILTIN_CATEGORIES if c.id == "goods")
    fields = {**dict(goods), "id": "marketplace", **changes}
    return cf.Category.model_construct(**fields)  # bypasses validation, as a plugin bug would


class OnePlugin:
    def __init__(self, category: cf.Category) -> None:
        self.category = category

    @cf.hookimpl
    def complaintflow_register_categories(self, register: Any) -> None:
        register(self.category)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"required_steps": frozenset({"refund"})}, "['refund'] are required but not among"),
        ({"name_zh": None}, "names are given in Chinese"),
        ({"name": "商品"}, "names are given in English"),
        ({"steps": ()}, "it has no steps"),
        ({"required_steps": frozenset()}, "required_steps is empty"),
        ({"sla_overrides": {"verify": cf.hours(12)}}, "'verify' is not a target"),
        ({"sla_overrides": {"verification": 12}}, "12 is not a Duration"),
        (
            {"sla_overrides": {"verification": _negative("hours", -1)}},
            "must not be negative",
        ),
    ],
)
def test_the_category_contract_catches_malformed_categories(
    changes: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConformanceError, match=message.replace("[", r"\[").replace("(", r"\(")):
        check_category_plugin(OnePlugin(_category(**changes)))


def test_the_category_contract_accepts_valid_overrides() -> None:
    fast = _category(sla_overrides={"verification": cf.hours(12)})
    assert check_category_plugin(OnePlugin(fast)) == [fast]


class LetsStrangersDecide:
    @cf.hookimpl
    def complaintflow_authorize(self, actor: cf.Actor, command: str, complaint: Any) -> Any:
        return True if command == "withdraw" else None


def test_the_workflow_machine_catches_an_unauthorised_success() -> None:
    class Leaky(WorkflowMachine):
        def make_engine(self, clock: FakeClock) -> cf.Engine:
            return cf.Engine(clock=clock, plugins=[LetsStrangersDecide()], load_entry_points=False)

    with pytest.raises(ConformanceError) as caught:
        run_state_machine_as_test(
            Leaky, settings=settings(max_examples=200, stateful_step_count=10, deadline=None)
        )
    e = caught.value
    assert e.property == "no unauthorised command succeeds"
    assert e.counterexample["command"] == "withdraw"
    # the complainant may withdraw their own complaint; the others may not
    assert e.counterexample["actor"] in {"wf-shop", "wf-stranger"}


def test_verify_functions_validate_their_arguments(cn: cf.BusinessCalendar) -> None:
    with pytest.raises(cf.InvalidInput, match="max_examples"):
        verify_calendar(cn, max_examples=0)
    with pytest.raises(cf.InvalidInput, match="calendar: must be a BusinessCalendar"):
        verify_calendar("CN")  # type: ignore[arg-type]
    with pytest.raises(cf.InvalidInput, match="policy"):
        verify_policy("guide", cn)  # type: ignore[arg-type]


def test_utc_conversion_of_a_counterexample_is_readable() -> None:
    # the counterexample names the zone and the second pass of a repeated hour
    from complaintflow.testing._verify import _when

    london = datetime(2025, 10, 26, 1, 30, tzinfo=ZoneInfo("Europe/London"))
    assert _when(london.replace(fold=1)) == "2025-10-26 01:30:00+00:00 (Europe/London, second pass)"
    assert _when(datetime(2026, 1, 1, tzinfo=UTC)) == "2026-01-01 00:00:00+00:00 (UTC)"
