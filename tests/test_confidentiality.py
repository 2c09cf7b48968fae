"""Guide §3.1 保密性: personal data of the parties is shown only to those who
need it, and never appears in repr, str or logs."""

from __future__ import annotations

import logging
from typing import Any

import pytest

import complaintflow as cf
from complaintflow.testing import FakeClock
from flow_helpers import (
    COMPLAINANT,
    COMPLAINANT_CONTACT,
    COMPLAINANT_ID,
    COMPLAINANT_NAME,
    HANDLER,
    PERSONAL_DATA,
    RESPONDENT,
    RESPONDENT_CONTACT,
    RESPONDENT_ID,
    RESPONDENT_NAME,
    STRANGER,
    SUPERVISOR,
    SYSTEM,
    bring_to,
    do,
    finish,
    make_engine,
    new_complaint,
)


def leaks(text: str) -> list[str]:
    return [p for p in PERSONAL_DATA if p in text]


def test_respondent_does_not_see_the_complainant(engine: cf.Engine) -> None:
    c = engine.submit(new_complaint(), actor=COMPLAINANT)
    seen = engine.view(c.id, actor=RESPONDENT)
    assert seen.complainant.id == COMPLAINANT_ID
    assert seen.complainant.name not in (None, COMPLAINANT_NAME)
    assert seen.complainant.contact not in (None, COMPLAINANT_CONTACT)
    # their own details are theirs to see
    assert seen.respondent is not None
    assert (seen.respondent.name, seen.respondent.contact) == (RESPONDENT_NAME, RESPONDENT_CONTACT)
    dumped = seen.model_dump_json()
    assert COMPLAINANT_NAME not in dumped
    assert COMPLAINANT_CONTACT not in dumped
    # the rest of the complaint is intact but the platform's internal data
    # (docs/visibility.md) and the complainant's own outcome
    internal = {"complainant", "handler", "escalations", "step_data", "flags"}
    internal |= {"classification", "sla", "satisfied", "rejection", "fingerprint"}
    full = engine.view(c.id, actor=SYSTEM)
    assert seen.model_dump(exclude=internal) == full.model_dump(exclude=internal)


def test_complainant_does_not_see_the_respondents_contact(engine: cf.Engine) -> None:
    c = engine.submit(new_complaint(), actor=COMPLAINANT)
    seen = engine.view(c.id, actor=COMPLAINANT)
    assert (seen.complainant.name, seen.complainant.contact) == (
        COMPLAINANT_NAME,
        COMPLAINANT_CONTACT,
    )
    assert seen.respondent is not None
    assert seen.respondent.id == RESPONDENT_ID
    assert seen.respondent.contact not in (None, RESPONDENT_CONTACT)
    assert RESPONDENT_CONTACT not in seen.model_dump_json()


@pytest.mark.parametrize("actor", [HANDLER, SUPERVISOR, SYSTEM], ids=lambda a: a.id)
def test_staff_see_everything(engine: cf.Engine, actor: cf.Actor) -> None:
    c = engine.submit(new_complaint(), actor=COMPLAINANT)
    seen = engine.view(c.id, actor=actor)
    assert (seen.complainant.name, seen.complainant.contact) == (
        COMPLAINANT_NAME,
        COMPLAINANT_CONTACT,
    )
    assert seen.respondent is not None
    assert (seen.respondent.name, seen.respondent.contact) == (RESPONDENT_NAME, RESPONDENT_CONTACT)
    assert seen.description == new_complaint().description != ""
    assert seen.model_dump(exclude={"complainant", "respondent", "description", "evidence"}) == (
        cf.in_zone(c, seen.received_at.tzinfo).model_dump(  # type: ignore[arg-type]
            exclude={"complainant", "respondent", "description", "evidence"}
        )
    )
    assert engine.view(c.id, actor={"id": actor.id, "roles": list(actor.roles)}) == seen  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "actor",
    [
        STRANGER,
        cf.Actor(id="shop-1", roles=frozenset({"respondent"})),
        cf.Actor(id=COMPLAINANT_ID),  # the right id without the role
        cf.Actor(id=RESPONDENT_ID, roles=frozenset({"complainant"})),
    ],
    ids=["stranger", "other-respondent", "no-role", "wrong-role"],
)
def test_strangers_may_not_look(engine: cf.Engine, actor: cf.Actor) -> None:
    c = engine.submit(new_complaint(), actor=COMPLAINANT)
    with pytest.raises(cf.PermissionDenied) as err:
        engine.view(c.id, actor=actor)
    assert not leaks(str(err.value))


