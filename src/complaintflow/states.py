"""The guide's processing flow (guide §3.2) as a state machine.

The machine is defined once, at import, with ``transitions`` and validated
there. No machine is bound to a complaint: a complaint is plain data with a
``status``, and the engine asks this module which moves that status allows.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from enum import StrEnum
from typing import Final

from transitions import Machine

__all__ = [
    "OPEN_STATUSES",
    "TERMINAL_STATUSES",
    "TRANSITIONS",
    "Status",
    "allowed_commands",
    "target_status",
]


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


TERMINAL_STATUSES: Final = frozenset({Status.rejected, Status.withdrawn})
"""Statuses with no way out."""

OPEN_STATUSES: Final = frozenset(Status) - TERMINAL_STATUSES - {Status.closed}
"""Every status but ``closed``, ``rejected`` and ``withdrawn``."""

_S = Status
_FLOW: Final = (_S.received, _S.verifying, _S.classified, _S.decided, _S.executed)
_OPEN: Final = [s.value for s in Status if s in OPEN_STATUSES]
_OPEN_NOT_WAITING: Final = [s for s in _OPEN if s != _S.awaiting_info]
_WORKING: Final = [_S.verifying.value, _S.classified.value, _S.decided.value, _S.executed.value]

TRANSITIONS: Final[list[dict[str, object]]] = [
    {"trigger": "acknowledge", "source": _S.received.value, "dest": _S.verifying.value},
    {"trigger": "classify", "source": _S.verifying.value, "dest": _S.classified.value},
    {"trigger": "decide", "source": _S.classified.value, "dest": _S.decided.value},
    {"trigger": "execute", "source": _S.decided.value, "dest": _S.executed.value},
    {"trigger": "follow_up", "source": _S.executed.value, "dest": _S.closed.value},
    {"trigger": "reject", "source": [_S.received.value, _S.verifying.value], "dest": "rejected"},
    {"trigger": "request_info", "source": _OPEN_NOT_WAITING, "dest": _S.awaiting_info.value},
    # provide_info goes back to the status before request_info: one transition
    # per possible origin; the engine takes the one matching the saved status.
    *[
        dict[str, object](trigger="provide_info", source=_S.awaiting_info.value, dest=s.value)
        for s in _FLOW
    ],
    {"trigger": "withdraw", "source": _OPEN, "dest": _S.withdrawn.value},
    {"trigger": "reopen", "source": _S.closed.value, "dest": _S.verifying.value},
    # commands that do not move the status: internal transitions
    {"trigger": "record_step", "source": _WORKING, "dest": None},
    {"trigger": "assign", "source": _OPEN, "dest": None},
    {"trigger": "escalate", "source": _OPEN, "dest": None},
    {"trigger": "note", "source": _OPEN, "dest": None},
]
"""The transition table of DESIGN.md, in ``transitions``' dict form."""

_MACHINE: Final = Machine(
    model=None,
    states=[s.value for s in Status],
    transitions=TRANSITIONS,
    initial=Status.received.value,
    auto_transitions=False,
    send_event=False,
)


def _build_index(machine: Machine) -> dict[tuple[str, Status], tuple[Status | None, ...]]:
    index: dict[tuple[str, Status], tuple[Status | None, ...]] = {}
    for status in Status:
        for trigger in machine.get_triggers(status.value):
            dests = tuple(
                None if t.dest is None else Status(t.dest)
                for t in machine.get_transitions(trigger, status.value)
            )
            index[(trigger, status)] = dests
    return index


_INDEX: Final = _build_index(_MACHINE)
_ALLOWED: Final = {
    status: frozenset(trigger for (trigger, src) in _INDEX if src == status) for status in Status
}


def _validate(index: dict[tuple[str, Status], tuple[Status | None, ...]]) -> None:
    """Check the definition once: every status reachable, terminals closed."""
    seen = {Status.received}
    queue: deque[Status] = deque([Status.received])
    while queue:
        src = queue.popleft()
        for (_, s), dests in index.items():
            if s != src:
                continue
            for d in dests:
                if d is not None and d not in seen:
                    seen.add(d)
                    queue.append(d)
    unreachable = set(Status) - seen
    if unreachable:  # pragma: no cover - a definition error, caught at import
        raise RuntimeError(f"unreachable statuses: {sorted(unreachable)}")
    for terminal in TERMINAL_STATUSES:
        if _ALLOWED[terminal]:  # pragma: no cover - a definition error
            raise RuntimeError(f"terminal status {terminal} has exits")


_validate(_INDEX)


def allowed_commands(status: Status) -> frozenset[str]:
    """The command types the state machine allows in ``status``."""
    return _ALLOWED[status]


def target_status(command: str, status: Status, prior: Status | None = None) -> Status | None:
    """Where ``command`` takes a complaint in ``status``.

    Returns ``None`` when the command does not move the status, and raises
    ``KeyError`` when the machine does not allow it. ``prior`` picks the
    destination of ``provide_info`` (the status before ``request_info``).
    """
    dests = _INDEX[(command, status)]
    if len(dests) == 1:
        return dests[0]
    if prior is None or prior not in dests:
        raise KeyError((command, status))
    return prior


def reachable_from(start: Status) -> frozenset[Status]:
    """Every status reachable from ``start`` (``start`` included)."""
    seen = {start}
    queue: deque[Status] = deque([start])
    while queue:
        src = queue.popleft()
        for trigger in _ALLOWED[src]:
            for d in _INDEX[(trigger, src)]:
                if d is not None and d not in seen:
                    seen.add(d)
                    queue.append(d)
    return frozenset(seen)


def transitions_table() -> Iterable[tuple[Status, str, Status | None]]:
    """(source, command, destination) rows of the machine, for diagrams."""
    for (trigger, src), dests in sorted(_INDEX.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        for d in dests:
            yield src, trigger, d
