"""Erasure, retention, access export and encryption of personal data
(docs/privacy.md; PIPL arts. 45 and 47, guide §2.2.2, §3.1.2)."""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import complaintflow as cf
from complaintflow.testing import FakeClock

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
COMPLAINANT = cf.Actor(id="u-1", roles=frozenset({"complainant"}))
SUPERVISOR = cf.Actor(id="s-1", roles=frozenset({"supervisor"}))
HANDLER = cf.Actor(id="h-1", roles=frozenset({"handler"}))
IMPORTER = cf.Actor(id="import", roles=frozenset({"importer"}))
NAME, CONTACT = "Wang Xiaohong", "+86 139 1234 5678"
SHOP_NAME, SHOP_CONTACT = "Golden Kettle", "kettle@example.cn"


def new(i: int | str = 1, **overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "channel": "web",
        "category": "goods",
        "complainant": {"id": f"u-{i}", "name": NAME, "contact": CONTACT},
        "respondent": {
            "id": "shop-9",
            "kind": "merchant",
            "name": SHOP_NAME,
            "contact": SHOP_CONTACT,
        },
        "subject": "Kettle arrived cracked",
        "description": f"The kettle {i} leaks from the base.",
        "evidence": ["photo-1.jpg"],
        "order_id": f"o-{i}",
    }
    return {**fields, **overrides}


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture
def engine(clock: FakeClock) -> cf.Engine:
    return cf.Engine(load_entry_points=False, clock=clock)


# -- erasure ---------------------------------------------------------------------------


def test_erasure_is_refused_while_a_complaint_is_open(engine: cf.Engine) -> None:
    c = engine.submit(new(), actor=COMPLAINANT)
    second = engine.submit(new(order_id="o-2", description="Another one."), actor=COMPLAINANT)
    with pytest.raises(cf.ErasureRefused) as err:
        engine.erase("u-1", "asked to be forgotten")
    assert err.value.open_complaints == 2
    assert "2 complaint(s)" in str(err.value)
    assert CONTACT not in str(err.value)
    assert NAME not in str(err.value)
    with pytest.raises(cf.PermissionDenied):
        engine.erase("u-1", "asked", actor=HANDLER, force=True)
    with pytest.raises(cf.InvalidInput, match="reason"):
        engine.erase("u-1", "  ", actor=SUPERVISOR, force=True)
    # a refused erasure changes nothing
    assert [e.type for e in engine.history(c.id)] == ["submit"]
    assert engine.view(c.id, actor=HANDLER).complainant.name == NAME
    erased = engine.erase("u-1", "court order", actor=SUPERVISOR, force=True)
    assert sorted(erased) == sorted([c.id, second.id])
    last = engine.history(c.id)[-1]
    assert (last.type, last.actor, last.data) == (
        "erased",
        "s-1",
        {"party": "u-1", "reason": "court order", "forced": True},
    )
    # the open complaint goes on, its facts intact
    after = engine.handle(c.id, cf.Acknowledge(actor=HANDLER))
    assert after.status == cf.Status.verifying


def test_an_erased_party_reads_erased_to_every_role(engine: cf.Engine) -> None:
    c = engine.submit(new(), actor=COMPLAINANT)
    engine.erase("u-1", "request", actor=SUPERVISOR, force=True)
    assert engine.view(c.id, actor=HANDLER).complainant.contact == "[erased]"
    mine = engine.view(c.id, actor=COMPLAINANT)
    assert (mine.complainant.name, mine.description, mine.evidence) == (
        "[erased]",
        "[erased]",
        ("[erased]",),
    )
    shop = cf.Actor(id="shop-9", roles=frozenset({"respondent"}))
    theirs = engine.view(c.id, actor=shop)
    assert theirs.respondent is not None
    assert theirs.respondent.contact == SHOP_CONTACT


def test_a_complaint_without_personal_data_has_nothing_to_erase(engine: cf.Engine) -> None:
    c = engine.submit(
        {"channel": "web", "complainant": {"id": "u-1"}, "subject": "Late"}, actor=COMPLAINANT
    )
    assert c.personal == ()
    assert engine.store.vault_read([c.id]) == []
    engine.handle(c.id, cf.Withdraw(actor=COMPLAINANT, reason="sorted"))
    assert engine.erase("u-1", "request") == []  # nothing held: nothing changes
    assert [e.type for e in engine.history(c.id)] == ["submit", "withdraw"]
    assert engine.view(c.id, actor=HANDLER).complainant.name is None


