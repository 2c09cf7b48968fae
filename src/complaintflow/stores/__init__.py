"""Stores: where complaints, events and notifications are kept.

``MemoryStore`` is the default; ``SQLiteStore`` keeps them in one file with
the standard library; ``PostgresStore`` needs the ``postgres`` extra
(psycopg 3), imported only when a store is opened. A store of your own
builds what it indexes about a complaint with :func:`index_row` and files
it for :meth:`Store.find_like` under :func:`match_keys`; the contract suite
is :class:`complaintflow.testing.StoreContract`."""

from complaintflow.stores._base import DEFAULT_LEASE, Save, Store, save_each
from complaintflow.stores._index import IndexRow, index_row, match_keys
from complaintflow.stores._memory import MemoryStore
from complaintflow.stores._postgres import PostgresStore
from complaintflow.stores._sqlite import SQLiteStore
from complaintflow.stores._vault import VaultEntry

__all__ = [
    "DEFAULT_LEASE",
    "IndexRow",
    "MemoryStore",
    "PostgresStore",
    "SQLiteStore",
    "Save",
    "Store",
    "VaultEntry",
    "index_row",
    "match_keys",
    "save_each",
]
