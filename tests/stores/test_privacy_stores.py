"""Erasure on every store (docs/privacy.md): after ``engine.erase`` the
person's name, contact and description are nowhere in the store's bytes
(the SQLite file and its WAL, every PostgreSQL table of the store's schema
including the outbox, every object the memory store holds), while the
complaint still replays to its stored state and its deadlines and figures
are what they were."""

from __future__ import annotations

import gc
import json
import types
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from store_helpers import LIFECYCLE, PG_DSN, T0, StoreFactory, check_consistent, command

import complaintflow as cf
from complaintflow.stores import MemoryStore, PostgresStore, SQLiteStore
from complaintflow.testing import FakeClock
from complaintflow.testing.contract import engine_on

NAME = "张三丰 Zhang Sanfeng"
CONTACT = "sanfeng.zhang@example.cn +86 139 0000 7777"
DESCRIPTION = "My neighbour Li Siyuan saw the kettle burst in our kitchen on 3 May"
EVIDENCE = "https://files.example.cn/sanfeng-kettle-photo.jpg"
OTHER_NAME = "Golden Kettle Trading Co"
SECRETS = (NAME, CONTACT, DESCRIPTION, EVIDENCE)


def encodings(text: str) -> list[bytes]:
    """``text`` as the library could write it: UTF-8, and JSON-escaped."""
    return [text.encode(), json.dumps(text).strip('"').encode()]


def _memory_bytes(store: MemoryStore) -> bytes:
    """Every string reachable from the store's objects, joined."""
    seen: set[int] = set()
    todo: list[Any] = [store.__dict__]
    out: list[bytes] = []
    while todo:
        obj = todo.pop()
        if id(obj) in seen or isinstance(obj, type | types.ModuleType | types.FunctionType):
            continue
        seen.add(id(obj))
        if isinstance(obj, str):
            out.append(obj.encode("utf-8", "surrogatepass"))
        elif isinstance(obj, bytes):
            out.append(obj)
        else:
            todo.extend(gc.get_referents(obj))
    return b"\n".join(out)


def _sqlite_bytes(store: SQLiteStore) -> bytes:
    path = Path(store.path)
    parts = [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]
    return b"".join(p.read_bytes() for p in parts if p.exists())


def _postgres_bytes(store: PostgresStore) -> bytes:
    """Every row of every table in the store's schema, as text."""
    import psycopg
    from psycopg import sql

    assert PG_DSN is not None
    out: list[bytes] = []
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        tables = conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
            (store.schema,),
        ).fetchall()
        assert {"complaints", "events", "notifications", "vault"} <= {t[0] for t in tables}
        for (table,) in tables:
            query = sql.SQL("SELECT t::text FROM {}.{} t").format(
                sql.Identifier(store.schema), sql.Identifier(table)
            )
            out += [row[0].encode() for row in conn.execute(query)]
    return b"\n".join(out)


def raw_bytes(store: Any) -> bytes:
    if isinstance(store, MemoryStore):
        return _memory_bytes(store)
    if isinstance(store, SQLiteStore):
        return _sqlite_bytes(store)
    assert isinstance(store, PostgresStore)
    return _postgres_bytes(store)


def found(store: Any, texts: tuple[str, ...]) -> list[str]:
    data = raw_bytes(store)
    return [t for t in texts if any(e in data for e in encodings(t))]


def _complaint(i: str, **overrides: Any) -> cf.NewComplaint:
    fields: dict[str, Any] = {
        "channel": "web",
        "category": "goods",
        "complainant": cf.Party(id=f"u-{i}", name=NAME, contact=CONTACT),
        "respondent": cf.Party(id="shop-9", kind="merchant", name=OTHER_NAME, contact="+86 21 1"),
        "subject": "Kettle burst",
        "description": DESCRIPTION,
        "evidence": (EVIDENCE,),
        "order_id": f"o-{i}",
    }
    return cf.NewComplaint(**{**fields, **overrides})


class Notified:
    """A notifier that fails once, so the outbox keeps a retried row."""

    def __init__(self) -> None:
        self.calls = 0

    @cf.hookimpl
    def complaintflow_notify(self, notification: cf.Notification) -> None:
        self.calls += 1
        if self.calls == 2:
            raise ConnectionError("gateway down")


