"""The pytest plugin (entry point ``pytest11``): fixtures for host test
suites. Installed with complaintflow; nothing runs unless a fixture is used."""

from __future__ import annotations

import pytest

from complaintflow.engine import Engine
from complaintflow.testing._clock import FakeClock


@pytest.fixture
def complaintflow_clock() -> FakeClock:
    """A :class:`~complaintflow.testing.FakeClock` starting on a Monday morning."""
    return FakeClock()


@pytest.fixture
def complaintflow_engine(complaintflow_clock: FakeClock) -> Engine:
    """An engine on a memory store, driven by ``complaintflow_clock``,
    without entry-point plugins."""
    return Engine(clock=complaintflow_clock, load_entry_points=False)
