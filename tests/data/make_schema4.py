"""Write ``schema4_sqlite.json`` and ``schema4_postgres.json``: the rows a
complaintflow of schema version 4 (before the personal-data vault) wrote
for two complaints, on SQLite and on PostgreSQL.

Run it with the library of that version first on the path, e.g. from a
checkout of the commit before the vault::

    git archive d902def^1 src | tar -x -C /tmp/cf-v4
    PYTHONPATH=/tmp/cf-v4/src COMPLAINTFLOW_TEST_POSTGRES_DSN=... python tests/data/make_schema4.py

``tests/stores/test_privacy_legacy.py`` loads the rows into a version-4
schema and opens it with this version.
"""

from __future__ import annotations

import json
import os
import sqlite3
import tempfile
import uuid
from pathlib import Path
from typing import Any

import complaintflow as cf
from complaintflow.stores import PostgresStore, SQLiteStore
from complaintflow.stores._sql import SCHEMA_VERSION
from complaintflow.testing import FakeClock
from complaintflow.testing.contract import LIFECYCLE, T0, command, engine_on

HERE = Path(__file__).parent
TABLES = ("complaints", "events", "notifications", "complaint_keys")
NAME = "张三丰 Zhang Sanfeng"
CONTACT = "sanfeng.zhang@example.cn +86 139 0000 7777"
DESCRIPTION = "My neighbour Li Siyuan saw the kettle burst in our kitchen on 3 May"
EVIDENCE = "https://files.example.cn/sanfeng-kettle-photo.jpg"


class Flaky:
    """A notifier that fails once, so the outbox keeps a retried row."""

    def __init__(self) -> None:
        self.calls = 0

    @cf.hookimpl
    def complaintflow_notify(self, notification: cf.Notification) -> None:
        self.calls += 1
        if self.calls == 2:
            raise ConnectionError("gateway down")


def history(store: Any) -> None:
    clock = FakeClock(T0)
    engine = engine_on(store, clock, plugins=(Flaky(),))
    c = engine.submit(
        cf.NewComplaint(
            channel="web",
            category="goods",
            complainant=cf.Party(id="u-7", name=NAME, contact=CONTACT),
            respondent=cf.Party(id="shop-9", kind="merchant", name="Golden Kettle Trading Co"),
            subject="Kettle burst",
            description=DESCRIPTION,
            evidence=(EVIDENCE,),
            order_id="o-7",
        ),
        actor=cf.Actor(id="u-7", roles={"complainant"}),
    )
    for kind, payload in LIFECYCLE:
        clock.advance(hours=1)
        engine.handle(c.id, command(kind, payload))
    engine.deliver_pending(now=clock())
    engine.submit(
        cf.NewComplaint(
            channel="app",
            complainant=cf.Party(id="u-8", name="Wu Lan", contact="wu@example.cn"),
            respondent=cf.Party(id="shop-9", kind="merchant", name="Golden Kettle Trading Co"),
            subject="Kettle burst too",
            description="Mine burst the next day",
        ),
        actor=cf.Actor(id="u-8", roles={"complainant"}),
    )
    engine.deliver_pending(now=clock())


def sqlite_rows() -> dict[str, list[dict[str, Any]]]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "v4.db"
        with SQLiteStore(path) as store:
            history(store)
        conn = sqlite3.connect(path)
        conn.row_factory = sqlite3.Row
        out = {t: [dict(r) for r in conn.execute(f"SELECT * FROM {t}")] for t in TABLES}
        conn.close()
        return out


def postgres_rows(dsn: str) -> dict[str, list[dict[str, Any]]]:
    import psycopg

    schema = f"cf_v4_{uuid.uuid4().hex[:8]}"
    with PostgresStore(dsn, schema=schema) as store:
        history(store)
    with psycopg.connect(dsn, autocommit=True) as conn:
        out = {
            t: [r[0] for r in conn.execute(f"SELECT row_to_json(t) FROM {schema}.{t} t")]
            for t in TABLES
        }
        conn.execute(f"DROP SCHEMA {schema} CASCADE")
    return out


def main() -> None:
    assert SCHEMA_VERSION == 4, "run with the library of schema version 4 on the path"
    dump = {"note": "rows written by complaintflow at schema version 4 (make_schema4.py)"}
    (HERE / "schema4_sqlite.json").write_text(
        json.dumps({**dump, "tables": sqlite_rows()}, ensure_ascii=False, indent=1) + "\n"
    )
    dsn = os.environ["COMPLAINTFLOW_TEST_POSTGRES_DSN"]
    (HERE / "schema4_postgres.json").write_text(
        json.dumps({**dump, "tables": postgres_rows(dsn)}, ensure_ascii=False, indent=1) + "\n"
    )


if __name__ == "__main__":
    main()
