"""Testing helpers for hosts: a controllable clock, pytest fixtures
(``complaintflow_engine``, ``complaintflow_clock``), Hypothesis strategies
(:mod:`complaintflow.testing.strategies`, needs ``hypothesis``) and the store
contract suite (:class:`StoreContract`, in
:mod:`complaintflow.testing.contract`, needs ``pytest``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from complaintflow.testing._clock import FakeClock

if TYPE_CHECKING:
    from complaintflow.testing.contract import StoreContract

__all__ = ["FakeClock", "StoreContract"]


def __getattr__(name: str) -> Any:
    # imported on first use: the contract needs pytest, the clock does not
    if name == "StoreContract":
        from complaintflow.testing.contract import StoreContract

        return StoreContract
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
