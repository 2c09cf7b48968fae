"""The role-by-field visibility test: every field of ``Complaint`` (and of
the models inside it) is checked, for every role, against the table in
docs/visibility.md. A field without a row in the table fails the test."""

from __future__ import annotations

import re
import types
import typing
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

import complaintflow as cf
from complaintflow.testing import FakeClock
from flow_helpers import (
    COMPLAINANT,
    COMPLAINANT_ID,
    HANDLER,
    RESPONDENT,
    RESPONDENT_ID,
    STRANGER,
    SUPERVISOR,
    SYSTEM,
    T0,
    bring_to,
    new_complaint,
)

TABLE_PAGE = Path(__file__).resolve().parent.parent / "docs" / "visibility.md"
ROLES = ("complainant", "respondent", "handler", "supervisor", "system", "stranger")
ACTORS = {
    "complainant": COMPLAINANT,
    "respondent": RESPONDENT,
    "handler": HANDLER,
    "supervisor": SUPERVISOR,
    "system": SYSTEM,
    "stranger": STRANGER,
}


def table() -> dict[str, dict[str, bool]]:
    """The docs' table: field path -> role -> sees it."""
    text = TABLE_PAGE.read_text("utf-8")
    body = text.split("<!-- visibility-table -->")[1].split("<!-- /visibility-table -->")[0]
    rows = [r for r in body.strip().splitlines() if r.startswith("| `")]
    header = [h.strip() for h in body.strip().splitlines()[0].strip("|").split("|")]
    assert header == ["field", *ROLES]
    out: dict[str, dict[str, bool]] = {}
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        path = cells[0].strip("`")
        assert set(cells[1:]) <= {"yes", "no"}, row
        out[path] = dict(zip(ROLES, (c == "yes" for c in cells[1:]), strict=True))
    return out


def _model_of(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model a field holds (directly or as ``X | None``)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        models = [m for a in typing.get_args(annotation) if (m := _model_of(a)) is not None]
        return models[0] if len(models) == 1 else None
    return None


def leaf_paths(model: type[BaseModel], decided: set[str], prefix: str = "") -> list[str]:
    """Every field path of ``model`` that the table must decide: a path with
    a row decides its whole subtree; a nested model without a row is walked
    field by field; any other field without a row is an error."""
    out: list[str] = []
    for name, info in model.model_fields.items():
        path = f"{prefix}{name}"
        if path in decided:
            out.append(path)
            continue
        inner = _model_of(info.annotation)
        assert inner is not None, f"{path}: no row in docs/visibility.md decides who sees it"
        out.extend(leaf_paths(inner, decided, f"{path}."))
    return out


def value_at(obj: Any, path: str) -> Any:
    for part in path.split("."):
        obj = getattr(obj, part)
    return obj


def test_every_field_has_exactly_one_decision() -> None:
    rows = table()
    walked = leaf_paths(cf.Complaint, set(rows))
    assert sorted(walked) == sorted(rows), "rows for fields the model does not have"
    for path, roles in rows.items():
        # staff see everything and a stranger nothing (the engine's rule)
        assert all(roles[r] for r in ("handler", "supervisor", "system")), path
        assert not roles["stranger"], path


def test_a_new_field_without_a_row_fails() -> None:
    class Extended(cf.Complaint):
        moderation_score: float = 0.0

    with pytest.raises(AssertionError, match="moderation_score"):
        leaf_paths(Extended, set(table()))


@pytest.fixture
def full(engine: cf.Engine, clock: FakeClock) -> cf.Complaint:
    """A complaint with every field set to a value that is not empty, so a
    hidden field can be told from a shown one, stored in the engine."""
    closed = bring_to(engine, clock, "closed", category="goods")
    # names, contacts and texts live in the vault: a system view reads them
    c = engine.view(closed.id, actor=cf.Actor.system())
    decision = c.decision
    assert decision is not None
    full = c.model_copy(
        update={
            "handler": HANDLER.id,
            "escalations": 2,
            "step_data": {"investigate": {"finding": "seal broken"}},
            "prior_status": cf.Status.classified,
            "info_requested_from": "respondent",
            "satisfied": True,
            "rejection": {"reason": "duplicate", "duplicate_of": "c-0"},
            "flags": (
                cf.Flag(kind="malicious", reason="8 complaints in 24 hours", related=("c-7",)),
            ),
            "classification": cf.Classification(category="goods", rules=("r1",), score=3.0),
            "decision": decision.model_copy(update={"remedy": "refund 80 yuan"}),
            "closed_at": T0 + timedelta(days=20),
        }
    )
    engine.store.save(full, expected_version=c.version, events=[], notifications=[])
    return full


def test_every_field_of_the_fixture_is_set(full: cf.Complaint) -> None:
    for path in table():
        assert value_at(full, path) not in (None, (), {}, 0, ""), path


@pytest.mark.parametrize("role", ROLES)
def test_each_role_sees_exactly_the_fields_the_table_gives_it(
    engine: cf.Engine, full: cf.Complaint, role: str
) -> None:
    actor = ACTORS[role]
    assert (actor.id == COMPLAINANT_ID) == (role == "complainant") or role == "stranger"
    assert full.respondent is not None
    assert full.respondent.id == RESPONDENT_ID
    if role == "stranger":
        with pytest.raises(cf.PermissionDenied):
            engine.view(full.id, actor=actor)
        return
    seen = engine.view(full.id, actor=actor)
    for path, roles in table().items():
        shown, hidden_value = value_at(seen, path), value_at(full, path)
        if roles[role]:
            assert shown == hidden_value, f"{role} should see {path}"
        else:
            assert shown != hidden_value, f"{role} should not see {path}"
            assert shown in (None, (), {}, 0, "[redacted]"), f"{path} shown as {shown!r}"
    # nothing hidden leaks anywhere in the dump either
    dumped = seen.model_dump_json()
    for path, roles in table().items():
        value = value_at(full, path)
        if not roles[role] and isinstance(value, str) and len(value) > 3:
            assert value not in dumped, path


def test_the_respondent_no_longer_sees_screening_flags(engine: cf.Engine) -> None:
    # the reported leak: the malicious screen's reason and related ids
    for _ in range(7):
        engine.submit(new_complaint(), actor=COMPLAINANT)
    c = engine.submit(new_complaint(), actor=COMPLAINANT)
    assert any(f.kind == "malicious" for f in c.flags)
    seen = engine.view(c.id, actor=RESPONDENT)
    assert seen.flags == ()
    dumped = seen.model_dump_json()
    for flag in c.flags:
        assert flag.reason not in dumped
        for other in flag.related:
            assert other not in dumped
    assert re.search(r"complaints? from this complainant", dumped) is None
