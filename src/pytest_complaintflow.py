"""complaintflow's pytest plugin (entry point ``pytest11``): fixtures for
host test suites.

A module of its own, outside the ``complaintflow`` package, so that pytest
loading it imports nothing of the library before the test session (and
coverage) starts: the fixtures import what they need when used."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from complaintflow.engine import Engine
    from complaintflow.testing import FakeClock


@pytest.fixture
def complaintflow_clock() -> FakeClock:
    """A :class:`~complaintflow.testing.FakeClock` starting on a Monday morning."""
    from complaintflow.testing import FakeClock

    return FakeClock()


@pytest.fixture
def complaintflow_engine(complaintflow_clock: FakeClock) -> Engine:
    """An engine on a memory store, driven by ``complaintflow_clock``,
    without entry-point plugins."""
    from complaintflow.engine import Engine

    return Engine(clock=complaintflow_clock, load_entry_points=False)
