"""The PostgreSQL store survives its connections: the server ends them
(``pg_terminate_backend``) between commands, in the middle of a command and
while it commits; the store takes the host's pool or connection function;
threads share one store. Nothing is lost, nothing applied twice."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from store_helpers import (
    LIFECYCLE,
    PG_DSN,
    PG_SKIP,
    T0,
    check_consistent,
    command,
    complainant,
    drop_schema,
    engine_on,
    new,
    new_schema,
    run_lifecycle,
)

import complaintflow as cf
from complaintflow.errors import InvalidInput, StoreError
from complaintflow.stores import PostgresStore, Save
from complaintflow.testing import FakeClock

pytestmark = pytest.mark.skipif(not PG_DSN, reason=PG_SKIP)


@pytest.fixture
def schema() -> Iterator[str]:
    name = new_schema()
    yield name
    drop_schema(name)


def _admin() -> Any:
    import psycopg

    assert PG_DSN is not None
    return psycopg.connect(PG_DSN, autocommit=True)


def _named_dsn(name: str) -> str:
    """The test DSN with an ``application_name``, so this test ends only its
    own store's connections (other tests may share the server)."""
    assert PG_DSN is not None
    return f"{PG_DSN}{'&' if '?' in PG_DSN else '?'}application_name={name}"


def _terminate_named(admin: Any, name: str) -> int:
    """End every backend of this database opened under ``name``; how many."""
    rows = admin.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE datname = current_database() AND application_name = %s",
        (name,),
    ).fetchall()
    return len(rows)


def test_one_of_dsn_pool_and_connect_is_given() -> None:
    with pytest.raises(InvalidInput, match="exactly one of dsn, pool and connect"):
        PostgresStore()
    with pytest.raises(InvalidInput, match="exactly one"):
        PostgresStore("postgresql://x", connect=lambda: None)
    with pytest.raises(InvalidInput, match="max_size"):
        PostgresStore("postgresql://x", max_size=0)
    with pytest.raises(InvalidInput, match="min_size"):
        PostgresStore("postgresql://x", min_size=0)
    with pytest.raises(InvalidInput, match="min_size: at most max_size"):
        PostgresStore("postgresql://x", min_size=3, max_size=2)
    with pytest.raises(InvalidInput, match="retries"):
        PostgresStore("postgresql://x", retries=-1)


def test_a_connection_ended_between_commands_is_replaced(schema: str) -> None:
    assert PG_DSN is not None
    clock = FakeClock(T0)
    name = f"cf_survive_{schema}"
    with _admin() as admin, PostgresStore(_named_dsn(name), schema=schema, max_size=2) as store:
        engine = engine_on(store, clock)
        c = engine.submit(new(), actor=complainant())
        ended = 0
        for kind, payload in LIFECYCLE:
            ended += _terminate_named(admin, name)
            clock.advance(hours=1)
            c = engine.handle(c.id, command(kind, payload))
        assert ended >= len(LIFECYCLE)  # the store's connection each time
        assert c.status == cf.Status.closed
        assert len(engine.history(c.id)) == 1 + len(LIFECYCLE)
        check_consistent(engine, c.id)


_SUICIDE = """
CREATE SEQUENCE fuse;
CREATE FUNCTION blow() RETURNS trigger AS $$
BEGIN
  -- a sequence is not rolled back: this fires once, whatever becomes of
  -- the transaction
  IF nextval('fuse') = 1 THEN
    PERFORM pg_terminate_backend(pg_backend_pid());
  END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql;
"""


def _arm(admin: Any, schema: str, when: str) -> None:
    """A trigger on ``events`` that ends its own backend, once: ``row``
    fires mid-command (at the insert), ``commit`` at the commit."""
    admin.execute(f'SET search_path TO "{schema}"'.encode())
    admin.execute(_SUICIDE.encode())
    if when == "row":
        admin.execute(
            "CREATE TRIGGER blow BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION blow()"
        )
    else:
        admin.execute(
            "CREATE CONSTRAINT TRIGGER blow AFTER INSERT ON events DEFERRABLE "
            "INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION blow()"
        )


@pytest.mark.parametrize("when", ["row", "commit"])
def test_a_connection_ended_mid_command_is_replaced_and_the_command_run_once(
    schema: str, when: str
) -> None:
    """Ended at the event's insert (``row``) or at the save's commit: a
    save is one statement, committed on its own, so either way the store
    reads the row back on a new connection, finds it unsaved and runs the
    statement again."""
    assert PG_DSN is not None
    clock = FakeClock(T0)
    with PostgresStore(PG_DSN, schema=schema) as store, _admin() as admin:
        engine = engine_on(store, clock)
        c = engine.submit(new(), actor=complainant())
        _arm(admin, schema, when)
        clock.advance(hours=1)
        c = engine.handle(c.id, command("acknowledge", {}))  # ended, run again
        # the fuse burnt at the first try, and the trigger ran a second time
        assert admin.execute("SELECT last_value FROM fuse").fetchone() == (2,)
        assert c.version == 2
        assert [e.type for e in engine.history(c.id)] == ["submit", "acknowledge"]
        check_consistent(engine, c.id)


def _dying_after_save(lose: list[bool]) -> Any:
    """A psycopg cursor class that, while ``lose`` holds ``True``, runs a
    save's statement (committed: the connection autocommits) and then loses
    the connection before the result reaches the store, once."""
    import psycopg

    class Dying(psycopg.Cursor[Any]):
        def execute(self, query: Any, *args: Any, **kwargs: Any) -> Any:
            out = super().execute(query, *args, **kwargs)
            text = query if isinstance(query, bytes) else str(query).encode()
            if lose and lose[0] and text.startswith(b"WITH c AS"):
                lose[0] = False
                self.connection.close()
                raise psycopg.OperationalError("the server closed the connection")
            return out

    return Dying


