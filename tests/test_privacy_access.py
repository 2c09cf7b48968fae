"""Who may erase, what a repeat erasure records, and what an access export
holds (docs/privacy.md): an export is the party's own view, never the
platform's internal working or the other party's personal data."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

import complaintflow as cf
from complaintflow.testing import FakeClock
from test_privacy_edges import (  # the same complaint as the other edge cases
    COMPLAINANT,
    CONTACT,
    NAME,
    SHOP_CONTACT,
    SHOP_NAME,
    SUPERVISOR,
    T0,
    TEXT,
)
from test_privacy_edges import _new as new_complaint

SHOP = cf.Actor(id="shop-9", roles=frozenset({"respondent"}))
HANDLER = cf.Actor(id="h-1", roles=frozenset({"handler"}))
# free text each side wrote, and the platform's internal notes
SHOP_INFO = "Batch K-77 had a faulty seal."
REOPEN_WHY = "Refund arrived, kettle still unsafe."
WITHDRAW_WHY = "Solved it with the shop directly."
STAFF_TEXTS = (
    "Customer sounds upset; check batch.",
    "Seal photo reviewed.",
    "Refund 120 CNY",
    "Called: not satisfied.",
)
STEPS = ("check_content", "confirm_target", "contact_complainant", "investigate",
         "feedback_result")  # fmt: skip
# fields only staff see (docs/visibility.md) and event fields of the
# platform's working: none may appear anywhere in a party's export
STAFF_KEYS = frozenset(
    {"flags", "step_data", "sla", "handler", "escalations", "classification", "fingerprint",
     "recorded_at", "time_basis"}
)  # fmt: skip


def _new(order: str) -> dict[str, Any]:
    return {**new_complaint(), "order_id": order}


@pytest.fixture
def engine() -> cf.Engine:
    return cf.Engine(load_entry_points=False, clock=FakeClock(T0))


def _walk(value: object, key: str = "") -> Iterator[tuple[str, object]]:
    """Every (key, leaf value) of a JSON document, and every key with its
    value, however deep."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield k, v
            yield from _walk(v, k)
    elif isinstance(value, list):
        for v in value:
            yield from _walk(v, key)
    else:
        yield key, value


def _texts(doc: object) -> str:
    """All keys and leaf values of ``doc`` as one text to search."""
    return "\n".join(f"{k}={v}" for k, v in _walk(doc) if not isinstance(v, dict | list))


def _handled(engine: cf.Engine) -> tuple[str, str]:
    """A withdrawn complaint and a reopened one of u-1 against shop-9, the
    second flagged as a duplicate of the first, handled with internal notes,
    recorded steps, the shop's answer, and reopened by the complainant."""
    first = engine.submit(_new("o-1"), actor=COMPLAINANT)
    c = engine.submit(_new("o-2"), actor=COMPLAINANT)
    assert c.flags, "the second complaint must be flagged for the test to mean anything"
    engine.handle(first.id, cf.Withdraw(actor=COMPLAINANT, reason=WITHDRAW_WHY))
    for cmd in (
        cf.Assign(actor=SUPERVISOR, handler="h-1"),
        cf.Acknowledge(actor=HANDLER),
        cf.Note(actor=HANDLER, text=STAFF_TEXTS[0]),
        *(cf.RecordStep(actor=HANDLER, step=step, data={"note": STAFF_TEXTS[1]}) for step in STEPS),
        cf.RequestInfo(actor=HANDLER, party="respondent", question="Which batch was it?"),
        cf.ProvideInfo(actor=SHOP, info=SHOP_INFO),
        cf.Classify(actor=HANDLER),
        cf.Decide(actor=HANDLER, outcome="upheld", basis="Defect shown", remedy="refund"),
        cf.Execute(actor=HANDLER, note=STAFF_TEXTS[2]),
        cf.FollowUp(actor=HANDLER, satisfied=False, note=STAFF_TEXTS[3]),
        cf.Reopen(actor=COMPLAINANT, reason=REOPEN_WHY),
    ):
        engine.handle(c.id, cmd)
    assert engine.get(c.id).cycle == 2
    return first.id, c.id


