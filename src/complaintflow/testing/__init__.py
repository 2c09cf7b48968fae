"""Testing helpers for hosts: a controllable clock, pytest fixtures
(``complaintflow_engine``, ``complaintflow_clock``) and Hypothesis
strategies (:mod:`complaintflow.testing.strategies`, needs ``hypothesis``)."""

from complaintflow.testing._clock import FakeClock

__all__ = ["FakeClock"]
