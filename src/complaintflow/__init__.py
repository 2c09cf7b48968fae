"""complaintflow: the complaint process of an online platform, as a library.

>>> import complaintflow as cf
>>> engine = cf.Engine(load_entry_points=False)
>>> sorted(engine.categories)
['after_sales', 'goods', 'service', 'transaction_dispute', 'violation']
"""

import importlib
import logging

from complaintflow import rules, sla, stores
from complaintflow._analysis import Analysis, RespondentTrend, Spike
from complaintflow._certificates import (
    CertificateCalendar,
    CertificateChange,
    CertificateDay,
    CertificateEvent,
    CertificatePause,
    DeadlineCertificate,
    Recomputation,
)
from complaintflow._crypto import Encryption, KeyStore, VaultKeyStore
from complaintflow._messages import Message, Messages, render_notification
from complaintflow._metrics import Metrics, TargetMetrics
from complaintflow._privacy import DEFAULT_RETENTION, RetentionPolicy
from complaintflow._roles import check_roles
from complaintflow._sla_report import BreachEntry, DeadlineReport, DeadlineRow, OpenAges
from complaintflow._specs import COMMAND_SPECS, CommandSpec
from complaintflow._timefmt import display_time, in_zone
from complaintflow._vault import ERASED
from complaintflow._version import __version__
from complaintflow._worker import Worker, WorkerHealth, run_worker
from complaintflow.categories import BUILTIN_CATEGORIES, Category, CategoryRegistry, Step
from complaintflow.commands import (
    Acknowledge,
    Assign,
    Classify,
    Command,
    Decide,
    Escalate,
    Execute,
    Extend,
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
    ErasureRefused,
    GuardFailed,
    InvalidInput,
    InvalidTransition,
    MissingDependency,
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
    GUIDE_POLICY,
    BusinessCalendar,
    Duration,
    SlaAlert,
    SlaPolicy,
    SlaReport,
    SlaTarget,
    TargetReport,
    business_hours,
    calendar_days,
    hours,
    working_days,
)
from complaintflow.states import OPEN_STATUSES, TERMINAL_STATUSES, Status
from complaintflow.stores import MemoryStore, Store

# the library logs; the host decides where it goes (nothing reaches stderr
# unless the host configures logging)
logging.getLogger("complaintflow").addHandler(logging.NullHandler())


def __getattr__(name: str) -> object:
    # ``cf.testing`` on first use: it imports test tooling a host's
    # production code does not need
    if name in ("testing", "aio", "schema"):
        return importlib.import_module(f"complaintflow.{name}")
    raise AttributeError(f"module 'complaintflow' has no attribute {name!r}")


__all__ = [
    "BUILTIN_CATEGORIES",
    "COMMAND_SPECS",
    "DEFAULT_RETENTION",
    "ERASED",
    "GUIDE_POLICY",
    "OPEN_STATUSES",
    "TERMINAL_STATUSES",
    "Acknowledge",
    "Actor",
    "Analysis",
    "Assign",
    "BreachEntry",
    "BusinessCalendar",
    "CalendarRangeError",
    "Category",
    "CategoryRegistry",
    "CertificateCalendar",
    "CertificateChange",
    "CertificateDay",
    "CertificateEvent",
    "CertificatePause",
    "Classification",
    "Classify",
    "Command",
    "CommandSpec",
    "Complaint",
    "ComplaintFlowError",
    "ConcurrencyError",
    "DeadlineCertificate",
    "DeadlineReport",
    "DeadlineRow",
    "Decide",
    "Decision",
    "Duration",
    "Encryption",
    "Engine",
    "ErasureRefused",
    "Escalate",
    "Event",
    "Execute",
    "Extend",
    "Flag",
    "FollowUp",
    "GuardFailed",
    "InvalidInput",
    "InvalidTransition",
    "KeyStore",
    "MemoryStore",
    "Message",
    "Messages",
    "Metrics",
    "MissingDependency",
    "ModelError",
    "NewComplaint",
    "NotFound",
    "Note",
    "Notification",
    "OpenAges",
    "Party",
    "PermissionDenied",
    "PluginError",
    "ProvideInfo",
    "Recomputation",
    "RecordStep",
    "Reject",
    "Reopen",
    "RequestInfo",
    "RespondentTrend",
    "RetentionPolicy",
    "RuleFileError",
    "RuleSet",
    "SlaAlert",
    "SlaPolicy",
    "SlaReport",
    "SlaTarget",
    "Spike",
    "Status",
    "Step",
    "Store",
    "StoreError",
    "TargetMetrics",
    "TargetReport",
    "TextModel",
    "VaultKeyStore",
    "Withdraw",
    "Worker",
    "WorkerHealth",
    "__version__",
    "aio",
    "business_hours",
    "calendar_days",
    "check_roles",
    "display_time",
    "hookimpl",
    "hours",
    "in_zone",
    "parse_command",
    "render_notification",
    "rules",
    "run_worker",
    "schema",
    "sla",
    "stores",
    "testing",
    "triage_queue",
    "working_days",
]
