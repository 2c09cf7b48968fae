"""Each command declared once: the specs, what is derived from them, the
``extend`` command added through one spec, structured errors, and notifier
hook wrappers."""

from __future__ import annotations

from collections.abc import Generator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import TypeAdapter

import complaintflow as cf
from complaintflow import states
from complaintflow.testing import FakeClock
from flow_helpers import (
    COMPLAINANT,
    HANDLER,
    SUPERVISOR,
    SYSTEM,
    TABLE,
    bring_to,
    do,
    make_engine,
    new_complaint,
    snapshot,
)

T = datetime(2026, 3, 9, 10, 0, tzinfo=UTC)  # a Monday


# -- derived from the specs --------------------------------------------------------


def test_every_command_model_has_exactly_one_spec() -> None:
    union = TypeAdapter(cf.Command).json_schema()
    in_union = set(union["discriminator"]["mapping"])
    assert set(cf.COMMAND_SPECS) == in_union == set(TABLE)
    for kind, spec in cf.COMMAND_SPECS.items():
        assert spec.type == kind
        assert spec.model.model_fields["type"].default == kind


def test_the_machine_is_built_from_the_specs() -> None:
    rows = {(r["trigger"], str(r["source"]), str(r["dest"])) for r in states.TRANSITIONS}
    for kind, spec in cf.COMMAND_SPECS.items():
        for s in spec.sources:
            assert kind in states.allowed_commands(s)
        assert any(r[0] == kind for r in rows)
    # and nothing else: every status allows exactly the specs naming it
    for status in cf.Status:
        expected = {k for k, spec in cf.COMMAND_SPECS.items() if status in spec.sources}
        assert states.allowed_commands(status) == expected


def test_payloads_are_typed_per_command(clock: FakeClock) -> None:
    engine = make_engine(clock)
    c = bring_to(engine, clock, "decided", category="goods")
    event = engine.history(c.id)[-1]
    payload = cf.COMMAND_SPECS["decide"].payload.model_validate(event.data)
    assert payload.outcome == "upheld"  # type: ignore[attr-defined]
    assert payload.effective_at == event.at  # type: ignore[attr-defined]
    with pytest.raises(ValueError, match="basis"):
        cf.COMMAND_SPECS["decide"].payload.model_validate({**event.data, "basis": None})


# -- extend: a supervisor extends one running target -----------------------------


def _executed(engine: cf.Engine, clock: FakeClock) -> cf.Complaint:
    """A goods complaint executed on Monday 2026-03-09 10:00 UTC."""
    clock.set(T - timedelta(hours=6))
    c = engine.submit(new_complaint("goods", received_at=T - timedelta(hours=6)), actor=SYSTEM)
    for kind, kw in (
        ("acknowledge", {}),
        ("record_step", {"step": "contact_complainant"}),
        ("record_step", {"step": "investigate"}),
        ("classify", {}),
        ("decide", {}),
    ):
        do(engine, clock, c.id, kind, HANDLER, **kw)
    clock.set(T)
    return engine.handle(c.id, {"type": "execute", "actor": HANDLER, "at": T})


def test_extend_moves_the_deadline_by_working_days(clock: FakeClock) -> None:
    engine = cf.Engine(clock=clock, calendar=cf.BusinessCalendar("UTC"), load_entry_points=False)
    c = _executed(engine, clock)
    # 7 working days after Monday 2026-03-09: Tue..Fri (4), Mon..Wed (3): 24:00 Wed 18th
    assert engine.sla(c.id)["follow_up"].deadline == datetime(2026, 3, 19, tzinfo=UTC)
    clock.advance(hours=1)
    c = engine.handle(
        c.id,
        cf.Extend(actor=SUPERVISOR, target="follow_up", amount=2, reason="Customs inspection"),
    )
    # two more working days: Thu 19th and Fri 20th -> 24:00 Fri 20th
    assert engine.sla(c.id)["follow_up"].deadline == datetime(2026, 3, 21, tzinfo=UTC)
    last = engine.history(c.id)[-1]
    assert (last.type, last.actor, last.to_status) == ("extend", SUPERVISOR.id, cf.Status.executed)
    assert last.data["reason"] == "Customs inspection"
    assert last.data["unit"] == "working_days"
    assert last.data["deadline_before"] == "2026-03-19T00:00:00+00:00"
    # the complainant is told
    kinds = [n.kind for n in engine.store.notifications(c.id)]  # type: ignore[attr-defined]
    assert "deadline_extended" in kinds
    # replaying the trail rebuilds the extended deadline
    assert engine.replay(engine.history(c.id)) == c


def test_extend_without_a_target_takes_the_first_deadline(clock: FakeClock) -> None:
    engine = make_engine(clock)
    clock.set(T)
    c = engine.submit(new_complaint("goods", received_at=T), actor=SYSTEM)
    clock.advance(hours=1)
    c = engine.handle(c.id, {"type": "extend", "actor": SUPERVISOR, "amount": 12, "reason": "x"})
    report = engine.sla(c.id)
    # preliminary verification (24 h) comes before verification (48 h)
    assert report["preliminary_verification"].deadline == T + timedelta(hours=36)
    assert report["verification"].deadline == T + timedelta(hours=48)


