"""Records written before the vault (schema version 4): opening the
database moves their personal fields, and those of their ``submit``
events, into the vault, so that ``erase`` covers them (docs/privacy.md).

The rows are those complaintflow wrote at schema version 4 for two
complaints (``tests/data/make_schema4.py`` wrote them with that version):
u-7's, handled to the end, and u-8's, open, both against shop-9."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from store_helpers import PG_DSN, PG_SKIP, check_consistent, drop_schema, engine_on, new_schema
from test_privacy_stores import found

import complaintflow as cf
from complaintflow.stores import PostgresStore, SQLiteStore
from complaintflow.stores._postgres import POSTGRES
from complaintflow.stores._split import vault_legacy
from complaintflow.stores._sql import SCHEMA_VERSION
from complaintflow.stores._sqlite import SQLITE
from complaintflow.testing import FakeClock
from complaintflow.testing.contract import T0

DATA = Path(__file__).parent.parent / "data"
NAME = "张三丰 Zhang Sanfeng"
CONTACT = "sanfeng.zhang@example.cn +86 139 0000 7777"
DESCRIPTION = "My neighbour Li Siyuan saw the kettle burst in our kitchen on 3 May"
EVIDENCE = "https://files.example.cn/sanfeng-kettle-photo.jpg"
SECRETS = (NAME, CONTACT, DESCRIPTION, EVIDENCE)
OTHERS = ("Wu Lan", "wu@example.cn", "Mine burst the next day", "Golden Kettle Trading Co")
TABLES = ("complaints", "events", "notifications", "complaint_keys")


def _rows(kind: str) -> dict[str, list[dict[str, Any]]]:
    rows: dict[str, list[dict[str, Any]]] = json.loads(
        (DATA / f"schema4_{kind}.json").read_text(encoding="utf-8")
    )["tables"]
    return rows


def _sqlite_v4(path: Path) -> None:
    import sqlite3

    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
    conn.execute("INSERT INTO schema_version VALUES (4)")
    for statements in SQLITE.migrations[:4]:
        for statement in statements:
            conn.execute(SQLITE.q(statement))
    for table in TABLES:
        for row in _rows("sqlite")[table]:
            marks = ", ".join("?" * len(row))
            conn.execute(
                f"INSERT INTO {table} ({', '.join(row)}) VALUES ({marks})", list(row.values())
            )
    conn.commit()
    conn.close()


def _postgres_v4(schema: str) -> None:
    import psycopg

    assert PG_DSN is not None
    with psycopg.connect(PG_DSN) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"'.encode())
        conn.execute(f'SET search_path TO "{schema}"'.encode())
        conn.execute(b"CREATE TABLE schema_version (version integer NOT NULL)")
        conn.execute(b"INSERT INTO schema_version VALUES (4)")
        for statements in POSTGRES.migrations[:4]:
            for statement in statements:
                conn.execute(POSTGRES.q(statement))
        for table in TABLES:
            for row in _rows("postgres")[table]:
                conn.execute(
                    f"INSERT INTO {table} SELECT * FROM json_populate_record(NULL::{table}, %s)",
                    (json.dumps(row),),
                )
        conn.execute(
            b"SELECT setval(pg_get_serial_sequence('notifications', 'n'), max(n)) "
            b"FROM notifications"
        )


@pytest.fixture(params=["sqlite", "postgres"])
def old_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    """A version-4 database; yields a function that opens it with this version."""
    if request.param == "sqlite":
        path = tmp_path / "v4.db"
        _sqlite_v4(path)
        opened: list[Any] = []

        def open_sqlite() -> SQLiteStore:
            opened.append(SQLiteStore(path))
            return opened[-1]

        yield open_sqlite, lambda: path.read_bytes()
        for s in opened:
            s.close()
        return
    if not PG_DSN:
        pytest.skip(PG_SKIP)
    schema = new_schema()
    _postgres_v4(schema)
    stores: list[Any] = []

    def open_pg() -> PostgresStore:
        assert PG_DSN is not None
        stores.append(PostgresStore(PG_DSN, schema=schema))
        return stores[-1]

    try:
        yield open_pg, None
    finally:
        for s in stores:
            s.close()
        drop_schema(schema)


def test_old_records_are_vaulted_on_open_and_erase_covers_them(old_store: Any) -> None:
    open_store, old_bytes = old_store
    if old_bytes is not None:  # the scan sees the plaintext the old version wrote
        assert all(s.encode() in old_bytes() for s in SECRETS)
    store = open_store()
    assert store.schema_version == SCHEMA_VERSION
    engine = engine_on(store, FakeClock(T0))
    (mine,) = store.find(complainant="u-7")
    (theirs,) = store.find(complainant="u-8")
    # the record and its submit event hold the facts only, and replay to each other
    for c in (mine, theirs):
        assert check_consistent(engine, c.id) == c
        assert (c.complainant.name, c.complainant.contact, c.description) == (None, None, "")
        assert c.personal
        assert c.fingerprint
        assert NAME not in engine.history(c.id)[0].model_dump_json()
    assert mine.personal == (
        "complainant.contact",
        "complainant.name",
        "description",
        "evidence",
        "respondent.name",
    )
    seen = engine.view(mine.id, actor=cf.Actor.system())
    assert (seen.complainant.name, seen.complainant.contact) == (NAME, CONTACT)
    assert (seen.description, seen.evidence) == (DESCRIPTION, (EVIDENCE,))
    assert found(store, SECRETS) == list(SECRETS)  # now in the vault
    # the old version kept the notifier's message; this one keeps the type
    errors = [n.last_error for n in store.notifications() if n.last_error]
    assert errors == ["ConnectionError"]
    sla_before = engine.sla(mine.id, now=T0).history

    assert engine.erase("u-7", "PIPL art. 47 request") == [mine.id]

    assert found(store, SECRETS) == []
    assert found(store, OTHERS) == list(OTHERS)
    assert check_consistent(engine, mine.id).personal == mine.personal
    assert engine.sla(mine.id, now=T0).history == sla_before
    other = engine.view(theirs.id, actor=cf.Actor.system())
    assert (other.complainant.name, other.description) == ("Wu Lan", "Mine burst the next day")
    assert engine.view(mine.id, actor=cf.Actor.system()).complainant.name == cf.ERASED


def test_reopening_changes_nothing_more(old_store: Any) -> None:
    open_store, _ = old_store
    first = open_store()
    before = sorted(first.vault_of("u-7") + first.vault_of("shop-9"))
    docs = {c.id: c for c in first.find()}
    first.close()
    again = open_store()
    assert sorted(again.vault_of("u-7") + again.vault_of("shop-9")) == before
    assert {c.id: c for c in again.find()} == docs
    assert len(before) == 3  # u-7's entry, and shop-9's name in each complaint


def test_records_already_split_are_left_alone() -> None:
    c = cf.Complaint.model_validate_json(_rows("sqlite")["complaints"][0]["doc"])
    first = vault_legacy([(c.model_dump_json(),)], [])
    assert len(first.complaints) == 1
    facts = first.complaints[0][0]
    assert vault_legacy([(facts,)], []) == ([], [], [], [])


def test_the_async_store_vaults_old_records_as_the_blocking_one_does() -> None:
    import asyncio

    from complaintflow.aio import AsyncPostgresStore

    if not PG_DSN:
        pytest.skip(PG_SKIP)
    dsn = PG_DSN
    schema = new_schema()
    _postgres_v4(schema)

    async def opened() -> tuple[int, list[Any], list[cf.Complaint]]:
        store = await AsyncPostgresStore.open(dsn, schema=schema, max_size=2)
        try:
            version = await store.schema_version
            entries = await store.vault_of("u-7")
            return version, entries, await store.find(complainant="u-7")
        finally:
            await store.close()

    try:
        version, entries, (c,) = asyncio.run(opened())
        assert version == SCHEMA_VERSION
        assert [json.loads(e.data)["complainant.name"] for e in entries] == [NAME]
        assert (c.complainant.name, c.description) == (None, "")
        with PostgresStore(dsn, schema=schema) as blocking:
            assert found(blocking, SECRETS) == list(SECRETS)
            check_consistent(engine_on(blocking, FakeClock(T0)), c.id)
    finally:
        drop_schema(schema)
