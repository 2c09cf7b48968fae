"""The screens' bounded cost: what they read (a bounded prefix, the store's
indexes, a capped window) and that the bounds keep their answers."""

from __future__ import annotations

import difflib
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import complaintflow as cf
from complaintflow._fingerprint import BANDS, PREFIX, comparable, fingerprint
from complaintflow.rules import similarity
from complaintflow.rules._screening import RECENT
from complaintflow.stores import MemoryStore, SQLiteStore
from complaintflow.stores._sql import SCHEMA_VERSION
from complaintflow.testing import FakeClock

T0 = datetime(2026, 3, 9, 9, tzinfo=UTC)
SHOP = cf.Party(id="shop-9", kind="merchant")
ME = cf.Actor(id="u-1", roles=frozenset({"complainant"}))


def _new(**fields: Any) -> cf.NewComplaint:
    values: dict[str, Any] = {
        "channel": "app",
        "category": "goods",
        "complainant": cf.Party(id="u-1"),
        "respondent": SHOP,
        "subject": "Kettle leaks",
        "description": "The kettle leaks from the base after one use.",
        "order_id": "o-1",
    }
    values.update(fields)
    return cf.NewComplaint(**values)


class OldStore:
    """A store with only the 0.1 protocol (no indexed look-ups): the
    screens fall back to reading the complainant's complaints."""

    _HIDDEN = frozenset({"count_from", "recent_from", "find_like"})

    def __init__(self) -> None:
        self._inner = MemoryStore()

    def __getattr__(self, name: str) -> Any:
        if name in self._HIDDEN:
            raise AttributeError(name)
        return getattr(self._inner, name)


SCRIPT = [
    {},
    {"subject": "Still leaking", "description": "Different words entirely."},
    {
        "order_id": "o-2",
        "subject": "KETTLE  LEAKS",
        "description": "The kettle leaks from the base after one use！",
    },
    {"order_id": "o-3", "subject": "Wrong colour", "description": "It is purple."},
    {"order_id": "o-4", "subject": "Late", "description": "Ten days late."},
    {"order_id": "o-5", "subject": "Lid", "description": "The lid snapped."},
    {"order_id": "o-6", "subject": "Plug", "description": "The plug sparks."},
    {"order_id": "o-7", "subject": "Noise", "description": "It whistles."},
]


def _flags(store: Any) -> list[list[tuple[str, int]]]:
    clock = FakeClock(T0)
    engine = cf.Engine(store=store, clock=clock, load_entry_points=False)
    ids: list[str] = []
    out = []
    for fields in SCRIPT:
        clock.advance(minutes=5)
        c = engine.submit(_new(**fields), actor=ME)
        ids.append(c.id)
        out.append([(f.kind, len(f.related)) for f in c.flags])
    return out


def test_a_store_without_the_look_ups_gets_the_same_flags() -> None:
    indexed, old = _flags(MemoryStore()), _flags(OldStore())
    assert indexed == old
    # by hand: 2nd same order, 3rd same text, 6th over the limit of 5 in
    # 24 h (a warning), 7th and 8th after the warning (malicious, naming all)
    assert [k for k, _ in indexed[1]] == ["duplicate"]
    assert [k for k, _ in indexed[2]] == ["duplicate"]
    assert indexed[5] == [("malicious_warning", 0)]
    assert indexed[6] == [("malicious", 6)]
    assert indexed[7] == [("malicious", 7)]


def test_the_malicious_window_is_counted_whole_but_read_capped() -> None:
    clock = FakeClock(T0)
    engine = cf.Engine(clock=clock, load_entry_points=False)
    n = RECENT + 20
    for i in range(n):
        clock.advance(minutes=1)
        last = engine.submit(
            _new(order_id=f"o-{i}", subject=f"s{i}", description=f"d{i}"), actor=ME
        )
    (flag,) = last.flags
    assert flag.kind == "malicious"
    assert flag.reason.startswith(f"{n} complaints from this complainant within 24 hours")
    assert len(flag.related) == RECENT


