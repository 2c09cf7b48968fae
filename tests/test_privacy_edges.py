"""Edge cases of erasure, retention and access export found in review
(docs/privacy.md): switches that must be booleans, what an erased person's
own export reads, and the fingerprint cache after retention."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

import complaintflow as cf
from complaintflow import _fingerprint
from complaintflow.testing import FakeClock

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
COMPLAINANT = cf.Actor(id="u-1", roles=frozenset({"complainant"}))
SUPERVISOR = cf.Actor(id="s-1", roles=frozenset({"supervisor"}))
NAME, CONTACT = "Wang Xiaohong", "+86 139 1234 5678"
SHOP_NAME, SHOP_CONTACT = "Golden Kettle", "kettle@example.cn"
TEXT = "The kettle leaks from the base after one week."


def _new() -> dict[str, Any]:
    return {
        "channel": "web",
        "category": "goods",
        "complainant": {"id": "u-1", "name": NAME, "contact": CONTACT},
        "respondent": {"id": "shop-9", "kind": "merchant", "name": SHOP_NAME,
                       "contact": SHOP_CONTACT},
        "subject": "Kettle arrived cracked",
        "description": TEXT,
        "evidence": ["photo-1.jpg"],
        "order_id": "o-1",
    }  # fmt: skip


@pytest.fixture
def engine() -> cf.Engine:
    return cf.Engine(load_entry_points=False, clock=FakeClock(T0))


def _state(engine: cf.Engine, cid: str) -> tuple[object, ...]:
    return engine.history(cid), engine.get(cid), engine.store.vault_read([cid])


@pytest.mark.parametrize("force", ["no", "false", 1, None])
def test_force_must_be_a_boolean_and_a_refusal_changes_nothing(
    engine: cf.Engine, force: object
) -> None:
    c = engine.submit(_new(), actor=COMPLAINANT)
    before = _state(engine, c.id)
    with pytest.raises(cf.InvalidInput, match="force: must be true or false") as err:
        engine.erase("u-1", "asked", actor=SUPERVISOR, force=force)  # type: ignore[arg-type]
    assert NAME not in str(err.value)
    assert CONTACT not in str(err.value)
    assert _state(engine, c.id) == before
    assert engine.view(c.id, actor=SUPERVISOR).complainant.name == NAME


@pytest.mark.parametrize("dry_run", ["yes", 0, None])
def test_dry_run_must_be_a_boolean(engine: cf.Engine, dry_run: object) -> None:
    c = engine.submit(_new(), actor=COMPLAINANT)
    engine.handle(c.id, cf.Withdraw(actor=COMPLAINANT, reason="sorted"))
    before = _state(engine, c.id)
    later = T0 + timedelta(days=4 * 366)
    with pytest.raises(cf.InvalidInput, match="dry_run: must be true or false"):
        engine.apply_retention(later, dry_run=dry_run)  # type: ignore[arg-type]
    assert _state(engine, c.id) == before


def test_a_retention_policy_cites_a_text() -> None:
    with pytest.raises(cf.InvalidInput, match="cites: must be a text"):
        cf.RetentionPolicy(3, cites=5)  # type: ignore[arg-type]


def test_an_erased_person_exports_their_fields_as_erased(engine: cf.Engine) -> None:
    c = engine.submit(_new(), actor=COMPLAINANT)
    engine.handle(c.id, cf.Withdraw(actor=COMPLAINANT, reason="sorted"))
    engine.erase("u-1", "consent withdrawn")
    (mine,) = json.loads(engine.export_person("u-1"))["complaints"]
    # the view reads [erased] for their own fields (docs/privacy.md, "Who
    # sees what"); the export says the same, not that they are hidden
    seen = mine["complaint"]
    assert (seen["complainant"]["name"], seen["complainant"]["contact"]) == ("[erased]",) * 2
    assert (seen["description"], seen["evidence"]) == ("[erased]", ["[erased]"])
    assert seen["respondent"]["name"] == "[redacted]"  # the shop's, not theirs
    (theirs,) = json.loads(engine.export_person("shop-9"))["complaints"]
    assert theirs["complaint"]["respondent"]["contact"] == SHOP_CONTACT
    assert theirs["complaint"]["complainant"]["name"] == "[redacted]"


def test_retention_forgets_the_texts_the_fingerprint_remembers(engine: cf.Engine) -> None:
    c = engine.submit(_new(), actor=COMPLAINANT)
    engine.handle(c.id, cf.Withdraw(actor=COMPLAINANT, reason="sorted"))
    text = _fingerprint.comparable(TEXT)
    _fingerprint._fingerprint(text)
    hits = _fingerprint._fingerprint.cache_info().hits
    _fingerprint._fingerprint(text)
    assert _fingerprint._fingerprint.cache_info().hits == hits + 1  # remembered
    assert engine.apply_retention(T0 + timedelta(days=4 * 366)) == [c.id]
    hits = _fingerprint._fingerprint.cache_info().hits
    _fingerprint._fingerprint(text)
    assert _fingerprint._fingerprint.cache_info().hits == hits  # no longer held


@pytest.mark.parametrize(
    ("party_id", "reason", "field"),
    [
        ("u-1\x00", "asked", "party_id"),
        ("u-\ud800", "asked", "party_id"),
        ("u-1\n", "asked", None),  # stripped: u-1 itself
        ("u-1", "asked \ud800", "reason"),
        ("u-1", "asked\x00", "reason"),
        ("u-1", "asked\x1b[2J", "reason"),
    ],
)
def test_control_characters_are_refused_before_anything_is_erased(
    tmp_path: Any, party_id: str, reason: str, field: str | None
) -> None:
    store = cf.stores.SQLiteStore(str(tmp_path / "c.sqlite3"))
    engine = cf.Engine(store=store, load_entry_points=False, clock=FakeClock(T0))
    c = engine.submit(_new(), actor=COMPLAINANT)
    before = _state(engine, c.id)
    if field is None:
        assert engine.erase(party_id, reason, actor=SUPERVISOR, force=True) == [c.id]
        return
    with pytest.raises(cf.InvalidInput, match=rf"^{field}: contains the control character"):
        engine.erase(party_id, reason, actor=SUPERVISOR, force=True)
    assert _state(engine, c.id) == before
    if field == "party_id":
        with pytest.raises(cf.InvalidInput, match=r"^party_id: contains the control character"):
            engine.export_person(party_id)
    store.close()


@pytest.mark.parametrize("how", ["withdraw", "reject"])
def test_a_later_event_does_not_postpone_retention(how: str) -> None:
    clock = FakeClock(T0)
    engine = cf.Engine(load_entry_points=False, clock=clock)
    handler = cf.Actor(id="h-1", roles=frozenset({"handler"}))
    c = engine.submit(_new(), actor=COMPLAINANT)
    clock.advance(hours=1)
    if how == "withdraw":
        engine.handle(c.id, cf.Withdraw(actor=COMPLAINANT, reason="sorted"))
    else:
        engine.handle(c.id, cf.Reject(actor=handler, reason="out_of_scope", statement="not ours"))
    ended = clock()
    assert engine.get(c.id).closed_at is None  # the record says when by its events only
    # two years on, the shop is erased: an `erased` event on this complaint
    clock.advance(days=730)
    engine.erase("shop-9", "account closed")
    # the guide's pack keeps personal data three years after the end
    # (2026-03-02 10:00 UTC): due from 2029-03-02 10:00, not three years
    # after the shop's erasure
    assert engine.apply_retention(ended.replace(year=2029) - timedelta(seconds=1)) == []
    assert engine.apply_retention(ended.replace(year=2029)) == [c.id]
    assert engine.view(c.id, actor=handler).complainant.name == "[erased]"