def _handled(engine: cf.Engine, clock: FakeClock, i: str) -> cf.Complaint:
    c = engine.submit(_complaint(i), actor=cf.Actor(id=f"u-{i}", roles={"complainant"}))
    for kind, payload in LIFECYCLE:
        clock.advance(hours=1)
        c = engine.handle(c.id, command(kind, payload))
    return c


def test_erasure_leaves_no_trace_and_the_facts_unchanged(opener: StoreFactory) -> None:
    store = opener()
    clock = FakeClock(T0)
    engine = engine_on(store, clock, plugins=(Notified(),))
    closed = _handled(engine, clock, "7")
    other = engine.submit(
        _complaint(
            "8",
            complainant=cf.Party(id="u-8", name="Wu Lan", contact="wu@example.cn"),
            description="Mine burst too",
            evidence=(),
        ),
        actor=cf.Actor(id="u-8", roles={"complainant"}),
    )
    assert engine.store.notifications(closed.id), "the outbox holds rows for the complaint"
    later = T0 + timedelta(days=400)
    sla_before = engine.sla(closed.id, now=later).history
    window = {"since": T0 - timedelta(days=1), "until": T0 + timedelta(days=1), "now": later}
    metrics_before = engine.metrics(**window)
    # the scan sees the plaintext while it is held (so its silence below means something)
    assert found(store, SECRETS) == list(SECRETS)

    assert engine.erase("u-7", "PIPL art. 47 request") == [closed.id]

    assert found(store, SECRETS) == []
    assert found(store, ("Wu Lan", "wu@example.cn", OTHER_NAME)) == [
        "Wu Lan",
        "wu@example.cn",
        OTHER_NAME,
    ]
    c = check_consistent(engine, closed.id)  # replay equals the stored state
    assert [e.type for e in engine.history(c.id)][-1] == "erased"
    assert engine.history(c.id)[:-1] == engine.history(closed.id)[: c.version - 1]
    assert engine.sla(closed.id, now=later).history == sla_before
    assert engine.metrics(**window) == metrics_before
    seen = engine.view(closed.id, actor=cf.Actor.system())
    assert (seen.complainant.name, seen.complainant.contact) == ("[erased]", "[erased]")
    assert (seen.description, seen.evidence) == ("[erased]", ("[erased]",))
    assert seen.respondent is not None
    assert seen.respondent.name == OTHER_NAME
    mine = engine.view(other.id, actor=cf.Actor.system())
    assert (mine.complainant.name, mine.description) == ("Wu Lan", "Mine burst too")


def test_erasing_the_respondent_leaves_the_complainant_readable(opener: StoreFactory) -> None:
    clock = FakeClock(T0)
    engine = engine_on(opener(), clock)
    c = _handled(engine, clock, "7")
    engine.erase("shop-9", "merchant account closed")
    seen = engine.view(c.id, actor=cf.Actor.system())
    assert seen.respondent is not None
    assert (seen.respondent.name, seen.respondent.contact) == ("[erased]", "[erased]")
    assert (seen.complainant.name, seen.complainant.contact) == (NAME, CONTACT)
    assert (seen.description, seen.evidence) == (DESCRIPTION, (EVIDENCE,))
    assert found(engine.store, (OTHER_NAME,)) == []
    check_consistent(engine, c.id)


@pytest.mark.parametrize("kind", ["sqlite"])
def test_an_encrypted_sqlite_file_never_holds_the_plaintext(tmp_path: Path, kind: str) -> None:
    pytest.importorskip("cryptography")
    store = SQLiteStore(tmp_path / f"{kind}.db")
    engine = cf.Engine(store=store, load_entry_points=False, encryption=cf.Encryption())
    c = engine.submit(_complaint("7"), actor=cf.Actor(id="u-7", roles={"complainant"}))
    store._rows("PRAGMA wal_checkpoint(TRUNCATE)")
    assert found(store, SECRETS) == []  # sealed at rest, before any erasure
    seen = engine.view(c.id, actor=cf.Actor.system())
    assert (seen.complainant.name, seen.description) == (NAME, DESCRIPTION)
    store.close()
