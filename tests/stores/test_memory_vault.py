"""The memory store's vault: its party index against a plain model, and
taking one complaint out of a party's entries costs the same whatever the
party's count (counted in comparisons of complaint ids, not in time)."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from complaintflow.stores import MemoryStore
from complaintflow.stores._vault import VaultEntry


class Counted(str):
    """A complaint id that counts the equality tests made on it."""

    __slots__ = ()
    compared = 0

    def __eq__(self, other: object) -> bool:
        Counted.compared += 1
        return str.__eq__(self, other)

    __hash__ = str.__hash__


def _comparisons_to_erase_the_last(n: int) -> int:
    store = MemoryStore()
    ids = [Counted(f"c-{i:05d}") for i in range(n)]
    store.vault_put([VaultEntry(cid, "u-1", "{}") for cid in ids])
    Counted.compared = 0
    assert store.vault_erase(complaint_id=Counted(f"c-{n - 1:05d}")) == 1  # equal, not identical
    return Counted.compared


def test_taking_a_complaint_out_does_not_walk_the_party_s_complaints() -> None:
    small, large = _comparisons_to_erase_the_last(2), _comparisons_to_erase_the_last(2000)
    assert large == small  # a list walked to the end compares 2000 ids
    assert small <= 5


ops = st.lists(
    st.tuples(
        st.sampled_from(["put", "erase_complaint", "erase_party"]),
        st.sampled_from(["c1", "c2", "c3", "c4"]),
        st.sampled_from(["u1", "u2", "u3"]),
    ),
    max_size=30,
)


@given(ops)
def test_the_vault_behaves_as_a_dictionary_of_entries(steps: list[tuple[str, str, str]]) -> None:
    store = MemoryStore()
    model: dict[tuple[str, str], str] = {}
    for n, (op, cid, pid) in enumerate(steps):
        if op == "put":
            store.vault_put([VaultEntry(cid, pid, f"d{n}")])
            model.setdefault((cid, pid), f"d{n}")
        elif op == "erase_complaint":
            gone = [k for k in model if k[0] == cid]
            assert store.vault_erase(complaint_id=cid) == len(gone)
            for k in gone:
                del model[k]
        else:
            gone = [k for k in model if k[1] == pid]
            assert store.vault_erase(party_id=pid) == len(gone)
            for k in gone:
                del model[k]
        for party in ("u1", "u2", "u3"):
            expected: list[Any] = sorted(
                VaultEntry(c, p, d) for (c, p), d in model.items() if p == party
            )
            assert store.vault_of(party) == expected
    assert sorted(store.vault_read(["c1", "c2", "c3", "c4"])) == sorted(
        VaultEntry(c, p, d) for (c, p), d in model.items()
    )
    assert set(store._vault_parties) == {p for _, p in model}
