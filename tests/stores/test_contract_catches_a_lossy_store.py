"""The store contract catches a planted defect: a store that loses an event
when two writers race (it swallows the second writer's conflict, so that
writer believes its command saved while its event is gone)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

LOSSY = textwrap.dedent(
    '''
    import pytest

    from complaintflow.errors import ConcurrencyError
    from complaintflow.stores import MemoryStore
    from complaintflow.testing import StoreContract


    class LossyStore(MemoryStore):
        """Swallows the conflict of a second writer: that writer is told its
        command was saved, and its event is lost."""

        def save(self, complaint, *, expected_version, events, notifications=()):
            try:
                super().save(
                    complaint,
                    expected_version=expected_version,
                    events=events,
                    notifications=notifications,
                )
            except ConcurrencyError:
                pass


    class TestLossyStore(StoreContract):
        @pytest.fixture
        def store(self):
            return LossyStore()
    '''
)


def test_the_contract_fails_a_store_that_loses_an_event(tmp_path: Path) -> None:
    (tmp_path / "test_lossy.py").write_text(LOSSY, encoding="utf-8")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            str(tmp_path),
            "-k",
            "two_writers or stale_version",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=600,
    )
    out = done.stdout
    assert done.returncode == 1, out[-3000:]
    # both checks that guard concurrent writers fail, each saying why
    assert "FAILED" in out
    assert "test_two_writers_of_one_complaint_one_wins_and_no_gap" in out
    assert "test_stale_version_is_a_conflict_and_changes_nothing" in out
