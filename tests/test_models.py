"""Models the engine returns behave like ordinary pydantic models."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

import complaintflow as cf


def _complaint() -> tuple[cf.Engine, cf.Complaint]:
    received = datetime(2026, 3, 9, 2, tzinfo=UTC)
    engine = cf.Engine(load_entry_points=False, clock=lambda: received)
    c = engine.submit(
        cf.NewComplaint(
            channel="web",
            category="goods",
            complainant=cf.Party(id="u-1", name="Zhang San", contact="+86 138"),
            subject="s",
            received_at=datetime(2026, 3, 9, 2, tzinfo=UTC),
        ),
        actor=cf.Actor(id="u-1", roles=frozenset({"complainant"})),
    )
    return engine, c


def test_returned_models_copy_dump_and_compare() -> None:
    engine, c = _complaint()
    loaded = engine.get(c.id)
    assert loaded == c
    changed = loaded.model_copy(update={"subject": "t"})
    assert changed.subject == "t"
    assert loaded.subject == "s"  # the stored one is untouched
    assert engine.get(c.id).subject == "s"
    again = cf.Complaint.model_validate(loaded.model_dump())
    assert again == loaded
    event = engine.history(c.id)[0]
    assert event.model_copy(update={"seq": 9}).seq == 9
    assert engine.history(c.id)[0].seq == 1


def test_models_are_frozen() -> None:
    _, c = _complaint()
    with pytest.raises(ValueError, match="frozen"):  # pydantic's error for frozen models
        c.subject = "x"  # type: ignore[misc]
