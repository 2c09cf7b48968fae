"""The filters of ``Store.find``, checked the same way by every store."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final

from complaintflow._args import positive_int
from complaintflow._base import id_printable
from complaintflow._status import Status
from complaintflow.errors import InvalidInput

__all__ = ["FIND_FILTERS", "MAX_OFFSET", "check_find"]

FIND_FILTERS: Final = frozenset(
    {
        "complainant",
        "respondent",
        "open_only",
        "status",
        "category",
        "handler",
        "needs_triage",
        "limit",
        "offset",
    }
)
"""The keyword arguments of ``Store.find``."""

MAX_OFFSET: Final = 2**62
"""The largest ``offset`` of ``find`` (every database's integers hold it)."""

_TEXT: Final = ("complainant", "respondent", "category", "handler")
_STATUSES: Final = ", ".join(s.value for s in Status)


def check_find(filters: Mapping[str, Any]) -> frozenset[str] | None:
    """Check the keyword arguments of ``Store.find``: each a filter of
    :data:`FIND_FILTERS` and of its type, ``limit`` from 1 (to
    :data:`~complaintflow._args.MAX_LIMIT`), ``offset`` from 0; else
    :class:`InvalidInput` naming the filter and the reason. Returns the
    statuses wanted (``None``: any)."""
    unknown = sorted(set(filters) - FIND_FILTERS)
    if unknown:
        reason = f"not a filter of find ({', '.join(sorted(FIND_FILTERS))})"
        raise InvalidInput.field(unknown[0], reason)
    for name in _TEXT:
        _check_type(filters.get(name), name, str, "a string or None")
        _check_id(filters.get(name), name)
    _check_type(filters.get("open_only", False), "open_only", bool, "true or false", none=False)
    _check_type(filters.get("needs_triage"), "needs_triage", bool, "true, false or None")
    positive_int(filters.get("limit", 1), "limit")
    offset = filters.get("offset", 0)
    if isinstance(offset, bool) or not isinstance(offset, int):
        raise InvalidInput.field("offset", f"must be an integer, not {type(offset).__name__}")
    if not 0 <= offset <= MAX_OFFSET:
        raise InvalidInput.field("offset", f"must be from 0 to {MAX_OFFSET}, not {offset}")
    return status_set(filters.get("status"))


def _check_id(value: object, name: str) -> None:
    """An id filter without control characters or lone surrogates: no id
    holds one, and SQLite and PostgreSQL could not encode it."""
    if isinstance(value, str):
        try:
            id_printable(value)
        except ValueError as e:
            raise InvalidInput.field(name, str(e)) from None


def _check_type(value: object, name: str, kind: type, what: str, *, none: bool = True) -> None:
    if (value is None and none) or (isinstance(value, kind) and value is not None):
        return
    raise InvalidInput.field(name, f"must be {what}, not {type(value).__name__}")


def status_set(status: object) -> frozenset[str] | None:
    """The ``status`` filter of ``find`` (a :class:`Status`, its value, or
    an iterable of them) as a set of values; ``None`` for any."""
    if status is None:
        return None
    if isinstance(status, str):
        return frozenset({_status(status)})
    if not isinstance(status, Iterable) or isinstance(status, (bytes, bytearray, Mapping)):
        raise InvalidInput.field(
            "status", f"must be a status or several, not {type(status).__name__}"
        )
    return frozenset(_status(s) for s in status)


def _status(value: object) -> str:
    if isinstance(value, str):
        try:
            return Status(value).value
        except ValueError:
            pass
    shown = repr(value)[:40] if isinstance(value, str) else type(value).__name__
    raise InvalidInput.field("status", f"not a status ({_STATUSES}): {shown}")
