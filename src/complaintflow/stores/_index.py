"""What a store indexes about a complaint: one function builds it.

:func:`index_row` is the only code of the stores that reads a complaint's
SLA state (through the tiny :class:`HasNextCheck` interface): the columns
and dictionaries the stores query (status, parties, category, handler,
receipt, the next SLA check, whether it waits for triage) all come from
it, so that a change of the SLA state's shape touches this module alone.
:func:`match_keys` gives the keys the duplicate screen looks complaints up
by (their order and their text fingerprint).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Final, NamedTuple, Protocol

from complaintflow._fingerprint import comparable, fingerprint
from complaintflow._status import OPEN_STATUSES
from complaintflow.models import Complaint

__all__ = [
    "HasNextCheck",
    "IndexRow",
    "from_db_time",
    "index_row",
    "match_key_parts",
    "match_keys",
    "micros",
    "needs_triage",
    "order_key",
    "reindex",
    "text_of",
]

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_US: Final = timedelta(microseconds=1)


def micros(dt: datetime) -> int:
    """An aware instant as integer microseconds since the epoch."""
    return (dt - _EPOCH) // _US


def from_db_time(value: datetime | int) -> datetime:
    """An instant as a store's time column returns it (integer
    microseconds since the epoch, or an aware ``datetime``), aware in UTC."""
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    return _EPOCH + value * _US


class HasNextCheck(Protocol):
    """What the stores read of a complaint's SLA state."""

    @property
    def next_check(self) -> datetime | None: ...


class IndexRow(NamedTuple):
    """The indexed facts of one complaint; instants are aware, in UTC."""

    id: str
    version: int
    status: str
    is_open: bool
    complainant: str
    respondent: str | None
    category: str | None
    handler: str | None
    received_at: datetime
    next_check: datetime | None
    needs_triage: bool = False


def _next_check(sla: HasNextCheck | None) -> datetime | None:
    nxt = None if sla is None else sla.next_check
    return None if nxt is None else nxt.astimezone(UTC)


def index_row(c: Complaint) -> IndexRow:
    """The facts a store indexes about ``c``."""
    respondent = c.respondent
    return _indexed(
        c,
        c.id,
        c.complainant.id,
        None if respondent is None else respondent.id,
        c.received_at.astimezone(UTC),
    )


def reindex(old: IndexRow, c: Complaint) -> IndexRow:
    """:func:`index_row` of ``c``, indexed before as ``old``: what never
    changes after the submit (the id, the parties, the receipt) is taken
    from ``old``."""
    return _indexed(c, old.id, old.complainant, old.respondent, old.received_at)


def _indexed(
    c: Complaint, cid: str, complainant: str, respondent: str | None, received: datetime
) -> IndexRow:
    status = c.status
    return _new_row(
        (
            cid,
            c.version,
            status._value_,
            status in OPEN_STATUSES,
            complainant,
            respondent,
            c.category,
            c.handler,
            received,
            _next_check(c.sla),
            needs_triage(c),
        )
    )


_new_row: Final = partial(tuple.__new__, IndexRow)


def needs_triage(c: Complaint) -> bool:
    """Whether ``c`` waits for a handler to choose its category: the
    classifier was not sure enough (``classification.needs_triage``) and
    no category has been given since."""
    return c.category is None and c.classification is not None and c.classification.needs_triage


def text_of(c: Complaint) -> str:
    """The bounded, normalised subject and description the duplicate screen
    compares (see :func:`complaintflow._fingerprint.comparable`)."""
    return comparable(f"{c.subject} {c.description}")


def order_key(order_id: str) -> str:
    """The match key of an order id."""
    return f"o:{order_id}"


def match_keys(c: Complaint, *, order: bool = True) -> tuple[str, ...]:
    """The keys a store files ``c`` under for ``Store.find_like``: its text
    fingerprint, and its order when it names one (and ``order`` is true)."""
    keys, extra = match_key_parts(c, order=order)
    return keys if extra is None else (*keys, extra)


def match_key_parts(c: Complaint, *, order: bool = True) -> tuple[tuple[str, ...], str | None]:
    """:func:`match_keys` in two parts: the text's fingerprint (the
    complaint's own tuple) and the order's key (``None`` without one)."""
    keys = c.fingerprint or fingerprint(text_of(c))
    return keys, None if c.order_id is None or not order else order_key(c.order_id)