def test_a_save_committed_before_its_connection_was_lost_is_not_applied_twice(
    schema: str,
) -> None:
    assert PG_DSN is not None
    lose = [False]
    dying = _dying_after_save(lose)
    clock = FakeClock(T0)

    def connect() -> Any:
        import psycopg

        assert PG_DSN is not None
        return psycopg.connect(PG_DSN, autocommit=True, cursor_factory=dying)

    with PostgresStore(connect=connect, schema=schema) as store:
        engine = engine_on(store, clock)
        c = engine.submit(new(), actor=complainant())
        lose[0] = True
        clock.advance(hours=1)
        c = engine.handle(c.id, command("acknowledge", {}))
        assert lose == [False]  # the connection was lost after the commit
        assert c.version == 2
        assert [e.type for e in engine.history(c.id)] == ["submit", "acknowledge"]
        check_consistent(engine, c.id)
        # a new complaint too: its row is found saved, not refused as a duplicate
        lose[0] = True
        d = engine.submit(new(), actor=complainant())
        assert lose == [False]
        assert [e.type for e in engine.history(d.id)] == ["submit"]


def test_without_retries_a_save_of_unknown_outcome_says_so(schema: str) -> None:
    import psycopg

    assert PG_DSN is not None
    lose = [False]
    dying = _dying_after_save(lose)
    clock = FakeClock(T0)

    def connect() -> Any:
        assert PG_DSN is not None
        return psycopg.connect(PG_DSN, autocommit=True, cursor_factory=dying)

    with PostgresStore(connect=connect, schema=schema, retries=0) as store:
        engine = engine_on(store, clock)
        c = engine.submit(new(), actor=complainant())
        lose[0] = True
        clock.advance(hours=1)
        with pytest.raises(StoreError, match="may or may not be saved"):
            engine.handle(c.id, command("acknowledge", {}))
        # it was saved: the retry the message asks for is refused as stale
        assert engine.get(c.id).version == 2
        with pytest.raises(cf.ConcurrencyError):
            store.save(c, expected_version=1, events=engine.history(c.id)[1:])


def test_a_batch_whose_connection_ended_while_committing_is_a_retryable_store_error(
    schema: str,
) -> None:
    assert PG_DSN is not None
    clock = FakeClock(T0)
    with PostgresStore(PG_DSN, schema=schema) as store, _admin() as admin:
        engine = engine_on(store, clock)
        c = engine.submit(new(), actor=complainant())
        clock.advance(hours=1)
        acked = engine.handle(c.id, command("acknowledge", {}))
        trail = engine.history(c.id)
        # the same change again, as a batch (save_many), on a fresh store row
        d = engine.submit(new(), actor=complainant())
        twin = acked.model_copy(update={"id": d.id})
        event = trail[-1].model_copy(update={"complaint_id": d.id})
        _arm(admin, schema, "commit")
        batch = [Save(twin, expected_version=1, events=[event])]
        with pytest.raises(StoreError, match="may or may not be saved"):
            store.save_many(batch)
        # the backend ended before its commit: nothing was saved, and the
        # retry the message asks for saves it once
        assert store.load(d.id) == d
        assert store.save_many(batch) == [True]
        assert [e.type for e in store.events(d.id)] == ["submit", "acknowledge"]


def test_the_hosts_pool_is_borrowed_and_left_open(schema: str) -> None:
    from psycopg_pool import ConnectionPool

    assert PG_DSN is not None
    clock = FakeClock(T0)
    with ConnectionPool(PG_DSN, min_size=1, max_size=2, open=True) as pool:
        with PostgresStore(pool=pool, schema=schema) as store:
            done = run_lifecycle(engine_on(store, clock), clock)
            assert store.load(done.id) == done
        assert not pool.closed
        with pool.connection() as conn:  # the host's connections keep working
            assert conn.execute("SELECT 1").fetchone() == (1,)
        with PostgresStore(pool=pool, schema=schema) as again:
            assert again.load(done.id) == done


def test_a_connection_function_is_called_again_when_its_connection_is_lost(
    schema: str,
) -> None:
    import psycopg

    assert PG_DSN is not None
    opened: list[Any] = []

    def connect() -> Any:
        assert PG_DSN is not None
        opened.append(psycopg.connect(PG_DSN, autocommit=True))
        return opened[-1]

    clock = FakeClock(T0)
    with PostgresStore(connect=connect, schema=schema) as store, _admin() as admin:
        engine = engine_on(store, clock)
        c = engine.submit(new(), actor=complainant())
        admin.execute("SELECT pg_terminate_backend(%s)", (opened[-1].info.backend_pid,))
        clock.advance(hours=1)
        c = engine.handle(c.id, command("acknowledge", {}))
        assert len(opened) == 2
        check_consistent(engine, c.id)


def test_threads_share_one_store(schema: str) -> None:
    assert PG_DSN is not None
    clock = FakeClock(T0)
    with PostgresStore(PG_DSN, schema=schema, max_size=4) as store:
        engine = engine_on(store, clock)
        ids: list[str] = []
        errors: list[BaseException] = []

        def lifecycle(i: int) -> None:
            try:
                ids.append(run_lifecycle(engine, clock, i).id)
            except BaseException as e:  # pragma: no cover - reported below
                errors.append(e)

        threads = [threading.Thread(target=lifecycle, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        assert len(ids) == 8
        for cid in ids:
            assert check_consistent(engine, cid).status == cf.Status.closed


def test_an_unreachable_server_is_a_store_error() -> None:
    with pytest.raises(StoreError, match="cannot connect"):
        PostgresStore("postgresql://postgres@127.0.0.1:1/none", connect_timeout=1)
