"""Stores: where complaints, events and notifications are kept.

``MemoryStore`` is the default; ``SQLiteStore`` keeps them in one file with
the standard library; ``PostgresStore`` needs the ``postgres`` extra
(psycopg 3), imported only when a store is opened."""

from complaintflow.stores._base import DEFAULT_LEASE, Save, Store, save_each
from complaintflow.stores._memory import MemoryStore
from complaintflow.stores._postgres import PostgresStore
from complaintflow.stores._sqlite import SQLiteStore

__all__ = [
    "DEFAULT_LEASE",
    "MemoryStore",
    "PostgresStore",
    "SQLiteStore",
    "Save",
    "Store",
    "save_each",
]
