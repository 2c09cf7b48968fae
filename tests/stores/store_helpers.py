"""Complaints and lifecycles for the store tests."""

from __future__ import annotations

import os
import uuid
from datetime import datetime, timedelta

import pytest

from complaintflow.testing.contract import (  # the helpers the contract suite uses
    HANDLER,
    LIFECYCLE,
    SUPERVISOR,
    T0,
    Recorder,
    StoreFactory,
    check_consistent,
    command,
    complainant,
    engine_on,
    new,
    run_lifecycle,
)

__all__ = [
    "HANDLER",
    "LIFECYCLE",
    "PG_DSN",
    "PG_SKIP",
    "SUPERVISOR",
    "T0",
    "Recorder",
    "StoreFactory",
    "check_consistent",
    "command",
    "complainant",
    "drop_schema",
    "engine_on",
    "later",
    "needs_pg",
    "new",
    "new_schema",
    "run_lifecycle",
]


def later(t: datetime, **kw: float) -> datetime:
    return t + timedelta(**kw)


# -- PostgreSQL ---------------------------------------------------------------------

PG_DSN = os.environ.get("COMPLAINTFLOW_TEST_POSTGRES_DSN")
PG_SKIP = "COMPLAINTFLOW_TEST_POSTGRES_DSN is not set: PostgreSQL store tests skipped"
needs_pg = pytest.mark.skipif(not PG_DSN, reason=PG_SKIP)


def new_schema() -> str:
    return f"cf_test_{uuid.uuid4().hex[:12]}"


def drop_schema(schema: str) -> None:
    import psycopg

    assert PG_DSN is not None
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'.encode())
