"""A small SVG line chart, as plain text (no dependency): the weekly
counts of the complaint analysis, the met and breached rates of the SLA
report."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from html import escape
from typing import Final

from complaintflow.errors import InvalidInput

__all__ = ["line_chart"]

_COLOURS: Final = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#7f7f7f")
_LEFT, _RIGHT, _TOP, _BOTTOM = 40, 130, 20, 30
_LARGEST: Final = 10_000
_PLOT: Final = 100
"""The least width and height of the plot area, in pixels."""


def _size(value: object, field: str, least: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not least <= value <= _LARGEST:
        raise InvalidInput.field(
            field, f"must be a whole number of pixels from {least} to {_LARGEST}"
        )
    return value


def line_chart(
    weeks: Sequence[date | str],
    series: Mapping[str, Sequence[float | None]],
    *,
    width: int = 640,
    height: int = 320,
    title: str = "Complaints per week and category",
    peak: float | None = None,
    legend: int = _RIGHT,
) -> str:
    """One line per series over ``weeks`` (any labels: the first and the
    last are written under the x-axis), with a legend and the y-axis' top:
    ``peak``, else the largest value. A ``None`` value is left out of its
    line. ``legend`` is the width kept on the right for the legend.
    ``width`` and ``height`` are whole pixels, room for a plot of at least
    100 by 100 and at most 10,000 (else InvalidInput)."""
    width = _size(width, "width", _LEFT + legend + _PLOT)
    height = _size(height, "height", _TOP + _BOTTOM + _PLOT)
    if peak is None:
        peak = max((max((x for x in v if x is not None), default=0) for v in series.values()),
                   default=0) or 1  # fmt: skip
    plot_w, plot_h = width - _LEFT - legend, height - _TOP - _BOTTOM
    step = plot_w / max(len(weeks) - 1, 1)

    def point(i: int, n: float) -> str:
        return f"{_LEFT + i * step:.1f},{_TOP + plot_h - n / peak * plot_h:.1f}"

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">',
        f"<title>{escape(title)}</title>",
        f'<line x1="{_LEFT}" y1="{_TOP + plot_h}" x2="{_LEFT + plot_w}" y2="{_TOP + plot_h}" '
        'stroke="#333"/>',
        f'<line x1="{_LEFT}" y1="{_TOP}" x2="{_LEFT}" y2="{_TOP + plot_h}" stroke="#333"/>',
        f'<text x="{_LEFT - 4}" y="{_TOP + 4}" text-anchor="end">{peak:g}</text>',
        f'<text x="{_LEFT - 4}" y="{_TOP + plot_h}" text-anchor="end">0</text>',
    ]
    if weeks:
        out.append(f'<text x="{_LEFT}" y="{height - 8}">{escape(str(weeks[0]))}</text>')
        out.append(
            f'<text x="{_LEFT + plot_w}" y="{height - 8}" text-anchor="end">{weeks[-1]}</text>'
        )
    for k, (name, counts) in enumerate(series.items()):
        colour = _COLOURS[k % len(_COLOURS)]
        points = " ".join(point(i, n) for i, n in enumerate(counts) if n is not None)
        out.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{points}"/>')
        y = _TOP + 14 * k + 8
        out.append(
            f'<rect x="{width - legend + 10}" y="{y - 8}" width="10" height="10" fill="{colour}"/>'
        )
        out.append(f'<text x="{width - legend + 24}" y="{y + 1}">{escape(name)}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"
