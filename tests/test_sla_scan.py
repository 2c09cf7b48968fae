"""The light read of what-if and the SLA report (``sla_page``, parsed
without validating whole complaints) gives exactly what ``find`` and the
full parse give, and what-if on it equals what-if on ``find`` pages."""

from __future__ import annotations

import tempfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

import complaintflow as cf
from complaintflow._simulate import simulate
from complaintflow._sla_scan import facts_of, iter_complaints, sla_facts
from complaintflow.testing import FakeClock
from complaintflow.testing.strategies import complaint_histories
from flow_helpers import sqlite_engine_with
from stores.store_helpers import PG_DSN, drop_schema, needs_pg, new_schema

SH = ZoneInfo("Asia/Shanghai")
CN = cf.BusinessCalendar.preset("CN")
NOW = datetime(2026, 9, 1, tzinfo=SH)
SAME = datetime(2025, 3, 3, 10, tzinfo=SH)
DRAFTS = (
    cf.GUIDE_POLICY.with_durations({"follow_up": cf.working_days(5)}),
    cf.SlaPolicy(
        [cf.SlaTarget("quick", start="receipt", stop="acknowledge", duration=cf.hours(1))],
        name="draft",
    ),
    None,
)


class FindOnly:
    """A store seen through ``find`` and ``events`` alone (no ``sla_page``)."""

    def __init__(self, store: Any) -> None:
        self.find, self.events = store.find, store.events


histories = st.lists(
    st.one_of(
        complaint_histories(max_commands=14), complaint_histories(max_commands=8, start=SAME)
    ),
    min_size=3,
    max_size=25,
)


def _check(engine: cf.Engine, batch: int, window: tuple[datetime | None, datetime | None]) -> None:
    store = engine.store
    slow = [facts_of(c) for c in iter_complaints(store, *window, 1000)]
    assert list(sla_facts(store, *window, batch)) == slow
    assert list(sla_facts(FindOnly(store), *window, batch)) == slow
    for draft in DRAFTS:
        kw: dict[str, Any] = {
            "policy": draft,
            "calendar": None if draft is not None else CN.extended({"name": "CN",
                "source": "test", "valid_from": "2027-01-01", "valid_until": "2027-12-31"}),
            "since": window[0], "until": window[1], "now": NOW, "batch": batch,
        }  # fmt: skip
        fast = simulate(store, engine._sla, **kw)
        assert fast == simulate(FindOnly(store), engine._sla, **kw)


@settings(max_examples=6, deadline=None)
@given(histories, st.integers(1, 6), st.data())
def test_sla_page_gives_what_find_and_the_full_parse_give(
    hs: list[Any], batch: int, data: st.DataObject
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        engine = sqlite_engine_with(hs, Path(tmp) / "cf.db", NOW, CN)
        times = sorted({f.received_at for f in sla_facts(engine.store, None, None)})
        cut = st.sampled_from([None, *times])
        since, until = data.draw(cut), data.draw(cut)
        _check(engine, batch, (None, None))
        _check(engine, batch, (since, until))
        engine.close()


def test_complaints_received_at_the_same_instant_each_come_once() -> None:
    engine = cf.Engine(
        calendar=CN,
        store=cf.stores.SQLiteStore(":memory:"),
        clock=FakeClock(SAME),
        load_entry_points=False,
    )
    user = cf.Actor(id="u-1", roles={"complainant"})
    for i in range(7):
        engine.submit(
            cf.NewComplaint(channel="app", category="goods", complainant=cf.Party(id="u-1"),
                            subject=f"s{i}", received_at=SAME, id=f"c{6 - i}"),
            actor=user,
        )  # fmt: skip
    got = [f.id for f in sla_facts(engine.store, None, None, batch=2)]
    assert got == [f"c{i}" for i in range(7)]  # receipt, then id
    assert [f.id for f in sla_facts(engine.store, SAME, SAME + timedelta(seconds=1), 3)] == got
    assert list(sla_facts(engine.store, None, SAME, 3)) == []


@needs_pg
def test_sla_page_on_postgres_gives_what_find_gives() -> None:
    schema = new_schema()
    assert PG_DSN is not None
    try:
        store = cf.stores.PostgresStore(PG_DSN, schema=schema)
        clock = FakeClock(datetime(2026, 3, 9, 10, tzinfo=SH))
        engine = cf.Engine(calendar=CN, store=store, clock=clock, load_entry_points=False)
        staff = cf.Actor(id="h-1", roles={"handler"})
        for i in range(5):
            c = engine.submit(
                cf.NewComplaint(channel="app", category="goods", complainant=cf.Party(id="u-1"),
                                subject=f"s{i}"),
                actor=cf.Actor(id="u-1", roles={"complainant"}),
            )  # fmt: skip
            if i % 2:
                engine.handle(c.id, cf.Acknowledge(actor=staff))
            clock.advance(hours=5)
        _check(engine, 2, (None, None))
        engine.close()
    finally:
        drop_schema(schema)