def _staff_only(doc: object) -> list[str]:
    found = {k for k, _ in _walk(doc) if k in STAFF_KEYS}
    text = _texts(doc)
    found |= {t for t in (*STAFF_TEXTS, "h-1", "s-1", "duplicate of") if t in text}
    found |= {"fingerprint" for _, v in _walk(doc) if isinstance(v, str) and v[:3] == "t0:"}
    return sorted(found)


def test_a_respondents_export_holds_neither_the_complainants_data_nor_staff_data(
    engine: cf.Engine,
) -> None:
    first, reopened = _handled(engine)
    doc = json.loads(engine.export_person("shop-9"))
    assert _staff_only(doc) == []
    text = _texts(doc)
    for theirs in (NAME, CONTACT, TEXT, "photo-1.jpg", REOPEN_WHY, WITHDRAW_WHY):
        assert theirs not in text
    # the complainant's satisfaction and rejection are not the respondent's to see
    assert {v for k, v in _walk(doc) if k in ("satisfied", "rejection")} <= {None}
    # and it still holds what is theirs
    by_id = {c["complaint"]["id"]: c for c in doc["complaints"]}
    assert set(by_id) == {first, reopened}
    mine = by_id[reopened]
    assert mine["complaint"]["respondent"]["contact"] == SHOP_CONTACT
    assert mine["complaint"]["respondent"]["name"] == SHOP_NAME
    assert (mine["complaint"]["status"], mine["complaint"]["cycle"]) == ("verifying", 2)
    answers = [e for e in mine["events"] if e["type"] == "provide_info"]
    assert [e["data"] for e in answers] == [{"info": SHOP_INFO}]
    # every event is there: submit, ten commands, five steps
    assert [e["seq"] for e in mine["events"]] == list(range(1, 17))
    assert {n["recipient"] for n in mine["notifications"]} == {"shop-9"}


def test_a_complainants_export_holds_neither_the_shops_data_nor_staff_data(
    engine: cf.Engine,
) -> None:
    first, reopened = _handled(engine)
    doc = json.loads(engine.export_person("u-1"))
    assert _staff_only(doc) == []
    text = _texts(doc)
    for theirs in (SHOP_CONTACT, SHOP_INFO):
        assert theirs not in text
    by_id = {c["complaint"]["id"]: c for c in doc["complaints"]}
    withdrawn, mine = by_id[first], by_id[reopened]
    assert mine["complaint"]["complainant"] == {
        "id": "u-1", "kind": "person", "name": NAME, "contact": CONTACT
    }  # fmt: skip
    assert (mine["complaint"]["description"], mine["complaint"]["evidence"]) == (
        TEXT,
        ["photo-1.jpg"],
    )
    reopen = [e for e in mine["events"] if e["type"] == "reopen"]
    assert [e["data"] for e in reopen] == [{"reason": REOPEN_WHY}]
    assert [e["actor"] for e in reopen] == ["u-1"]
    assert [e["data"] for e in withdrawn["events"] if e["type"] == "withdraw"] == [
        {"reason": WITHDRAW_WHY}
    ]
    # events of others: what happened and when, not who or what they wrote
    decide = next(e for e in mine["events"] if e["type"] == "decide")
    assert set(decide) == {"seq", "type", "at", "from_status", "to_status", "cycle"}
    assert {n["recipient"] for n in mine["notifications"]} == {"u-1"}


# -- a repeat erasure ----------------------------------------------------------------


def _erased_events(engine: cf.Engine, cid: str) -> int:
    return sum(e.type == "erased" for e in engine.history(cid))


