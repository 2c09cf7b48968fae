"""Each bad input gets a clear error naming the field, and changes nothing."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest

import complaintflow as cf
from complaintflow.testing import FakeClock
from flow_helpers import (
    COMPLAINANT,
    HANDLER,
    RESPONDENT,
    STRANGER,
    SYSTEM,
    T0,
    bring_to,
    cmd,
    do,
    new_complaint,
    snapshot,
)

NAIVE = datetime(2026, 1, 5, 12)  # no tzinfo


def fields_of(err: cf.InvalidInput) -> set[str]:
    return {p["field"] for p in err.errors}


@pytest.fixture
def unchanged(engine: cf.Engine) -> Iterator[Callable[[str], None]]:
    """Call with a complaint id before the bad command; checked at teardown."""
    taken: dict[str, tuple[Any, ...]] = {}
    yield lambda cid: taken.setdefault(cid, snapshot(engine, cid))
    for cid, snap in taken.items():
        assert snapshot(engine, cid) == snap, f"complaint {cid} changed"


def nothing_stored(engine: cf.Engine) -> bool:
    return engine.store.find() == [] and engine.store.notifications() == []


def test_error_hierarchy() -> None:
    for err in (
        cf.InvalidInput,
        cf.InvalidTransition,
        cf.GuardFailed,
        cf.PermissionDenied,
        cf.NotFound,
        cf.ConcurrencyError,
    ):
        assert issubclass(err, cf.ComplaintFlowError)
    assert issubclass(cf.InvalidInput, ValueError)
    assert issubclass(cf.NotFound, LookupError)


# -- naive datetimes ------------------------------------------------------------


def test_naive_received_at_in_a_new_complaint(engine: cf.Engine) -> None:
    with pytest.raises(cf.InvalidInput) as err:
        new_complaint(received_at=NAIVE)
    assert fields_of(err.value) == {"received_at"}
    assert "received_at" in str(err.value)
    data = new_complaint().model_dump()
    data["received_at"] = NAIVE
    with pytest.raises(cf.InvalidInput, match="received_at") as err:
        engine.submit(data, actor=COMPLAINANT)
    assert fields_of(err.value) == {"received_at"}
    assert nothing_stored(engine)


def test_naive_at(engine: cf.Engine, clock: FakeClock, unchanged: Any) -> None:
    c = bring_to(engine, clock, "received")
    unchanged(c.id)
    with pytest.raises(cf.InvalidInput, match="at") as err:
        engine.handle(c.id, cmd("acknowledge", HANDLER, at=NAIVE))
    assert fields_of(err.value) == {"at"}
    with pytest.raises(cf.InvalidInput, match="at") as err:
        cf.Acknowledge(actor=HANDLER, at=NAIVE)
    assert fields_of(err.value) == {"at"}


def test_naive_effective_at(engine: cf.Engine, clock: FakeClock, unchanged: Any) -> None:
    c = bring_to(engine, clock, "classified")
    unchanged(c.id)
    with pytest.raises(cf.InvalidInput, match="effective_at") as err:
        engine.handle(c.id, cmd("decide", HANDLER, effective_at=NAIVE))
    assert fields_of(err.value) == {"effective_at"}
    with pytest.raises(cf.InvalidInput, match="effective_at"):
        cf.Decide(actor=HANDLER, outcome="upheld", basis="Rule 1", effective_at=NAIVE)


def test_effective_at_before_the_decision(
    engine: cf.Engine, clock: FakeClock, unchanged: Any
) -> None:
    c = bring_to(engine, clock, "classified")
    unchanged(c.id)
    at = clock.advance(hours=1)
    with pytest.raises(cf.InvalidInput, match="effective_at") as err:
        engine.handle(c.id, cmd("decide", HANDLER, at=at, effective_at=at - timedelta(seconds=1)))
    assert fields_of(err.value) == {"effective_at"}


def test_a_naive_engine_clock_is_named(clock: FakeClock) -> None:
    engine = cf.Engine(clock=lambda: NAIVE, load_entry_points=False)
    with pytest.raises(cf.InvalidInput, match="clock"):
        engine.submit(new_complaint(), actor=COMPLAINANT)
    assert nothing_stored(engine)


def test_at_earlier_than_the_last_event(
    engine: cf.Engine, clock: FakeClock, unchanged: Any
) -> None:
    c = bring_to(engine, clock, "verifying")
    unchanged(c.id)
    with pytest.raises(cf.InvalidInput, match="before") as err:
        engine.handle(c.id, cmd("note", HANDLER, at=c.updated_at - timedelta(seconds=1)))
    assert fields_of(err.value) == {"at"}


# -- categories and steps ----------------------------------------------------------


def test_unknown_category_at_submit(engine: cf.Engine) -> None:
    with pytest.raises(cf.InvalidInput, match="category") as err:
        engine.submit(new_complaint("groceries"), actor=COMPLAINANT)
    assert fields_of(err.value) == {"category"}
    assert "groceries" in str(err.value)
    assert nothing_stored(engine)


def test_unknown_category_at_classify(engine: cf.Engine, clock: FakeClock, unchanged: Any) -> None:
    c = bring_to(engine, clock, "verifying")
    unchanged(c.id)
    with pytest.raises(cf.InvalidInput, match="category") as err:
        engine.handle(c.id, cmd("classify", HANDLER, category="groceries"))
    assert fields_of(err.value) == {"category"}
    assert "groceries" in str(err.value)


def test_unknown_step(engine: cf.Engine, clock: FakeClock, unchanged: Any) -> None:
    c = bring_to(engine, clock, "classified", category="violation")
    unchanged(c.id)
    # contact_complainant is a step of goods, not of violation
    with pytest.raises((cf.GuardFailed, cf.InvalidInput)) as err:
        engine.handle(c.id, cmd("record_step", HANDLER, step="contact_complainant"))
    assert "step" in str(err.value)
    assert "contact_complainant" in str(err.value)


def test_decide_before_the_required_steps(
    engine: cf.Engine, clock: FakeClock, unchanged: Any
) -> None:
    c = bring_to(engine, clock, "verifying", category="transaction_dispute")
    c = do(engine, clock, c.id, "classify")
    unchanged(c.id)
    with pytest.raises(cf.GuardFailed) as err:
        engine.handle(c.id, cmd("decide", HANDLER))
    assert "contact_both_parties" in str(err.value)
    assert "investigate" in str(err.value)


def test_decide_names_only_the_steps_still_missing(engine: cf.Engine, clock: FakeClock) -> None:
    c = bring_to(engine, clock, "verifying", category="violation")
    c = do(engine, clock, c.id, "classify")
    do(engine, clock, c.id, "record_step", step="investigate")
    snap = snapshot(engine, c.id)
    with pytest.raises(cf.GuardFailed, match="contact_respondent") as err:
        engine.handle(c.id, cmd("decide", HANDLER))
    assert "investigate" not in str(err.value)
    assert snapshot(engine, c.id) == snap


class RiskCategory:
    """A plugin category whose step must record a value from a closed set."""

    @cf.hookimpl
    def complaintflow_register_categories(self, register: Any) -> None:
        register(
            cf.Category(
                id="security",
                name="Network security",
                steps=(
                    cf.Step(
                        id="assess_risk",
                        name="Assess the risk level",
                        fields={"risk_level": ("low", "medium", "high", "critical")},
                    ),
                ),
                required_steps=frozenset({"assess_risk"}),
            )
        )


@pytest.mark.parametrize("data", [{}, {"risk_level": "apocalyptic"}], ids=["missing", "bad"])
def test_step_data_outside_its_choices(clock: FakeClock, data: dict[str, str]) -> None:
    engine = cf.Engine(clock=clock, plugins=[RiskCategory()], load_entry_points=False)
    c = bring_to(engine, clock, "verifying", category="security")
    snap = snapshot(engine, c.id)
    with pytest.raises((cf.GuardFailed, cf.InvalidInput), match="risk_level"):
        engine.handle(c.id, cmd("record_step", HANDLER, step="assess_risk", data=data))
    assert snapshot(engine, c.id) == snap
    c = do(engine, clock, c.id, "record_step", step="assess_risk", data={"risk_level": "high"})
    assert c.step_data == {"assess_risk": {"risk_level": "high"}}


# -- text, missing and wrong-typed fields ---------------------------------------------


@pytest.mark.parametrize("basis", ["", "   ", "\n\t"])
def test_empty_or_blank_basis(
    engine: cf.Engine, clock: FakeClock, unchanged: Any, basis: str
) -> None:
    c = bring_to(engine, clock, "classified")
    unchanged(c.id)
    with pytest.raises(cf.InvalidInput, match="basis") as err:
        engine.handle(c.id, cmd("decide", HANDLER, basis=basis))
    assert fields_of(err.value) == {"basis"}
    with pytest.raises(cf.InvalidInput, match="basis"):
        cf.Decide(actor=HANDLER, outcome="upheld", basis=basis)


@pytest.mark.parametrize(
    ("kind", "field"),
    [
        ("reject", "statement"),
        ("withdraw", "reason"),
        ("request_info", "question"),
        ("provide_info", "info"),
        ("note", "text"),
    ],
)
def test_blank_statement_of_reasons(
    engine: cf.Engine, clock: FakeClock, unchanged: Any, kind: str, field: str
) -> None:
    c = bring_to(engine, clock, "awaiting_info" if kind == "provide_info" else "received")
    unchanged(c.id)
    with pytest.raises(cf.InvalidInput) as err:
        engine.handle(c.id, cmd(kind, HANDLER, **{field: "  "}))
    assert fields_of(err.value) == {field}
    assert field in str(err.value)


@pytest.mark.parametrize(
    ("kind", "drop", "field"),
    [
        ("decide", "basis", "basis"),
        ("decide", "outcome", "outcome"),
        ("follow_up", "satisfied", "satisfied"),
        ("reject", "reason", "reason"),
        ("request_info", "party", "party"),
        ("record_step", "step", "step"),
        ("acknowledge", "actor", "actor"),
    ],
)
def test_dict_with_a_missing_field(
    engine: cf.Engine, clock: FakeClock, unchanged: Any, kind: str, drop: str, field: str
) -> None:
    c = bring_to(engine, clock, "received")
    unchanged(c.id)
    command = cmd(kind, HANDLER)
    del command[drop]
    with pytest.raises(cf.InvalidInput) as err:
        engine.handle(c.id, command)
    assert fields_of(err.value) == {field}
    assert str(err.value).startswith(f"{field}: ")


@pytest.mark.parametrize(
    ("kind", "override", "field"),
    [
        ("follow_up", {"satisfied": "maybe"}, "satisfied"),
        ("decide", {"outcome": "guilty"}, "outcome"),
        ("decide", {"basis": 42}, "basis"),
        ("reject", {"reason": "boring"}, "reason"),
        ("request_info", {"party": "neighbour"}, "party"),
        ("acknowledge", {"at": "yesterday"}, "at"),
        ("acknowledge", {"actor": {"roles": ["handler"]}}, "actor.id"),
        ("acknowledge", {"actor": {"id": "h-1", "roles": "handler"}}, "actor.roles"),
        ("acknowledge", {"actor": "h-1"}, "actor"),
        ("record_step", {"data": {"k": 1}}, "data.k"),
    ],
)
def test_dict_with_a_wrong_typed_field(
    engine: cf.Engine,
    clock: FakeClock,
    unchanged: Any,
    kind: str,
    override: dict[str, Any],
    field: str,
) -> None:
    c = bring_to(engine, clock, "received")
    unchanged(c.id)
    command = cmd(kind, HANDLER)
    command.update(override)
    with pytest.raises(cf.InvalidInput) as err:
        engine.handle(c.id, command)
    assert field in fields_of(err.value)
    assert f"{field}: " in str(err.value)


@pytest.mark.parametrize("kind", [None, "frobnicate", 7])
def test_unknown_or_missing_command_type(
    engine: cf.Engine, clock: FakeClock, unchanged: Any, kind: object
) -> None:
    c = bring_to(engine, clock, "received")
    unchanged(c.id)
    command: dict[str, Any] = {"actor": HANDLER}
    if kind is not None:
        command["type"] = kind
    with pytest.raises(cf.InvalidInput, match="type") as err:
        engine.handle(c.id, command)
    assert fields_of(err.value) == {"type"}
    assert "acknowledge" in str(err.value)  # the known types are listed


@pytest.mark.parametrize("command", ["acknowledge", 42, cf.Party(id="p")], ids=type)
def test_not_a_command(
    engine: cf.Engine, clock: FakeClock, unchanged: Any, command: object
) -> None:
    c = bring_to(engine, clock, "received")
    unchanged(c.id)
    with pytest.raises(cf.InvalidInput, match="command") as err:
        engine.handle(c.id, command)  # type: ignore[arg-type]
    assert fields_of(err.value) == {"command"}


def test_unknown_extra_keys(engine: cf.Engine, clock: FakeClock, unchanged: Any) -> None:
    c = bring_to(engine, clock, "received")
    unchanged(c.id)
    with pytest.raises(cf.InvalidInput, match="colour") as err:
        engine.handle(c.id, cmd("acknowledge", HANDLER, colour="red"))
    assert fields_of(err.value) == {"colour"}
    with pytest.raises(cf.InvalidInput, match="colour"):
        cf.Acknowledge(actor=HANDLER, colour="red")  # type: ignore[call-arg]
    data = new_complaint().model_dump()
    data["colour"] = "red"
    with pytest.raises(cf.InvalidInput, match="colour"):
        engine.submit(data, actor=COMPLAINANT)
    assert len(engine.store.find()) == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"complainant": None}, "complainant"),
        ({"subject": "  "}, "subject"),
        ({"channel": ""}, "channel"),
        ({"complainant": {"id": "u-1", "nickname": "x"}}, "complainant.nickname"),
    ],
)
def test_bad_new_complaint_dict(engine: cf.Engine, change: dict[str, Any], field: str) -> None:
    data = new_complaint().model_dump()
    data.update(change)
    if change.get("complainant", 1) is None:
        del data["complainant"]
    with pytest.raises(cf.InvalidInput) as err:
        engine.submit(data, actor=COMPLAINANT)
    assert fields_of(err.value) == {field}
    assert nothing_stored(engine)


def test_bad_submit_arguments(engine: cf.Engine) -> None:
    with pytest.raises(cf.InvalidInput, match="complaint"):
        engine.submit("a complaint", actor=COMPLAINANT)  # type: ignore[arg-type]
    with pytest.raises(cf.InvalidInput, match=r"actor\.id"):
        engine.submit(new_complaint(), actor={"roles": ["complainant"]})  # type: ignore[arg-type]
    with pytest.raises(cf.InvalidInput, match="actor"):
        engine.submit(new_complaint(), actor="u-1")  # type: ignore[arg-type]
    assert nothing_stored(engine)
    c = engine.submit(new_complaint(), actor={"id": "u-1", "roles": ["complainant"]})  # type: ignore[arg-type]
    assert c.status == "received"


# -- permissions ---------------------------------------------------------------------


def test_withdrawing_another_users_complaint(
    engine: cf.Engine, clock: FakeClock, unchanged: Any
) -> None:
    c = bring_to(engine, clock, "verifying")
    unchanged(c.id)
    with pytest.raises(cf.PermissionDenied, match=STRANGER.id):
        engine.handle(c.id, cmd("withdraw", STRANGER))
    # the same id without the complainant role is not the complainant either
    with pytest.raises(cf.PermissionDenied):
        engine.handle(c.id, cmd("withdraw", cf.Actor(id=COMPLAINANT.id)))
    assert "withdraw" not in engine.allowed(c.id, actor=STRANGER)


def test_submitting_for_someone_else(engine: cf.Engine) -> None:
    with pytest.raises(cf.PermissionDenied):
        engine.submit(new_complaint(), actor=STRANGER)
    with pytest.raises(cf.PermissionDenied):
        engine.submit(new_complaint(), actor=RESPONDENT)
    assert nothing_stored(engine)


@pytest.mark.parametrize("actor", [RESPONDENT, COMPLAINANT, STRANGER], ids=lambda a: a.id)
def test_parties_may_not_decide(
    engine: cf.Engine, clock: FakeClock, unchanged: Any, actor: cf.Actor
) -> None:
    c = bring_to(engine, clock, "classified")
    unchanged(c.id)
    with pytest.raises(cf.PermissionDenied, match="decide"):
        engine.handle(c.id, cmd("decide", actor))
    assert "decide" in engine.allowed(c.id, actor=HANDLER)
    assert engine.allowed(c.id, actor=actor) == (["withdraw"] if actor is COMPLAINANT else [])


def test_respondent_answers_only_when_asked(
    engine: cf.Engine, clock: FakeClock, unchanged: Any
) -> None:
    c = bring_to(engine, clock, "awaiting_info")  # the complainant was asked
    unchanged(c.id)
    assert engine.allowed(c.id, actor=RESPONDENT) == []
    with pytest.raises(cf.PermissionDenied, match="complainant"):
        engine.handle(c.id, cmd("provide_info", RESPONDENT))


def test_respondent_of_another_complaint(engine: cf.Engine, clock: FakeClock) -> None:
    other = cf.Actor(id="shop-1", roles=frozenset({"respondent"}))
    c = bring_to(engine, clock, "verifying")
    do(engine, clock, c.id, "request_info", party="respondent")
    snap = snapshot(engine, c.id)
    with pytest.raises(cf.PermissionDenied):
        engine.handle(c.id, cmd("provide_info", other))
    assert snapshot(engine, c.id) == snap


# -- lookups and references ----------------------------------------------------------


def test_not_found(engine: cf.Engine) -> None:
    for call in (
        lambda: engine.get("nope"),
        lambda: engine.history("nope"),
        lambda: engine.handle("nope", cmd("acknowledge", HANDLER)),
        lambda: engine.view("nope", actor=HANDLER),
        lambda: engine.allowed("nope", actor=HANDLER),
        lambda: engine.get(42),  # type: ignore[arg-type]
    ):
        with pytest.raises(cf.NotFound):
            call()
    assert nothing_stored(engine)


@pytest.mark.parametrize("target", ["nowhere", "self"])
def test_reject_as_duplicate_of_nothing(
    engine: cf.Engine, clock: FakeClock, unchanged: Any, target: str
) -> None:
    c = bring_to(engine, clock, "received")
    unchanged(c.id)
    dup = c.id if target == "self" else "nowhere"
    with pytest.raises(cf.InvalidInput, match="duplicate_of") as err:
        engine.handle(c.id, cmd("reject", HANDLER, reason="duplicate", duplicate_of=dup))
    assert fields_of(err.value) == {"duplicate_of"}


def test_replay_needs_events_from_the_submit(engine: cf.Engine, clock: FakeClock) -> None:
    with pytest.raises(cf.InvalidInput, match="events"):
        engine.replay([])
    c = bring_to(engine, clock, "verifying")
    with pytest.raises(cf.InvalidInput, match="submit"):
        engine.replay(engine.history(c.id)[1:])


def test_the_same_id_twice(engine: cf.Engine) -> None:
    engine.submit(new_complaint(id="c-1"), actor=COMPLAINANT)
    before = snapshot(engine, "c-1")
    with pytest.raises(cf.ConcurrencyError):
        engine.submit(new_complaint(id="c-1", subject="Another"), actor=SYSTEM)
    assert snapshot(engine, "c-1") == before


def test_received_at_is_kept(engine: cf.Engine) -> None:
    # staff record an intake (a phone call) a day later: received_at is kept
    c = engine.submit(new_complaint(received_at=T0 - timedelta(days=1)), actor=HANDLER)
    assert c.received_at == c.updated_at == T0 - timedelta(days=1)
    assert engine.history(c.id)[0].time_basis == "intake"


def test_request_info_from_a_missing_respondent_is_refused() -> None:
    engine = cf.Engine(load_entry_points=False)
    c = engine.submit(
        cf.NewComplaint(
            channel="web", category="service", complainant=cf.Party(id="u-1"), subject="s"
        ),
        actor=cf.Actor.system(),
    )
    with pytest.raises(cf.GuardFailed, match="no respondent"):
        engine.handle(
            c.id, cf.RequestInfo(actor=cf.Actor.system(), party="respondent", question="?")
        )
    assert engine.get(c.id).version == 1
    assert len(engine.history(c.id)) == 1
