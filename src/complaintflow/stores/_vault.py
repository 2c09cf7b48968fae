"""The personal-data vault of the stores (see ``docs/privacy.md``).

A complaint record, its events, its SLA state and its notifications hold
only facts and party ids; the parties' names and contacts and the
complainant's description and evidence are kept here, one entry per
complaint and party, so that one person's data can be deleted without
touching the audit trail. An entry's ``data`` is opaque to the store: JSON
text, or a ciphertext when the engine encrypts (``complaintflow._crypto``).

:class:`MemoryVault` and :class:`SQLVault` are the vault methods of the
memory and SQL stores (mixed into them); the SQL queries are shared with
the async PostgreSQL store.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any, ClassVar, Final, NamedTuple

from complaintflow.errors import InvalidInput

__all__ = ["MemoryVault", "SQLVault", "VaultEntry", "erase_target", "key_row", "put_sql"]

_KEY_PREFIX: Final = " key:"


def key_row(party_id: str) -> str:
    """The complaint id of the entry holding ``party_id``'s data key, where
    the default key store keeps it: no complaint id starts with a space (ids
    are stripped), and it is found by the complaint index like any entry."""
    return _KEY_PREFIX + party_id


class VaultEntry(NamedTuple):
    """One vault entry: the personal data ``party_id`` gave in one complaint."""

    complaint_id: str
    party_id: str
    data: str


def erase_target(party_id: str | None, complaint_id: str | None) -> tuple[str, str]:
    """Which entries ``vault_erase`` deletes: ``("party", id)`` or
    ``("complaint", id)``; exactly one must be given."""
    if (party_id is None) == (complaint_id is None):
        raise InvalidInput.field("party_id", "give exactly one of party_id and complaint_id")
    if party_id is not None:
        return "party", party_id
    assert complaint_id is not None
    return "complaint", complaint_id


# -- SQL -------------------------------------------------------------------------------

VAULT_MIGRATION: Final = (
    """CREATE TABLE IF NOT EXISTS vault (
        complaint_id {text} NOT NULL,
        party_id {text} NOT NULL,
        data {text} NOT NULL,
        PRIMARY KEY (complaint_id, party_id)
    ){without_rowid}""",
    "CREATE INDEX IF NOT EXISTS vault_party ON vault (party_id)",
)
"""Migration 5: the vault table."""

PUT: Final = (
    "INSERT INTO vault (complaint_id, party_id, data) VALUES (%s, %s, %s) "
    "ON CONFLICT (complaint_id, party_id) DO NOTHING"
)


def put_sql(count: int) -> str:
    """:data:`PUT` for ``count`` entries in one statement."""
    return PUT.replace("(%s, %s, %s)", ", ".join(["(%s, %s, %s)"] * count))


OF_PARTY: Final = "SELECT complaint_id, party_id, data FROM vault WHERE party_id = %s"
ERASE: Final = {
    "party": (
        "DELETE FROM vault WHERE party_id = %s",
        "DELETE FROM complaint_keys WHERE complainant = %s",
    ),
    "complaint": (
        "DELETE FROM vault WHERE complaint_id = %s",
        "DELETE FROM complaint_keys WHERE complainant = "
        "(SELECT complainant FROM complaints WHERE id = %s) AND complaint_id = %s",
    ),
}
"""The statements of ``vault_erase``: its entries, then the duplicate
screen's keys (of the party's own complaints, or of the complaint)."""


def read_sql(complaint_ids: Sequence[str]) -> str:
    """The query of ``vault_read``."""
    marks = ", ".join(["%s"] * len(complaint_ids)) or "NULL"
    return f"SELECT complaint_id, party_id, data FROM vault WHERE complaint_id IN ({marks})"


def erase_params(kind: str, value: str) -> list[tuple[str, ...]]:
    """The parameters of the :data:`ERASE` statements."""
    return [(value,), (value,) if kind == "party" else (value, value)]


def entries(rows: Sequence[Sequence[Any]]) -> list[VaultEntry]:
    return [VaultEntry(str(r[0]), str(r[1]), str(r[2])) for r in rows]


class SQLVault:
    """The vault methods of :class:`~complaintflow.stores._sql.SQLStore`."""

    dialect: ClassVar[Any]

    def _run(self, work: Any) -> Any:  # pragma: no cover - the store's
        raise NotImplementedError

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:  # pragma: no cover
        raise NotImplementedError

    def vault_put(self, entries: Sequence[VaultEntry]) -> None:
        """Add vault entries; an entry that exists already is kept as it is."""
        rows = [tuple(e) for e in entries]
        if rows:
            self._run(lambda conn: conn.cursor().executemany(self.dialect.q(PUT), rows))

    def vault_read(self, complaint_ids: Sequence[str]) -> list[VaultEntry]:
        """The entries of these complaints (every party's)."""
        ids = list(complaint_ids)
        return entries(self._rows(read_sql(ids), ids)) if ids else []

    def vault_of(self, party_id: str) -> list[VaultEntry]:
        """Every entry of one party (their data key's too)."""
        return entries(self._rows(OF_PARTY, (party_id,)))

    def vault_erase(self, *, party_id: str | None = None, complaint_id: str | None = None) -> int:
        """Delete the entries of a party (with their key) or of a complaint,
        and the duplicate screen's keys of the texts they wrote; how many
        entries were deleted."""
        kind, value = erase_target(party_id, complaint_id)

        def work(conn: Any) -> int:
            counts = [
                conn.execute(self.dialect.q(sql), params).rowcount
                for sql, params in zip(ERASE[kind], erase_params(kind, value), strict=True)
            ]
            return int(counts[0])

        n: int = self._run(work)
        self._after_erase()
        return n

    def _after_erase(self) -> None:
        """What a backend does after deleting (SQLite: checkpoint the WAL)."""


# -- memory ------------------------------------------------------------------------------


Pair = tuple[str, str]
"""One vault entry of a complaint in the memory store: ``(party, data)``."""
Held = Pair | tuple[Pair, ...]
"""A complaint's vault entries: its one pair as it is, or a tuple of pairs."""


def _pairs(held: Held | tuple[()]) -> tuple[Pair, ...]:
    """A complaint's entries as a tuple of pairs, however they are kept."""
    return (held,) if held and isinstance(held[0], str) else held


def _ids(cids: str | dict[str, None] | tuple[()]) -> Collection[str]:
    """A party's complaint ids, however they are kept."""
    return (cids,) if isinstance(cids, str) else cids


class MemoryVault:
    """The vault methods of :class:`~complaintflow.stores.MemoryStore`:
    each complaint's ``(party, data)`` pairs (its one pair as it is), and
    each party's complaints (its one complaint as its id, else an
    insertion-ordered set, so that taking one out costs the same whatever
    the party's count)."""

    _lock: Any
    _vault: dict[str, Held]
    _vault_parties: dict[str, str | dict[str, None]]

    def _unfile_keys(self, complaint_id: str) -> None:  # pragma: no cover - the store's
        raise NotImplementedError

    def _complaints_of(self, party_id: str) -> list[str]:  # pragma: no cover - the store's
        raise NotImplementedError

    def vault_put(self, entries: Sequence[VaultEntry]) -> None:
        """Add vault entries; an entry that exists already is kept as it is."""
        with self._lock:
            for cid, pid, data in entries:
                held = _pairs(self._vault.get(cid, ()))
                if all(p != pid for p, _ in held):
                    self._vault[cid] = (*held, (pid, data)) if held else (pid, data)
                    theirs = self._vault_parties.get(pid)
                    if theirs is None:
                        self._vault_parties[pid] = cid
                    elif isinstance(theirs, str):
                        self._vault_parties[pid] = {theirs: None, cid: None}
                    else:
                        theirs[cid] = None

    def vault_read(self, complaint_ids: Sequence[str]) -> list[VaultEntry]:
        """The entries of these complaints (every party's)."""
        with self._lock:
            return [
                VaultEntry(cid, pid, data)
                for cid in dict.fromkeys(complaint_ids)
                for pid, data in _pairs(self._vault.get(cid, ()))
            ]

    def vault_of(self, party_id: str) -> list[VaultEntry]:
        """Every entry of one party (their data key's too)."""
        with self._lock:
            return [
                VaultEntry(cid, pid, data)
                for cid in sorted(_ids(self._vault_parties.get(party_id, ())))
                for pid, data in _pairs(self._vault[cid])
                if pid == party_id
            ]

    def vault_erase(self, *, party_id: str | None = None, complaint_id: str | None = None) -> int:
        """Delete the entries of a party (with their key) or of a complaint,
        and the duplicate screen's keys of the texts they wrote; how many
        entries were deleted."""
        kind, value = erase_target(party_id, complaint_id)
        with self._lock:
            if kind == "complaint":
                held = _pairs(self._vault.pop(value, ()))
                for pid, _ in held:
                    theirs = self._vault_parties[pid]
                    if isinstance(theirs, str):
                        del self._vault_parties[pid]
                        continue
                    del theirs[value]
                    if not theirs:
                        del self._vault_parties[pid]
                self._unfile_keys(value)
                return len(held)
            cids = _ids(self._vault_parties.pop(value, ()))
            for cid in cids:
                kept = tuple(e for e in _pairs(self._vault[cid]) if e[0] != value)
                if kept:
                    self._vault[cid] = kept[0] if len(kept) == 1 else kept
                else:
                    del self._vault[cid]
            for cid in self._complaints_of(value):
                self._unfile_keys(cid)
            return len(cids)