def test_unknown_party_and_bad_arguments(engine: cf.Engine) -> None:
    assert engine.erase("nobody", "request") == []
    with pytest.raises(cf.InvalidInput, match="party_id"):
        engine.erase("", "request")
    with pytest.raises(cf.InvalidInput, match="actor"):
        engine.erase("u-1", "request", actor="s-1")  # type: ignore[arg-type]
    assert json.loads(engine.export_person("nobody"))["complaints"] == []


# -- access export ----------------------------------------------------------------------


def test_export_holds_what_is_theirs_and_not_the_other_partys(engine: cf.Engine) -> None:
    c = engine.submit(new(), actor=COMPLAINANT)
    engine.handle(c.id, cf.Acknowledge(actor=HANDLER))
    engine.submit(new(2, complainant={"id": "u-2", "name": "Li Lei", "contact": "li@x.cn"}),
                  actor=cf.Actor(id="u-2", roles={"complainant"}))  # fmt: skip
    out = json.loads(engine.export_person("u-1"))
    assert out["party_id"] == "u-1"
    (one,) = out["complaints"]
    assert one["roles"] == ["complainant"]
    assert one["complaint"]["complainant"]["name"] == NAME
    assert one["complaint"]["description"] == "The kettle 1 leaks from the base."
    assert one["complaint"]["respondent"]["contact"] == "[redacted]"
    assert [e["type"] for e in one["events"]] == ["submit", "acknowledge"]
    assert {n["recipient"] for n in one["notifications"]} == {"u-1"}
    assert {n["kind"] for n in one["notifications"]} == {"acknowledgement"}
    text = engine.export_person("u-1")
    for other in (SHOP_NAME, SHOP_CONTACT, "Li Lei", "li@x.cn"):
        assert other not in text
    shop = json.loads(engine.export_person("shop-9"))
    assert [x["roles"] for x in shop["complaints"]] == [["respondent"], ["respondent"]]
    shop_text = engine.export_person("shop-9")
    assert SHOP_CONTACT in shop_text
    for other in (NAME, CONTACT, "leaks from the base"):
        assert other not in shop_text


# -- retention ---------------------------------------------------------------------------


def test_packs_carry_their_retention() -> None:
    guide = cf.RetentionPolicy.pack("guide")
    assert guide is not None
    assert guide.closed_years == 3
    fca = cf.RetentionPolicy.pack("fca/ombudsman")  # a variant counts as its pack
    assert fca is not None
    assert fca.closed_years == 3
    assert "DISP 1.9.1R" in fca.cites
    assert cf.RetentionPolicy.pack("cfpb") is None
    assert cf.DEFAULT_RETENTION.closed_years == 3
    with pytest.raises(cf.InvalidInput, match="closed_years"):
        cf.RetentionPolicy(0)
    # whole calendar years back; 29 February counts from 28 February
    assert cf.RetentionPolicy(3).cutoff(datetime(2028, 2, 29, 12, tzinfo=UTC)) == datetime(
        2025, 2, 28, 12, tzinfo=UTC
    )


NOW = datetime(2030, 6, 15, 12, tzinfo=UTC)
CUTOFF = datetime(2027, 6, 15, 12, tzinfo=UTC)  # three years before NOW, by hand

history = st.lists(
    st.tuples(
        st.integers(0, 5 * 365),  # received, days after 2025-01-01
        st.one_of(st.none(), st.integers(0, 400)),  # withdrawn so many days later, or open
        st.booleans(),  # gave personal data
    ),
    min_size=1,
    max_size=12,
)


@settings(max_examples=15, deadline=None)
@given(history)
def test_retention_erases_exactly_what_an_independent_count_says(
    rows: list[tuple[int, int | None, bool]],
) -> None:
    engine = cf.Engine(load_entry_points=False, clock=FakeClock(NOW))
    start = datetime(2025, 1, 1, 8, tzinfo=UTC)
    expected: list[str] = []
    for i, (day, withdrawn, personal) in enumerate(sorted(rows, key=lambda r: r[0])):
        received = start + timedelta(days=day, minutes=i)
        data = new(i, received_at=received) if personal else {
            "channel": "web", "complainant": {"id": f"u-{i}"}, "subject": "Late",
            "received_at": received,
        }  # fmt: skip
        c = engine.submit(data, actor=IMPORTER)
        if withdrawn is None:
            continue
        ended = received + timedelta(days=withdrawn)
        if ended > NOW:
            continue
        engine.handle(c.id, cf.Withdraw(actor=cf.Actor.system(), reason="done", at=ended))
        if personal and ended <= CUTOFF:
            expected.append(c.id)
    assert engine.apply_retention(NOW, dry_run=True) == expected
    assert all(engine.history(cid)[-1].type != "erased" for cid in expected)  # dry: nothing
    assert engine.apply_retention(NOW) == expected
    for cid in expected:
        assert engine.store.vault_read([cid]) == []
        assert engine.history(cid)[-1].data == {
            "party": None,
            "reason": "retention",
            "forced": False,
        }
        assert engine.view(cid, actor=HANDLER).complainant.name == "[erased]"
    assert engine.apply_retention(NOW) == []  # done once
    kept = [c for c in engine.find(limit=1000) if c.personal and c.id not in expected]
    assert all(engine.view(c.id, actor=HANDLER).complainant.name == NAME for c in kept)


