"""A Hypothesis state machine over the engine and a SQLite store, closing
and reopening the database between steps: what was saved is what is loaded,
each trail replays to its complaint, the outbox keeps every notification."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)
from store_helpers import HANDLER, LIFECYCLE, SUPERVISOR, T0, Recorder, command, complainant, new

import complaintflow as cf
from complaintflow.errors import ComplaintFlowError
from complaintflow.stores import SQLiteStore
from complaintflow.testing import FakeClock

MOVES: tuple[tuple[str, dict[str, Any]], ...] = (
    *LIFECYCLE,
    ("request_info", {"party": "complainant", "question": "Photo?"}),
    ("provide_info", {"info": "Here."}),
    ("reject", {"reason": "incomplete", "statement": "No order number."}),
    ("withdraw", {"reason": "settled"}),
    ("assign", {"handler": "h-2"}),
    ("escalate", {"reason": "big order"}),
    ("note", {"text": "投诉 ✓"}),
    ("follow_up", {"satisfied": False}),
)


class EngineOnSQLite(RuleBasedStateMachine):
    complaints = Bundle("complaints")

    @initialize()
    def open_db(self) -> None:
        self.dir = tempfile.mkdtemp(prefix="cf-stateful-")
        self.path = Path(self.dir) / "c.db"
        self.clock = FakeClock(T0)
        self.recorder = Recorder()
        self.known: dict[str, cf.Complaint] = {}
        self.outbox: dict[str, int] = {}
        self.store: SQLiteStore | None = None
        self._open()

    def _open(self) -> None:
        self.store = SQLiteStore(self.path, synchronous="NORMAL")
        self.engine = cf.Engine(
            store=self.store,
            clock=self.clock,
            plugins=(self.recorder,),
            load_entry_points=False,
        )

    def teardown(self) -> None:
        if getattr(self, "store", None) is not None:
            assert self.store is not None
            self.store.close()
        if getattr(self, "dir", None):
            shutil.rmtree(self.dir, ignore_errors=True)

    @rule(target=complaints, who=st.integers(1, 3))
    def submit(self, who: int) -> str:
        self.clock.advance(minutes=7)
        c = self.engine.submit(new(who), actor=complainant(who))
        self.known[c.id] = c
        return c.id

    @rule(cid=complaints, move=st.sampled_from(MOVES), minutes=st.integers(1, 3000))
    def handle(self, cid: str, move: tuple[str, dict[str, Any]], minutes: int) -> None:
        self.clock.advance(minutes=minutes)
        kind, payload = move
        actor = SUPERVISOR if kind == "reopen" else HANDLER
        with contextlib.suppress(ComplaintFlowError):
            self.known[cid] = self.engine.handle(cid, command(kind, payload, actor))

    @rule(cid=complaints)
    def reopen_complaint(self, cid: str) -> None:
        self.clock.advance(hours=1)
        with contextlib.suppress(ComplaintFlowError):
            self.known[cid] = self.engine.handle(
                cid, command("reopen", {"reason": "again"}, SUPERVISOR)
            )

    @rule(hours=st.integers(1, 200))
    def sweep(self, hours: int) -> None:
        self.clock.advance(hours=hours)
        for alert in self.engine.sweep():
            self.known[alert.complaint_id] = self.engine.get(alert.complaint_id)

    @rule(fail=st.booleans())
    def deliver(self, fail: bool) -> None:
        self.recorder.fail = fail
        try:
            self.engine.deliver_pending(now=self.clock.now + timedelta(days=1))
        finally:
            self.recorder.fail = False

    @precondition(lambda self: self.store is not None)
    @rule()
    def reopen_database(self) -> None:
        assert self.store is not None
        self.store.close()
        self._open()

    @invariant()
    def stored_is_what_was_returned(self) -> None:
        assert self.store is not None
        for cid, c in self.known.items():
            assert self.store.load(cid) == c
            trail = self.store.events(cid)
            assert [e.seq for e in trail] == list(range(1, c.version + 1))
            assert self.engine.replay(trail) == c

    @invariant()
    def the_outbox_only_grows_and_delivers_once(self) -> None:
        assert self.store is not None
        notes = self.store.notifications()
        now = {n.id: n.attempts for n in notes}
        assert set(self.outbox) <= set(now)
        self.outbox = now
        delivered = [n.idempotency_key for n in self.recorder.seen]
        assert len(delivered) == len(set(delivered))
        assert {n.id for n in notes if n.status == "delivered"} == set(delivered)


EngineOnSQLite.TestCase.settings = settings(
    max_examples=200 if os.environ.get("HYPOTHESIS_PROFILE") == "ci" else 50,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_engine_on_sqlite = EngineOnSQLite.TestCase
