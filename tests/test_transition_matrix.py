"""Every (status x command type) pair against the DESIGN.md transition table.

The table below is written out from DESIGN.md, not imported from the library."""

from __future__ import annotations

import pytest

import complaintflow as cf
from complaintflow.testing import FakeClock
from flow_helpers import (
    CATEGORIES,
    COMMAND_TYPES,
    GUIDE_REQUIRED,
    OPEN,
    PRIOR,
    SAME,
    STATUSES,
    SYSTEM,
    TABLE,
    bring_to,
    check_trail,
    cmd,
    do,
    snapshot,
)

ALLOWED: dict[str, frozenset[str]] = {
    s: frozenset(k for k, (sources, _) in TABLE.items() if s in sources) for s in STATUSES
}

# (status, origin of the information request, how the status was reached)
SCENARIOS: list[tuple[str, str | None]] = [
    *[(s, None) for s in STATUSES if s != "awaiting_info"],
    *[("awaiting_info", o) for o in ("received", "verifying", "classified", "decided", "executed")],
]


def scenario_id(s: tuple[str, str | None]) -> str:
    return s[0] if s[1] is None else f"{s[0]}<-{s[1]}"


def test_the_table_covers_every_command_and_status() -> None:
    assert set(TABLE) == set(COMMAND_TYPES)
    assert len(COMMAND_TYPES) == 15
    assert set(cf.COMMAND_SPECS) == set(COMMAND_TYPES)
    assert {s.value for s in cf.Status} == set(STATUSES)
    assert {s.value for s in cf.OPEN_STATUSES} == OPEN
    assert {s.value for s in cf.TERMINAL_STATUSES} == {"rejected", "withdrawn"}
    assert ALLOWED["rejected"] == ALLOWED["withdrawn"] == frozenset()
    assert ALLOWED["closed"] == {"reopen"}


def expected_dest(kind: str, status: str, origin: str | None) -> str:
    dest = TABLE[kind][1]
    if dest == SAME:
        return status
    if dest == PRIOR:
        assert origin is not None
        return origin
    return dest


@pytest.mark.parametrize("scenario", SCENARIOS, ids=scenario_id)
@pytest.mark.parametrize("kind", COMMAND_TYPES)
def test_command_in_status(
    engine: cf.Engine, clock: FakeClock, scenario: tuple[str, str | None], kind: str
) -> None:
    status, origin = scenario
    # spread the categories over the matrix
    category = CATEGORIES[(COMMAND_TYPES.index(kind) + STATUSES.index(status)) % 5]
    c = bring_to(engine, clock, status, category=category, origin=origin, actor=SYSTEM)
    # the system actor may do everything: allowed() is exactly the table
    allowed = engine.allowed(c.id, actor=SYSTEM)
    assert allowed == sorted(allowed)
    assert set(allowed) == ALLOWED[status]

    before = snapshot(engine, c.id)
    if kind in ALLOWED[status]:
        after = do(engine, clock, c.id, kind, SYSTEM)
        dest = expected_dest(kind, status, origin)
        assert after.status == dest
        assert after.version == c.version + 1
        events = check_trail(engine, c.id)
        assert len(events) == len(before[1]) + 1
        last = events[-1]
        assert (last.type, last.from_status, last.to_status, last.actor) == (
            kind,
            status,
            dest,
            SYSTEM.id,
        )
        assert last.cycle == (2 if kind == "reopen" else 1)
    else:
        with pytest.raises(cf.InvalidTransition, match=status):
            do(engine, clock, c.id, kind, SYSTEM)
        assert snapshot(engine, c.id) == before


@pytest.mark.parametrize("category", CATEGORIES)
def test_allowed_hides_decide_until_the_required_steps_are_done(
    engine: cf.Engine, clock: FakeClock, category: str
) -> None:
    c = bring_to(engine, clock, "verifying", category=category)
    c = do(engine, clock, c.id, "classify", SYSTEM)
    assert set(engine.allowed(c.id, actor=SYSTEM)) == ALLOWED["classified"] - {"decide"}
    missing = sorted(GUIDE_REQUIRED[category])
    snap = snapshot(engine, c.id)
    with pytest.raises(cf.GuardFailed) as err:
        engine.handle(c.id, cmd("decide", SYSTEM))
    assert all(step in str(err.value) for step in missing)
    assert snapshot(engine, c.id) == snap
    do(engine, clock, c.id, "record_step", SYSTEM, step=missing[0])
    assert "decide" not in engine.allowed(c.id, actor=SYSTEM)
    do(engine, clock, c.id, "record_step", SYSTEM, step=missing[1])
    assert set(engine.allowed(c.id, actor=SYSTEM)) == ALLOWED["classified"]
