"""The demo: one complaint of each category through a realistic lifecycle."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from complaintflow._timefmt import display_time
from complaintflow.commands import (
    Acknowledge,
    Classify,
    Decide,
    Execute,
    FollowUp,
    ProvideInfo,
    RecordStep,
    Reject,
    Reopen,
    RequestInfo,
    Withdraw,
)
from complaintflow.engine import Engine
from complaintflow.models import Actor, Complaint, NewComplaint, Party
from complaintflow.testing._clock import FakeClock

_TZ = ZoneInfo("Asia/Shanghai")
HANDLER = Actor(id="agent-li", roles=frozenset({"handler"}))
SUPERVISOR = Actor(id="lead-wang", roles=frozenset({"supervisor"}))


def _customer(n: int) -> tuple[Party, Actor]:
    party = Party(id=f"user-{n}", name=f"Customer {n}", contact=f"+86 138 0000 {n:04d}")
    return party, Actor(id=party.id, roles=frozenset({"complainant"}))


class _Demo:
    """One complaint of each category through a realistic lifecycle."""

    def __init__(self, engine: Engine, clock: FakeClock) -> None:
        self.engine = engine
        self.clock = clock
        self.shop = Party(id="shop-9", kind="merchant", name="Kettle World")
        self.ids: list[str] = []

    def step(self, hours: float) -> None:
        self.clock.advance(hours=hours)

    def submit(self, n: int, category: str, subject: str, **kw: Any) -> Complaint:
        party, actor = _customer(n)
        new = NewComplaint(
            channel=kw.get("channel", "web"),
            category=category,
            complainant=party,
            respondent=self.shop,
            subject=subject,
            description=subject,
            order_id=kw.get("order_id"),
        )
        c = self.engine.submit(new, actor=actor)
        self.ids.append(c.id)
        return c

    def handle_through(self, c: Complaint, steps: list[str], satisfied: bool = True) -> Complaint:
        engine, step = self.engine, self.step
        step(2)
        engine.handle(c.id, Acknowledge(actor=HANDLER))
        for s in steps:
            step(3)
            engine.handle(c.id, RecordStep(actor=HANDLER, step=s))
        step(4)
        engine.handle(c.id, Classify(actor=HANDLER))
        step(6)
        basis = "Platform rules art. 12: goods must match their description"
        engine.handle(
            c.id, Decide(actor=HANDLER, outcome="upheld", basis=basis, remedy="full refund")
        )
        step(5)
        engine.handle(c.id, Execute(actor=HANDLER, note="refund issued"))
        step(48)
        return engine.handle(c.id, FollowUp(actor=HANDLER, satisfied=satisfied))

    def goods(self) -> None:
        """The happy path, then reopened by an unsatisfied customer."""
        c = self.submit(1, "goods", "Kettle arrived broken", order_id="o-1001")
        c = self.handle_through(c, ["check_content", "contact_complainant", "investigate"], False)
        self.step(24)
        self.engine.handle(c.id, Reopen(actor=_customer(1)[1], reason="The refund never arrived"))

    def service(self) -> None:
        """An information request to the complainant on the way."""
        engine, step = self.engine, self.step
        c = self.submit(2, "service", "Support agent was rude on the hotline", channel="hotline")
        step(1)
        engine.handle(c.id, Acknowledge(actor=HANDLER))
        question = "When did the call take place?"
        engine.handle(c.id, RequestInfo(actor=HANDLER, party="complainant", question=question))
        step(20)
        engine.handle(c.id, ProvideInfo(actor=_customer(2)[1], info="Monday around 15:00"))
        for s in ("contact_complainant", "investigate"):
            step(2)
            engine.handle(c.id, RecordStep(actor=HANDLER, step=s))
        engine.handle(c.id, Classify(actor=HANDLER))
        step(3)
        basis = "Service charter §4"
        engine.handle(c.id, Decide(actor=HANDLER, outcome="partially_upheld", basis=basis))

    def after_sales(self) -> None:
        """Withdrawn by the customer."""
        c = self.submit(3, "after_sales", "Warranty repair refused")
        self.step(1)
        self.engine.handle(c.id, Withdraw(actor=_customer(3)[1], reason="Repaired after all"))

    def dispute(self) -> None:
        """Both parties heard, then a duplicate that is rejected."""
        subject = "Charged twice for order o-2002"
        c = self.submit(4, "transaction_dispute", subject, order_id="o-2002")
        self.handle_through(c, ["confirm_dispute_type", "contact_both_parties", "investigate"])
        dup = self.submit(4, "transaction_dispute", "Charged twice!!", order_id="o-2002")
        self.step(1)
        statement = "Same order and issue as an earlier complaint, which is being handled."
        self.engine.handle(
            dup.id,
            Reject(actor=HANDLER, reason="duplicate", statement=statement, duplicate_of=c.id),
        )

    def violation(self) -> None:
        """The respondent is heard before the decision."""
        c = self.submit(5, "violation", "Listing claims 'official brand store' falsely")
        self.handle_through(c, ["check_content", "contact_respondent", "investigate"])


def run_demo(engine: Engine, clock: FakeClock, out: Callable[[str], None] = print) -> list[str]:
    """Run the demo on ``engine`` and print each complaint's timeline.
    Returns the ids of the complaints it made."""
    clock.set(datetime(2026, 3, 9, 10, 0, tzinfo=_TZ))
    demo = _Demo(engine, clock)
    for scenario in (demo.goods, demo.service, demo.after_sales, demo.dispute, demo.violation):
        scenario()
    for cid in demo.ids:
        _print_timeline(engine, cid, out)
    return demo.ids


def _print_timeline(engine: Engine, cid: str, out: Callable[[str], None]) -> None:
    c = engine.get(cid)
    out(f"\n{c.category}: {c.subject}  [{c.status.value}, cycle {c.cycle}]  id={c.id}")
    for e in engine.history(cid):
        at = display_time(e.at, _TZ)
        move = (
            e.to_status.value
            if e.from_status is None
            else f"{e.from_status.value} -> {e.to_status.value}"
        )
        out(f"  {e.seq:>2}  {at}  {e.type:<13} {move:<28} by {e.actor}")
    report = engine.sla(cid)
    out(f"  SLA (cycle {report.cycle}, as of {display_time(engine.now(), _TZ)}):")
    for name, t in report.items():
        due = display_time(t.deadline, _TZ)
        out(f"    {name:<26} {t.duration:<16} due {due:<23}  {t.state}")


def demo_clock() -> FakeClock:
    """The clock the demo runs on."""
    return FakeClock(datetime(2026, 3, 9, 10, 0, tzinfo=_TZ))
