"""complaintflow: the complaint process of an online platform, as a library."""

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

__all__ = [
    "CalendarRangeError",
    "ComplaintFlowError",
    "ConcurrencyError",
    "GuardFailed",
    "InvalidInput",
    "InvalidTransition",
    "NotFound",
    "PermissionDenied",
    "PluginError",
    "StoreError",
]
