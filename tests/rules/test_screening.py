"""The built-in screens (guide §2.3): duplicate, incomplete, malicious with a
warning first; flags mark a complaint and never drop it; a duplicate is
rejected with a link to the original and a statement of reasons."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

import complaintflow as cf
from complaintflow.testing import FakeClock

T0 = datetime(2026, 3, 9, 9, tzinfo=UTC)
H = cf.Actor(id="h-1", roles=frozenset({"handler"}))
SHOP = cf.Party(id="shop-9", kind="merchant")


def actor(uid: str) -> cf.Actor:
    return cf.Actor(id=uid, roles=frozenset({"complainant"}))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture
def engine(clock: FakeClock) -> cf.Engine:
    return cf.Engine(clock=clock, load_entry_points=False)


def submit(engine: cf.Engine, uid: str = "u-1", **fields: Any) -> cf.Complaint:
    values: dict[str, Any] = {
        "channel": "app",
        "category": "goods",
        "complainant": cf.Party(id=uid),
        "respondent": SHOP,
        "subject": "Kettle leaks",
        "description": "The kettle leaks from the base after one use.",
        "order_id": "o-1",
    }
    values.update(fields)
    return engine.submit(cf.NewComplaint(**values), actor=actor(uid))


def kinds(c: cf.Complaint) -> list[str]:
    return [f.kind for f in c.flags]


def test_a_complete_first_complaint_has_no_flags(engine: cf.Engine) -> None:
    assert submit(engine).flags == ()


def test_same_complainant_respondent_and_order_is_a_duplicate(engine: cf.Engine) -> None:
    first = submit(engine)
    second = submit(engine, subject="Still leaking", description="Different words entirely.")
    (flag,) = second.flags
    assert flag.kind == "duplicate"
    assert flag.related == (first.id,)
    assert "same complainant, respondent and order 'o-1'" in flag.reason
    assert second.status == cf.Status.received  # marked, never dropped


def test_near_identical_english_text_is_a_duplicate(engine: cf.Engine) -> None:
    first = submit(engine, order_id="o-1")
    # another order, but the same words up to case, punctuation width and spaces
    second = submit(
        engine,
        order_id="o-2",
        subject="KETTLE  LEAKS",
        description="The kettle leaks from the base after one use！",
    )
    assert kinds(second) == ["duplicate"]
    assert second.flags[0].related == (first.id,)
    assert "alike" in second.flags[0].reason
    # a different complaint by the same complainant is not a duplicate
    third = submit(engine, order_id="o-3", subject="Wrong colour", description="It is purple.")
    assert kinds(third) == []


def test_near_identical_chinese_text_is_a_duplicate(engine: cf.Engine) -> None:
    first = submit(
        engine, order_id=None, subject="电水壶漏水", description="用了一次底部就漏水了。"
    )
    # full-width letters and spaces do not hide the duplicate
    second = submit(
        engine, order_id=None, subject="电水壶 漏水", description="用了一次底部就漏水了"
    )
    assert [(f.kind, f.related) for f in second.flags if f.kind == "duplicate"] == [
        ("duplicate", (first.id,))
    ]
    other = submit(engine, order_id=None, subject="客服态度差", description="客服挂了我的电话。")
    assert "duplicate" not in kinds(other)


def test_no_duplicate_of_a_closed_complaint_or_another_respondent(engine: cf.Engine) -> None:
    first = submit(engine)
    engine.handle(first.id, cf.Withdraw(actor=actor("u-1"), reason="sorted out"))
    assert kinds(submit(engine)) == []  # the first is no longer open
    assert kinds(submit(engine, respondent=cf.Party(id="shop-10"))) == []
    assert kinds(submit(engine, uid="u-2")) == []  # another complainant


def test_incomplete_names_the_missing_fields_per_category(engine: cf.Engine) -> None:
    c = submit(engine, respondent=None, order_id=None)
    (flag,) = c.flags
    assert flag.kind == "incomplete"
    assert flag.reason == "missing what a goods complaint needs: respondent, order_id"
    c = submit(engine, uid="u-2", category="service", respondent=None, order_id=None)
    assert kinds(c) == []  # a service complaint needs neither
    c = submit(engine, uid="u-3", category="service", description="  ")
    assert c.flags[0].reason == "missing what a service complaint needs: description"


def test_malicious_warns_first_then_flags_for_review(engine: cf.Engine, clock: FakeClock) -> None:
    # default: more than 5 complaints within 24 hours
    subjects = ["A", "B", "C", "D", "E", "F", "G"]
    out = []
    for i, s in enumerate(subjects):
        clock.set(T0 + timedelta(hours=i))
        out.append(submit(engine, subject=f"Complaint {s}", description=s, order_id=f"o-{i}"))
    assert [kinds(c) for c in out[:5]] == [[]] * 5
    # the 6th within 24 h: a warning, and the complainant is told
    assert kinds(out[5]) == ["malicious_warning"]
    assert "6 complaints from this complainant within 24 hours" in out[5].flags[0].reason
    notes = list(engine.store.notifications(out[5].id))  # type: ignore[attr-defined]
    assert [(n.kind, n.recipient, n.recipient_role) for n in notes] == [
        ("screening_warning", "u-1", "complainant")
    ]
    assert notes[0].data["reason"] == out[5].flags[0].reason
    # the 7th after the warning: flagged for human review, still received
    assert kinds(out[6]) == ["malicious"]
    assert out[6].flags[0].related == tuple(c.id for c in out[:6])
    assert out[6].status == cf.Status.received
    assert engine.store.notifications(out[6].id) == []  # type: ignore[attr-defined]
    # the window slides: a day after the 2nd, only 5 remain inside it
    clock.set(T0 + timedelta(hours=30))
    later = submit(engine, subject="Complaint H", description="H", order_id="o-h")
    assert "malicious" not in kinds(later)


def test_screens_follow_the_rule_set_settings(clock: FakeClock) -> None:
    settings = cf.RuleSet.loads(
        """
