"""complaintflow's pytest plugin: fixtures and a marker for host test
suites. Opt in, in the root ``conftest.py``::

    pytest_plugins = ["complaintflow.testing.pytest_plugin"]

or on the command line with ``pytest -p complaintflow.testing.pytest_plugin``.
Test runs that do not ask never load it (there is no ``pytest11`` entry
point), so they import nothing of the library.

Fixtures:

- ``complaintflow_clock``: a :class:`~complaintflow.testing.FakeClock`
  starting on a Monday morning (or at the marker's ``start``);
- ``complaintflow_engine``: an engine on a memory store driven by that
  clock, without entry-point plugins.

Marker ``@pytest.mark.complaintflow(calendar=..., policy=..., plugins=[...],
start=...)`` sets the engine's calendar, policy and plugins and the clock's
start for one test.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from complaintflow.engine import Engine
from complaintflow.errors import InvalidInput
from complaintflow.testing._clock import FakeClock

__all__ = ["complaintflow_clock", "complaintflow_engine"]

_MARKER_KEYS = frozenset({"calendar", "policy", "plugins", "start"})


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "complaintflow(calendar=None, policy=None, plugins=(), start=None): "
        "configure the complaintflow_engine and complaintflow_clock fixtures",
    )


def _options(request: pytest.FixtureRequest) -> dict[str, Any]:
    marker = request.node.get_closest_marker("complaintflow")
    if marker is None:
        return {}
    if marker.args:
        raise InvalidInput.field("complaintflow", "the marker takes keyword arguments only")
    unknown = sorted(set(marker.kwargs) - _MARKER_KEYS)
    if unknown:
        raise InvalidInput.field(
            "complaintflow", f"unknown marker arguments {unknown}; known: {sorted(_MARKER_KEYS)}"
        )
    return dict(marker.kwargs)


@pytest.fixture
def complaintflow_clock(request: pytest.FixtureRequest) -> FakeClock:
    """A :class:`~complaintflow.testing.FakeClock` starting on a Monday
    morning, or at the ``complaintflow`` marker's ``start``."""
    start: datetime | None = _options(request).get("start")
    return FakeClock(start)


@pytest.fixture
def complaintflow_engine(request: pytest.FixtureRequest, complaintflow_clock: FakeClock) -> Engine:
    """An engine on a memory store, driven by ``complaintflow_clock``,
    without entry-point plugins; the ``complaintflow`` marker sets its
    ``calendar``, ``policy`` and ``plugins``."""
    options = _options(request)
    return Engine(
        clock=complaintflow_clock,
        calendar=options.get("calendar"),
        policy=options.get("policy"),
        plugins=options.get("plugins", ()),
        load_entry_points=False,
    )
