"""The guide's processing flow (guide §3.2) as a state machine.

The machine is built once, at import, with ``transitions`` from the command
specs (:data:`complaintflow.COMMAND_SPECS`) and validated there. No machine
is bound to a complaint: a complaint is plain data with a ``status``, and
the engine asks this module which moves that status allows.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from typing import Final

from transitions import Machine

from complaintflow._specs import COMMAND_SPECS
from complaintflow._status import OPEN_STATUSES, TERMINAL_STATUSES, Status

__all__ = [
    "OPEN_STATUSES",
    "TERMINAL_STATUSES",
    "TRANSITIONS",
    "Status",
    "allowed_commands",
    "target_status",
]

TRANSITIONS: Final[list[dict[str, object]]] = [
    row for spec in COMMAND_SPECS.values() for row in spec.transitions()
]
"""The transition table (``docs/design.md``), in ``transitions``' dict form,
derived from the command specs. Commands that do not move the status are
internal transitions (``dest`` ``None``); ``provide_info`` has one row per
possible origin and the engine takes the one matching the saved status."""

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
