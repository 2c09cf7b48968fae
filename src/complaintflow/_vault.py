"""Personal fields apart from facts (see ``docs/privacy.md``).

:func:`split` takes a new complaint's personal fields (the parties' names
and contacts, the complainant's description and evidence) out of it: the
record, its ``submit`` event and everything after hold only the facts and
the names of the fields kept apart (``Complaint.personal``); the fields go
to the store's vault, one entry per party (:class:`Vault`, encrypted when
configured). :func:`hydrate` puts them back for the reads that need the
plaintext (views, the duplicate screen, export); a field whose entry was
erased reads :data:`ERASED`. Commands never read the vault.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final

from complaintflow._base import fast_copy
from complaintflow._crypto import SEALED, Encryption, KeyStore, _aesgcm
from complaintflow._permissions import redact_for
from complaintflow.errors import InvalidInput, StoreError
from complaintflow.models import Actor, Complaint, Event, Notification, Party
from complaintflow.stores import Store
from complaintflow.stores._split import entry_data, split
from complaintflow.stores._vault import VaultEntry

__all__ = ["ERASED", "Vault", "hydrate", "owned", "split"]

log = logging.getLogger("complaintflow")

ERASED: Final = "[erased]"
"""What an erased personal field reads."""

_PARTY_FIELDS: Final = ("name", "contact")


def _party(
    party: Party | None, role: str, values: Mapping[str, Any], personal: tuple[str, ...], gone: str
) -> Party | None:
    if party is None:
        return None
    update = {
        f: values.get(f"{role}.{f}", gone) for f in _PARTY_FIELDS if f"{role}.{f}" in personal
    }
    return fast_copy(party, **update) if update else party


def owned(c: Complaint, by_party: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """The fields of ``c`` its parties' entries hold (``by_party``: party id
    -> fields), each read from its owner's entry only: the respondent's
    fields from the respondent's, the others from the complainant's (an
    entry of anyone else is ignored)."""
    out = {
        k: v
        for k, v in by_party.get(c.complainant.id, {}).items()
        if not k.startswith("respondent.")
    }
    if c.respondent is not None:
        theirs = by_party.get(c.respondent.id, {})
        out.update((k, v) for k, v in theirs.items() if k.startswith("respondent."))
    return out


def hydrate(c: Complaint, values: Mapping[str, Any], gone: str = ERASED) -> Complaint:
    """``c`` with its personal fields from ``values`` (the merged vault
    entries of its parties); a field not there reads ``gone``
    (:data:`ERASED`)."""
    personal = c.personal
    if not personal:
        return c
    update: dict[str, Any] = {
        "complainant": _party(c.complainant, "complainant", values, personal, gone),
        "respondent": _party(c.respondent, "respondent", values, personal, gone),
    }
    if "description" in personal:
        update["description"] = values.get("description", gone)
    if "evidence" in personal:
        evidence = values.get("evidence", (gone,) if gone else ())
        update["evidence"] = (evidence,) if isinstance(evidence, str) else tuple(evidence)
    return fast_copy(c, **update)


class Vault:
    """One engine's access to its store's vault, sealing and opening the
    entries when encryption is configured."""

    def __init__(self, store: Store, encryption: Encryption | None) -> None:
        if encryption is not None and not isinstance(encryption, Encryption):
            raise InvalidInput.field("encryption", "must be an Encryption")
        self.store = store
        self.encryption = encryption
        self.keys: KeyStore | None = None if encryption is None else encryption.bind(store)
        self._screening: _Screening | None = None

    @staticmethod
    def prepare(c: Complaint) -> tuple[Complaint, list[VaultEntry]]:
        """``c``'s facts, and the vault entries of its personal fields."""
        facts, held = split(c)
        entries = [VaultEntry(c.id, pid, entry_data(values)) for pid, values in held.items()]
        return facts, entries

    def keep(self, entries: list[VaultEntry]) -> None:
        """Write entries (from :meth:`prepare`) to the vault, sealed when
        encryption is on."""
        if entries:
            sealing = self.encryption is not None
            self.store.vault_put([self._seal(e) for e in entries] if sealing else entries)

    def save_new(
        self,
        created: Complaint,
        events: list[Event],
        notifications: list[Notification],
        entries: list[VaultEntry],
    ) -> None:
        """Save a new complaint and write its vault ``entries`` (:meth:`keep`);
        when the save fails and no complaint of its id was stored, delete
        them again (a retried submit writes its own). A store that can
        (``stage_vault``, the PostgreSQL store) writes them in the save's
        own statement instead: one commit for both."""
        complaint_id = created.id

        def save() -> None:
            self.store.save(created, expected_version=0, events=events, notifications=notifications)

        stage = getattr(self.store, "stage_vault", None)
        if stage is not None and entries:
            stage(complaint_id, [self._seal(e) for e in entries])
            try:
                save()
            finally:
                stage(complaint_id, ())
            return
        self.keep(entries)
        try:
            save()
        except BaseException:
            if entries:
                try:
                    if self.store.load(complaint_id) is None:
                        self.store.vault_erase(complaint_id=complaint_id)
                except StoreError:
                    log.exception("could not remove the vault entries of a failed submit")
            raise

    def _seal(self, e: VaultEntry) -> VaultEntry:
        if self.encryption is None or self.keys is None:
            return e
        key = self.keys.key(e.party_id, create=True)
        assert key is not None
        return self.encryption.seal(key, e)

    def open(self, e: VaultEntry) -> dict[str, Any] | None:
        """An entry's fields; ``None`` when its key is gone (shredded)."""
        data = e.data
        if data.startswith(SEALED):
            if self.encryption is None or self.keys is None:
                _aesgcm()  # MissingDependency when the extra is missing
                raise _sealed_without_key()
            key = self.keys.key(e.party_id, create=False)
            if key is None:
                return None
            data = self.encryption.open(key, e)
        out: dict[str, Any] = json.loads(data)
        return out

    def values(self, entries: Iterable[VaultEntry]) -> dict[str, dict[str, dict[str, Any]]]:
        """The fields of each entry, by complaint id then party id."""
        out: dict[str, dict[str, dict[str, Any]]] = {}
        for e in entries:
            fields = self.open(e)
            if fields is not None:
                out.setdefault(e.complaint_id, {})[e.party_id] = fields
        return out

    def hydrate_all(self, complaints: list[Complaint], gone: str = ERASED) -> list[Complaint]:
        """``complaints`` with their personal fields (one vault read); an
        erased field reads ``gone``."""
        ids = [c.id for c in complaints if c.personal]
        if not ids:
            return complaints
        found = self.values(self.store.vault_read(ids))
        return [hydrate(c, owned(c, found.get(c.id, {})), gone) for c in complaints]

    def texts(self, complaints: list[Complaint]) -> list[Complaint]:
        """``complaints`` with their texts for a comparison or a count of
        terms: an erased field reads empty."""
        return self.hydrate_all(complaints, "")

    def hydrate(self, c: Complaint) -> Complaint:
        """``c`` with its personal fields."""
        return self.hydrate_all([c])[0]

    def view(
        self, authorise: Callable[[Actor, Complaint], object], actor: Actor, c: Complaint
    ) -> Complaint:
        """``c`` as ``actor`` may see it, with the personal fields their role
        sees: ``authorise`` (``PermissionDenied``) runs on the record first,
        so nothing is read from the vault for an actor who may not look."""
        authorise(actor, c)
        return redact_for(actor, self.hydrate(c))

    def screening(self, store: Any) -> _Screening:
        """``store`` as the screens and the analysis see it: the complaints
        ``find`` and ``find_like`` return carry their texts (:meth:`texts`)."""
        screening = self._screening
        if screening is None or screening._store is not store:
            screening = self._screening = _Screening(store, self.texts)
        return screening


def _sealed_without_key() -> Exception:
    return InvalidInput.field(
        "encryption", "the vault holds encrypted entries: configure the engine's encryption"
    )


class _Screening:
    """A store whose ``find`` and ``find_like`` answers carry the personal
    fields (the duplicate screen compares descriptions); the rest as is."""

    _HYDRATED: Final = frozenset({"find", "find_like"})

    def __init__(self, store: Any, hydrate_all: Callable[[list[Complaint]], list[Complaint]]):
        self._store = store
        self._hydrate_all = hydrate_all

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._store, name)
        if name in self._HYDRATED:
            hydrate_all = self._hydrate_all
            found = attr

            def attr(*args: Any, **kwargs: Any) -> Any:
                return hydrate_all(list(found(*args, **kwargs)))

        if callable(attr):  # the store's methods: looked up once
            self.__dict__[name] = attr
        return attr