[screening.malicious]
limit = 1
window_hours = 1

[screening.duplicate]
enabled = false

[screening.incomplete]
default = ["evidence"]
""",
        source="ops.toml",
    )
    engine = cf.Engine(clock=clock, plugins=[settings], load_entry_points=False)
    first = submit(engine)
    assert kinds(first) == ["incomplete"]  # no evidence
    second = submit(engine, evidence=("photo.jpg",))
    assert kinds(second) == ["malicious_warning"]  # 2 within an hour; no duplicate screen
    clock.advance(hours=2)
    assert kinds(submit(engine, evidence=("p.jpg",))) == []


def test_reject_duplicate_links_the_original_and_tells_the_complainant(
    engine: cf.Engine,
) -> None:
    first = submit(engine)
    second = submit(engine)
    engine.handle(second.id, cf.Acknowledge(actor=H))
    statement = "You already complained about order o-1; we handle it under the first complaint."
    # no duplicate_of given: the original the screen found
    c = engine.handle(second.id, cf.Reject(actor=H, reason="duplicate", statement=statement))
    assert c.status == cf.Status.rejected
    assert c.rejection == {"reason": "duplicate", "statement": statement, "duplicate_of": first.id}
    (note,) = [
        n
        for n in engine.store.notifications(second.id)  # type: ignore[attr-defined]
        if n.kind == "rejection"
    ]
    assert (note.recipient, note.recipient_role) == ("u-1", "complainant")
    assert note.data["statement"] == statement
    assert note.data["duplicate_of"] == first.id
    # an explicit original wins; an unknown one is refused
    third = submit(engine, uid="u-2")
    with pytest.raises(cf.InvalidInput, match="duplicate_of"):
        engine.handle(
            third.id, cf.Reject(actor=H, reason="duplicate", statement="s", duplicate_of="nope")
        )
    c = engine.handle(
        third.id, cf.Reject(actor=H, reason="duplicate", statement="s", duplicate_of=first.id)
    )
    assert c.rejection is not None
    assert c.rejection["duplicate_of"] == first.id


def test_screens_work_on_the_sqlite_store(tmp_path: Any, clock: FakeClock) -> None:
    store_cls = getattr(cf.stores, "SQLiteStore", None) if hasattr(cf, "stores") else None
    if store_cls is None:
        from complaintflow import stores

        store_cls = getattr(stores, "SQLiteStore", None)
    if store_cls is None:
        pytest.skip("no SQLite store")
    engine = cf.Engine(store=store_cls(tmp_path / "c.db"), clock=clock, load_entry_points=False)
    first = submit(engine)
    assert submit(engine).flags[0].related == (first.id,)
