"""``complaintflow report``: the complaint analysis of a SQLite store
(guide §1.2.2–1.2.3) as JSON or CSV, with an optional SVG chart."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

__all__ = ["add_parser"]


def add_parser(sub: Any) -> None:
    """Add ``report`` to the top-level subparsers; it sets ``run``."""
    p = sub.add_parser(
        "report",
        help="analyse complaints: per category, channel, respondent, spikes, terms",
        description="Analyse the complaints of a SQLite store received in [SINCE, UNTIL): "
        "weekly counts per category and channel, respondents with the most upheld "
        "complaints, repeat complainants, spikes and frequent terms.",
    )
    p.add_argument("--db", required=True, help="the SQLite store file")
    p.add_argument("--since", required=True, help="start, ISO 8601 with a UTC offset")
    p.add_argument("--until", required=True, help="end (excluded), ISO 8601 with a UTC offset")
    p.add_argument("--format", choices=("json", "csv"), default="json", help="(%(default)s)")
    p.add_argument("-o", "--output", help="write the report here (default: stdout)")
    p.add_argument("--chart", help="also write an SVG chart of the weekly categories here")
    p.add_argument("--top", type=int, default=10, help="respondents, complainants, terms")
    p.add_argument("--spike-min", type=int, default=5, help="smallest weekly count of a spike")
    p.set_defaults(run=run)


def _when(text: str, name: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"--{name}: not an ISO 8601 time: {text!r}") from None


def run(args: argparse.Namespace) -> int:
    """Run ``complaintflow report``; the exit code."""
    from complaintflow._analysis import analyse
    from complaintflow.errors import ComplaintFlowError
    from complaintflow.stores import SQLiteStore

    if not Path(args.db).is_file():
        print(f"error: --db: no such file {args.db!r}", file=sys.stderr)
        return 1
    try:
        since, until = _when(args.since, "since"), _when(args.until, "until")
        with SQLiteStore(args.db) as store:
            result = analyse(store, since, until, top=args.top, spike_min=args.spike_min)
        text = result.to_json() + "\n" if args.format == "json" else result.to_csv()
        if args.output:
            Path(args.output).write_text(text, encoding="utf-8")
        else:
            sys.stdout.write(text)
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
