"""The ``complaintflow`` command: demo, sla, diagram, rules check.

Output uses ``rich`` tables and progress bars when ``rich`` is installed
(imported lazily; it is optional) and plain text otherwise."""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from complaintflow import __version__, _cli_calendar, _cli_certs
from complaintflow._cli_worker import add_worker_parser, worker_command
from complaintflow._timefmt import display_time
from complaintflow.states import Status, transitions_table

if TYPE_CHECKING:
    from complaintflow._cli_sla import SlaResult
    from complaintflow.engine import Engine

__all__ = ["main"]


def diagram(fmt: str = "mermaid") -> str:
    """The state diagram, generated from the machine definition itself:
    Mermaid (for the docs) or DOT. Commands that keep the status (assign,
    escalate, note, record_step) are listed once, not drawn as loops."""
    order = list(Status)
    moves = sorted(
        {(src, cmd, dst) for src, cmd, dst in transitions_table() if dst is not None},
        key=lambda r: (order.index(r[0]), r[1], order.index(r[2])),
    )
    in_place = sorted({cmd for _, cmd, dst in transitions_table() if dst is None})
    note = "in place (status unchanged): " + ", ".join(in_place)
    if fmt == "dot":
        lines = ["digraph complaintflow {", "  rankdir=LR;", f"  // {note}"]
        lines.append('  start [shape=point]; start -> received [label="submit"];')
        for src, cmd, dst in moves:
            lines.append(f'  {src.value} -> {dst.value} [label="{cmd}"];')
        lines.append("}")
        return "\n".join(lines)
    lines = ["stateDiagram-v2", f"    %% {note}", "    [*] --> received: submit"]
    for src, cmd, dst in moves:
        lines.append(f"    {src.value} --> {dst.value}: {cmd}")
    return "\n".join(lines)


def _rules_check(path: str, categories: list[str], *, pack: bool) -> int:
    from complaintflow.rules import check_file, check_pack_file
    from complaintflow.rules._ruleset import BUILTIN_CATEGORY_IDS

    if pack:
        problems = check_pack_file(path)
    else:
        problems = check_file(path, categories=[*BUILTIN_CATEGORY_IDS, *categories])
    for line in problems:
        print(line, file=sys.stderr)
    if problems:
        print(f"{path}: {len(problems)} problem(s)", file=sys.stderr)
        return 1
    print(f"{path}: ok")
    return 0


# -- output ------------------------------------------------------------------


def _has_rich(plain: bool = False) -> bool:
    """Whether to print with ``rich``: installed, and ``--plain`` not given."""
    if plain:
        return False
    try:
        importlib.import_module("rich")
    except ImportError:
        return False
    return True


def _console(*, stderr: bool = False) -> Any:
    """A rich console on the current stdout (or stderr); as wide as the
    terminal, or wide enough for the tables when the output is a file or pipe."""
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    width = None if stream.isatty() else 200
    return Console(file=stream, width=width, highlight=False, soft_wrap=False)


def _plain_table(headers: Sequence[str], rows: Sequence[Sequence[str]], indent: str = "") -> str:
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        return indent + "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths]), *map(line, rows)])


def _rich_table(
    headers: Sequence[str], rows: Sequence[Sequence[str]], title: str | None = None
) -> Any:
    from rich.table import Table
    from rich.text import Text

    table = Table(title=title, title_justify="left", header_style="bold")
    for h in headers:
        table.add_column(h, no_wrap=h in ("target", "deadline", "due", "started", "at"))
    for row in rows:
        table.add_row(*(Text(cell, style=_STYLES.get(cell.split(" ")[0], "")) for cell in row))
    return table


_STYLES = {
    "met": "green",
    "breached": "bold red",
    "running": "yellow",
    "paused": "magenta",
    "pending": "dim",
    "cancelled": "dim",
}


def _fmt_time(t: datetime | None, zone: ZoneInfo) -> str:
    return display_time(t, zone)  # one time format: the zone's time, with the offset


