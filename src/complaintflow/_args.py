"""Checks of plain arguments of the public methods (limits, times): each
bad value is an :class:`~complaintflow.errors.InvalidInput` naming it."""

from __future__ import annotations

from datetime import datetime
from typing import Final

from complaintflow._base import aware
from complaintflow.errors import InvalidInput

__all__ = ["MAX_LIMIT", "optional_moment", "positive_int"]

MAX_LIMIT: Final = 1_000_000
"""The largest ``limit`` a method takes."""


def positive_int(value: object, field: str, *, maximum: int = MAX_LIMIT) -> int:
    """``value`` if it is an integer from 1 to ``maximum`` (not a bool)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput.field(field, f"must be an integer, not {type(value).__name__}")
    if not 1 <= value <= maximum:
        raise InvalidInput.field(field, f"must be from 1 to {maximum}, not {value}")
    return value


def optional_moment(value: object, field: str) -> datetime | None:
    """``None``, or ``value`` if it is an aware datetime between 1900 and 2500."""
    return None if value is None else aware(value, field)
