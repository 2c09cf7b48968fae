"""The ``complaintflow`` command: demo, diagram, rules check."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from complaintflow.states import Status, transitions_table

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


def _demo(db: str) -> int:
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
    ids = run_demo(engine, clock)
    store.close()
    print(f"\n{len(ids)} complaints, their audit trails and notifications are in {path}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    parser = argparse.ArgumentParser(
        prog="complaintflow", description="Complaint handling as the guide lays it out."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="run one complaint of each category and print the timelines")
    demo.add_argument(
        "--db",
        default="complaintflow-demo.sqlite3",
        help="the SQLite file the demo writes (replaced on each run; default: %(default)s)",
    )
    d = sub.add_parser("diagram", help="print the state diagram")
    d.add_argument("--format", choices=["mermaid", "dot"], default="mermaid")
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
    args = parser.parse_args(argv)
    if args.command == "rules":
        return _rules_check(args.file, args.category, pack=args.pack)
    if args.command == "demo":
        return _demo(args.db)
    print(diagram(args.format))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
