"""Where a complaint stands: the statuses of the guide's flow (guide §3.2).

The bottom of the package: the models use these; the state machine built
from the command specs (:mod:`complaintflow.states`) moves between them.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from complaintflow.errors import InvalidInput


class Status(StrEnum):
    """Where a complaint stands in the guide's flow (guide §3.2)."""

    received = "received"
    """接收投诉: submitted, not yet acknowledged."""
    verifying = "verifying"
    """核实信息: acknowledged; the information is being verified."""
    classified = "classified"
    """分类处理: verified and routed to its category's procedure."""
    decided = "decided"
    """处理决定: a decision was made and notified."""
    executed = "executed"
    """执行处理: the decision was carried out."""
    closed = "closed"
    """跟进反馈: followed up with the complainant; done (may be reopened)."""
    awaiting_info = "awaiting_info"
    """Waiting for a party to provide requested information."""
    rejected = "rejected"
    """Screened out (duplicate, incomplete, malicious, out of scope)."""
    withdrawn = "withdrawn"
    """Withdrawn by the complainant or on their behalf."""

    @classmethod
    def _missing_(cls, value: object) -> Status:
        # an unknown status is bad input, named like any other
        raise InvalidInput.field(
            "status", f"unknown status; one of {', '.join(m.value for m in cls)}"
        )


TERMINAL_STATUSES: Final = frozenset({Status.rejected, Status.withdrawn})
"""Statuses with no way out."""

OPEN_STATUSES: Final = frozenset(Status) - TERMINAL_STATUSES - {Status.closed}
"""Every status but ``closed``, ``rejected`` and ``withdrawn``: the one
definition of "open" in the package."""

FLOW: Final = (
    Status.received,
    Status.verifying,
    Status.classified,
    Status.decided,
    Status.executed,
)
"""The main flow's statuses before ``closed``, in order."""

WORKING: Final = frozenset({Status.verifying, Status.classified, Status.decided, Status.executed})
"""Statuses in which the category's procedure steps are recorded (guide §4)."""
