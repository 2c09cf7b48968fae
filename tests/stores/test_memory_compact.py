"""The memory store's compact forms: packed events, the screen's key index,
and the recent complaints whose rows and index rows are written later.

Expected values come from independent oracles: the event as it was saved,
a plain list of (complainant, key, id) filings, and the complaints read back
one by one through ``load``."""

from __future__ import annotations

from datetime import UTC, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import complaintflow as cf
from complaintflow.models import Event
from complaintflow.states import Status
from complaintflow.stores._compact import Blob, EventPacker, KeyIndex
from complaintflow.stores._memory import _RECENT
from complaintflow.testing import FakeClock
from complaintflow.testing.contract import T0, command, complainant, engine_on, new

_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=8)
    | st.datetimes(timezones=st.just(UTC))  # marshal cannot write it: kept as it is
)
_values = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=5)
        | st.lists(inner, max_size=5).map(tuple)
        | st.dictionaries(st.text(max_size=6), inner, max_size=6)
    ),
    max_leaves=20,
)
_data = st.dictionaries(st.text(max_size=8), _values, max_size=6)


def _event(data: dict[str, Any], seq: int = 2) -> Event:
    return Event(
        complaint_id="c-1",
        seq=seq,
        type="note",
        at=T0,
        actor="h-1",
        from_status=Status.verifying,
        to_status=Status.verifying,
        data=data,
        recorded_at=T0 + timedelta(seconds=1),
        time_basis="caller",
    )


def _same(a: object, b: object) -> bool:
    """Equal, and of the same types all the way down (a tuple stays a tuple)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        assert isinstance(b, dict)
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple):
        assert isinstance(b, list | tuple)
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return a == b


@given(_data)
def test_an_event_packs_and_unpacks_to_itself(data: dict[str, Any]) -> None:
    e = _event(data)
    back = EventPacker.unpack("c-1", EventPacker().pack(e))
    assert back == e
    assert _same(back.data, e.data)
    assert list(back.__dict__) == list(e.__dict__)  # the fields in their order


def test_large_mappings_are_packed_and_a_shared_policy_is_kept_once() -> None:
    """The complaint as received is packed; the SLA policy's data (two
    entries, shared by every complaint under the policy) is kept as the
    one object it is, not copied per event."""
    policy = cf.GUIDE_POLICY.to_data()
    complaint = {"id": "c-1", "channel": "web", "subject": "s", "evidence": ["a"]}
    packer = EventPacker()
    first = packer.pack(_event({"policy": policy, "complaint": complaint}))
    second = packer.pack(_event({"policy": policy}, seq=3))
    data_at = list(Event.model_fields).index("data") - 1  # the complaint id is not kept
    assert first[data_at][1] is policy
    assert second[data_at][1] is policy
    blob = first[data_at][3]
    assert type(blob) is Blob
    assert packer.unpack("c-1", first).data == {"policy": policy, "complaint": complaint}


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["u-1", "u-2", "u-3"]),
            st.lists(st.sampled_from(["k1", "k2", "k3", "o:9"]), unique=True, max_size=4),
        ),
        max_size=12,
    )
)
def test_the_key_index_finds_what_was_filed_and_not_erased(
    filings: list[tuple[str, list[str]]],
) -> None:
    index = KeyIndex()
    filed: list[tuple[str, str, str]] = []
    for n, (who, keys) in enumerate(filings):
        if n % 2 and keys:  # the last key apart, as an order's key is filed
            index.add(who, f"c-{n}", tuple(keys[:-1]), keys[-1])
        else:
            index.add(who, f"c-{n}", tuple(keys))
        filed += [(who, k, f"c-{n}") for k in keys]
    for who in ("u-1", "u-2", "u-3", "u-4"):
        for key in ("k1", "k2", "k3", "o:9", "k4"):
            expected = [cid for w, k, cid in filed if (w, k) == (who, key)]
            assert list(index.ids(who, key)) == expected
    for n, (who, keys) in list(enumerate(filings))[::3]:  # erase every third one
        index.remove(who, f"c-{n}", tuple(keys))
        filed = [f for f in filed if f[2] != f"c-{n}"]
    for who in ("u-1", "u-2", "u-3", "u-4"):
        for key in ("k1", "k2", "k3", "o:9", "k4"):
            expected = [cid for w, k, cid in filed if (w, k) == (who, key)]
            assert list(index.ids(who, key)) == expected


def _engine() -> tuple[cf.Engine, cf.MemoryStore, FakeClock]:
    store = cf.MemoryStore()
    clock = FakeClock(T0)
    return engine_on(store, clock), store, clock


def test_queries_see_the_recent_complaints_as_they_are_now() -> None:
    """More complaints than are kept recent, some moved on: ``find``, ``due``
    and ``find_like`` answer as the complaints read back one by one say."""
    engine, store, clock = _engine()
    ids = []
    for i in range(_RECENT + 10):
        clock.advance(minutes=1)
        ids.append(engine.submit(new(i % 7, order_id=f"o-{i}"), actor=complainant(i % 7)).id)
    moved = ids[:5] + ids[-5:]  # left the recent ones, and still among them
    for cid in moved:
        clock.advance(minutes=1)
        engine.handle(cid, command("acknowledge", {}))
    engine.handle(ids[-1], command("reject", {"reason": "out_of_scope", "statement": "no"}))
    everyone = [engine.get(cid) for cid in ids]

    # before any query brought the index up to date
    last = everyone[-1]  # rejected: not open, so no duplicate of anything
    twin = everyone[-8]  # same complainant (i % 7), open, same text
    like = {c.id for c in store.find_like(twin, same_order=False)}
    assert last.id not in like
    same_person = {c.id for c in everyone if c.complainant.id == twin.complainant.id}
    assert like == {c.id for c in everyone if c.id in same_person and c.is_open} - {twin.id}

    when = T0 + timedelta(days=3)
    due = {c.id for c in everyone if c.sla and c.sla.next_check and c.sla.next_check <= when}
    assert {c.id for c in store.due(when, limit=1000)} == due

    verifying = {c.id for c in everyone if c.status is Status.verifying}
    assert verifying == set(moved) - {ids[-1]}
    found = store.find(status=Status.verifying, limit=1000)
    assert {c.id for c in found} == verifying
    assert {c.id for c in store.find(open_only=True, limit=1000)} == set(ids) - {ids[-1]}


def test_a_stale_version_is_refused_for_a_recent_complaint() -> None:
    engine, store, clock = _engine()
    c = engine.submit(new(1), actor=complainant(1))
    clock.advance(minutes=1)
    after = engine.handle(c.id, command("acknowledge", {}))
    assert store.load(c.id) == after
    with pytest.raises(cf.ConcurrencyError, match="at version 2"):
        store.save(after, expected_version=c.version, events=[])


def test_a_complaint_leaving_the_recent_ones_is_read_back_from_its_row() -> None:
    engine, store, clock = _engine()
    first = engine.submit(new(1), actor=complainant(1))
    clock.advance(minutes=1)
    first = engine.handle(first.id, command("acknowledge", {}))
    for i in range(_RECENT):
        engine.submit(new(100 + i), actor=complainant(100 + i))
    assert first.id not in store._recent
    again = store.load(first.id)
    assert again == first
    assert again is not first
    assert [e.type for e in store.events(first.id)] == ["submit", "acknowledge"]
    assert store.find(status=Status.verifying) == [first]
