"""``complaintflow explain`` and ``complaintflow whatif``: deadline
certificates and what-if simulations at the command line.

- ``explain ID TARGET``: a target's certificate, from a store
  (``--store sqlite PATH``) or an event file (``--events FILE``, a JSON
  list of events), as text (``--lang zh|en``) or JSON.
- ``whatif``: the stored complaints replayed under a draft policy pack
  (``--policy draft.toml``) and/or calendar data (``--calendar FILE``),
  per target met/breached/running before and after; nothing is written.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from complaintflow.errors import ComplaintFlowError, InvalidInput

__all__ = ["add_parsers", "run"]


def add_parsers(sub: Any) -> None:
    """Register ``explain`` and ``whatif`` on the CLI's subparsers."""

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--store",
            nargs=2,
            metavar=("KIND", "WHERE"),
            help="the store: 'sqlite PATH' or 'postgres DSN'",
        )
        p.add_argument(
            "--calendar-data",
            action="append",
            default=[],
            metavar="FILE",
            help="calendar data added to the CN preset (repeatable)",
        )
        p.add_argument("--now", help="as of this ISO time (default: now)")
        p.add_argument("--json", action="store_true", help="print JSON")

    ex = sub.add_parser("explain", help="a deadline certificate: every day counted, and why")
    ex.add_argument("complaint_id")
    ex.add_argument("target")
    ex.add_argument("--cycle", type=int)
    ex.add_argument("--events", metavar="FILE", help="a JSON list of the complaint's events")
    ex.add_argument("--lang", choices=["zh", "en"], default="zh")
    common(ex)
    wi = sub.add_parser("whatif", help="replay stored complaints under a draft policy/calendar")
    wi.add_argument("--policy", metavar="TOML", help="a draft policy pack")
    wi.add_argument("--calendar", metavar="FILE", help="draft calendar data (on the CN preset)")
    wi.add_argument("--since", help="received at or after (ISO)")
    wi.add_argument("--until", help="received before (ISO)")
    common(wi)


def _time(value: str | None, field: str) -> datetime | None:
    if value is None:
        return None
    try:
        t = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput.field(field, f"not an ISO time: {value!r}") from None
    if t.tzinfo is None:
        raise InvalidInput.field(field, "needs a UTC offset (e.g. 2026-10-01T00:00+08:00)")
    return t


def _engine(args: argparse.Namespace) -> Any:
    from complaintflow.engine import Engine
    from complaintflow.sla import BusinessCalendar

    cal = BusinessCalendar.preset("CN")
    for f in args.calendar_data:
        cal = cal.extended(f)
    store: Any = None
    if args.store:
        kind, where = args.store
        from complaintflow import stores

        if kind == "sqlite":
            store = stores.SQLiteStore(where)
        elif kind == "postgres":
            store = stores.PostgresStore(where)
        else:
            raise InvalidInput.field("store", f"kind must be sqlite or postgres, not {kind!r}")
    return Engine(calendar=cal, store=store, load_entry_points=False)


def _explain(args: argparse.Namespace) -> int:
    from complaintflow.models import Event

    engine = _engine(args)
    if args.events:
        raw = json.loads(Path(args.events).read_text(encoding="utf-8"))
        if not isinstance(raw, list) or not raw:
            raise InvalidInput.field("events", "must be a non-empty JSON list of events")
        events = [Event.model_validate(e) for e in raw]
        c = engine.replay(events)
        engine.store.save(c, expected_version=0, events=events, notifications=[])
    cert = engine.explain(
        args.complaint_id, args.target, cycle=args.cycle, now=_time(args.now, "now")
    )
    print(cert.model_dump_json(indent=2) if args.json else cert.render(args.lang), end="\n")
    return 0


def _whatif(args: argparse.Namespace) -> int:
    from complaintflow.sla import BusinessCalendar
    from complaintflow.sla._policy import load_pack, pack_policy

    engine = _engine(args)
    policy = None
    if args.policy:
        info = load_pack(Path(args.policy).read_text(encoding="utf-8"), args.policy)
        policy = pack_policy(info)
    calendar = None
    if args.calendar:
        calendar = engine.calendar.extended(args.calendar)
        assert isinstance(calendar, BusinessCalendar)
    sim = engine.simulate(
        policy=policy,
        calendar=calendar,
        since=_time(args.since, "since"),
        until=_time(args.until, "until"),
        now=_time(args.now, "now"),
    )
    print(sim.model_dump_json(indent=2) if args.json else sim.table(), end="\n")
    return 0


def run(args: argparse.Namespace) -> int:
    """Run ``explain`` or ``whatif``; 0 on success, 1 on bad input."""
    try:
        return _explain(args) if args.command == "explain" else _whatif(args)
    except (ComplaintFlowError, OSError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
