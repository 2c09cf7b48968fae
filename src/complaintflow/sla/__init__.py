"""SLA math: business calendars, durations, policies and the state of a
complaint's targets (``docs/design.md``, "The SLA contract").

A :class:`BusinessCalendar` knows the working days and business hours of one
time zone; a :class:`Duration` says how long a target may run and in which
measure. ``cal.add(start, working_days(7))`` is the guide's §3.3.5 follow-up
deadline.
"""

from complaintflow._sla_state import (
    SlaAlert,
    SlaReport,
    SlaState,
    TargetRecord,
    TargetReport,
    TargetStateName,
)
from complaintflow.sla._calendar import BusinessCalendar, BusinessHours, Pause
from complaintflow.sla._durations import (
    Duration,
    DurationKind,
    business_hours,
    calendar_days,
    hours,
    working_days,
)
from complaintflow.sla._policy import (
    GUIDE_POLICY,
    PACKS,
    START_ANCHORS,
    PackInfo,
    SlaPolicy,
    SlaTarget,
    pack_info,
)
from complaintflow.sla._presets import MissingDependency

__all__ = [
    "GUIDE_POLICY",
    "PACKS",
    "START_ANCHORS",
    "BusinessCalendar",
    "BusinessHours",
    "Duration",
    "DurationKind",
    "MissingDependency",
    "PackInfo",
    "Pause",
    "SlaAlert",
    "SlaPolicy",
    "SlaReport",
    "SlaState",
    "SlaTarget",
    "TargetRecord",
    "TargetReport",
    "TargetStateName",
    "business_hours",
    "calendar_days",
    "hours",
    "pack_info",
    "working_days",
]