def test_a_repeat_erasure_records_only_where_something_was_still_held(
    engine: cf.Engine,
) -> None:
    old = engine.submit(_new("o-1"), actor=COMPLAINANT)
    engine.handle(old.id, cf.Withdraw(actor=COMPLAINANT, reason=WITHDRAW_WHY))
    assert engine.erase("u-1", "consent withdrawn") == [old.id]
    before = engine.history(old.id), engine.get(old.id)
    assert engine.erase("u-1", "consent withdrawn") == []  # nothing left to erase
    assert (engine.history(old.id), engine.get(old.id)) == before
    # they come back, and are erased again: only the new complaint changes
    new = engine.submit(_new("o-2"), actor=COMPLAINANT)
    engine.handle(new.id, cf.Withdraw(actor=COMPLAINANT, reason=WITHDRAW_WHY))
    assert engine.erase("u-1", "consent withdrawn again") == [new.id]
    assert (_erased_events(engine, old.id), _erased_events(engine, new.id)) == (1, 1)
    assert engine.history(old.id) == before[0]
    # the shop's entries were never touched: erasing the shop records on both
    assert sorted(engine.erase("shop-9", "account closed")) == sorted([old.id, new.id])
    assert (_erased_events(engine, old.id), _erased_events(engine, new.id)) == (2, 2)


# -- who may erase ---------------------------------------------------------------------


def _everything(engine: cf.Engine, *cids: str) -> tuple[object, ...]:
    return tuple((engine.history(c), engine.get(c), engine.store.vault_read([c])) for c in cids)


@pytest.mark.parametrize(
    "actor",
    [
        cf.Actor(id="u-2", roles=frozenset({"complainant"})),  # another complainant
        SHOP,  # the other party of the same complaint
        HANDLER,
        cf.Actor(id="import", roles=frozenset({"importer"})),
        cf.Actor(id="nobody"),
    ],
    ids=["other-complainant", "other-party", "handler", "importer", "no-role"],
)
def test_only_the_system_a_supervisor_or_the_person_may_erase(
    engine: cf.Engine, actor: cf.Actor
) -> None:
    c = engine.submit(_new("o-1"), actor=COMPLAINANT)
    engine.handle(c.id, cf.Withdraw(actor=COMPLAINANT, reason=WITHDRAW_WHY))
    before = _everything(engine, c.id)
    with pytest.raises(cf.PermissionDenied, match="supervisor") as err:
        engine.erase("u-1", "asked", actor=actor)
    assert isinstance(err.value, cf.ComplaintFlowError)
    assert err.value.role_needed == frozenset({"supervisor", "system"})
    assert NAME not in str(err.value)
    assert CONTACT not in str(err.value)
    assert _everything(engine, c.id) == before
    assert engine.view(c.id, actor=HANDLER).complainant.name == NAME


@pytest.mark.parametrize(
    "actor",
    [None, cf.Actor.system(), SUPERVISOR, COMPLAINANT],
    ids=["default-system", "system", "supervisor", "themselves"],
)
def test_the_system_a_supervisor_or_the_person_erases(
    engine: cf.Engine, actor: cf.Actor | None
) -> None:
    c = engine.submit(_new("o-1"), actor=COMPLAINANT)
    engine.handle(c.id, cf.Withdraw(actor=COMPLAINANT, reason=WITHDRAW_WHY))
    assert engine.erase("u-1", "asked", actor=actor) == [c.id]
    last = engine.history(c.id)[-1]
    assert (last.type, last.actor) == ("erased", "system" if actor is None else actor.id)
    assert engine.view(c.id, actor=HANDLER).complainant.name == cf.ERASED


def test_a_stranger_is_refused_before_the_open_complaints_are_counted(
    engine: cf.Engine,
) -> None:
    c = engine.submit(_new("o-1"), actor=COMPLAINANT)
    before = _everything(engine, c.id)
    with pytest.raises(cf.PermissionDenied):
        engine.erase("u-1", "asked", actor=HANDLER)
    # forcing stays a supervisor's, even for the person themselves
    for actor in (HANDLER, COMPLAINANT):
        with pytest.raises(cf.PermissionDenied, match="forced erasure needs the supervisor") as e:
            engine.erase("u-1", "asked", actor=actor, force=True)
        assert e.value.role_needed == frozenset({"supervisor"})
    with pytest.raises(cf.ErasureRefused):
        engine.erase("u-1", "asked", actor=COMPLAINANT)
    assert _everything(engine, c.id) == before
    assert engine.erase("u-1", "court order", actor=SUPERVISOR, force=True) == [c.id]
