"""A save on PostgreSQL as one statement, shared by the blocking and the
async PostgreSQL stores.

The complaint's row (inserted with its match keys, or updated if it is
still at the expected version), its events and its notifications are
written by one ``WITH ... INSERT/UPDATE`` statement: the events and
notifications are inserted only when the row was, so a version conflict
writes nothing, and the statement returns how many rows it wrote (1, or 0
on a conflict). On an autocommit connection the statement is its own
transaction: one round trip and one commit per command, without ``BEGIN``
and ``COMMIT`` of their own; its text never varies (the events and
notifications go as one JSON array each), so psycopg prepares it once per
connection.

When the connection is lost while the statement runs, whether it
committed is unknown: :data:`LANDED` reads the complaint's row back and
:func:`landed` decides, so that the store can run the statement again only
if it did not commit.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any, Final

from complaintflow.models import Complaint, Event, Notification
from complaintflow.stores._index import match_keys
from complaintflow.stores._sql import _INSERT, _UPDATE, Dialect, _conflict, _row
from complaintflow.stores._vault import VaultEntry

__all__ = ["LANDED", "SAVE", "SAVE_NEW", "landed", "save_params"]

_EVENTS_AND_NOTES: Final = (
    ", e AS (INSERT INTO events (complaint_id, seq, doc)"
    " SELECT c.id, (x.doc->>'seq')::integer, x.doc"
    " FROM c, jsonb_array_elements(%(events)s::jsonb) AS x (doc))"
    ", n AS (INSERT INTO notifications (id, complaint_id, status, next_attempt_at, doc)"
    " SELECT x.doc->>'id', x.doc->>'complaint_id', x.doc->>'status',"
    " (x.doc->>'next_attempt_at')::timestamptz, x.doc"
    " FROM c, jsonb_array_elements(%(notifications)s::jsonb) AS x (doc))"
    " SELECT count(*) FROM c"
)
# the events and notifications go as one JSON array each, their columns read
# from their documents: a JSON array is joined from the documents as they
# are, where an array parameter would quote every one of their characters

SAVE: Final = "WITH c AS (" + _UPDATE + " RETURNING id)" + _EVENTS_AND_NOTES
"""A save of a complaint at ``%(expected)s`` (a version above 0)."""

SAVE_NEW: Final = (
    "WITH c AS (" + _INSERT + " ON CONFLICT (id) DO NOTHING RETURNING id)"
    ", k AS (INSERT INTO complaint_keys (complainant, key, complaint_id)"
    " SELECT %(complainant)s, x.key, c.id"
    " FROM c, jsonb_array_elements_text(%(keys)s::jsonb) AS x (key))"
    ", v AS (INSERT INTO vault (complaint_id, party_id, data)"
    " SELECT c.id, x.e->>0, x.e->>1 FROM c, jsonb_array_elements(%(vault)s::jsonb) AS x (e)"
    " ON CONFLICT (complaint_id, party_id) DO NOTHING)" + _EVENTS_AND_NOTES
)
"""The save of a new complaint, with its match keys and the vault entries
staged for it (``[[party_id, data], ...]``): all in one transaction."""

LANDED: Final = "SELECT version, doc = %s::jsonb FROM complaints WHERE id = %s"
"""The row of a save whose outcome is unknown: its version, and whether its
document is the one the save wrote."""


def save_params(
    dialect: Dialect,
    complaint: Complaint,
    expected: int,
    events: Sequence[Event],
    notifications: Sequence[Notification],
    vault: Sequence[VaultEntry] = (),
) -> dict[str, Any]:
    """The parameters of :data:`SAVE`, or of :data:`SAVE_NEW` when
    ``expected`` is 0 (with the ``vault`` entries of the new complaint)."""
    return {
        **_row(dialect, complaint),
        "expected": expected,
        "keys": json.dumps(match_keys(complaint) if expected == 0 else []),
        "vault": json.dumps([[e.party_id, e.data] for e in vault], ensure_ascii=False),
        "events": _array(e.model_dump_json() for e in events),
        "notifications": _array(n.model_dump_json() for n in notifications),
    }


def _array(docs: Iterable[str]) -> str:
    return "[" + ",".join(docs) + "]"


def landed(row: Sequence[Any] | None, complaint: Complaint, expected: int) -> bool:
    """Whether a save whose outcome was unknown committed, from its
    :data:`LANDED` row: ``False`` when the row is still at ``expected`` (or
    absent, for a new complaint), ``True`` when it holds the saved
    document; a :class:`~complaintflow.errors.ConcurrencyError` when another
    writer moved it."""
    if row is None and expected == 0:
        return False
    if row is not None and row[0] == expected:
        return False
    if row is not None and row[0] == complaint.version and row[1]:
        return True
    raise _conflict(complaint.id, row, expected)
