"""A key store kept outside the database, for ``--keys cli_keys:KMS``."""

from __future__ import annotations

import os


class Kms:
    """Data keys in this process's memory (a stand-in for a KMS)."""

    def __init__(self) -> None:
        self.keys: dict[str, bytes] = {}

    def key(self, party_id: str, *, create: bool) -> bytes | None:
        if create and party_id not in self.keys:
            self.keys[party_id] = os.urandom(32)
        return self.keys.get(party_id)

    def destroy(self, party_id: str) -> None:
        self.keys.pop(party_id, None)


KMS = Kms()
