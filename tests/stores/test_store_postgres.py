"""PostgreSQL specifics: lazy import, schemas, versions, migrations, indexes."""

from __future__ import annotations

import sys
from typing import Any

import pytest
from store_helpers import PG_DSN, T0, engine_on, needs_pg, run_lifecycle

from complaintflow.errors import StoreError
from complaintflow.stores import PostgresStore
from complaintflow.stores._postgres import MIGRATIONS, SCHEMA_VERSION
from complaintflow.testing import FakeClock


def test_a_missing_driver_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)
    with pytest.raises(StoreError, match=r"complaintflow\[postgres\]"):
        PostgresStore("postgresql://nowhere/db")


def test_an_unreachable_server_is_a_store_error() -> None:
    pytest.importorskip("psycopg")
    with pytest.raises(StoreError, match="cannot connect"):
        PostgresStore("postgresql://postgres@127.0.0.1:1/none", connect_timeout=1)


@needs_pg
def test_schema_version_indexes_and_plan(pg_schema: str) -> None:
    assert PG_DSN is not None
    with PostgresStore(PG_DSN, schema=pg_schema) as store:
        assert store.schema_version == SCHEMA_VERSION
        assert pg_schema in repr(store)
        conn = store.connection
        conn.execute("SET enable_seqscan = off")
        plan = conn.execute(
            "EXPLAIN SELECT doc FROM complaints WHERE next_check <= now() "
            "ORDER BY next_check LIMIT 10"
        ).fetchall()
        conn.execute("RESET enable_seqscan")
        assert "complaints_due" in str(plan)
        kinds = conn.execute(
            "SELECT data_type FROM information_schema.columns "
            "WHERE table_schema = %s AND column_name = 'doc'",
            (pg_schema,),
        ).fetchall()
        assert {k for (k,) in kinds} == {"jsonb"}


@needs_pg
def test_an_old_schema_is_migrated_and_a_newer_refused(pg_schema: str) -> None:
    import psycopg

    assert PG_DSN is not None
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{pg_schema}"'.encode())
        conn.execute(f'SET search_path TO "{pg_schema}"'.encode())
        conn.execute("CREATE TABLE schema_version (version integer NOT NULL)")
        conn.execute("INSERT INTO schema_version VALUES (1)")
        for statement in MIGRATIONS[0]:
            conn.execute(statement.encode())
    clock = FakeClock(T0)
    with PostgresStore(PG_DSN, schema=pg_schema) as store:
        assert store.schema_version == SCHEMA_VERSION
        done = run_lifecycle(engine_on(store, clock), clock)
        assert store.load(done.id) == done
        store.connection.execute("UPDATE schema_version SET version = 99")
    with pytest.raises(StoreError, match="newer than this complaintflow"):
        PostgresStore(PG_DSN, schema=pg_schema)


@needs_pg
def test_two_schemas_are_two_stores(pg_schema: str) -> None:
    from store_helpers import drop_schema, new_schema

    assert PG_DSN is not None
    other = new_schema()
    clock = FakeClock(T0)
    try:
        with (
            PostgresStore(PG_DSN, schema=pg_schema) as a,
            PostgresStore(PG_DSN, schema=other) as b,
        ):
            done = run_lifecycle(engine_on(a, clock), clock)
            assert b.load(done.id) is None
            assert a.load(done.id) == done
    finally:
        drop_schema(other)


@needs_pg
def test_text_postgres_cannot_hold_is_refused_before_the_store(pg_schema: str) -> None:
    # PostgreSQL text and jsonb refuse NUL characters: the models refuse
    # them first, the same on every store (tests/stores/test_control_characters.py)
    import complaintflow as cf

    assert PG_DSN is not None
    with PostgresStore(PG_DSN, schema=pg_schema) as store:
        engine = engine_on(store)
        c = engine.submit(
            cf.NewComplaint(channel="web", complainant=cf.Party(id="u-1"), subject="s"),
            actor=cf.Actor.system(),
        )
        bad: dict[str, Any] = {"type": "note", "actor": cf.Actor.system(), "text": "a\x00b"}
        with pytest.raises(cf.InvalidInput, match="U\\+0000"):
            engine.handle(c.id, bad)
        assert engine.get(c.id) == c
        assert len(engine.history(c.id)) == 1


@needs_pg
@pytest.mark.parametrize("others", [0, 5])
def test_vault_put_keeps_the_first_of_one_call(pg_schema: str, others: int) -> None:
    # a complaint's few entries go as one statement, more as a transaction:
    # either way an entry given twice keeps what it held first
    from complaintflow.stores._vault import VaultEntry

    assert PG_DSN is not None
    extra = [VaultEntry("c-1", f"p-{i}", f'"{i}"') for i in range(others)]
    with PostgresStore(PG_DSN, schema=pg_schema) as store:
        store.vault_put([VaultEntry("c-1", "u-1", "first"), *extra])
        store.vault_put([VaultEntry("c-1", "u-1", "second"), VaultEntry("c-2", "u-1", "a")])
        store.vault_put([VaultEntry("c-3", "u-1", "b"), VaultEntry("c-3", "u-1", "c")])
        got = sorted(store.vault_read(["c-1", "c-2", "c-3"]))
    want = [("c-1", "u-1", "first"), ("c-2", "u-1", "a"), ("c-3", "u-1", "b")]
    assert got == sorted(want + [tuple(e) for e in extra])


@needs_pg
def test_a_submit_writes_its_vault_entries_in_its_save(pg_schema: str) -> None:
    """The personal data of a new complaint goes in the save's own statement:
    a save that fails leaves neither the complaint nor its vault entries,
    and one that succeeds leaves both (read back through a view)."""
    import psycopg
    from store_helpers import complainant, new

    import complaintflow as cf

    assert PG_DSN is not None
    with PostgresStore(PG_DSN, schema=pg_schema) as store:
        engine = engine_on(store, FakeClock(T0))
        with psycopg.connect(PG_DSN, autocommit=True) as admin:
            admin.execute(f'SET search_path TO "{pg_schema}"'.encode())
            admin.execute(
                b"CREATE FUNCTION refuse() RETURNS trigger AS $$ BEGIN "
                b"RAISE EXCEPTION 'refused'; END $$ LANGUAGE plpgsql"
            )
            admin.execute(
                b"CREATE TRIGGER refuse BEFORE INSERT ON events "
                b"FOR EACH ROW EXECUTE FUNCTION refuse()"
            )
            with pytest.raises(StoreError):
                engine.submit(new(1), actor=complainant(1))
            counts = [
                admin.execute(f"SELECT count(*) FROM {t}".encode()).fetchone()[0]
                for t in ("complaints", "vault")
            ]
            assert counts == [0, 0]
            admin.execute(b"DROP TRIGGER refuse ON events")
            c = engine.submit(new(1), actor=complainant(1))
            rows = admin.execute(b"SELECT party_id FROM vault ORDER BY party_id").fetchall()
            assert [r[0] for r in rows] == ["shop-9", "u-1"]
        seen = engine.view(c.id, actor=cf.Actor.system())
        assert seen.complainant.name == "Wang Xiaohong"
        assert seen.description == "The kettle leaks from the base."
