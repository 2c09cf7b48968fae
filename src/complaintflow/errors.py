"""One exception hierarchy: every error complaintflow raises derives from
:class:`ComplaintFlowError`, so a host can catch the library's errors in one
``except`` and tell them from its own."""

from __future__ import annotations

from typing import Any

__all__ = [
    "CalendarRangeError",
    "ComplaintFlowError",
    "ConcurrencyError",
    "ErasureRefused",
    "GuardFailed",
    "InvalidInput",
    "InvalidTransition",
    "MissingDependency",
    "NotFound",
    "PermissionDenied",
    "PluginError",
    "StoreError",
]


class ComplaintFlowError(Exception):
    """Base of every error the library raises."""


class InvalidInput(ComplaintFlowError, ValueError):
    """Input failed validation.

    ``errors`` lists each problem as ``{"field": "a.b", "reason": "..."}``;
    the message names the fields and the reasons.
    """

    def __init__(self, message: str, errors: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.errors: list[dict[str, Any]] = errors or []

    @classmethod
    def field(cls, field: str, reason: str) -> InvalidInput:
        """An error about one field."""
        return cls(f"{field}: {reason}", [{"field": field, "reason": reason}])


class CalendarRangeError(ComplaintFlowError, ValueError):
    """A computation needed a day outside the range a calendar's data covers."""


class InvalidTransition(ComplaintFlowError):
    """The command is not allowed in the complaint's current status.

    ``command`` is the command's type and ``status`` the complaint's status
    (either may be ``None`` when raised by a plugin without them)."""

    def __init__(
        self, message: str, *, command: str | None = None, status: str | None = None
    ) -> None:
        super().__init__(message)
        self.command = command
        self.status = status


class GuardFailed(ComplaintFlowError):
    """The command is allowed in this status, but a precondition is not met
    (required procedure steps not done, no basis for a decision, ...).

    ``command`` is the command's type; ``reason`` a stable code a program can
    branch on (``missing_steps``, ``no_category``, ``unknown_step``,
    ``step_data``, ``no_respondent``, ``target_not_running``, ...)."""

    def __init__(
        self, message: str, *, command: str | None = None, reason: str | None = None
    ) -> None:
        super().__init__(message)
        self.command = command
        self.reason = reason


class PermissionDenied(ComplaintFlowError):
    """The actor may not run this command on this complaint.

    ``command`` is the command's type (``submit`` and ``view`` too),
    ``actor`` the actor's id and ``role_needed`` the roles that could run it
    (empty when no role can, e.g. a condition on the complaint failed)."""

    def __init__(
        self,
        message: str,
        *,
        command: str | None = None,
        actor: str | None = None,
        role_needed: frozenset[str] = frozenset(),
    ) -> None:
        super().__init__(message)
        self.command = command
        self.actor = actor
        self.role_needed = role_needed


class NotFound(ComplaintFlowError, LookupError):
    """No complaint (or other record) with that id."""


class ConcurrencyError(ComplaintFlowError):
    """Another writer saved the complaint first: reload and try again."""


class StoreError(ComplaintFlowError):
    """The store failed; the complaint is as it was before the command."""


class PluginError(ComplaintFlowError):
    """A plugin is malformed (unknown hook, bad registration, ...)."""


class ErasureRefused(ComplaintFlowError):
    """A person's personal data cannot be erased now: a complaint of theirs
    is still open (erase after it closes, or force it as a supervisor with
    a reason). ``open_complaints`` counts them."""

    def __init__(self, message: str, open_complaints: int) -> None:
        super().__init__(message)
        self.open_complaints = open_complaints


class MissingDependency(ComplaintFlowError, ImportError):
    """A feature was configured whose optional package is not installed
    (the message names the extra to install)."""
