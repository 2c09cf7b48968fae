"""Erasure, retention and access export of personal data (PIPL arts. 45
and 47; guide §2.2.2 records, §3.1.2 confidentiality). See
``docs/privacy.md``.

:class:`~complaintflow.Engine` has these methods (this mixin keeps
``engine.py`` to its orchestration of commands). Each works on the vault
(:mod:`complaintflow._vault`) and appends an ``erased`` event to the
complaints whose personal data went: the audit trail, the SLA state, the
deadlines and the figures are facts and stay as they were.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from importlib import resources
from typing import Any, Final

from complaintflow import _fingerprint
from complaintflow._base import REDACTED, aware, fast_new, id_printable, printable, utc
from complaintflow._permissions import HIDDEN_FROM_PARTIES, redact_for
from complaintflow._status import OPEN_STATUSES, Status
from complaintflow._vault import ERASED, Vault, hydrate, owned
from complaintflow.errors import (
    ConcurrencyError,
    ErasureRefused,
    InvalidInput,
    PermissionDenied,
)
from complaintflow.models import Actor, Complaint, Event
from complaintflow.sla._policy import PACKS
from complaintflow.stores import Store

__all__ = ["DEFAULT_RETENTION", "PersonalData", "RetentionPolicy"]

_CLOSED: Final = frozenset(Status) - OPEN_STATUSES
_PAGE: Final = 500
_RETRIES: Final = 5
_EVENT_FACTS: Final = frozenset({"seq", "type", "at", "from_status", "to_status", "cycle"})
"""What a party's export shows of every event of their complaint."""


@dataclass(frozen=True)
class RetentionPolicy:
    """How long the personal data of a closed complaint is kept: after
    ``closed_years`` whole years from its closing, the personal fields are
    erased and the anonymous facts kept.

    >>> RetentionPolicy(3).cutoff(datetime.fromisoformat("2027-02-28T09:00+08:00")).isoformat()
    '2024-02-28T09:00:00+08:00'
    """

    closed_years: int
    cites: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.closed_years, int) or isinstance(self.closed_years, bool):
            raise InvalidInput.field("closed_years", "must be a whole number of years")
        if not 0 < self.closed_years <= 100:
            raise InvalidInput.field("closed_years", "must be between 1 and 100")
        if not isinstance(self.cites, str):
            raise InvalidInput.field("cites", "must be a text")

    def cutoff(self, now: datetime) -> datetime:
        """Complaints closed at or before this instant are past retention
        (the same date ``closed_years`` before ``now``; 29 February counts
        from 28 February)."""
        year = now.year - self.closed_years
        day = min(now.day, 28) if now.month == 2 else now.day
        return now.replace(year=year, day=day)

    @classmethod
    def pack(cls, name: str) -> RetentionPolicy | None:
        """The ``[retention]`` of the shipped policy pack ``name`` (``None``
        when it has none or there is no such pack)."""
        return _pack_retention(name.split("/")[0])


DEFAULT_RETENTION: Final = RetentionPolicy(
    3,
    "guide §2.2.2 asks complaint records to be kept; consumer-protection rules "
    "commonly ask three years",
)
"""Three years after closing, for complaints whose pack has no retention."""


