"""The demo: one complaint of each category through a realistic lifecycle."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

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


def run_demo(engine: Engine, clock: FakeClock, out: Callable[[str], None] = print) -> list[str]:
    """Run the demo on ``engine`` and print each complaint's timeline.
    Returns the ids of the complaints it made."""
    clock.set(datetime(2026, 3, 9, 10, 0, tzinfo=_TZ))
    shop = Party(id="shop-9", kind="merchant", name="Kettle World")
    ids: list[str] = []

    def step(hours: float) -> None:
        clock.advance(hours=hours)

    def submit(n: int, category: str, subject: str, **kw: object) -> Complaint:
        party, actor = _customer(n)
        c = engine.submit(
            NewComplaint(
                channel=str(kw.pop("channel", "web")),
                category=category,
                complainant=party,
                respondent=kw.pop("respondent", shop),
                subject=subject,
                description=str(kw.pop("description", subject)),
                order_id=kw.pop("order_id", None),
            ),
            actor=actor,
        )
        ids.append(c.id)
        return c

    def handle_through(c: Complaint, steps: list[str], satisfied: bool = True) -> Complaint:
        step(2)
        c = engine.handle(c.id, Acknowledge(actor=HANDLER))
        for s in steps:
            step(3)
            c = engine.handle(c.id, RecordStep(actor=HANDLER, step=s))
        step(4)
        c = engine.handle(c.id, Classify(actor=HANDLER))
        step(6)
        c = engine.handle(
            c.id,
            Decide(
                actor=HANDLER,
                outcome="upheld",
                basis="Platform rules art. 12: goods must match their description",
                remedy="full refund",
            ),
        )
        step(5)
        c = engine.handle(c.id, Execute(actor=HANDLER, note="refund issued"))
        step(48)
        return engine.handle(c.id, FollowUp(actor=HANDLER, satisfied=satisfied))

    # goods: the happy path, then reopened by an unsatisfied customer
    goods = submit(1, "goods", "Kettle arrived broken", order_id="o-1001")
    goods = handle_through(goods, ["check_content", "contact_complainant", "investigate"], False)
    step(24)
    goods = engine.handle(
        goods.id, Reopen(actor=_customer(1)[1], reason="The refund never arrived")
    )
    # service: an information request to the complainant on the way
    service = submit(2, "service", "Support agent was rude on the hotline", channel="hotline")
    step(1)
    engine.handle(service.id, Acknowledge(actor=HANDLER))
    engine.handle(
        service.id,
        RequestInfo(actor=HANDLER, party="complainant", question="When did the call take place?"),
    )
    step(20)
    engine.handle(service.id, ProvideInfo(actor=_customer(2)[1], info="Monday around 15:00"))
    for s in ("contact_complainant", "investigate"):
        step(2)
        engine.handle(service.id, RecordStep(actor=HANDLER, step=s))
    engine.handle(service.id, Classify(actor=HANDLER))
    step(3)
    engine.handle(
        service.id,
        Decide(actor=HANDLER, outcome="partially_upheld", basis="Service charter §4"),
    )
    # after-sales: withdrawn by the customer
    after = submit(3, "after_sales", "Warranty repair refused")
    step(1)
    engine.handle(after.id, Withdraw(actor=_customer(3)[1], reason="Repaired after all"))
    # transaction dispute: both parties heard, then a duplicate that is rejected
    dispute = submit(4, "transaction_dispute", "Charged twice for order o-2002", order_id="o-2002")
    handle_through(dispute, ["confirm_dispute_type", "contact_both_parties", "investigate"])
    dup = submit(4, "transaction_dispute", "Charged twice!!", order_id="o-2002")
    step(1)
    engine.handle(
        dup.id,
        Reject(
            actor=HANDLER,
            reason="duplicate",
            statement="Same order and issue as an earlier complaint, which is being handled.",
            duplicate_of=dispute.id,
        ),
    )
    # violation: the respondent is heard before the decision
    violation = submit(
        5, "violation", "Listing claims 'official brand store' falsely", respondent=shop
    )
    handle_through(violation, ["check_content", "contact_respondent", "investigate"])

    for cid in ids:
        _print_timeline(engine, cid, out)
    return ids


def _print_timeline(engine: Engine, cid: str, out: Callable[[str], None]) -> None:
    c = engine.get(cid)
    out(f"\n{c.category}: {c.subject}  [{c.status.value}, cycle {c.cycle}]  id={c.id}")
    for e in engine.history(cid):
        at = e.at.astimezone(_TZ).strftime("%Y-%m-%d %H:%M")
        move = (
            e.to_status.value
            if e.from_status is None
            else f"{e.from_status.value} -> {e.to_status.value}"
        )
        out(f"  {e.seq:>2}  {at}  {e.type:<13} {move:<28} by {e.actor}")
    report = engine.sla(cid)
    out(f"  SLA (cycle {report.cycle}, as of {engine.now().astimezone(_TZ):%Y-%m-%d %H:%M}):")
    for name, t in report.items():
        due = "-" if t.deadline is None else t.deadline.astimezone(_TZ).strftime("%Y-%m-%d %H:%M")
        out(f"    {name:<26} {t.duration:<16} due {due:<16}  {t.state}")


def demo_clock() -> FakeClock:
    """The clock the demo runs on."""
    return FakeClock(datetime(2026, 3, 9, 10, 0, tzinfo=_TZ))
