"""complaintflow: the complaint process of an online platform, as a library.

>>> import complaintflow as cf
>>> engine = cf.Engine(load_entry_points=False)
>>> sorted(engine.categories)
['after_sales', 'goods', 'service', 'transaction_dispute', 'violation']
"""

from complaintflow._metrics import Metrics, TargetMetrics
from complaintflow.categories import BUILTIN_CATEGORIES, Category, CategoryRegistry, Step
from complaintflow.commands import (
    Acknowledge,
    Assign,
    Classify,
    Command,
    Decide,
    Escalate,
    Execute,
    FollowUp,
    Note,
    ProvideInfo,
    RecordStep,
    Reject,
    Reopen,
    RequestInfo,
    Withdraw,
    parse_command,
)
from complaintflow.engine import Engine
from complaintflow.errors import (
    CalendarRangeError,
    ComplaintFlowError,
    ConcurrencyError,
    GuardFailed,
    InvalidInput,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    PluginError,
    StoreError,
)
from complaintflow.hookspecs import hookimpl
from complaintflow.models import (
    Actor,
    Classification,
    Complaint,
    Decision,
    Event,
    Flag,
    NewComplaint,
    Notification,
    Party,
)
from complaintflow.rules import ModelError, RuleFileError, RuleSet, TextModel, triage_queue
from complaintflow.sla import (
    BusinessCalendar,
    Duration,
    business_hours,
    calendar_days,
    hours,
    working_days,
)
from complaintflow.sla._policy import GUIDE_POLICY, SlaPolicy, SlaTarget
from complaintflow.sla._state import SlaAlert, SlaReport, TargetReport
from complaintflow.states import OPEN_STATUSES, TERMINAL_STATUSES, Status
from complaintflow.stores import MemoryStore, Store

__version__ = "0.1.0"

__all__ = [
    "BUILTIN_CATEGORIES",
    "GUIDE_POLICY",
    "OPEN_STATUSES",
    "TERMINAL_STATUSES",
    "Acknowledge",
    "Actor",
    "Assign",
    "BusinessCalendar",
    "CalendarRangeError",
    "Category",
    "CategoryRegistry",
    "Classification",
    "Classify",
    "Command",
    "Complaint",
    "ComplaintFlowError",
    "ConcurrencyError",
    "Decide",
    "Decision",
    "Duration",
    "Engine",
    "Escalate",
    "Event",
    "Execute",
    "Flag",
    "FollowUp",
    "GuardFailed",
    "InvalidInput",
    "InvalidTransition",
    "MemoryStore",
    "Metrics",
    "ModelError",
    "NewComplaint",
    "NotFound",
    "Note",
    "Notification",
    "Party",
    "PermissionDenied",
    "PluginError",
    "ProvideInfo",
    "RecordStep",
    "Reject",
    "Reopen",
    "RequestInfo",
    "RuleFileError",
    "RuleSet",
    "SlaAlert",
    "SlaPolicy",
    "SlaReport",
    "SlaTarget",
    "Status",
    "Step",
    "Store",
    "StoreError",
    "TargetMetrics",
    "TargetReport",
    "TextModel",
    "Withdraw",
    "__version__",
    "business_hours",
    "calendar_days",
    "hookimpl",
    "hours",
    "parse_command",
    "triage_queue",
    "working_days",
]
