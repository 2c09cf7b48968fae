"""Encryption of the personal-data vault: AES-256-GCM with a data key per
person (see ``docs/privacy.md``, "Encryption").

Each vault entry is sealed with its person's key, a fresh 96-bit nonce and
the entry's complaint and party ids as associated data (an entry copied to
another complaint or person does not open). Destroying a person's key makes
every copy of their entries unreadable, backups included, when the keys
live apart from the data (crypto-shredding): a :class:`KeyStore` is the
hook for a host's key management service; :class:`VaultKeyStore`, the
default, keeps the keys in the store's vault itself (erasure deletes them
with the entries, but a backup of the database holds both).

Needs the ``crypto`` extra (``cryptography``), imported only when
encryption is configured.
"""

from __future__ import annotations

import base64
import os
from typing import Any, Final, Protocol, runtime_checkable

from complaintflow.errors import InvalidInput, MissingDependency, StoreError
from complaintflow.stores import Store
from complaintflow.stores._vault import VaultEntry, key_row

__all__ = ["Encryption", "KeyStore", "VaultKeyStore"]

SEALED: Final = "aesgcm1:"
"""The prefix of an encrypted vault entry (plain entries are JSON objects)."""
_NONCE: Final = 12
_KEY: Final = 32


def _aesgcm() -> Any:
    try:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    except ImportError:
        raise MissingDependency(
            "encryption: the vault's encryption needs the 'cryptography' package: "
            "pip install 'complaintflow[crypto]'"
        ) from None
    return AESGCM


@runtime_checkable
class KeyStore(Protocol):
    """Where the persons' data keys live: the hook for a key management
    service. Keys are 32 random bytes (AES-256)."""

    def key(self, party_id: str, *, create: bool) -> bytes | None:
        """The person's key; a new one is made and kept when there is none
        and ``create`` is true (two callers racing must end with one key),
        else ``None``."""
        ...

    def destroy(self, party_id: str) -> None:
        """Destroy the person's key for good (crypto-shredding)."""
        ...


class VaultKeyStore:
    """The default :class:`KeyStore`: each person's key in the store's
    vault, beside their entries (in an entry of its own, see ``key_row``),
    found by index. Erasing the person
    deletes it with them; a database backup holds keys and ciphertexts."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def key(self, party_id: str, *, create: bool) -> bytes | None:
        found = self._find(party_id)
        if found is None and create:
            fresh = base64.b64encode(os.urandom(_KEY)).decode()
            self.store.vault_put([VaultEntry(key_row(party_id), party_id, fresh)])
            found = self._find(party_id)  # another writer's, if it won
        return found

    def destroy(self, party_id: str) -> None:
        """Nothing beyond the store's erasure, which deletes the key row."""

    def _find(self, party_id: str) -> bytes | None:
        for e in self.store.vault_read([key_row(party_id)]):
            if e.party_id == party_id:
                return base64.b64decode(e.data)
        return None


class Encryption:
    """Encrypt the personal-data vault (``Engine(encryption=Encryption())``).

    :param keys: the :class:`KeyStore` of the persons' data keys; the
        store's own vault (:class:`VaultKeyStore`) when omitted.

    Raises :class:`~complaintflow.errors.MissingDependency` when the
    ``crypto`` extra is not installed.
    """

    def __init__(self, keys: KeyStore | None = None) -> None:
        if keys is not None and not isinstance(keys, KeyStore):
            raise InvalidInput.field("keys", "must be a KeyStore (key() and destroy())")
        self._cipher = _aesgcm()
        self.keys = keys
        """The key store given (``None``: the engine's store's vault)."""

    def bind(self, store: Store) -> KeyStore:
        """The key store to use with ``store``."""
        return self.keys if self.keys is not None else VaultKeyStore(store)

    def seal(self, key: bytes, entry: VaultEntry) -> VaultEntry:
        """``entry`` with its data encrypted under ``key``."""
        nonce = os.urandom(_NONCE)
        sealed = self._cipher(key).encrypt(nonce, entry.data.encode(), _aad(entry))
        return entry._replace(data=SEALED + base64.b64encode(nonce + sealed).decode())

    def open(self, key: bytes, entry: VaultEntry) -> str:
        """The plain data of a sealed entry (StoreError if it was tampered with)."""
        raw = base64.b64decode(entry.data[len(SEALED) :])
        try:
            plain: bytes = self._cipher(key).decrypt(raw[:_NONCE], raw[_NONCE:], _aad(entry))
        except Exception as e:  # cryptography's InvalidTag
            raise StoreError(
                f"vault entry of complaint {entry.complaint_id!r} does not decrypt"
            ) from e
        return plain.decode()


def _aad(entry: VaultEntry) -> bytes:
    return f"{entry.complaint_id}\x00{entry.party_id}".encode()
