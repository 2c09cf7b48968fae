"""Options the commands share: ``MODULE:OBJECT`` loading, and the
``--keys`` option of the commands that read personal fields
(``complaintflow report``, ``rules export``, ``worker``): they open an
encrypted vault as an engine configured with ``Encryption`` does
(docs/privacy.md, "Encryption").

Without ``--keys``, the persons' data keys are looked for in the database
itself (the default ``VaultKeyStore``); an encrypted entry whose key is
not there means the keys are kept elsewhere, and the command stops with an
error that says to pass ``--keys`` instead of reading the field as erased.
Without the ``crypto`` extra, a plain vault reads as before and an
encrypted entry raises ``MissingDependency`` naming the extra.

And a check of output files: a command that reads the database never
writes its output over it (:func:`refused_outputs`).
"""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path
from typing import Any

from complaintflow._crypto import Encryption, KeyStore, VaultKeyStore
from complaintflow.errors import InvalidInput, MissingDependency

__all__ = ["add_keys_argument", "encryption_for", "load_object", "refused_outputs"]


def load_object(spec: str, field: str = "plugin") -> object:
    """``module`` or ``module:attribute`` imported; a class is instantiated
    with no arguments (a plugin object is wanted); errors name ``field``."""
    module_name, _, attr = spec.partition(":")
    try:
        obj: object = importlib.import_module(module_name)
    except ImportError as e:
        raise InvalidInput.field(field, f"{spec!r}: cannot import {module_name!r}: {e}") from e
    for part in attr.split(".") if attr else ():
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise InvalidInput.field(field, f"{spec!r}: no attribute {part!r}") from None
    return obj() if isinstance(obj, type) else obj


def add_keys_argument(parser: Any) -> None:
    """Add ``--keys MODULE:OBJECT`` to a command's parser."""
    parser.add_argument(
        "--keys",
        metavar="MODULE:OBJECT",
        help="the key store of an encrypted vault whose keys are kept outside the database: "
        "a cf.KeyStore, or a class or function that returns one "
        "(default: the keys in the database)",
    )


class _KeysInTheDatabase(VaultKeyStore):
    """The default key store, refusing to read on without a key: an
    encrypted entry whose key is not in the database was sealed with keys
    kept elsewhere (an erasure deletes the entries with the key)."""

    def key(self, party_id: str, *, create: bool) -> bytes | None:
        found = super().key(party_id, create=create)
        if found is None:
            raise InvalidInput.field(
                "keys",
                "the vault is encrypted with keys kept outside the database: "
                "pass --keys MODULE:OBJECT (the key store the engine uses)",
            )
        return found


def encryption_for(store: Any, spec: str | None) -> Encryption | None:
    """The encryption to open ``store``'s vault with: the key store ``spec``
    names (``module:object``), else the keys in the database; ``None`` when
    no key store is given and the ``crypto`` extra is missing (a plain vault
    needs none)."""
    if spec is None:
        try:
            return Encryption(keys=_KeysInTheDatabase(store))
        except MissingDependency:
            return None
    keys = load_object(spec, "keys")
    if not isinstance(keys, KeyStore) and callable(keys):
        keys = keys()
    if not isinstance(keys, KeyStore):
        raise InvalidInput.field("keys", f"{spec!r}: not a KeyStore (key() and destroy())")
    return Encryption(keys=keys)


def _onto_db(db: str, outputs: dict[str, str | None]) -> str | None:
    """The first of ``outputs`` (option -> path) that is the database file
    or one of its ``-wal``, ``-shm`` and ``-journal`` files: writing there
    would destroy the store; ``None`` when none is."""
    base = Path(db).resolve()
    kept = {base, *(base.with_name(base.name + end) for end in ("-wal", "-shm", "-journal"))}
    for option, out in outputs.items():
        if out and (
            Path(out).resolve() in kept or (Path(out).exists() and os.path.samefile(out, db))
        ):
            return option
    return None


def refused_outputs(db: str, outputs: dict[str, str | None]) -> bool:
    """Print an error and say so when an output would overwrite the database."""
    option = _onto_db(db, outputs)
    if option is not None:
        print(f"error: {option}: is the database given as --db: write elsewhere", file=sys.stderr)
    return option is not None