def test_views_do_not_change_the_stored_complaint(engine: cf.Engine) -> None:
    c = engine.submit(new_complaint(), actor=COMPLAINANT)
    engine.view(c.id, actor=RESPONDENT)
    engine.view(c.id, actor=COMPLAINANT)
    assert engine.get(c.id) == c
    assert c.complainant.name is None  # the record holds a reference; the vault the name
    assert engine.view(c.id, actor=SYSTEM).complainant.name == COMPLAINANT_NAME
    assert engine.replay(engine.history(c.id)) == c


def test_a_complaint_without_respondent_or_contact(engine: cf.Engine) -> None:
    c = engine.submit(
        new_complaint(respondent=None, complainant=cf.Party(id=COMPLAINANT_ID)),
        actor=COMPLAINANT,
    )
    seen = engine.view(c.id, actor=COMPLAINANT)
    assert seen.respondent is None
    assert (seen.complainant.name, seen.complainant.contact) == (None, None)


def test_models_never_show_personal_data() -> None:
    party = cf.Party(id="u-1", name=COMPLAINANT_NAME, contact=COMPLAINANT_CONTACT)
    new = new_complaint()
    for obj in (party, new):
        for text in (repr(obj), str(obj), f"{obj}", f"{obj!r}"):
            assert not leaks(text), text
    assert "u-1" in repr(party)  # the id still identifies the party


class Recorder:
    def __init__(self) -> None:
        self.seen: list[cf.Notification] = []

    @cf.hookimpl
    def complaintflow_notify(self, notification: cf.Notification) -> None:
        self.seen.append(notification)


class Broken:
    """A careless notifier and event listener: they fail, quoting what they got."""

    @cf.hookimpl
    def complaintflow_notify(self, notification: cf.Notification) -> None:
        raise ConnectionError(f"SMTP down while sending {notification!r}")

    @cf.hookimpl
    def complaintflow_event(self, event: cf.Event, complaint: cf.Complaint) -> None:
        raise RuntimeError(f"listener failed on {event} for {complaint}")


def test_nothing_leaks_through_a_whole_lifecycle(
    caplog: pytest.LogCaptureFixture, clock: FakeClock
) -> None:
    recorder = Recorder()
    engine = make_engine(clock, plugins=(Broken(), recorder))
    texts: list[str] = []
    errors: list[Exception] = []
    with caplog.at_level(logging.DEBUG):
        c = bring_to(engine, clock, "verifying", category="transaction_dispute")
        do(engine, clock, c.id, "request_info", party="respondent")
        do(engine, clock, c.id, "provide_info", RESPONDENT, info="Shipped on the 3rd.")
        do(engine, clock, c.id, "classify")
        try:
            do(engine, clock, c.id, "decide")
        except cf.GuardFailed as e:
            errors.append(e)
        c = finish(engine, clock, c.id, satisfied=False)
        clock.advance(days=3)
        do(engine, clock, c.id, "reopen", COMPLAINANT)
        do(engine, clock, c.id, "withdraw", COMPLAINANT)
        clock.advance(days=1)
        engine.deliver_pending()
        for bad in (cmd_for_stranger(engine, c.id), cmd_blank(engine, c.id)):
            try:
                bad()
            except cf.ComplaintFlowError as e:
                errors.append(e)
        other = engine.submit(new_complaint("goods"), actor=COMPLAINANT)
        do(engine, clock, other.id, "reject", reason="malicious", statement="Spam.")
    assert len(errors) == 3
    assert any("failed" in r.getMessage() for r in caplog.records)  # the failures were logged
    texts.append(caplog.text)
    for r in caplog.records:
        texts.append(r.getMessage())
        if r.exc_text:
            texts.append(r.exc_text)
    for cid in (c.id, other.id):
        complaint = engine.get(cid)
        texts += [repr(complaint), str(complaint)]
        for event in engine.history(cid):
            texts += [repr(event), str(event)]
        for n in engine.store.notifications(cid):
            texts += [repr(n), str(n), str(n.data), n.last_error or ""]
            assert n.status == "pending"  # the broken notifier fails every delivery
            assert n.last_error is not None
    texts += [repr(e) for e in errors] + [str(e) for e in errors]
    texts += [repr(n) for n in recorder.seen]
    assert recorder.seen  # the other notifier still got them
    for text in texts:
        assert not leaks(text), text


def cmd_for_stranger(engine: cf.Engine, cid: str) -> Any:
    return lambda: engine.view(cid, actor=STRANGER)


def cmd_blank(engine: cf.Engine, cid: str) -> Any:
    return lambda: engine.handle(cid, {"type": "note", "actor": HANDLER, "text": " "})
