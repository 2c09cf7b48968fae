"""The conformance kit: hosts and plugin authors check their own calendars,
policies and plugins with the library's own properties (docs/testing.md).

- :class:`FakeClock`, a clock tests move;
- :func:`verify_calendar` and :func:`verify_policy`, one-call property
  checks raising :class:`ConformanceError` with a minimal counterexample;
- contract suites to subclass in pytest or call: :class:`NotifierContract`
  (:func:`check_notifier`), :class:`CategoryContract`
  (:func:`check_category_plugin`), the stateful :class:`WorkflowMachine`;
- Hypothesis strategies in :mod:`complaintflow.testing.strategies`;
- the store contract suite :class:`StoreContract` (a pytest class to
  subclass, in :mod:`complaintflow.testing.contract`);
- the opt-in pytest plugin :mod:`complaintflow.testing.pytest_plugin`.

Everything but :class:`FakeClock` needs ``hypothesis`` (the ``dev`` extra)
and is imported when first used, so ``import complaintflow.testing`` stays
light.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from complaintflow.testing._clock import FakeClock

if TYPE_CHECKING:
    from complaintflow.testing._contracts import (
        CategoryContract,
        NotifierContract,
        check_category_plugin,
        check_notifier,
    )
    from complaintflow.testing._verify import ConformanceError, verify_calendar, verify_policy
    from complaintflow.testing._workflow import WorkflowMachine, default_authorized
    from complaintflow.testing.contract import StoreContract

__all__ = [
    "CategoryContract",
    "ConformanceError",
    "FakeClock",
    "NotifierContract",
    "StoreContract",
    "WorkflowMachine",
    "check_category_plugin",
    "check_notifier",
    "default_authorized",
    "verify_calendar",
    "verify_policy",
]

# name -> module that defines it, imported on first use (one line per name:
# the store contract joins here)
_LAZY: dict[str, str] = {
    "CategoryContract": "complaintflow.testing._contracts",
    "NotifierContract": "complaintflow.testing._contracts",
    "check_category_plugin": "complaintflow.testing._contracts",
    "check_notifier": "complaintflow.testing._contracts",
    "ConformanceError": "complaintflow.testing._verify",
    "verify_calendar": "complaintflow.testing._verify",
    "verify_policy": "complaintflow.testing._verify",
    "WorkflowMachine": "complaintflow.testing._workflow",
    "default_authorized": "complaintflow.testing._workflow",
    "StoreContract": "complaintflow.testing.contract",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'complaintflow.testing' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value