def test_a_retention_policy_given_overrides_the_packs(engine: cf.Engine, clock: FakeClock) -> None:
    c = engine.submit(new(), actor=COMPLAINANT)
    engine.handle(c.id, cf.Withdraw(actor=COMPLAINANT, reason="sorted"))
    one_year = cf.RetentionPolicy(1)
    assert engine.apply_retention(T0 + timedelta(days=364), policy=one_year, dry_run=True) == []
    assert engine.apply_retention(T0 + timedelta(days=366), policy=one_year, dry_run=True) == [c.id]
    assert engine.apply_retention(T0 + timedelta(days=366), dry_run=True) == []  # guide: 3 years


def test_the_worker_applies_retention(engine: cf.Engine, clock: FakeClock) -> None:
    c = engine.submit(new(), actor=COMPLAINANT)
    engine.handle(c.id, cf.Withdraw(actor=COMPLAINANT, reason="sorted"))
    clock.set(T0 + timedelta(days=3 * 366))
    worker = cf.Worker(engine, interval=0)
    runs: list[object] = []
    real = engine.apply_retention
    engine.apply_retention = lambda *a, **k: runs.append(1) or real(*a, **k)  # type: ignore[method-assign]
    worker.run_round()
    assert engine.store.vault_read([c.id]) == []
    assert engine.history(c.id)[-1].type == "erased"
    worker.run_round()  # not again within the hour
    assert len(runs) == 1
    worker.retention_every = 0
    worker.run_round()
    assert len(runs) == 2


# -- encryption ---------------------------------------------------------------------------


class DictKms:
    """A key store outside the database (a key management service)."""

    def __init__(self) -> None:
        self.keys: dict[str, bytes] = {}

    def key(self, party_id: str, *, create: bool) -> bytes | None:
        if party_id not in self.keys and create:
            self.keys[party_id] = os.urandom(32)
        return self.keys.get(party_id)

    def destroy(self, party_id: str) -> None:
        self.keys.pop(party_id, None)


def test_encrypted_entries_open_only_with_their_key(clock: FakeClock) -> None:
    pytest.importorskip("cryptography")
    kms = DictKms()
    engine = cf.Engine(load_entry_points=False, clock=clock, encryption=cf.Encryption(keys=kms))
    c = engine.submit(new(), actor=COMPLAINANT)
    entries = engine.store.vault_read([c.id])
    assert len(entries) == 2
    assert all(e.data.startswith("aesgcm1:") and NAME not in e.data for e in entries)
    assert set(kms.keys) == {"u-1", "shop-9"}
    assert engine.view(c.id, actor=HANDLER).complainant.name == NAME
    # an entry moved to another complaint does not open (its ids are authenticated)
    moved = entries[0]._replace(complaint_id="elsewhere")
    with pytest.raises(cf.StoreError):
        engine._vault.open(moved)
    engine.handle(c.id, cf.Withdraw(actor=COMPLAINANT, reason="sorted"))
    backup = list(entries)
    engine.erase("u-1", "request")
    assert "u-1" not in kms.keys
    # a backup restored after the erasure: the ciphertext is there, its key is not
    engine.store.vault_put(backup)
    seen = engine.view(c.id, actor=HANDLER)
    assert (seen.complainant.name, seen.description) == ("[erased]", "[erased]")
    assert seen.respondent is not None
    assert seen.respondent.name == SHOP_NAME