def _fmt_delta(d: timedelta | None) -> str:
    """``2d 03h 15m``, ``3h 15m``, ``15m`` (rounded down to the minute)."""
    if d is None:
        return "-"
    minutes = int(d.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    h, m = divmod(rest, 60)
    if days:
        return f"{days}d {h:02d}h {m:02d}m"
    return f"{h}h {m:02d}m" if h else f"{m}m"


def _fmt_duration(text: str) -> str:
    """A duration's text with long fractions shortened: ``2.7083 working days``."""
    amount, sep, unit = text.partition(" ")
    try:
        value = float(amount)
    except ValueError:
        return text
    return f"{value:.4f}".rstrip("0").rstrip(".") + sep + unit if "." in amount else text


# -- demo --------------------------------------------------------------------


def _positive_int(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {n}")
    return n


@contextmanager
def _progress(total: int, enabled: bool, rich: bool) -> Iterator[Callable[[], None]]:
    """A progress indication on stderr; yields the function that advances it."""
    if not enabled:
        yield lambda: None
        return
    if rich:
        from rich.progress import Progress

        with Progress(console=_console(stderr=True), transient=False) as bar:
            task = bar.add_task("demo runs", total=total)
            yield lambda: bar.advance(task)
        return
    # a counter: rewritten in place on a terminal, a line every tenth otherwise
    done = 0
    tty = sys.stderr.isatty()
    every = max(1, total // 10)

    def advance() -> None:
        nonlocal done
        done += 1
        if tty:
            print(f"\rdemo: {done}/{total} runs", end="", file=sys.stderr, flush=True)
        elif done % every == 0 or done == total:
            print(f"demo: {done}/{total} runs", file=sys.stderr, flush=True)

    yield advance
    if tty:
        print(file=sys.stderr)


def _demo_rich(engine: Engine, ids: Sequence[str]) -> None:
    """The demo's timelines and SLA tables as rich tables: the content the
    plain demo prints."""
    from rich.text import Text

    from complaintflow._demo import _TZ

    console = _console()
    for cid in ids:
        c = engine.get(cid)
        console.print()
        head = Text(f"{c.category}: ", style="bold")
        head.append(f"{c.subject}  [{c.status.value}, cycle {c.cycle}]  id={c.id}")
        console.print(head)
        rows = [
            [
                str(e.seq),
                _fmt_time(e.at, _TZ),
                e.type,
                e.to_status.value
                if e.from_status is None
                else f"{e.from_status.value} -> {e.to_status.value}",
                e.actor,
            ]
            for e in engine.history(cid)
        ]
        console.print(_rich_table(["#", "at", "event", "status", "by"], rows))
        report = engine.sla(cid)
        sla_rows = [
            [name, t.duration, _fmt_time(t.deadline, _TZ), t.state] for name, t in report.items()
        ]
        title = f"SLA (cycle {report.cycle}, as of {_fmt_time(engine.now(), _TZ)})"
        console.print(_rich_table(["target", "duration", "due", "state"], sla_rows, title))


def _demo(db: str, *, count: int = 1, progress: bool = False, plain: bool = False) -> int:
    from pathlib import Path

    from complaintflow._demo import demo_clock, run_demo
    from complaintflow.engine import Engine
    from complaintflow.errors import StoreError
    from complaintflow.sla import BusinessCalendar
    from complaintflow.stores import SQLiteStore

    path = Path(db)
    if path.is_dir():
        print(f"complaintflow demo: --db {db}: is a directory", file=sys.stderr)
        return 2
    for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        leftover.unlink(missing_ok=True)
    try:
        store = SQLiteStore(path)
    except StoreError as e:
        print(f"complaintflow demo: {e}", file=sys.stderr)
        return 2
    clock = demo_clock()
    engine = Engine(
        clock=clock, calendar=BusinessCalendar.preset("CN"), store=store, load_entry_points=False
    )
    rich = _has_rich(plain)
    show_progress = count > 1 and (progress or sys.stdout.isatty())
    lines: list[str] = []
    first: list[str] = []
    started = time.perf_counter()
    with _progress(count, show_progress, rich) as advance:
        for run in range(count):
            # the first run's timelines are printed once every run is done
            ids = run_demo(engine, clock, out=lines.append if run == 0 else lambda _: None)
            if run == 0:
                first = ids
            advance()
    elapsed = time.perf_counter() - started
    if rich:
        _demo_rich(engine, first)
    else:
        print("\n".join(lines))
    store.close()
    total = len(first) * count
    if count > 1:
        print(
            f"\n{count} runs of the story: {total} complaints in {elapsed:.2f} s "
            f"({total / elapsed:.0f} complaints/s); the timelines above are the first run's"
        )
    print(f"\n{total} complaints, their audit trails and notifications are in {path}")
    return 0


# -- sla ---------------------------------------------------------------------

_SLA_HEADERS = ("target", "duration", "started", "deadline", "state", "remaining")


def _sla_rows(result: SlaResult) -> list[list[str]]:
    return [
        [
            t.name,
            _fmt_duration(t.duration),
            _fmt_time(t.started_at, result.zone),
            _fmt_time(t.deadline, result.zone),
            t.state + (" (at risk)" if t.at_risk else ""),
            _fmt_delta(t.remaining),
        ]
        for t in result.targets
    ]


def _sla_summary(result: SlaResult) -> list[str]:
    z = result.zone
    return [
        f"complaint received {_fmt_time(result.received, z)}, category {result.category}: "
        f"{result.status} (cycle {result.cycle})",
        f"policy {result.policy}, calendar {result.calendar}; as of {_fmt_time(result.now, z)}; "
        f"times in {z.key}",
    ]


def _sla_problems(result: SlaResult) -> list[str]:
    return [f"{t.name}: {t.problem}" for t in result.targets if t.problem] + [
        f"{t.name}: provisional: {t.provisional}" for t in result.targets if t.provisional
    ]


def _sla(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from complaintflow._cli_sla import UsageError, compute

    try:
        result = compute(
            received=args.received,
            events=args.event,
            now=args.now,
            calendar=args.calendar,
            policy=args.policy,
            variant=args.variant,
            category=args.category,
        )
    except UsageError as e:
        parser.error(str(e))  # exits with 2, argparse-style
    if args.json:
        print(json.dumps(result.to_json(), indent=2, ensure_ascii=False))
        return 0
    if _has_rich(args.plain):
        from rich.text import Text

        console = _console()
        for line in _sla_summary(result):
            console.print(Text(line))
        console.print(_rich_table(_SLA_HEADERS, _sla_rows(result)))
        for line in _sla_problems(result):
            console.print(Text(line, style="red"))
        return 0
    print("\n".join(_sla_summary(result)))
    print(_plain_table(_SLA_HEADERS, _sla_rows(result)))
    for line in _sla_problems(result):
        print(line)
    return 0


_SLA_EPILOG = """\
times:
  ISO 8601, with an offset (2026-03-09T10:00+08:00, 2026-03-09T02:00Z) or
  without one, read in the calendar's time zone (2026-03-09T10:00, or
  2026-03-09 for midnight). A wall time a DST change skips or repeats is
  read as the first of its readings.

events:
  TYPE=TIME, one per --event, any order: they are applied in time order (at
  the same time, in the order given) as commands of the system actor:
  acknowledge, classify, decide, execute, follow_up, request_info (asks the
  complainant), provide_info, reject, withdraw, reopen. decide takes an
  optional effective time, decide=TIME,effective=TIME (default: TIME): the
  execution target starts there. Before decide, the category's required
  steps (guide section 3.1: the parties are heard) are recorded
  automatically at the decision's time, so the guard passes.

calendar:
  CN (the bundled mainland China calendar: holidays and makeup days), or an
  IANA time zone (UTC, Europe/London, ...) for Monday to Friday without
  holidays. Default: the policy pack's own calendar (guide and samr: CN; fca:
  England and Wales bank holidays, needs the holidays package; cfpb:
  America/New_York).

--now defaults to the current time, or to the last event when that is later.

example:
  complaintflow sla --received 2026-03-09T10:00+08:00 \\
      --event acknowledge=2026-03-09T15:00+08:00 \\
      --event classify=2026-03-10T09:00+08:00 --now 2026-03-10T12:00+08:00
"""


# -- the command line -----------------------------------------------------------


def _parser() -> tuple[argparse.ArgumentParser, argparse.ArgumentParser]:
    """The parser, and the ``sla`` subparser (its errors are reported by it)."""
    parser = argparse.ArgumentParser(
        prog="complaintflow", description="Complaint handling as the guide lays it out."
    )
    parser.add_argument("--version", action="version", version=f"complaintflow {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    _add_demo_parser(sub)
    sla = _add_sla_parser(sub)
    _add_diagram_parser(sub)
    rsub = _add_rules_parser(sub)
    add_worker_parser(sub)
    importlib.import_module("complaintflow._cli_rules").add_commands(rsub)
    _cli_calendar.add_parser(sub)
    _cli_certs.add_parsers(sub)
    importlib.import_module("complaintflow._cli_report").add_parser(sub)
    return parser, sla


def _add_demo_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``complaintflow demo``."""
    demo = sub.add_parser(
        "demo",
        help="run one complaint of each category and print the timelines",
        description="Run one complaint of each category through a realistic story on the "
        "SQLite store and print each complaint's timeline and SLA table.",
    )
    demo.add_argument(
        "--db",
        default="complaintflow-demo.sqlite3",
        help="the SQLite file the demo writes (replaced on each run; default: %(default)s)",
    )
    demo.add_argument(
        "--count",
        type=_positive_int,
        default=1,
        metavar="N",
        help="run the story N times into the same file, e.g. for a quick load test; the "
        "first run's timelines are printed, then the timing (default: %(default)s)",
    )
    demo.add_argument(
        "--progress",
        action="store_true",
        help="show a progress bar on stderr when N > 1 even if stdout is not a terminal",
    )
    demo.add_argument("--plain", action="store_true", help="plain text even when rich is installed")


def _add_sla_parser(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
) -> argparse.ArgumentParser:
    """``complaintflow sla``; returns its parser."""
    from complaintflow._cli_sla import EVENT_TYPES
    from complaintflow.categories import BUILTIN_CATEGORIES
    from complaintflow.sla._policy import PACKS

    sla = sub.add_parser(
        "sla",
        help="a complaint's SLA deadlines and their states, from its events",
        description="Every SLA target's deadline and state for a complaint received at\n"
        "--received, with the --event commands having happened at their times.\n"
        "A real engine on a memory store computes them.",
        epilog=_SLA_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sla.add_argument("--received", required=True, metavar="TIME", help="when it was received")
    sla.add_argument(
        "--event",
        action="append",
        default=[],
        metavar="TYPE=TIME",
        help=f"a command and when it happened (repeatable); TYPE: {', '.join(EVENT_TYPES)}",
    )
    sla.add_argument(
        "--calendar",
        metavar="CN|UTC|ZONE",
        help="CN, or an IANA time zone for Mon-Fri (default: the policy pack's calendar)",
    )
    sla.add_argument(
        "--policy", choices=PACKS, default="guide", help="the policy pack (default: %(default)s)"
    )
    sla.add_argument(
        "--variant", help="a variant of the pack (fca: payment_services, payment_services_holding)"
    )
    sla.add_argument(
        "--now",
        metavar="TIME",
        help="report the targets as of this time (default: now, or the last event if later)",
    )
    sla.add_argument(
        "--category",
        choices=[c.id for c in BUILTIN_CATEGORIES],
        default="goods",
        help="the complaint's category (default: %(default)s)",
    )
    out = sla.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="print JSON instead of a table")
    out.add_argument("--plain", action="store_true", help="plain text even when rich is installed")
    return sla


def _add_diagram_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``complaintflow diagram``."""
    d = sub.add_parser(
        "diagram",
        help="print the state diagram",
        description="Print the state diagram, generated from the state machine.",
    )
    d.add_argument("--format", choices=["mermaid", "dot"], default="mermaid")


def _add_rules_parser(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
) -> argparse._SubParsersAction[argparse.ArgumentParser]:
    """``complaintflow rules`` and ``rules check``; returns the ``rules`` subcommands."""
    r = sub.add_parser("rules", help="rule files (guide §2.3)")
    rsub = r.add_subparsers(dest="rules_command", required=True)
    rc = rsub.add_parser("check", help="check a rule file (or a policy pack with --pack)")
    rc.add_argument("file")
    rc.add_argument(
        "--category",
        action="append",
        default=[],
        help="a category id rules may name besides the built-in ones (repeatable)",
    )
    rc.add_argument("--pack", action="store_true", help="the file is a policy pack")
    return rsub


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (argparse exits with 2 on
    bad arguments)."""
    parser, sla = _parser()
    args = parser.parse_args(argv)
    try:
        if args.command in ("rules", "report", "sla-report") and hasattr(args, "run"):
            return int(args.run(args))
        if args.command == "rules":
            return _rules_check(args.file, args.category, pack=args.pack)
        if args.command == "demo":
            return _demo(args.db, count=args.count, progress=args.progress, plain=args.plain)
        if args.command == "sla":
            return _sla(args, sla)
        if args.command == "worker":
            return worker_command(args)
        if args.command == "calendar":
            return _cli_calendar.run(args)
        if args.command in ("explain", "whatif"):
            return _cli_certs.run(args)
        print(diagram(args.format))
        return 0
    except BrokenPipeError:
        # the reader went away (``complaintflow demo | head``): stop quietly
        _silence_stdout()
        return 1


def _silence_stdout() -> None:
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # pragma: no cover - stdout without a descriptor
        pass


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
