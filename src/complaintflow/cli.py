"""The ``complaintflow`` command: demo, diagram."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from complaintflow.states import Status, transitions_table

__all__ = ["main"]


def _diagram(fmt: str) -> str:
    rows = sorted(set(transitions_table()), key=lambda r: (list(Status).index(r[0]), r[1]))
    if fmt == "dot":
        lines = ["digraph complaintflow {", "  rankdir=LR;"]
        for src, cmd, dst in rows:
            lines.append(f'  {src.value} -> {(dst or src).value} [label="{cmd}"];')
        lines.append("}")
        return "\n".join(lines)
    lines = ["stateDiagram-v2", "    [*] --> received: submit"]
    for src, cmd, dst in rows:
        lines.append(f"    {src.value} --> {(dst or src).value}: {cmd}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    parser = argparse.ArgumentParser(
        prog="complaintflow", description="Complaint handling as the guide lays it out."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("demo", help="run one complaint of each category and print the timelines")
    d = sub.add_parser("diagram", help="print the state diagram")
    d.add_argument("--format", choices=["mermaid", "dot"], default="mermaid")
    args = parser.parse_args(argv)
    if args.command == "demo":
        from complaintflow._demo import demo_clock, run_demo
        from complaintflow.engine import Engine
        from complaintflow.sla import BusinessCalendar

        clock = demo_clock()
        engine = Engine(clock=clock, calendar=BusinessCalendar.preset("CN"))
        run_demo(engine, clock)
        return 0
    print(_diagram(args.format))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