def test_the_default_key_store_keeps_keys_in_the_vault(clock: FakeClock) -> None:
    pytest.importorskip("cryptography")
    engine = cf.Engine(load_entry_points=False, clock=clock, encryption=cf.Encryption())
    c = engine.submit(new(), actor=COMPLAINANT)
    keys = [e for e in engine.store.vault_of("u-1") if e.complaint_id != c.id]
    assert [e.complaint_id for e in keys] == [" key:u-1"]
    assert engine.view(c.id, actor=COMPLAINANT).description == "The kettle 1 leaks from the base."
    plain = cf.Engine(load_entry_points=False, store=engine.store)  # encryption not configured
    with pytest.raises(cf.InvalidInput, match="encryption"):
        plain.view(c.id, actor=HANDLER)
    engine.handle(c.id, cf.Withdraw(actor=COMPLAINANT, reason="sorted"))
    engine.erase("u-1", "request")
    assert engine.store.vault_of("u-1") == []


def test_encryption_without_the_extra_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "cryptography.hazmat.primitives.ciphers.aead", None)
    with pytest.raises(cf.MissingDependency, match=r"complaintflow\[crypto\]"):
        cf.Encryption()
    with pytest.raises(cf.InvalidInput, match="keys"):
        cf.Encryption(keys="kms")  # type: ignore[arg-type]


# -- split and hydrate: a property ------------------------------------------------------

_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cs")), max_size=30)
_party = st.builds(
    lambda pid, name, contact: {"id": pid, "name": name, "contact": contact},
    st.sampled_from(["u-1", "u-2", "shop-9"]),
    st.none() | _text,
    st.none() | _text,
)


@settings(max_examples=60, deadline=None)
@given(
    complainant=_party,
    respondent=st.none() | _party,
    description=_text,
    evidence=st.lists(_text.filter(str.strip), max_size=3),
    erased=st.sampled_from(["nobody", "u-1", "u-2", "shop-9"]),
)
def test_split_keeps_no_personal_field_and_hydrate_gives_it_back(
    complainant: dict[str, Any],
    respondent: dict[str, Any] | None,
    description: str,
    evidence: list[str],
    erased: str,
) -> None:
    from complaintflow._vault import Vault, hydrate

    new = cf.NewComplaint(
        channel="web",
        complainant=complainant,
        respondent=respondent,
        subject="s",
        description=description,
        evidence=tuple(evidence),
    )
    full = cf.Complaint.model_validate(
        {**new.model_dump(), "id": "c-1", "received_at": T0, "status": "received",
         "version": 0, "updated_at": T0}
    )  # fmt: skip
    facts, entries = Vault.prepare(full)
    # the facts hold no personal value
    assert (facts.complainant.name, facts.complainant.contact) == (None, None)
    assert facts.respondent is None or (facts.respondent.name, facts.respondent.contact) == (
        None,
        None,
    )
    assert (facts.description, facts.evidence) == ("", ())
    # one entry per party that gave something, and all of them give it all back
    assert len({e.party_id for e in entries}) == len(entries)
    values: dict[str, Any] = {}
    for e in entries:
        values.update(json.loads(e.data))
    assert hydrate(facts, values).model_dump(exclude={"personal", "fingerprint"}) == (
        full.model_dump(exclude={"personal", "fingerprint"})
    )
    # without one party's entry, exactly that party's fields read [erased]
    kept: dict[str, Any] = {}
    for e in entries:
        if e.party_id != erased:
            kept.update(json.loads(e.data))
    seen = hydrate(facts, kept)
    for field in facts.personal:
        owner = full.complainant.id if not field.startswith("respondent") else respondent["id"]  # type: ignore[index]
        got = _field(seen, field)
        want = ("[erased]",) if field == "evidence" else "[erased]"
        assert (got == want) == (owner == erased), field
        if owner != erased:
            assert got == _field(full, field)


def _field(c: cf.Complaint, path: str) -> Any:
    value: Any = c
    for part in path.split("."):
        value = getattr(value, part)
    return value if not isinstance(value, list) else tuple(value)


# -- a failed submit ------------------------------------------------------------------------


class FailingSave(cf.MemoryStore):
    """Fails the next save, before writing anything."""

    fail = False

    def save(self, complaint: cf.Complaint, **parts: Any) -> None:
        if self.fail:
            self.fail = False
            raise cf.StoreError("injected: the database went away")
        super().save(complaint, **parts)


def test_a_failed_submit_leaves_no_vault_entry_and_a_retry_writes_its_own() -> None:
    store = FailingSave()
    engine = cf.Engine(store=store, load_entry_points=False, clock=FakeClock(T0))
    store.fail = True
    with pytest.raises(cf.StoreError):
        engine.submit(new(id="c-1", description="first try"), actor=COMPLAINANT)
    assert store.vault_read(["c-1"]) == []
    engine.submit(new(id="c-1", description="second try"), actor=COMPLAINANT)
    assert engine.view("c-1", actor=HANDLER).description == "second try"


