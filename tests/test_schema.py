"""complaintflow.schema: the JSON Schemas, checked by an independent
validator (jsonschema), and the error body."""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from typing import Any

import jsonschema
import pytest
from hypothesis import given
from hypothesis import strategies as st

import complaintflow as cf
from complaintflow import schema
from complaintflow.commands import COMMAND_TYPES
from complaintflow.testing import strategies

HANDLER = cf.Actor(id="h-1", roles=frozenset({"handler"}))


@functools.cache
def validator(name: str) -> jsonschema.Draft202012Validator:
    """A validator of one schema of the contract, resolving its references
    within the flat components mapping."""
    components = schema.json_schemas(ref_template="#/$defs/{model}")
    root = {"$defs": components, "$ref": f"#/$defs/{name}"}
    jsonschema.Draft202012Validator.check_schema(root)
    return jsonschema.Draft202012Validator(root)


def new_complaint() -> dict[str, Any]:
    return {
        "channel": "web",
        "category": "goods",
        "complainant": {"id": "u-1", "name": "Zhang San", "contact": "+86 138 0000 0000"},
        "respondent": {"id": "shop-9", "kind": "merchant"},
        "subject": "Broken kettle",
        "description": "The kettle arrived with a cracked base.",
    }


def test_the_contract_names_every_part() -> None:
    names = schema.json_schemas()
    for name in ("NewComplaint", "Command", "CommandBody", "Complaint", "ErrorBody"):
        assert name in names
    # one body per command type, and the union's tags are exactly the command types
    mapping = names["CommandBody"]["discriminator"]["mapping"]
    assert sorted(mapping) == sorted(COMMAND_TYPES)
    assert sorted(names["Command"]["discriminator"]["mapping"]) == sorted(COMMAND_TYPES)


def test_a_new_complaint_validates_and_a_bad_one_does_not() -> None:
    v = validator("NewComplaint")
    assert list(v.iter_errors(new_complaint())) == []
    bad = {k: v for k, v in new_complaint().items() if k != "subject"}
    assert any("subject" in e.message for e in v.iter_errors(bad))
    # self-contained form: the same verdicts
    alone = schema.json_schema("NewComplaint")
    jsonschema.validate(new_complaint(), alone)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, alone)


def test_command_bodies_take_no_actor_and_need_a_type() -> None:
    v = validator("CommandBody")
    decide = {"type": "decide", "outcome": "upheld", "basis": "Platform rule 4.2"}
    assert list(v.iter_errors(decide)) == []
    assert list(v.iter_errors({**decide, "actor": {"id": "x", "roles": ["handler"]}})) != []
    assert list(v.iter_errors({"outcome": "upheld", "basis": "x"})) != []
    assert list(v.iter_errors({**decide, "basis": ""})) != []  # the engine refuses it too
    with pytest.raises(cf.InvalidInput):
        cf.parse_command({**decide, "basis": "", "actor": HANDLER})


@given(strategies.commands(actors=st.just(HANDLER)))
def test_every_command_the_engine_takes_fits_both_schemas(command: Any) -> None:
    data = command.model_dump(mode="json", exclude_none=True)
    assert list(validator("Command").iter_errors(data)) == []
    body = {k: v for k, v in data.items() if k != "actor"}
    assert list(validator("CommandBody").iter_errors(body)) == []


def test_a_complaint_as_returned_fits_the_complaint_schema() -> None:
    engine = cf.Engine(load_entry_points=False, clock=lambda: datetime(2026, 3, 9, 2, tzinfo=UTC))
    c = engine.submit(new_complaint(), actor=HANDLER)
    seen = engine.view(c.id, actor=cf.Actor(id="shop-9", roles={"respondent"}))
    assert list(validator("Complaint").iter_errors(seen.model_dump(mode="json"))) == []
    assert list(validator("Complaint").iter_errors({"id": "c-1"})) != []


# the table of docs/howto-http.md, written out by hand
EXPECTED = [
    (cf.InvalidInput.field("basis", "must not be empty"), "invalid_input", 422),
    (cf.CalendarRangeError("2031-01-01 is outside the data"), "calendar_range", 422),
    (cf.PermissionDenied("no", command="decide", actor="u-1"), "permission_denied", 403),
    (cf.NotFound("no complaint 'x'"), "not_found", 404),
    (cf.InvalidTransition("not now", command="execute"), "invalid_transition", 409),
    (cf.GuardFailed("steps missing", reason="missing_steps"), "guard_failed", 409),
    (cf.ConcurrencyError("version 2, not 1"), "conflict", 409),
    (cf.StoreError("database down"), "store_unavailable", 503),
    (cf.PluginError("bad hook"), "plugin_error", 500),
    (cf.ComplaintFlowError("other"), "error", 500),
]


@pytest.mark.parametrize(("error", "code", "status"), EXPECTED)
def test_error_bodies(error: cf.ComplaintFlowError, code: str, status: int) -> None:
    body = schema.error_body(error)
    assert body["error"] == code
    assert body["message"] == str(error)
    assert schema.http_status(error) == status
    assert list(validator("ErrorBody").iter_errors(body)) == []
    assert ("retry" in body) == (code in ("conflict", "store_unavailable"))


def test_an_invalid_input_body_lists_its_fields() -> None:
    body = schema.error_body(cf.InvalidInput.field("basis", "must not be empty"))
    assert body == {
        "error": "invalid_input",
        "message": "basis: must not be empty",
        "errors": [{"field": "basis", "reason": "must not be empty"}],
    }


def test_bad_arguments_name_the_field() -> None:
    with pytest.raises(cf.InvalidInput) as e:
        schema.json_schema("Nope")  # type: ignore[arg-type]
    assert e.value.errors[0]["field"] == "name"
    with pytest.raises(cf.InvalidInput) as e:
        schema.json_schema("Complaint", mode="both")  # type: ignore[arg-type]
    assert e.value.errors[0]["field"] == "mode"
    with pytest.raises(cf.InvalidInput) as e:
        schema.json_schemas(ref_template="#/x")
    assert e.value.errors[0]["field"] == "ref_template"
    for fn in (schema.error_body, schema.http_status):
        with pytest.raises(cf.InvalidInput) as e:
            fn(ValueError("x"))  # type: ignore[arg-type]
        assert e.value.errors[0]["field"] == "error"