def test_extend_is_a_supervisors_command(clock: FakeClock) -> None:
    engine = make_engine(clock)
    c = _executed(engine, clock)
    before = snapshot(engine, c.id)
    with pytest.raises(cf.PermissionDenied) as err:
        engine.handle(c.id, cf.Extend(actor=HANDLER, amount=1, reason="please"))
    assert err.value.command == "extend"
    assert err.value.actor == HANDLER.id
    assert "supervisor" in err.value.role_needed
    assert "handler" not in err.value.role_needed
    with pytest.raises(cf.PermissionDenied):
        engine.handle(c.id, cf.Extend(actor=COMPLAINANT, amount=1, reason="please"))
    assert snapshot(engine, c.id) == before
    assert "extend" not in engine.allowed(c.id, actor=HANDLER)
    assert "extend" in engine.allowed(c.id, actor=SUPERVISOR)


@pytest.mark.parametrize(
    ("payload", "error", "code"),
    [
        ({"target": "decision_notice"}, cf.GuardFailed, "target_not_running"),
        ({"target": "no_such_target"}, cf.GuardFailed, "target_not_running"),
        ({"unit": "hours"}, cf.GuardFailed, "unit_mismatch"),
        ({"amount": 0}, cf.InvalidInput, None),
        ({"amount": float("inf")}, cf.InvalidInput, None),
        ({"reason": "  "}, cf.InvalidInput, None),
    ],
)
def test_a_bad_extension_changes_nothing(
    clock: FakeClock, payload: dict[str, Any], error: type[Exception], code: str | None
) -> None:
    engine = make_engine(clock)
    c = _executed(engine, clock)
    before = snapshot(engine, c.id)
    command = {"type": "extend", "actor": SUPERVISOR, "amount": 1, "reason": "r", **payload}
    with pytest.raises(error) as err:
        engine.handle(c.id, command)
    if code is not None:
        assert isinstance(err.value, cf.GuardFailed)
        assert (err.value.command, err.value.reason) == ("extend", code)
    assert snapshot(engine, c.id) == before


def test_extend_is_refused_once_closed(clock: FakeClock) -> None:
    engine = make_engine(clock)
    c = bring_to(engine, clock, "closed")
    with pytest.raises(cf.InvalidTransition) as err:
        engine.handle(c.id, cf.Extend(actor=SUPERVISOR, amount=1, reason="r"))
    assert (err.value.command, err.value.status) == ("extend", "closed")


def test_the_cli_replay_takes_what_the_specs_say() -> None:
    from complaintflow._cli_sla import EVENT_TYPES

    assert "extend" not in EVENT_TYPES  # no example: the replay does not take it
    assert set(EVENT_TYPES) == {k for k, s in cf.COMMAND_SPECS.items() if s.example}


# -- structured errors ---------------------------------------------------------------


def test_errors_carry_structured_fields(clock: FakeClock) -> None:
    engine = make_engine(clock)
    c = engine.submit(new_complaint("goods"), actor=SYSTEM)
    do(engine, clock, c.id, "acknowledge", HANDLER)
    do(engine, clock, c.id, "classify", HANDLER)
    with pytest.raises(cf.GuardFailed) as guard:
        do(engine, clock, c.id, "decide", HANDLER)
    assert (guard.value.command, guard.value.reason) == ("decide", "missing_steps")
    with pytest.raises(cf.InvalidTransition) as wrong:
        do(engine, clock, c.id, "acknowledge", HANDLER)
    assert (wrong.value.command, wrong.value.status) == ("acknowledge", "classified")
    with pytest.raises(cf.PermissionDenied) as denied:
        do(engine, clock, c.id, "note", COMPLAINANT)
    assert (denied.value.command, denied.value.actor) == ("note", COMPLAINANT.id)
    assert denied.value.role_needed == {"handler", "supervisor"}


# -- notifier hook wrappers ------------------------------------------------------------


class Wrapper:
    def __init__(self) -> None:
        self.seen: list[str] = []
        self.outcomes: list[str] = []

    @cf.hookimpl(wrapper=True)
    def complaintflow_notify(self, notification: cf.Notification) -> Generator[None, None, None]:
        self.seen.append(notification.id)
        try:
            result = yield
        except Exception as e:
            self.outcomes.append(f"failed: {e}")
            raise
        self.outcomes.append("ok")
        return result


class Sender:
    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.sent: list[str] = []

    @cf.hookimpl
    def complaintflow_notify(self, notification: cf.Notification) -> None:
        if self.fail:
            raise RuntimeError("smtp down")
        self.sent.append(notification.id)


def test_a_wrapper_notifier_runs_alone(clock: FakeClock) -> None:
    wrapper = Wrapper()
    engine = make_engine(clock, plugins=(wrapper,))
    c = engine.submit(new_complaint(), actor=SYSTEM)
    do(engine, clock, c.id, "acknowledge", HANDLER)
    assert wrapper.seen == [f"{c.id}:2:acknowledgement:complainant"]
    assert wrapper.outcomes == ["ok"]
    assert engine.store.pending_notifications() == []  # type: ignore[attr-defined]


def test_a_wrapper_sees_each_notifiers_delivery_and_failure(clock: FakeClock) -> None:
    wrapper, good, bad = Wrapper(), Sender(), Sender(fail=True)
    engine = make_engine(clock, plugins=(good, bad, wrapper))
    c = engine.submit(new_complaint(), actor=SYSTEM)
    do(engine, clock, c.id, "acknowledge", HANDLER)
    note = f"{c.id}:2:acknowledgement:complainant"
    # the failing notifier does not starve the good one; the wrapper wraps both
    assert good.sent == [note]
    assert sorted(wrapper.outcomes) == ["failed: smtp down", "ok"]
    assert wrapper.seen == [note, note]
    pending = engine.store.pending_notifications()  # type: ignore[attr-defined]
    assert [n.id for n in pending] == [note]