def _text(value: object, field: str, most: int, check: Callable[[str], str] = printable) -> str:
    """A stripped, non-empty text of at most ``most`` characters that
    ``check`` accepts (no control character, no lone surrogate: no store
    could encode it)."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput.field(field, "must be a non-empty text")
    if len(value) > most:
        raise InvalidInput.field(field, f"must be at most {most} characters")
    try:
        return check(value.strip())
    except ValueError as e:
        raise InvalidInput.field(field, str(e)) from None


def _flag(value: object, field: str) -> bool:
    """``value`` if it is ``True`` or ``False`` (a truthy text such as
    ``"no"`` must not force an erasure)."""
    if not isinstance(value, bool):
        raise InvalidInput.field(field, "must be true or false")
    return value


@cache
def _pack_retention(name: str) -> RetentionPolicy | None:
    try:
        path = resources.files("complaintflow.sla").joinpath("packs", f"{name}.toml")
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    raw = data.get("retention")
    if not isinstance(raw, dict):
        return None
    return RetentionPolicy(raw.get("closed_years"), str(raw.get("cites", "")))  # type: ignore[arg-type]


def _owner(field: str) -> str:
    """Whose vault entry holds a personal field: ``respondent.*`` the
    respondent's, the others the complainant's."""
    return "respondent" if field.startswith("respondent.") else "complainant"


def _ended_by(store: Store, c: Complaint, cutoff: datetime) -> bool:
    """Whether a complaint that is no longer open ended at or before
    ``cutoff``: its ``closed_at``; a rejected or withdrawn one has none, and
    its last event may be later than its end (a note, the other party's
    erasure), so unless that event is before the cutoff too, the event
    that moved it into its status says when."""
    if c.closed_at is not None:
        return utc(c.closed_at) <= cutoff
    if utc(c.received_at) > cutoff:
        return False  # it ended after it was received
    if utc(c.updated_at) <= cutoff:
        return True
    ends = [e.at for e in store.events(c.id) if e.to_status == c.status != e.from_status]
    return bool(ends) and utc(ends[-1]) <= cutoff


def _may_erase(actor: Actor, party_id: str, force: bool) -> None:
    """Raise :class:`PermissionDenied` unless ``actor`` may erase
    ``party_id``: the system, a supervisor or the person themselves; a
    forced erasure a supervisor only."""
    if force and not actor.has("supervisor"):
        raise PermissionDenied(
            "a forced erasure needs the supervisor role",
            command="erase",
            actor=actor.id,
            role_needed=frozenset({"supervisor"}),
        )
    if not (actor.has("system", "supervisor") or actor.id == party_id):
        raise PermissionDenied(
            "actor: erasing another person's data needs the supervisor or system role",
            command="erase",
            actor=actor.id,
            role_needed=frozenset({"supervisor", "system"}),
        )


def party_event(e: Event, party_id: str) -> dict[str, Any]:
    """An event as the export of ``party_id`` shows it: what happened and
    when (:data:`_EVENT_FACTS`), and, for a command the party ran
    themselves, who ran it and what they wrote; never the actor or the data
    of anyone else's (a staff member's id, their notes, the other party's
    answers). A ``submit`` shows no data even when the party submitted it:
    its data is the complaint as the platform screened it (flags,
    classification, fingerprint); what they submitted is in the export's
    complaint, as they may see it."""
    own = e.actor == party_id and e.type != "submit"
    include = set(_EVENT_FACTS) | ({"actor", "data"} if own else set())
    return e.model_dump(mode="json", include=include)


class PersonalData:
    """Erase a person, apply retention, export what is held about a person."""

    store: Store
    _vault: Vault

    def now(self) -> datetime:  # pragma: no cover - the engine's
        raise NotImplementedError

    def get(self, complaint_id: str) -> Complaint:  # pragma: no cover - the engine's
        raise NotImplementedError

    def _apply(self, complaint: Complaint | None, event: Event) -> Complaint:  # pragma: no cover
        raise NotImplementedError

    # -- erasure ------------------------------------------------------------------

    def erase(
        self, party_id: str, reason: str, *, actor: Actor | None = None, force: bool = False
    ) -> list[str]:
        """Erase the personal data of ``party_id`` (PIPL art. 47): their
        vault entries (and data key) go; each complaint of theirs gets an
        ``erased`` event and reads ``[erased]`` in their fields, its
        history, deadlines and figures unchanged. Only complaints where
        something of theirs was still held change (a repeat erasure changes
        none). Refused (:class:`~complaintflow.errors.ErasureRefused`)
        while such a complaint is open, unless ``force`` by a supervisor.
        Returns the ids of the complaints that changed. ``actor`` (default
        the system) must be the system, a supervisor or the person
        themselves, else :class:`~complaintflow.errors.PermissionDenied`."""
        party_id = _text(party_id, "party_id", 200, id_printable)
        reason = _text(reason, "reason", 2000)
        force = _flag(force, "force")
        actor = actor if actor is not None else Actor.system()
        if not isinstance(actor, Actor):
            raise InvalidInput.field("actor", "must be an Actor")
        _may_erase(actor, party_id, force)
        theirs = self._held_for(party_id)
        still_open = sum(c.is_open for c in theirs)
        if still_open and not force:
            raise ErasureRefused(
                f"party_id: {still_open} complaint(s) of this party are still open: erase "
                "after they close, or force=True as a supervisor with a reason",
                still_open,
            )
        self.store.vault_erase(party_id=party_id)
        if self._vault.keys is not None:
            self._vault.keys.destroy(party_id)
        _fingerprint._fingerprint.cache_clear()  # it remembers recent texts
        data = {"party": party_id, "reason": reason, "forced": force}
        for c in theirs:
            self._record_erasure(c.id, actor.id, data)
        return [c.id for c in theirs]

    def _held_for(self, party_id: str) -> list[Complaint]:
        """The complaints of ``party_id`` whose vault still holds an entry of
        theirs: those an erasure changes (a repeat erasure none)."""
        theirs = list(self._complaints_of(party_id))
        entries = self.store.vault_read([c.id for c in theirs]) if theirs else []
        held = {e.complaint_id for e in entries if e.party_id == party_id}
        return [c for c in theirs if c.id in held]

    def _complaints_of(self, party_id: str) -> Iterator[Complaint]:
        """Every complaint with ``party_id`` as a party, read a page at a time."""
        seen: set[str] = set()
        for role in ("complainant", "respondent"):
            offset = 0
            while True:
                page = self._page_of(role, party_id, offset)
                for c in page:
                    if c.id not in seen:
                        seen.add(c.id)
                        yield c
                if len(page) < _PAGE:
                    break
                offset += _PAGE

    def _page_of(self, role: str, party_id: str, offset: int) -> list[Complaint]:
        if role == "complainant":
            return self.store.find(complainant=party_id, limit=_PAGE, offset=offset)
        return self.store.find(respondent=party_id, limit=_PAGE, offset=offset)

    def _record_erasure(self, complaint_id: str, actor: str, data: dict[str, Any]) -> None:
        """Append an ``erased`` event (reloading when another writer won)."""
        for _ in range(_RETRIES):
            c = self.get(complaint_id)
            now = self.now()
            event = fast_new(
                Event,
                complaint_id=c.id,
                seq=c.version + 1,
                type="erased",
                at=max(now, c.updated_at, key=utc),
                actor=actor,
                from_status=c.status,
                to_status=c.status,
                cycle=c.cycle,
                data=data,
                recorded_at=now,
                time_basis="clock",
            )
            try:
                self.store.save(self._apply(c, event), expected_version=c.version, events=[event])
            except ConcurrencyError:
                continue
            return
        raise ConcurrencyError(f"complaint {complaint_id!r} kept changing: erase again")

    # -- retention ------------------------------------------------------------------

    def apply_retention(
        self,
        now: datetime | None = None,
        *,
        policy: RetentionPolicy | None = None,
        dry_run: bool = False,
    ) -> list[str]:
        """Erase the personal data of complaints closed longer ago than
        their retention (``policy``, else their policy pack's ``[retention]``,
        else :data:`DEFAULT_RETENTION`), keeping the anonymous facts; each
        gets an ``erased`` event. ``dry_run`` only lists them. Returns the
        ids of the complaints erased (or that would be), oldest received
        first."""
        now = aware(now, "now") if now is not None else self.now()
        if policy is not None and not isinstance(policy, RetentionPolicy):
            raise InvalidInput.field("policy", "must be a RetentionPolicy")
        dry_run = _flag(dry_run, "dry_run")
        due = [c.id for c in self._past_retention(now, policy)]
        if dry_run:
            return due
        for cid in due:
            self.store.vault_erase(complaint_id=cid)
            data = {"party": None, "reason": "retention", "forced": False}
            self._record_erasure(cid, "system", data)
        if due:
            _fingerprint._fingerprint.cache_clear()  # it remembers recent texts
        return due

    def _retention_of(self, c: Complaint, policy: RetentionPolicy | None) -> RetentionPolicy:
        if policy is not None:
            return policy
        name = c.sla.policy.get("name") if c.sla is not None else None
        found = RetentionPolicy.pack(name) if isinstance(name, str) else None
        return found or DEFAULT_RETENTION

    def _past_retention(self, now: datetime, policy: RetentionPolicy | None) -> list[Complaint]:
        """Closed complaints past their retention whose vault still holds
        personal data. Read in receipt order up to the latest possible
        cutoff (a complaint closes after it is received)."""
        shortest = policy or min(
            (p for p in map(_pack_retention, PACKS) if p is not None),
            key=lambda p: p.closed_years,
            default=DEFAULT_RETENTION,
        )
        latest = utc(shortest.cutoff(now))
        out: list[Complaint] = []
        offset = 0
        while True:
            page = self.store.find(status=_CLOSED, limit=_PAGE, offset=offset)
            past = [
                c
                for c in page
                if c.personal
                and _ended_by(self.store, c, utc(self._retention_of(c, policy).cutoff(now)))
            ]
            held = {e.complaint_id for e in self.store.vault_read([c.id for c in past])}
            out += [c for c in past if c.id in held]
            if len(page) < _PAGE or utc(page[-1].received_at) > latest:
                return out
            offset += _PAGE

    # -- access export -----------------------------------------------------------------

    def export_person(self, party_id: str) -> str:
        """Everything held about ``party_id`` (PIPL art. 45), as JSON: each
        complaint they are a party of, with their own personal fields (the
        other party's read ``[redacted]``), its events, and the
        notifications sent to them (no complaints when nothing is held)."""
        party_id = _text(party_id, "party_id", 200, id_printable)
        complaints = []
        for c in self._complaints_of(party_id):
            complaints.append(self._export_one(c, party_id))
        out = {
            "party_id": party_id,
            "exported_at": self.now().isoformat(),
            "complaints": complaints,
        }
        return json.dumps(out, ensure_ascii=False, sort_keys=True)

    def _export_one(self, c: Complaint, party_id: str) -> dict[str, Any]:
        mine = [e for e in self.store.vault_read([c.id]) if e.party_id == party_id]
        own = owned(c, {party_id: self._vault.open(mine[0]) or {}} if mine else {})
        roles = [
            role
            for role, p in (("complainant", c.complainant), ("respondent", c.respondent))
            if p is not None and p.id == party_id
        ]
        # their own fields no longer held read [erased], the other party's [redacted]
        gone = {f: ERASED if _owner(f) in roles else REDACTED for f in c.personal}
        as_them = Actor(id=party_id, roles=frozenset(roles))
        seen = redact_for(as_them, hydrate(c, {**gone, **own}))  # what engine.view shows them
        notes = [n for n in self.store.notifications(c.id) if n.recipient == party_id]
        return {
            "roles": roles,
            "complaint": seen.model_dump(mode="json", exclude=set(HIDDEN_FROM_PARTIES)),
            "events": [party_event(e, party_id) for e in self.store.events(c.id)],
            "notifications": [n.model_dump(mode="json") for n in notes],
        }
