"""A store's complaints read a page at a time as their SLA facts alone.

What-if (:mod:`complaintflow._simulate`) and the SLA report
(:mod:`complaintflow._sla_report`) need, of each complaint, its id,
receipt, category, whether it is open and its SLA state, never the rest.
A store that has ``sla_page`` (the SQL stores) hands those over by key
range of its receipt index with the state as JSON text, which is parsed
here without validating the whole complaint (the policies, repeated in
every complaint, are kept once); any other store is read with ``find``
pages and each complaint projected to the same facts. Either way memory
follows the page size, not the store."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any, Final, NamedTuple

from complaintflow._base import utc
from complaintflow._sla_state import SlaState, state_from_data
from complaintflow.models import Complaint

__all__ = ["BATCH", "SlaFacts", "iter_complaints", "sla_facts"]

BATCH: Final = 500
"""Complaints read from the store at a time."""


class SlaFacts(NamedTuple):
    """What what-if and the SLA report read of one complaint."""

    id: str
    received_at: datetime
    """Aware, in UTC."""
    category: str | None
    is_open: bool
    sla: SlaState | None


def iter_complaints(
    store: Any, since: datetime | None, until: datetime | None, batch: int = BATCH
) -> Iterator[Complaint]:
    """Every stored complaint received in ``[since, until)``, a ``find``
    page at a time."""
    offset = 0
    while True:
        page: list[Complaint] = store.find(limit=batch, offset=offset)
        for c in page:
            t = utc(c.received_at)
            if (since is None or t >= utc(since)) and (until is None or t < utc(until)):
                yield c
        if len(page) < batch:
            return
        offset += batch


def facts_of(c: Complaint) -> SlaFacts:
    """A parsed complaint's :class:`SlaFacts`."""
    return SlaFacts(c.id, utc(c.received_at), c.category, c.is_open, c.sla)


class _Policies:
    """Equal policy dictionaries kept as one object, so that the caches
    keyed by a policy's identity (the tracker's, what-if's) hit."""

    def __init__(self) -> None:
        self._known: dict[Any, list[dict[str, Any]]] = {}

    def state(self, text: str | bytes | None) -> SlaState | None:
        data = None if text is None else json.loads(text)
        if data is None:
            return None
        bucket = self._known.setdefault(data[0].get("name"), [])
        for known in bucket:
            if known == data[0]:
                data[0] = known
                break
        else:
            if len(bucket) < 64:
                bucket.append(data[0])
        return state_from_data(data)


def sla_facts(
    store: Any, since: datetime | None, until: datetime | None, batch: int = BATCH
) -> Iterator[SlaFacts]:
    """The :class:`SlaFacts` of every complaint received in ``[since,
    until)``, oldest received first (then by id), read ``batch`` at a time."""
    page_of = getattr(store, "sla_page", None)
    if page_of is None:
        yield from (facts_of(c) for c in iter_complaints(store, since, until, batch))
        return
    policies = _Policies()
    after: tuple[datetime, str] | None = None
    while True:
        page = page_of(since=since, until=until, after=after, limit=batch)
        for row in page:
            yield SlaFacts(
                row.id, row.received_at, row.category, row.is_open, policies.state(row.sla)
            )
        if len(page) < batch:
            return
        after = (page[-1].received_at, page[-1].id)
