"""Policy packs as data: each pack's deadlines computed by hand from its
source text, in the comments beside each expected value."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

import complaintflow as cf

SH = ZoneInfo("Asia/Shanghai")
LDN = ZoneInfo("Europe/London")
NY = ZoneInfo("America/New_York")
H = cf.Actor(id="h-1", roles=frozenset({"handler"}))

# These tests play a timeline with explicit times: the engine is told to
# believe them (the clock rules themselves are tested in test_time_rules.py).
TIMELINE = timedelta(days=3650)


def engine_for(name: str, **kw: object) -> cf.Engine:
    years = [2026] if name == "fca" else None
    return cf.Engine(
        clock_skew=TIMELINE,
        intake_window=TIMELINE,
        policy=cf.SlaPolicy.pack(name, **kw),  # type: ignore[arg-type]
        calendar=cf.SlaPolicy.pack_calendar(name, years=years),
        load_entry_points=False,
    )


def submit(engine: cf.Engine, received: datetime) -> str:
    c = engine.submit(
        cf.NewComplaint(
            channel="web",
            category="goods",
            complainant=cf.Party(id="u-1"),
            respondent=cf.Party(id="shop-9", kind="merchant"),
            subject="Kettle leaks",
            order_id="o-1",
            received_at=received,
        ),
        actor=H,
    )
    return c.id


def test_the_guide_pack_is_the_default_policy() -> None:
    assert cf.SlaPolicy.pack("guide").targets == cf.GUIDE_POLICY.targets
    assert cf.SlaPolicy.pack_calendar("guide").tz == SH


def test_unknown_pack_and_variant() -> None:
    with pytest.raises(cf.InvalidInput, match="unknown policy pack 'ofgem'"):
        cf.SlaPolicy.pack("ofgem")
    with pytest.raises(cf.InvalidInput, match="has no variant 'x'"):
        cf.SlaPolicy.pack("fca", variant="x")


def test_samr_acceptance_mediation_with_a_pause_and_termination_notice() -> None:
    e = engine_for("samr")
    cid = submit(e, datetime(2026, 7, 1, 10, tzinfo=SH))  # a Wednesday
    r = e.sla(cid, now=datetime(2026, 7, 1, 11, tzinfo=SH))
    # art. 14: 7 working days, the day of receipt not counted: Jul 2 (1), 3 (2),
    # 6 (3), 7 (4), 8 (5), 9 (6), 10 (7) -> 24:00 of Fri Jul 10
    assert r["acceptance_decision"].deadline == datetime(2026, 7, 11, 0, 0, tzinfo=SH)
    e.handle(cid, cf.Acknowledge(actor=H, at=datetime(2026, 7, 2, 9, tzinfo=SH)))
    accepted = datetime(2026, 7, 6, 10, tzinfo=SH)  # Monday
    e.handle(cid, cf.Classify(actor=H, at=accepted))
    r = e.sla(cid, now=accepted)
    assert r["acceptance_decision"].state == "met"
    # art. 21(5): 45 working days from acceptance on Mon Jul 6 (no CN holiday
    # until mid-September): Jul 7-10 = 4, then 5 a week: Jul 17 = 9, 24 = 14,
    # 31 = 19, Aug 7 = 24, 14 = 29, 21 = 34, 28 = 39, Sep 4 = 44, Mon Sep 7 = 45
    # -> 24:00 of Sep 7
    assert r["mediation"].deadline == datetime(2026, 9, 8, 0, 0, tzinfo=SH)
    # art. 20: testing/appraisal time is not counted. Sent for testing from
    # Mon Jul 13 00:00 to Mon Jul 20 00:00 (awaiting_info): the working days
    # Jul 13-17 (5) do not count, so the deadline moves 5 working days:
    # Sep 8 (1), 9 (2), 10 (3), 11 (4), Mon Sep 14 (5) -> 24:00 of Sep 14
    e.handle(
        cid,
        cf.RequestInfo(
            actor=H,
            party="respondent",
            question="Send the kettle to the testing lab",
            at=datetime(2026, 7, 13, 0, tzinfo=SH),
        ),
    )
    paused = e.sla(cid, now=datetime(2026, 7, 15, tzinfo=SH))["mediation"]
    assert (paused.state, paused.deadline) == ("paused", None)
    e.handle(cid, cf.ProvideInfo(actor=H, info="Lab report", at=datetime(2026, 7, 20, tzinfo=SH)))
    r = e.sla(cid, now=datetime(2026, 7, 20, 1, tzinfo=SH))
    assert r["mediation"].deadline == datetime(2026, 9, 15, 0, 0, tzinfo=SH)
    # the acceptance clock does not pause (pause_in = [])
    assert cf.SlaPolicy.pack("samr")["acceptance_decision"].pause_in == frozenset()
    for step in ("contact_complainant", "investigate"):
        e.handle(cid, cf.RecordStep(actor=H, step=step, at=datetime(2026, 8, 3, tzinfo=SH)))
    terminated = datetime(2026, 9, 1, 16, tzinfo=SH)  # a Tuesday
    e.handle(
        cid,
        cf.Decide(actor=H, outcome="not_upheld", basis="art. 21(4): no agreement", at=terminated),
    )
    r = e.sla(cid, now=terminated)
    assert r["mediation"].state == "met"
    # art. 21: notice within 7 working days of the decision to terminate:
    # Sep 2 (1), 3 (2), 4 (3), 7 (4), 8 (5), 9 (6), 10 (7) -> 24:00 of Sep 10
    assert r["termination_notice"].deadline == datetime(2026, 9, 11, 0, 0, tzinfo=SH)


def test_fca_close_of_business_bank_holidays_and_eight_weeks() -> None:
    e = engine_for("fca")
    received = datetime(2026, 4, 2, 10, tzinfo=LDN)  # Thursday before Easter
    cid = submit(e, received)
    r = e.sla(cid, now=received)
    # DISP 1.5.1R: close of business (17:00) on the third business day after
    # the day of receipt. Good Friday Apr 3 and Easter Monday Apr 6 are bank
    # holidays in England: Tue Apr 7 (1), Wed 8 (2), Thu 9 (3) -> Apr 9 17:00 BST
    assert r["summary_resolution"].deadline == datetime(2026, 4, 9, 17, 0, tzinfo=LDN)
    # DISP 1.6.2R: eight weeks = 56 calendar days after Apr 2 -> 24:00 of May 28
    assert r["final_response"].deadline == datetime(2026, 5, 29, 0, 0, tzinfo=LDN)
    # the close of business is configurable: 17:30
    e2 = engine_for("fca", close_of_business=time(17, 30))
    r2 = e2.sla(submit(e2, received), now=received)
    assert r2["summary_resolution"].deadline == datetime(2026, 4, 9, 17, 30, tzinfo=LDN)


def test_fca_payment_services_15_then_35_business_days() -> None:
    received = datetime(2026, 4, 2, 10, tzinfo=LDN)
    e = engine_for("fca", variant="payment_services")
    r = e.sla(submit(e, received), now=received)
    # DISP 1.6.2AR(1): 15 business days after Apr 2, skipping Apr 3 and 6:
    # Apr 7 (1), 8, 9, 10 (4), 13-17 (9), 20-24 (14), Mon Apr 27 (15) -> 24:00 Apr 27
    assert r["final_response"].deadline == datetime(2026, 4, 28, 0, 0, tzinfo=LDN)
    e = engine_for("fca", variant="payment_services_holding")
    r = e.sla(submit(e, received), now=received)
    # DISP 1.6.2AR(2): 35 business days. From Apr 27 (15): Apr 28 (16), 29, 30,
    # May 1 (19); Mon May 4 is the Early May bank holiday; May 5-8 (23),
    # 11-15 (28), 18-22 (33); Mon May 25 Spring bank holiday; May 26 (34),
    # Wed May 27 (35) -> 24:00 of May 27
    assert r["final_response"].deadline == datetime(2026, 5, 28, 0, 0, tzinfo=LDN)


def test_fca_holding_response_switches_the_policy_through_the_hook() -> None:
    held: set[str] = set()

    class HoldingResponses:
        @cf.hookimpl
        def complaintflow_sla_policy(self, complaint: cf.Complaint) -> cf.SlaPolicy:
            v = "payment_services_holding" if complaint.id in held else "payment_services"
            return cf.SlaPolicy.pack("fca", variant=v)

    e = cf.Engine(
        clock_skew=TIMELINE,
        intake_window=TIMELINE,
        calendar=cf.SlaPolicy.pack_calendar("fca", years=[2026]),
        plugins=[HoldingResponses()],
        load_entry_points=False,
    )
    received = datetime(2026, 4, 2, 10, tzinfo=LDN)
    cid = submit(e, received)
    held.add(cid)
    e.handle(
        cid, cf.Note(actor=H, text="Holding response sent", at=datetime(2026, 4, 20, tzinfo=LDN))
    )
    r = e.sla(cid, now=datetime(2026, 4, 20, 1, tzinfo=LDN))
    assert r["final_response"].deadline == datetime(2026, 5, 28, 0, 0, tzinfo=LDN)
    assert e.history(cid)[-1].type == "policy_changed"


def test_cfpb_15_and_60_calendar_days() -> None:
    e = engine_for("cfpb")
    received = datetime(2026, 3, 9, 10, tzinfo=NY)  # Monday
    r = e.sla(submit(e, received), now=received)
    # 15 calendar days after Mar 9 -> 24:00 of Mar 24 (New York time, EDT)
    assert r["response"].deadline == datetime(2026, 3, 25, 0, 0, tzinfo=NY)
    # 60 calendar days after Mar 9: Mar 31 is day 22, Apr 30 day 52, May 8 day 60
    assert r["final_response"].deadline == datetime(2026, 5, 9, 0, 0, tzinfo=NY)


def test_each_pack_names_its_calendar_and_cites_its_articles() -> None:
    from complaintflow.rules import pack_info

    assert pack_info("samr").calendar == {"preset": "CN"}
    assert pack_info("fca").calendar == {"holidays": "GB", "subdiv": "ENG", "tz": "Europe/London"}
    assert pack_info("cfpb").calendar == {"tz": "America/New_York"}
    assert pack_info("samr").cites["acceptance_decision"].startswith("art. 14")
    assert pack_info("fca").cites["final_response"].startswith("DISP 1.6.2R")
    fca_cal = cf.SlaPolicy.pack_calendar("fca", years=[2026])
    assert not fca_cal.is_working_day(datetime(2026, 4, 3).date())  # Good Friday