def test_a_submit_reusing_an_id_changes_nothing_of_the_stored_complaint(engine: cf.Engine) -> None:
    engine.submit(new(id="c-1"), actor=COMPLAINANT)
    intruder = new(
        id="c-1",
        complainant={"id": "u-666", "name": "Mallory", "contact": "m@evil.example"},
        respondent={"id": "shop-9", "name": "Fake Shop", "contact": "fake@evil.example"},
        description="overwritten",
    )
    with pytest.raises(cf.ConcurrencyError):
        engine.submit(intruder, actor=cf.Actor(id="u-666", roles={"complainant"}))
    seen = engine.view("c-1", actor=HANDLER)
    assert (seen.complainant.name, seen.description) == (NAME, "The kettle 1 leaks from the base.")
    assert seen.respondent is not None
    assert (seen.respondent.name, seen.respondent.contact) == (SHOP_NAME, SHOP_CONTACT)


# -- erasure as a property: whatever is erased, the facts stay ------------------------------

LIFE = (
    ("acknowledge", {}),
    ("record_step", {"step": "contact_complainant"}),
    ("record_step", {"step": "investigate"}),
    ("classify", {}),
    ("decide", {"outcome": "upheld", "basis": "Platform rule 4.2"}),
    ("execute", {"note": "refund issued"}),
    ("follow_up", {"satisfied": True}),
)


@settings(max_examples=20, deadline=None)
@given(
    cases=st.lists(
        st.tuples(
            st.sampled_from(["u-1", "u-2", "u-3"]),
            st.sampled_from(["shop-1", "shop-2"]),
            st.integers(0, len(LIFE)),
        ),
        min_size=1,
        max_size=5,
    ),
    erased=st.sets(st.sampled_from(["u-1", "u-2", "u-3", "shop-1", "shop-2"])),
)
def test_erasing_anyone_keeps_every_fact_and_everyone_elses_data(
    cases: list[tuple[str, str, int]], erased: set[str]
) -> None:
    clock = FakeClock(T0)
    engine = cf.Engine(load_entry_points=False, clock=clock)
    ids = []
    for k, (who, shop, steps) in enumerate(cases):
        c = engine.submit(
            new(k, complainant={"id": who, "name": f"name of {who}", "contact": f"{who}@x.cn"},
                respondent={"id": shop, "name": f"name of {shop}", "contact": f"{shop}@x.cn"}),
            actor=cf.Actor(id=who, roles={"complainant"}),
        )  # fmt: skip
        for kind, payload in LIFE[:steps]:
            clock.advance(hours=5)
            engine.handle(c.id, {"type": kind, "actor": HANDLER, **payload})
        ids.append(c.id)
    later = clock() + timedelta(days=90)
    window = {"since": T0 - timedelta(days=1), "until": T0 + timedelta(days=1), "now": later}
    before = {cid: (engine.sla(cid, now=later).history, engine.history(cid)) for cid in ids}
    views = {cid: engine.view(cid, actor=HANDLER) for cid in ids}
    metrics = engine.metrics(**window)
    for person in sorted(erased):
        engine.erase(person, "request", actor=SUPERVISOR, force=True)
    assert engine.metrics(**window) == metrics
    for cid in ids:
        sla, trail = before[cid]
        assert engine.sla(cid, now=later).history == sla
        now_trail = engine.history(cid)
        assert now_trail[: len(trail)] == trail
        assert {e.type for e in now_trail[len(trail) :]} <= {"erased"}
        assert engine.replay(now_trail) == engine.get(cid)
        seen, was = engine.view(cid, actor=HANDLER), views[cid]
        assert seen.respondent is not None
        assert was.respondent is not None
        for party, then in ((seen.complainant, was.complainant), (seen.respondent, was.respondent)):
            gone = party.id in erased
            assert party.name == ("[erased]" if gone else then.name)
            assert party.contact == ("[erased]" if gone else then.contact)
        assert seen.description == (
            "[erased]" if seen.complainant.id in erased else was.description
        )


def test_a_view_refused_reads_nothing_from_the_vault(engine: cf.Engine) -> None:
    c = engine.submit(new(), actor=COMPLAINANT)
    reads: list[object] = []
    real = engine.store.vault_read
    engine.store.vault_read = lambda ids: reads.append(ids) or real(ids)  # type: ignore[method-assign]
    with pytest.raises(cf.PermissionDenied):
        engine.view(c.id, actor=cf.Actor(id="u-9", roles={"complainant"}))
    assert reads == []
    assert engine.view(c.id, actor=COMPLAINANT).complainant.name == NAME
    assert reads == [[c.id]]
