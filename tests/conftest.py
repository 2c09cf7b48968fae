import os

import pytest
from hypothesis import HealthCheck, settings

import complaintflow as cf
from complaintflow.testing import FakeClock
from flow_helpers import T0

# the kit's pytest plugin is opt-in: the library's own suite opts in here
pytest_plugins = ["complaintflow.testing.pytest_plugin"]

settings.register_profile("dev", max_examples=100, deadline=None)
settings.register_profile(
    "ci",
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


@pytest.fixture
def clock() -> FakeClock:
    """A controllable clock starting on a Monday morning (UTC)."""
    return FakeClock(T0)


@pytest.fixture
def engine(clock: FakeClock) -> cf.Engine:
    """An engine on a memory store, driven by ``clock``, no entry-point plugins."""
    return cf.Engine(clock=clock, load_entry_points=False)
