"""CSV the reports write, safe to open in a spreadsheet.

A text cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return is read as a formula by spreadsheet programs (CSV injection); such
cells get a leading apostrophe, which the programs show as text. Numbers
are written as they are (a negative count or trend stays a number)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any, Final

_FORMULA: Final = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> Any:
    """``value`` as a CSV cell: ``None`` empty, a text that a spreadsheet
    would take for a formula with a leading apostrophe."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(_FORMULA):
        return "'" + value
    return value


def write(head: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """``head`` and ``rows`` as CSV text, every cell through :func:`cell`."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(head)
    w.writerows([cell(v) for v in row] for row in rows)
    return buf.getvalue()
