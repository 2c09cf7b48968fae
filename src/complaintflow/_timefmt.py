"""One time format (docs/concepts.md, "Times"): datetimes are kept in UTC
and shown in the business calendar's zone, with the offset.

- **Storage** (the store's rows, audit events, notification records):
  aware, in UTC.
- **Display** (what the engine returns for people and clients: views, SLA
  reports; what the CLI prints): aware, in the calendar's zone, written with
  the offset (``2026-03-10T10:00:00+08:00``, ``2026-03-10 10:00 +08:00``).

:func:`in_zone` moves every datetime inside a value (models, named tuples,
lists, dicts) to one zone without changing the instant.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, tzinfo
from typing import Any, TypeVar

from pydantic import BaseModel

from complaintflow._sla_state import SlaReport
from complaintflow.errors import InvalidInput

__all__ = ["display_time", "in_zone", "report_in_zone", "to_utc"]

T = TypeVar("T")


def _convert(value: Any, tz: tzinfo) -> Any:
    if isinstance(value, SlaReport):
        return SlaReport(value.complaint_id, value.cycle, [_convert(r, tz) for r in value.history])
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            return value
        return value.astimezone(tz)
    if isinstance(value, BaseModel):
        changes = {}
        for name in type(value).model_fields:
            old = getattr(value, name)
            new = _convert(old, tz)
            if new is not old:
                changes[name] = new
        return value.model_copy(update=changes) if changes else value
    if isinstance(value, tuple) and hasattr(value, "_replace"):  # a NamedTuple
        changes = {}
        for name in value._fields:  # type: ignore[attr-defined]
            old = getattr(value, name)
            new = _convert(old, tz)
            if new is not old:
                changes[name] = new
        return value._replace(**changes) if changes else value
    if isinstance(value, (list, tuple)):
        items = [_convert(v, tz) for v in value]
        if all(a is b for a, b in zip(items, value, strict=True)):
            return value
        return type(value)(items)
    if isinstance(value, Mapping):
        out = {k: _convert(v, tz) for k, v in value.items()}
        same = all(out[k] is v for k, v in value.items())
        return value if same else type(value)(out) if isinstance(value, dict) else out
    return value


def in_zone(value: T, tz: tzinfo) -> T:
    """``value`` with every aware datetime in it (at any depth of models,
    named tuples, lists, tuples, dicts and SLA reports) expressed in ``tz``: the same
    instants, equal to the original, written with ``tz``'s offset. Naive
    datetimes and other values are left as they are."""
    if not isinstance(tz, tzinfo):
        raise InvalidInput.field("tz", "must be a tzinfo (e.g. ZoneInfo('Asia/Shanghai'))")
    converted: T = _convert(value, tz)
    return converted


def report_in_zone(report: SlaReport, tz: tzinfo) -> SlaReport:
    """An SLA report with every time in ``tz`` (display)."""
    return SlaReport(report.complaint_id, report.cycle, [in_zone(r, tz) for r in report.history])


def to_utc(value: T) -> T:
    """``value`` with every aware datetime in UTC (storage)."""
    return in_zone(value, UTC)


def display_time(t: datetime | None, tz: tzinfo) -> str:
    """A time for a table: ``2026-03-10 10:00 +08:00`` (seconds shown only
    when not zero), in ``tz``; ``-`` for none."""
    if t is None:
        return "-"
    t = t.astimezone(tz)
    clock = "%Y-%m-%d %H:%M:%S" if t.second or t.microsecond else "%Y-%m-%d %H:%M"
    offset = t.strftime("%z")
    return f"{t.strftime(clock)} {offset[:3]}:{offset[3:]}"
