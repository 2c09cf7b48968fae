"""``complaintflow report``: the complaint analysis of a SQLite store
(guide §1.2.2–1.2.3) as JSON or CSV, with an optional SVG chart; and
``complaintflow sla-report``: deadlines kept and missed (guide §3.1
timeliness, §3.3) as JSON, CSV tables or an SVG chart."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from complaintflow._cli_options import add_keys_argument, refused_outputs

__all__ = ["add_parser"]


def _window_args(p: Any) -> None:
    """``--db``, ``--since`` and ``--until``, as both commands take them."""
    p.add_argument("--db", required=True, help="the SQLite store file")
    p.add_argument("--since", required=True, help="start, ISO 8601 with a UTC offset")
    p.add_argument("--until", required=True, help="end (excluded), ISO 8601 with a UTC offset")


def add_parser(sub: Any) -> None:
    """Add ``report`` to the top-level subparsers; it sets ``run``."""
    p = sub.add_parser(
        "report",
        help="analyse complaints: per category, channel, respondent, spikes, terms",
        description="Analyse the complaints of a SQLite store received in [SINCE, UNTIL): "
        "weekly counts per category and channel, respondents with the most upheld "
        "complaints, repeat complainants, spikes and frequent terms.",
    )
    _window_args(p)
    p.add_argument("--format", choices=("json", "csv"), default="json", help="(%(default)s)")
    p.add_argument("-o", "--output", help="write the report here (default: stdout)")
    p.add_argument("--chart", help="also write an SVG chart of the weekly categories here")
    p.add_argument("--top", type=int, default=10, help="respondents, complainants, terms")
    p.add_argument("--spike-min", type=int, default=5, help="smallest weekly count of a spike")
    add_keys_argument(p)
    p.set_defaults(run=run)
    _add_sla_parser(sub)


def _add_sla_parser(sub: Any) -> None:
    p = sub.add_parser(
        "sla-report",
        help="deadlines kept and missed: per period, category and target; open by age; breaches",
        description="The SLA report of a SQLite store's complaints received in [SINCE, UNTIL): "
        "per period, category and target the targets met, breached and running, the rates, "
        "median and 90th percentile hours to each step; open complaints by age; every breach "
        "with its deadline certificate. Writes nothing to the store.",
    )
    _window_args(p)
    p.add_argument("--period", choices=("week", "month", "quarter"), default="month")
    p.add_argument("--now", help="as of this time, ISO 8601 with a UTC offset (default: now)")
    p.add_argument("--format", choices=("json", "csv", "svg"), default="json")
    p.add_argument(
        "--table",
        choices=("targets", "open", "breaches"),
        default="targets",
        help="the CSV table (%(default)s)",
    )
    p.add_argument("--out", help="write here (default: stdout)")
    p.add_argument("--no-certificates", action="store_true", help="list breaches without them")
    p.add_argument(
        "--calendar-data",
        action="append",
        default=[],
        metavar="FILE",
        help="calendar data added to the CN preset, for the certificates (repeatable)",
    )
    p.set_defaults(run=run_sla)


def _when(text: str, name: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"--{name}: not an ISO 8601 time: {text!r}") from None


def _write(text: str, out: str | None) -> None:
    if out:
        Path(out).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)


def _sla_text(args: argparse.Namespace) -> tuple[str, str]:
    """The ``sla-report`` output, and the summary line."""
    from complaintflow.engine import Engine
    from complaintflow.sla import BusinessCalendar
    from complaintflow.stores import SQLiteStore

    since, until = _when(args.since, "since"), _when(args.until, "until")
    now = _when(args.now, "now") if args.now else None
    cal = BusinessCalendar.preset("CN")
    for f in args.calendar_data:
        cal = cal.extended(f)
    with SQLiteStore(args.db) as store:
        engine = Engine(calendar=cal, store=store, load_entry_points=False)
        got = engine.sla_report(
            since, until, period=args.period, now=now, certificates=not args.no_certificates
        )
    if args.format == "json":
        text = got.to_json() + "\n"
    else:
        text = got.to_svg() if args.format == "svg" else got.to_csv(args.table)
    return text, f"{got.complaints} complaint(s), {len(got.breaches)} breach(es)"


def run_sla(args: argparse.Namespace) -> int:
    """Run ``complaintflow sla-report``; the exit code."""
    from complaintflow.errors import ComplaintFlowError

    if not Path(args.db).is_file():
        print(f"error: --db: no such file {args.db!r}", file=sys.stderr)
        return 1
    if refused_outputs(args.db, {"--out": args.out}):
        return 1
    try:
        text, summary = _sla_text(args)
        _write(text, args.out)
    except (ComplaintFlowError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    except OSError as e:
        print(f"error: cannot write: {e}", file=sys.stderr)
        return 1
    print(summary, file=sys.stderr)
    return 0


def run(args: argparse.Namespace) -> int:
    """Run ``complaintflow report``; the exit code."""
    from complaintflow._analysis import analyse
    from complaintflow._cli_options import encryption_for
    from complaintflow._vault import Vault
    from complaintflow.errors import ComplaintFlowError
    from complaintflow.stores import SQLiteStore

    if not Path(args.db).is_file():
        print(f"error: --db: no such file {args.db!r}", file=sys.stderr)
        return 1
    if refused_outputs(args.db, {"--output": args.output, "--chart": args.chart}):
        return 1
    try:
        since, until = _when(args.since, "since"), _when(args.until, "until")
        with SQLiteStore(args.db) as store:  # terms count the descriptions, in the vault
            texts = Vault(store, encryption_for(store, args.keys)).screening(store)
            result = analyse(texts, since, until, top=args.top, spike_min=args.spike_min)
        text = result.to_json() + "\n" if args.format == "json" else result.to_csv()
        _write(text, args.output)
        if args.chart:
            Path(args.chart).write_text(result.svg(), encoding="utf-8")
    except (ComplaintFlowError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    except OSError as e:
        print(f"error: cannot write: {e}", file=sys.stderr)
        return 1
    print(f"{result.total} complaint(s), {len(result.weeks)} week(s)", file=sys.stderr)
    return 0
