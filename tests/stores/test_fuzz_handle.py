"""Fuzzing ``engine.handle`` with generated payloads: dicts, wrong types,
unicode, huge strings, timezones, unknown keys. Only ComplaintFlowError
subclasses escape, and a rejected payload changes nothing.

Under the ``ci`` Hypothesis profile this sends 10,000 payloads."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from store_helpers import HANDLER, LIFECYCLE, SUPERVISOR, T0, command, complainant, new

import complaintflow as cf
from complaintflow.errors import ComplaintFlowError
from complaintflow.testing import FakeClock

EXAMPLES = 10_000 if os.environ.get("HYPOTHESIS_PROFILE") == "ci" else 400

COMMAND_TYPES = (
    "acknowledge",
    "classify",
    "record_step",
    "request_info",
    "provide_info",
    "decide",
    "execute",
    "follow_up",
    "reject",
    "withdraw",
    "reopen",
    "assign",
    "escalate",
    "note",
)
FIELDS = (
    "step",
    "data",
    "party",
    "question",
    "info",
    "outcome",
    "basis",
    "remedy",
    "effective_at",
    "note",
    "satisfied",
    "reason",
    "statement",
    "duplicate_of",
    "handler",
    "text",
    "category",
    "at",
)
GOOD_VALUES = (
    "investigate",
    "contact_complainant",
    "complainant",
    "respondent",
    "upheld",
    "not_upheld",
    "incomplete",
    "duplicate",
    "goods",
    "service",
    "h-2",
    "Platform rule 4.2",
    True,
    False,
)

# -- the complaints the payloads are sent to, one per status ---------------------

PATHS: dict[str, list[tuple[str, dict[str, Any]]]] = {
    "received": [],
    "verifying": [("acknowledge", {})],
    "awaiting_info": [
        ("acknowledge", {}),
        ("request_info", {"party": "complainant", "question": "Photo?"}),
    ],
    "classified": list(LIFECYCLE[:4]),
    "decided": list(LIFECYCLE[:5]),
    "executed": list(LIFECYCLE[:6]),
    "closed": list(LIFECYCLE),
}
_targets: dict[str, tuple[cf.Engine, FakeClock, str]] = {}


def _target(status: str) -> tuple[cf.Engine, FakeClock, str]:
    if status not in _targets:
        clock = FakeClock(T0)
        engine = cf.Engine(clock=clock, load_entry_points=False)
        engine.submit(new(1, id="other"), actor=complainant(1))
        c = engine.submit(new(1, id="target"), actor=complainant(1))
        for kind, payload in PATHS[status]:
            clock.advance(hours=1)
            engine.handle(c.id, command(kind, payload))
        clock.advance(hours=1)
        _targets[status] = (engine, clock, c.id)
    return _targets[status]


# -- payloads -----------------------------------------------------------------------

huge = st.builds(lambda s, n: s * n, st.text(min_size=1, max_size=3), st.integers(1, 120_000))
datetimes = st.one_of(
    st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)),
    st.datetimes(timezones=st.timezones()),
    st.datetimes(
        min_value=datetime(2025, 12, 1), max_value=datetime(2026, 3, 1), timezones=st.timezones()
    ),
    st.just(T0 + timedelta(days=1)),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(),
    st.text(alphabet=st.characters(codec=None), max_size=40),  # surrogates too
    st.binary(max_size=20),
    huge,
    datetimes,
    datetimes.map(lambda d: d.isoformat()),
    st.dates(),
    st.timedeltas(),
    st.sampled_from(GOOD_VALUES),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.tuples(inner, inner),
        st.dictionaries(st.text(max_size=8), inner, max_size=4),
    ),
    max_leaves=8,
)
actors = st.one_of(
    st.sampled_from([HANDLER, SUPERVISOR, cf.Actor.system(), complainant(1), complainant(2)]),
    st.sampled_from([HANDLER, SUPERVISOR]).map(lambda a: a.model_dump(mode="json")),
    st.fixed_dictionaries({"id": values, "roles": values}),
    st.dictionaries(st.text(max_size=6), values, max_size=3),
    values,
)
types = st.one_of(st.sampled_from(COMMAND_TYPES), values)
known = st.dictionaries(st.sampled_from(FIELDS), values, max_size=4)
unknown = st.dictionaries(st.text(max_size=12), values, max_size=3)


VALID: dict[str, dict[str, Any]] = {
    "request_info": {"party": "complainant", "question": "Photo?"},
    "provide_info": {"info": "Here."},
    "reject": {"reason": "incomplete", "statement": "No order number."},
    "withdraw": {"reason": "settled"},
    "reopen": {"reason": "no refund"},
    "assign": {"handler": "h-2"},
    "escalate": {"reason": "big order"},
    "note": {"text": "called"},
    **dict(LIFECYCLE),
}


@st.composite
def payloads(draw: st.DrawFn) -> Any:
    roll = draw(st.integers(0, 19))
    if roll == 0:
        return draw(values)  # not a dict at all
    if roll < 8:  # a valid command with one field spoiled, added or dropped
        kind = draw(st.sampled_from(sorted(VALID)))
        out = {"type": kind, "actor": draw(st.sampled_from([HANDLER, SUPERVISOR])), **VALID[kind]}
        key = draw(st.sampled_from(sorted(out)) | st.sampled_from(FIELDS) | st.text(max_size=5))
        action = draw(st.sampled_from(["set", "drop", "keep"]))
        if action == "set":
            out[key] = draw(values)
        elif action == "drop":
            out.pop(key, None)
        return out
    out: dict[Any, Any] = {}
    if draw(st.integers(0, 9)):
        out["type"] = draw(types)
    if draw(st.integers(0, 9)):
        out["actor"] = draw(actors)
    out.update(draw(known))
    if draw(st.booleans()):
        out.update(draw(unknown))
    return out


def _snapshot(engine: cf.Engine, cid: str) -> tuple[Any, ...]:
    store: Any = engine.store
    return (store.load(cid), store.load("other"), store.events(cid), store.notifications())


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(status=st.sampled_from(sorted(PATHS)), payload=payloads())
def test_only_library_errors_escape_and_rejects_change_nothing(status: str, payload: Any) -> None:
    engine, _, cid = _target(status)
    before = _snapshot(engine, cid)
    try:
        engine.handle(cid, payload)
    except ComplaintFlowError as e:
        event(type(e).__name__)
        assert _snapshot(engine, cid) == before
    else:
        event("applied")
        # it applied: one more event, consistent; start the next from scratch
        after = engine.get(cid)
        assert after.version > before[0].version
        assert engine.replay(engine.history(cid)) == after
        del _targets[status]


def test_the_fuzzer_reaches_valid_commands() -> None:
    engine, _, cid = _target("verifying")
    engine.handle(cid, {"type": "note", "actor": HANDLER, "text": "x" * 10_000})
    del _targets["verifying"]
    assert datetime(2026, 1, 1, tzinfo=UTC) < engine.get(cid).updated_at
