"""``complaintflow worker``: the worker as a process of its own."""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Any

from complaintflow._cli_options import add_keys_argument, encryption_for, load_object
from complaintflow.errors import ComplaintFlowError, InvalidInput

__all__ = ["add_worker_parser", "load_object", "open_store", "worker_command"]


def open_store(url: str, *, schema: str = "complaintflow") -> Any:
    """The store a URL names: ``postgresql://...`` (or ``postgres://``) for
    PostgreSQL, ``sqlite:///path``, ``sqlite:path`` or a plain file path for
    SQLite, ``memory:`` for a private in-memory store."""
    from complaintflow.stores import MemoryStore, SQLiteStore

    if not isinstance(url, str) or not url:
        raise InvalidInput.field("store", "must be a store URL or a SQLite file path")
    if url.startswith(("postgresql://", "postgres://")):
        from complaintflow.stores import PostgresStore

        return PostgresStore(url, schema=schema)
    if url == "memory:":
        return MemoryStore()
    if url.startswith("sqlite://"):
        path = url.removeprefix("sqlite://")
        if not path.startswith("/"):
            raise InvalidInput.field("store", f"{url!r}: use sqlite:///absolute/path")
        return SQLiteStore(path)
    if url.startswith("sqlite:"):
        return SQLiteStore(url.removeprefix("sqlite:"))
    if "://" in url:
        raise InvalidInput.field("store", f"{url!r}: not postgresql://, sqlite:// or a file path")
    return SQLiteStore(url)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {text}")
    return value


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def add_worker_parser(sub: Any) -> None:
    """Add the ``worker`` subcommand to the subparsers ``sub``."""
    w = sub.add_parser(
        "worker",
        help="sweep SLA deadlines and deliver notifications until stopped",
        description="Sweep SLA deadlines and deliver notifications, round after round, until "
        "SIGTERM or SIGINT (the round under way finishes). Several workers may share a "
        "PostgreSQL database. Progress and health lines go to stderr.",
    )
    w.add_argument(
        "--store",
        required=True,
        metavar="URL",
        help="postgresql://..., sqlite:///path, or a SQLite file path",
    )
    w.add_argument(
        "--schema", default="complaintflow", help="PostgreSQL schema (default: %(default)s)"
    )
    w.add_argument("--once", action="store_true", help="run one round and exit")
    w.add_argument(
        "--interval",
        type=_seconds,
        default=5.0,
        metavar="S",
        help="seconds between rounds (default: %(default)s)",
    )
    w.add_argument(
        "--max-attempts",
        type=_count,
        default=8,
        metavar="N",
        help="failed attempts after which a notification is dead (default: %(default)s)",
    )
    w.add_argument(
        "--plugin",
        action="append",
        default=[],
        metavar="MODULE:OBJECT",
        help="a plugin to load, e.g. a notifier (repeatable)",
    )
    w.add_argument(
        "--calendar",
        metavar="CN|ZONE",
        help="the business calendar: CN or an IANA zone for Mon-Fri (default: UTC, as Engine)",
    )
    w.add_argument("--no-entry-points", action="store_true", help="do not load installed plugins")
    w.add_argument("--quiet", action="store_true", help="log warnings only")
    add_keys_argument(w)


def worker_command(args: argparse.Namespace) -> int:
    """Run ``complaintflow worker``; 0 when it stopped cleanly (with
    ``--once``: when the round succeeded), 1 otherwise, 2 on bad input."""
    from complaintflow._worker import Worker
    from complaintflow.engine import Engine
    from complaintflow.sla import BusinessCalendar

    logging.basicConfig(
        level=logging.WARNING if args.quiet else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        plugins = [load_object(p) for p in args.plugin]
        calendar = None
        if args.calendar:
            calendar = (
                BusinessCalendar.preset("CN")
                if args.calendar.upper() == "CN"
                else BusinessCalendar(args.calendar)
            )
        store = open_store(args.store, schema=args.schema)
    except (ComplaintFlowError, ValueError) as e:
        print(f"complaintflow worker: {e}", file=sys.stderr)
        return 2
    try:
        engine = Engine(
            store=store,
            plugins=plugins,
            calendar=calendar,
            load_entry_points=not args.no_entry_points,
            encryption=encryption_for(store, args.keys),
        )
        worker = Worker(engine, interval=args.interval, max_attempts=args.max_attempts)
        health = worker.run(once=args.once)
    except ComplaintFlowError as e:
        print(f"complaintflow worker: {e}", file=sys.stderr)
        return 2
    finally:
        close = getattr(store, "close", None)
        if close is not None:
            close()
    return 0 if health.consecutive_failures == 0 else 1