def test_similarity_reads_a_bounded_prefix() -> None:
    head = "退款" * PREFIX
    assert similarity(head + "a" * 50_000, head + "b" * 50_000) == 1.0
    assert len(comparable("x " * 100_000)) == PREFIX
    # inside the prefix, a difference counts
    assert similarity("abcd", "abce") == pytest.approx(2 * 3 / 8)


@given(st.text(max_size=60), st.text(max_size=60))
def test_similarity_is_at_least_difflibs_ratio_and_symmetric(a: str, b: str) -> None:
    # difflib's matching blocks are a common subsequence: never longer than the LCS
    x, y = comparable(a), comparable(b)
    s = similarity(a, b)
    assert s == similarity(b, a)
    assert 0.0 <= s <= 1.0
    if x or y:
        assert s >= difflib.SequenceMatcher(None, x, y, autojunk=False).ratio() - 1e-9
    if x == y:
        assert s == 1.0


@given(st.text(max_size=300))
def test_a_fingerprint_has_its_bands_and_ignores_case_width_and_spaces(text: str) -> None:
    keys = fingerprint(comparable(text))
    assert len(keys) == BANDS == len(set(keys))
    assert fingerprint(comparable(text.upper().replace(" ", "  \n"))) == fingerprint(
        comparable(text.upper())
    )


def test_fingerprints_are_the_same_in_every_process() -> None:
    # stored keys must match keys computed by another process later
    code = "from complaintflow._fingerprint import fingerprint as f; print(f('kettleleaks'))"
    seen = {
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env={"PYTHONHASHSEED": seed},
        ).stdout
        for seed in ("1", "2")
    }
    assert seen == {f"{fingerprint('kettleleaks')}\n"}


def test_a_long_near_duplicate_is_found(tmp_path: Path) -> None:
    body = " ".join(f"word{i % 97} part{i % 13}" for i in range(20_000))[:100_000]
    with SQLiteStore(tmp_path / "a.db") as store:
        clock = FakeClock(T0)
        engine = cf.Engine(store=store, clock=clock, load_entry_points=False)
        first = engine.submit(_new(order_id="o-1", description=body), actor=ME)
        clock.advance(hours=1)
        other = engine.submit(_new(order_id="o-2", description="x" + body[1:]), actor=ME)
        assert [(f.kind, f.related) for f in other.flags] == [("duplicate", (first.id,))]


def test_an_older_sqlite_database_gets_its_keys_filed(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    clock = FakeClock(T0)
    with SQLiteStore(path) as store:
        engine = cf.Engine(store=store, clock=clock, load_entry_points=False)
        first = engine.submit(_new(), actor=ME)
        # as a version-2 database was: no complaint_keys table
        store._conn.execute("DROP TABLE complaint_keys")
        # nor the triage column of version 4
        store._conn.execute("DROP INDEX complaints_triage")
        store._conn.execute("ALTER TABLE complaints DROP COLUMN needs_triage")
        store._conn.execute("UPDATE schema_version SET version = 2")
    with SQLiteStore(path) as store:
        engine = cf.Engine(store=store, clock=clock, load_entry_points=False)
        clock.advance(hours=1)
        again = engine.submit(_new(order_id="o-9"), actor=ME)
        assert [(f.kind, f.related) for f in again.flags] == [("duplicate", (first.id,))]
        assert store.schema_version == SCHEMA_VERSION


def test_screening_never_reads_the_whole_history() -> None:
    class Counting(MemoryStore):
        finds = 0

        def find(self, **kw: Any) -> list[cf.Complaint]:
            Counting.finds += 1
            return super().find(**kw)

    clock = FakeClock(T0)
    store = Counting()
    engine = cf.Engine(store=store, clock=clock, load_entry_points=False)
    for i in range(30):
        clock.advance(hours=1)
        engine.submit(_new(order_id=f"o-{i}", subject=f"s{i}"), actor=ME)
    assert Counting.finds == 0
    assert store.count_from("u-1", since=T0, until=T0 + timedelta(days=2)) == 30
