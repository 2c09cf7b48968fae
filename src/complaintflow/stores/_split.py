"""A complaint's personal fields apart from its facts (see ``docs/privacy.md``).

:func:`split` takes a complaint's personal fields (the parties' names and
contacts, the complainant's description and evidence) out of it: the
record, its ``submit`` event and everything after hold only the facts and
the names of the fields kept apart (``Complaint.personal``); the fields go
to the vault, one entry per party.

:func:`vault_legacy` does the same to records written before the vault
(schema version 4 and older): a store runs it once, in the migration to
version 5, over every complaint and its ``submit`` event, so that erasure
covers them too and ``replay`` still gives the stored record.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any, Final, NamedTuple

from complaintflow._base import fast_copy
from complaintflow._fingerprint import fingerprint
from complaintflow.models import Complaint, Event, Notification, Party
from complaintflow.stores._index import text_of
from complaintflow.stores._vault import VaultEntry

__all__ = ["VAULT_SINCE", "Legacy", "entry_data", "split", "vault_legacy"]

VAULT_SINCE: Final = 5
"""The schema version that introduced the vault."""

_PARTY_FIELDS: Final = ("name", "contact")
_SHARED: dict[tuple[str, ...], tuple[str, ...]] = {}


def _shared(fields: list[str]) -> tuple[str, ...]:
    """One tuple object per combination of fields (saves memory per complaint)."""
    t = tuple(fields)
    return _SHARED.setdefault(t, t)


def _take(party: Party | None, role: str, held: dict[str, dict[str, Any]]) -> Party | None:
    if party is None or (party.name is None and party.contact is None):
        return party
    mine = held.setdefault(party.id, {})
    for f in _PARTY_FIELDS:
        value = getattr(party, f)
        if value is not None:
            mine[f"{role}.{f}"] = value
    return fast_copy(party, name=None, contact=None)


def split(c: Complaint) -> tuple[Complaint, dict[str, dict[str, Any]]]:
    """``c`` without its personal fields, and those fields by party id
    (``{"u-1": {"complainant.name": ..., "description": ...}}``)."""
    held: dict[str, dict[str, Any]] = {}
    complainant = _take(c.complainant, "complainant", held)
    respondent = _take(c.respondent, "respondent", held)
    mine = held.setdefault(c.complainant.id, {})
    if c.description:
        mine["description"] = c.description
    if c.evidence:
        mine["evidence"] = list(c.evidence)
    if not mine:
        del held[c.complainant.id]
    fields = [k for entry in held.values() for k in entry]
    facts = fast_copy(
        c,
        complainant=complainant,
        respondent=respondent,
        description="",
        evidence=(),
        personal=_shared(sorted(fields)),
        fingerprint=c.fingerprint or fingerprint(text_of(c)),
    )
    return facts, held


def entry_data(values: dict[str, Any]) -> str:
    """A vault entry's ``data``: its fields as compact JSON."""
    return _ENCODE(values)


_ENCODE: Final = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


class Legacy(NamedTuple):
    """What :func:`vault_legacy` rewrites: the vault entries to add, the
    complaint documents (``(doc, id)``), the ``submit`` event documents
    (``(doc, complaint id)``) and the notification documents (``(doc, id)``)."""

    entries: list[VaultEntry]
    complaints: list[tuple[str, str]]
    submits: list[tuple[str, str]]
    notifications: list[tuple[str, str]]


LEGACY_READ: Final = (
    "SELECT {doc} FROM complaints",
    "SELECT {doc} FROM events WHERE seq = 1",
    "SELECT {doc} FROM notifications",
)
"""The documents :func:`vault_legacy` reads: every complaint, every
``submit``, every notification."""

LEGACY_WRITE: Final = (
    "UPDATE complaints SET doc = %s{json} WHERE id = %s",
    "UPDATE events SET doc = %s{json} WHERE complaint_id = %s AND seq = 1",
    "UPDATE notifications SET doc = %s{json} WHERE id = %s",
)
"""The statements that rewrite them (parameters from :class:`Legacy`)."""


def _submitted(event: Event) -> Event:
    """A ``submit`` event with the facts of its complaint only."""
    written = event.data["complaint"]
    c = Complaint.model_validate(
        {**written, "status": event.to_status, "version": 1, "updated_at": event.at}
    )
    facts, _ = split(c)
    kept = {**written, "personal": list(facts.personal), "fingerprint": list(facts.fingerprint)}
    for role in ("complainant", "respondent"):
        party = getattr(facts, role)
        if written.get(role) is not None and party is not None:
            kept[role] = party.model_dump(mode="json")
    kept.update(description=facts.description, evidence=list(facts.evidence))
    return fast_copy(event, data={**event.data, "complaint": kept})


def vault_legacy(
    complaint_docs: Iterable[Sequence[Any]],
    submit_docs: Iterable[Sequence[Any]],
    notification_docs: Iterable[Sequence[Any]] = (),
) -> Legacy:
    """The rewrites that move the personal fields of records written before
    the vault into it (rows of :data:`LEGACY_READ`); records that list
    their ``personal`` fields already are left alone. A notification's
    ``last_error`` keeps the exception's type only, as this version writes
    it (the message could quote a contact)."""
    out = Legacy([], [], [], [])
    done: set[str] = set()
    for (doc,) in complaint_docs:
        c = Complaint.model_validate_json(doc)
        if c.personal:
            continue
        facts, held = split(c)
        if not held:
            continue
        done.add(c.id)
        out.entries.extend(VaultEntry(c.id, pid, entry_data(v)) for pid, v in held.items())
        out.complaints.append((facts.model_dump_json(), c.id))
    for (doc,) in submit_docs:
        event = Event.model_validate_json(doc)
        if event.complaint_id in done and event.type == "submit":
            out.submits.append((_submitted(event).model_dump_json(), event.complaint_id))
    for (doc,) in notification_docs:
        n = Notification.model_validate_json(doc)
        if n.last_error is not None and ":" in n.last_error:
            kept = fast_copy(n, last_error=n.last_error.split(":", 1)[0])
            out.notifications.append((kept.model_dump_json(), n.id))
    return out
